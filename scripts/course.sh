#!/usr/bin/env bash
# Set everything up, then run every chapter headless into build/ (full mode unless MTL_SMOKE=1).
source "$(dirname "$0")/setup_env.sh"
mkdir -p build
for chapter in chapters/[0-9]*.ipynb; do
    echo "==> running $chapter"
    # ipykernel warns on every start that its local TCP connection is unencrypted: noise here.
    .venv/bin/jupyter nbconvert --to notebook --execute "$chapter" --output-dir build \
        --ExecutePreprocessor.timeout=1800 --log-level=WARN 2>&1 \
        | { grep -v "Kernel is running over TCP without encryption" || true; }
done
cat <<MSG

Done: the executed chapters are in build/.
Open them in JupyterLab with:   .venv/bin/jupyter lab build/
(or open chapters/ there to run and edit them yourself)
MSG
