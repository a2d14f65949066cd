"""Self-tests proving the validation helpers in ``tests/support`` can fail.

A checker that never reports anything would make every standards test pass
vacuously, so each helper is run on a known-good and a known-bad input.
"""

from __future__ import annotations

import struct
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.validators import (
    MOBILE_VIEWPORT,
    VIEWPORTS,
    ColorScheme,
    axe_violations,
    launch_chromium,
    screenshot,
    serve_directory,
    validate_html,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

VALID_HTML = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Valid</title></head>
<body><p>Hello.</p></body>
</html>
"""

INVALID_HTML = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"></head>
<body><p><div></p>
</body>
</html>
"""

ACCESSIBLE_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Accessible</title>
<style>
  :root { color-scheme: light dark; }
  body { font-family: sans-serif; background: #ffffff; color: #1a1a1a; }
  a { color: #0645ad; }
  @media (prefers-color-scheme: dark) {
    body { background: #121212; color: #eeeeee; }
    a { color: #8ab4f8; }
  }
</style>
</head>
<body>
<main>
  <h1>Accessible page</h1>
  <p>Readable text with a <a href="#top">link</a>.</p>
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="A tiny square" width="10" height="10">
</main>
</body>
</html>
"""

INACCESSIBLE_HTML = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Inaccessible</title></head>
<body>
<main>
  <h1>Inaccessible page</h1>
  <p style="color: #999999; background: #aaaaaa">Low contrast text.</p>
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="10" height="10">
</main>
</body>
</html>
"""

DARK_ONLY_PROBLEM_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Dark mode contrast</title>
<style>
  body { background: #ffffff; color: #1a1a1a; }
  @media (prefers-color-scheme: dark) {
    body { background: #121212; color: #333333; }
  }
</style>
</head>
<body><main><h1>Heading</h1><p>Text that is unreadable in dark mode.</p></main></body>
</html>
"""


def _write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.validator
def test_validate_html_accepts_valid_document(tmp_path: Path) -> None:
    assert validate_html([_write(tmp_path, "valid.html", VALID_HTML)]) == []


@pytest.mark.validator
def test_validate_html_reports_errors_per_file_with_lines(tmp_path: Path) -> None:
    valid = _write(tmp_path, "valid.html", VALID_HTML)
    invalid = _write(tmp_path, "invalid.html", INVALID_HTML)

    errors = validate_html([valid, invalid])

    assert errors, "the Nu Html Checker reported nothing for an invalid document"
    assert {Path(error["file"]) for error in errors} == {invalid}
    assert all(isinstance(error["line"], int) for error in errors)
    messages = {(error["line"], error["message"]) for error in errors}
    assert any(line == 3 and "title" in message for line, message in messages), messages
    assert any(line == 4 and "“p”" in message for line, message in messages), messages


def test_serve_directory_serves_files_then_stops(tmp_path: Path) -> None:
    _write(tmp_path, "index.html", VALID_HTML)

    with serve_directory(tmp_path) as base_url:
        with urllib.request.urlopen(f"{base_url}/index.html", timeout=5) as response:
            assert response.read().decode("utf-8") == VALID_HTML

    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{base_url}/index.html", timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("axe-site")
    _write(root, "accessible.html", ACCESSIBLE_HTML)
    _write(root, "inaccessible.html", INACCESSIBLE_HTML)
    _write(root, "dark-problem.html", DARK_ONLY_PROBLEM_HTML)
    with serve_directory(root) as base_url:
        yield base_url


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda size: f"{size[0]}x{size[1]}")
def test_axe_passes_accessible_page(
    browser: Browser, site: str, scheme: ColorScheme, viewport: tuple[int, int]
) -> None:
    width, height = viewport
    assert axe_violations(browser, f"{site}/accessible.html", scheme, width, height) == []


@pytest.mark.browser
def test_axe_reports_missing_alt_and_low_contrast(browser: Browser, site: str) -> None:
    violations = axe_violations(browser, f"{site}/inaccessible.html")

    by_id = {violation["id"]: violation for violation in violations}
    assert {"image-alt", "color-contrast"} <= by_id.keys(), violations
    assert by_id["image-alt"]["targets"] == [["img"]]
    assert by_id["color-contrast"]["impact"] == "serious"


@pytest.mark.browser
def test_axe_honours_dark_color_scheme(browser: Browser, site: str) -> None:
    url = f"{site}/dark-problem.html"

    assert axe_violations(browser, url, "light") == []
    assert "color-contrast" in {v["id"] for v in axe_violations(browser, url, "dark")}


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.browser
def test_screenshot_renders_viewport_in_each_scheme(
    browser: Browser, site: str, tmp_path: Path
) -> None:
    width, height = MOBILE_VIEWPORT
    url = f"{site}/accessible.html"

    light = screenshot(browser, url, tmp_path / "light.png", width, height)
    dark = screenshot(browser, url, tmp_path / "dark.png", width, height, scheme="dark")

    assert _png_size(light) == (width, height)
    assert _png_size(dark) == (width, height)
    assert light.read_bytes() != dark.read_bytes()
