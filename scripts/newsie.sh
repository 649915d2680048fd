#!/usr/bin/env bash
# Set everything up, train the course's ASP model once, and build the Newsie app from it into build/newsie.
#
# The model is chapter 05's ASP-MTL: a CNN with windows of one and two words, four epochs, seed 0,
# trained once into build/newsie-run (delete that folder to train it again). With MTL_SMOKE=1 it is
# the smoke-size model instead, as the chapter's smoke run: 150 headlines per publication and split,
# one epoch, in build/newsie-run-smoke. Any arguments go to `python -m mtl_lib newsie`, for example
# `scripts/newsie.sh --articles 50`.
source "$(dirname "$0")/setup_env.sh"

run=build/newsie-run
size=(--epochs 4)
case "$(echo "${MTL_SMOKE:-0}" | tr -d '[:space:]')" in  # smoke unless unset, empty, 0 or false, as mtl_lib.config
    "" | 0 | false | False) ;;
    *) run=build/newsie-run-smoke; size=(--epochs 1 --per-split 150) ;;
esac

if [ ! -f "$run/run.json" ]; then
    echo "==> training the course's ASP model into $run"
    .venv/bin/python -m mtl_lib train --data news --model asp --encoder cnn --kernel-sizes 1 2 --seed 0 \
        "${size[@]}" --out "$run"
fi

echo "==> building the Newsie app from $run"
.venv/bin/python -m mtl_lib newsie "$run" --out build/newsie "$@"
cat <<MSG

Done: open build/newsie/index.html in a browser (no server needed),
or serve the folder from any static host, for example:   .venv/bin/python -m http.server -d build/newsie
MSG
