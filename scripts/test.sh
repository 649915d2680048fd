#!/usr/bin/env bash
# Set everything up (Chromium too, for the browser tests), then run the whole test suite: the unit
# tests, the browser tests, and every chapter through nbval (cells marked NBVAL_CHECK_OUTPUT must
# reproduce their stored output; the rest must run).
# Chapters run in smoke mode (MTL_SMOKE=1) unless MTL_SMOKE=0 is given. Extra arguments go to pytest.
source "$(dirname "$0")/setup_env.sh"
source scripts/setup_browser.sh
export MTL_SMOKE="${MTL_SMOKE:-1}"
exec .venv/bin/python -m pytest --nbval-lax --nbval-current-env \
    --nbval-sanitize-with tests/nbval_sanitize.cfg "$@"
