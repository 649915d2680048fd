"""Open pages in a real headless Chromium (Playwright driving the installed browser).

The browser is the system's Chromium (`apt install chromium`, which `scripts/test.sh` does on
Debian and Ubuntu), or the one `MTL_CHROMIUM` names: Playwright's own browser download is never
used. Each page keeps its console errors and failed requests, and every test leaves a screenshot
in `build/test-artifacts/`.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "build" / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str:
    """The Chromium to drive: `MTL_CHROMIUM`, else `chromium` or `chromium-browser` on the PATH."""
    named = os.environ.get("MTL_CHROMIUM")
    found = named or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found or not Path(found).exists():
        pytest.fail("no Chromium for the browser tests: install it (`apt install chromium`, which "
                    "scripts/test.sh does on Debian/Ubuntu) or set MTL_CHROMIUM=/path/to/chromium")
    return found


@dataclass
class PageLog:
    """What went wrong on a page: console errors, uncaught exceptions and failed requests."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on("requestfailed", lambda request: self.errors.append(f"failed request: {request.url}"))


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """Serve `folder` over HTTP on a free loopback port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def browser_page(screenshot: str, width: int = 1280, height: int = 900) -> Iterator[tuple[object, PageLog]]:
    """A fresh page in headless Chromium, offline: any request off loopback or `file:` is aborted
    (and logged as a failed request). Leaves `build/test-artifacts/<screenshot>.png` behind."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.route("**/*", _offline)
            log = PageLog()
            log.watch(page)
            try:
                yield page, log
            finally:
                page.screenshot(path=str(ARTIFACTS / f"{screenshot}.png"), full_page=True)
        finally:
            browser.close()


def _offline(route) -> None:
    url = route.request.url
    if url.startswith(("file:", "data:", "blob:", "http://127.0.0.1", "http://localhost")):
        route.continue_()
    else:
        route.abort()
