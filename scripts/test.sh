#!/usr/bin/env bash
# Set everything up, then run the whole test suite: unit tests and every chapter through nbval.
# Chapters run in smoke mode (MTL_SMOKE=1) unless MTL_SMOKE=0 is given.
source "$(dirname "$0")/setup_env.sh"
export MTL_SMOKE="${MTL_SMOKE:-1}"
exec .venv/bin/python -m pytest "$@"
