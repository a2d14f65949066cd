"""Live reload in a real browser: headless Chromium on a running `chronicle serve`.

The test edits files on disk and never reloads the page itself: the new text, the error
overlay and the new styles must arrive through the page's own reload script. Under CI a
missing Chromium or Playwright fails these tests (require_tool) instead of skipping them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from conftest import entry, make_site, write_files
from tests.serve.serving import Running, running_chronicle, subprocess_env
from tests.support.validators import launch_chromium

pytestmark = pytest.mark.browser

CONFIG = '''\
title = "Live"
base_url = "https://example.org/sub/"
timezone = "UTC"
'''
CALL = "content/2025-03-18-call.md"
PAGE = "2025/03/18/call/"
LONG_BODY = "\n\n".join(f"Paragraph {n} of the live entry." for n in range(80))
#: a site-level override that adds a stylesheet, so a CSS-only change has something to swap
BASE_WITH_EXTRA_CSS = ('{% extends "theme/base.html" %}{% block head %}'
                       '<link rel="stylesheet" href="{{ url(\'/extra.css\') }}">{% endblock %}')


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path, {
        CALL: entry("The call", body="Before the edit.\n\n" + LONG_BODY),
        "static/extra.css": "h1 { color: rgb(0, 0, 0) }",
        "templates/base.html": BASE_WITH_EXTRA_CSS,
    }, config=CONFIG)


@pytest.fixture
def server(site: Path, site_env: dict[str, str]) -> Iterator[Running]:
    with running_chronicle(site, subprocess_env(site_env), "serve", "--port", "0") as running:
        yield running
        assert running.stop() == 0


@pytest.fixture
def page(server: Running):  # type: ignore[no-untyped-def]
    """The entry page, open in Chromium, with its event stream connected."""
    with launch_chromium() as browser:
        context = browser.new_context(viewport={"width": 1000, "height": 700})
        tab = context.new_page()
        tab.set_default_timeout(20_000)
        # the stream names the page shown, so serve renders that page first after a change
        events = urlsplit(server.url).path + "__chronicle/events?page=" + quote(
            urlsplit(server.url + PAGE).path, safe="")
        with tab.expect_response(lambda r: r.url.endswith(events)):
            tab.goto(server.url + PAGE, wait_until="load")
        yield tab
        context.close()


def test_an_edit_shows_up_without_reloading_by_hand(page, site: Path) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("window.scrollTo(0, 600)")
    page.wait_for_function("window.scrollY >= 590")
    write_files(site, {CALL: entry("The call", body="After the edit.\n\n" + LONG_BODY)})
    page.locator("text=After the edit.").wait_for()
    assert page.locator("text=Before the edit.").count() == 0
    page.wait_for_function("window.scrollY >= 590")  # the reader stays where they were


def test_the_error_overlay_appears_and_clears(page, site: Path) -> None:  # type: ignore[no-untyped-def]
    write_files(site, {CALL: "---\ntitle: The call\ndate: 2025-03-18 09:00\ntags: a: b\n---\n"})
    overlay = page.locator("#chronicle-error-overlay")
    overlay.wait_for()
    text = overlay.inner_text()
    assert f"{CALL}:4" in text and "invalid YAML" in text
    assert page.locator("text=Before the edit.").count() == 1  # the last good page stays
    write_files(site, {CALL: entry("The call", body="Fixed.\n\n" + LONG_BODY)})
    page.locator("text=Fixed.").wait_for()
    overlay.wait_for(state="detached")


#: WCAG contrast ratio of an element's text colour on its own background colour
CONTRAST = """(selector) => {
  const el = document.querySelector(selector), style = getComputedStyle(el);
  const channels = (c) => c.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const luminance = ([r, g, b]) => [r, g, b].map((v) => {
    v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const back = channels(style.backgroundColor);
  const [a, b] = [luminance(channels(style.color)), luminance(back)];
  return {ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
          opaque: back.length < 4 || back[3] === 1};
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_error_overlay_is_readable_in_light_and_dark_mode(  # type: ignore[no-untyped-def]
        page, site: Path, scheme: str) -> None:
    """The theme gives `pre` a light background in light mode; the overlay's report sits
    in a `pre` and must keep its own colours."""
    page.emulate_media(color_scheme=scheme)
    write_files(site, {CALL: "---\ntitle: The call\ndate: 2025-03-18 09:00\ntags: a: b\n---\n"})
    page.locator("#chronicle-error-overlay pre").wait_for()
    report = page.evaluate(CONTRAST, "#chronicle-error-overlay pre")
    assert report["opaque"] and report["ratio"] >= 7, report
    assert page.evaluate(CONTRAST, "#chronicle-error-overlay")["ratio"] >= 7


def test_a_css_change_swaps_styles_without_a_reload(page, site: Path) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("window.chronicleTestMarker = 'kept'")
    write_files(site, {"static/extra.css": "h1 { color: rgb(200, 0, 0) }"})
    page.wait_for_function(
        "getComputedStyle(document.querySelector('h1')).color === 'rgb(200, 0, 0)'")
    assert page.evaluate("window.chronicleTestMarker") == "kept"  # same document: no reload
