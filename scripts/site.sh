#!/usr/bin/env bash
# Build the course site into build/site: the stored chapters rendered with their outputs and widgets
# (never executed), README.md as the home page, and the Newsie app under newsie/. Offline: MathJax
# and the widget manager are vendored in site/_static/vendor (checked against site/vendor.json).
# Newsie is built first with scripts/newsie.sh when build/newsie/index.html is missing (MTL_SMOKE=1:
# the smoke-size model). The site is built in a temporary folder and moved into place at the end,
# so an interrupted build leaves the previous site.
source "$(dirname "$0")/setup_env.sh"

[ -f build/newsie/index.html ] || bash scripts/newsie.sh

staging=build/site-src
partial=$(mktemp -d build/site.partial.XXXXXX)
trap 'rm -rf "$partial"' EXIT
.venv/bin/python site/stage.py "$staging"
.venv/bin/python -m sphinx -b html -W --keep-going -q -c site -d build/site-doctrees -E "$staging" "$partial"
cp -r build/newsie "$partial/newsie"
rm -rf build/site.old
[ ! -d build/site ] || mv build/site build/site.old
mv "$partial" build/site
rm -rf build/site.old
echo "==> built build/site: open build/site/index.html, or serve it: .venv/bin/python -m http.server -d build/site"
