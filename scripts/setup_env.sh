# Sourced by course.sh and test.sh: make .venv and install the pinned requirements into it.
# Re-running is cheap: nothing is installed again until requirements.txt or pyproject.toml change.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "error: this course needs Python 3.10 or newer; set PYTHON=/path/to/python3.11" >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv with $("$PYTHON" --version)"
    if ! "$PYTHON" -m venv .venv 2>/dev/null; then
        # Debian and Ubuntu ship venv without ensurepip unless python3-venv is installed.
        rm -rf .venv
        "$PYTHON" -m pip install --user --quiet virtualenv \
            && "$PYTHON" -m virtualenv --quiet .venv \
            || { echo "error: could not create a virtual environment: install python3-venv (apt) and retry" >&2; exit 1; }
    fi
fi

stamp=".venv/.installed-$(cat requirements.txt pyproject.toml | "$PYTHON" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:16])')"
if [ ! -e "$stamp" ]; then
    .venv/bin/python scripts/install_torch.py
    echo "==> installing the pinned requirements"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
    rm -f .venv/.installed-* && touch "$stamp"
fi
