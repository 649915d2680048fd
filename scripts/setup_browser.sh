# Sourced by test.sh: the browser tests drive the system's Chromium with Playwright (Playwright's own
# browser download is never used). On Debian and Ubuntu a missing Chromium is installed with apt;
# elsewhere, install Chromium or Chrome and point MTL_CHROMIUM at it.
if [ -z "${MTL_CHROMIUM:-}" ] && ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
    if command -v apt-get >/dev/null; then
        echo "==> installing Chromium for the browser tests (apt-get install chromium)"
        sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get install -y -qq chromium >/dev/null \
            || { $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium >/dev/null; } \
            || { echo "error: could not install Chromium; install it, or set MTL_CHROMIUM=/path/to/chromium" >&2; exit 1; }
    else
        echo "error: the browser tests need Chromium: install it, or set MTL_CHROMIUM=/path/to/chromium" >&2
        exit 1
    fi
fi
