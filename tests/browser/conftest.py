"""The browser tier: Debian's Chromium driven by Playwright, against the app served over HTTP.

The browser is the distribution's `chromium` package (found on PATH, or installed with apt-get
when missing), never a Playwright download: this machine cannot fetch one. Nothing here is
ever skipped: without a browser the tests fail and say why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from werkzeug.serving import make_server

if TYPE_CHECKING:
    from collections.abc import Iterator

    from flask import Flask
    from playwright.sync_api import Browser, Page

DEBIAN_CHROMIUM = "/usr/bin/chromium"
#: Headless, and quiet: the network is closed, and without these Chromium keeps dialling out.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
TIMEOUT_MS = 15_000


class BrowserUnavailable(RuntimeError):
    pass


def find_chromium() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return DEBIAN_CHROMIUM if os.access(DEBIAN_CHROMIUM, os.X_OK) else None


def _apt_get(prefix: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run([*prefix, "apt-get", *args], env=env, capture_output=True, text=True, check=False)


def install_chromium() -> None:
    """`apt-get install -y chromium` as root (or password-less sudo); once more after an update."""
    if shutil.which("apt-get") is None:
        raise BrowserUnavailable("chromium is not installed and apt-get is not available to install it")
    if os.geteuid() == 0:
        prefix: list[str] = []
    elif shutil.which("sudo"):
        prefix = ["sudo", "-n"]
    else:
        raise BrowserUnavailable("chromium is not installed and this user may not run apt-get")
    result = _apt_get(prefix, "install", "-y", "chromium")
    if result.returncode != 0:
        _apt_get(prefix, "update")
        result = _apt_get(prefix, "install", "-y", "chromium")
    if result.returncode != 0:
        raise BrowserUnavailable(f"apt-get install -y chromium failed: {result.stderr.strip()[-800:]}")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        try:
            install_chromium()
        except BrowserUnavailable as exc:
            pytest.fail(str(exc), pytrace=False)
        path = find_chromium()
    if path is None:
        pytest.fail("apt-get installed chromium, yet no chromium binary is on PATH or at /usr/bin", pytrace=False)
    return path


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Browser]:
    """One Chromium per test module (Playwright's event loop lives no longer than the module)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.fail(f"playwright is not installed in this environment: {exc}", pytrace=False)
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        except Exception as exc:  # a browser that cannot start is a failure with its reason, never a skip
            pytest.fail(f"Chromium at {chromium_path} did not start: {exc}", pytrace=False)
        yield launched
        launched.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served for real on 127.0.0.1 (threaded, like the dev server); its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Any]:
    """Opens pages, each in its own browser context (its own cookies); all closed afterwards."""
    contexts = []

    def open_page() -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where the browser tests leave screenshots (tests/browser/artifacts/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
