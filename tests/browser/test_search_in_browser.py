"""Search in a real browser: headless Chromium types queries on built sites.

The example site is built at its sub-path (/ledger/) and again at the root; a small
Chinese site checks that words inside unbroken CJK text are found. Under CI a missing
Chromium or Playwright fails these tests (require_tool) instead of skipping them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import build_to_disk, make_site
from tests.support.validators import (_AXE_RUN_JS, AXE_JS, AXE_OPTIONS, VIEWPORTS, launch_chromium,
                                      open_page, require_tool, serve_directory)

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHINESE = {
    "chronicle.toml": 'title = "记事"\nbase_url = "https://example.org/zh/"\nlanguage = "zh"\n',
    "content/2025-03-18-call.md": "---\ntitle: 通话\ndate: 2025-03-18 09:00\ntags: [外交]\n---\n"
                                  "今天上午两国总统通了电话，外交部发言人表示会谈持续了七十分钟。\n",
    "content/2025-03-19-rain.md": "---\ntitle: 天气\ndate: 2025-03-19 09:00\n---\n"
                                  "明天北京有雨，气温下降。\n",
}


def _example(target: Path) -> Path:
    target.mkdir(parents=True)
    shutil.copy(REPO / "chronicle.toml", target)
    shutil.copytree(REPO / "content", target / "content")
    shutil.copytree(REPO / "static", target / "static")  # the example's images
    return target


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The example at /ledger/ and at /, the Chinese site at /zh/, served over HTTP."""
    work = tmp_path_factory.mktemp("search")
    www = work / "www"
    build_to_disk(_example(work / "ledger"), www / "ledger")
    build_to_disk(_example(work / "root"), work / "root-out", base_url="https://example.org/")
    for item in (work / "root-out").iterdir():
        (www / item.name).symlink_to(item)
    (work / "zh").mkdir()
    build_to_disk(make_site(work / "zh", CHINESE), www / "zh")
    with serve_directory(www) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:  # type: ignore[type-arg]
    with launch_chromium() as chromium:
        yield chromium


def results(page, query: str | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    """The result titles, once the status line announces them (for `query`)."""
    wanted = f"for “{query}”" if query else "result"
    page.wait_for_function("wanted => document.querySelector('.search-status')"
                           ".textContent.includes(wanted)", arg=wanted)
    return page.locator(".search-result h2").all_inner_texts()


@pytest.mark.parametrize("base", ["/ledger/", "/"])
def test_typing_a_query_lists_title_date_and_excerpt(browser, origin: str, base: str) -> None:  # type: ignore[no-untyped-def]
    with open_page(browser, 1280, 900) as page:
        page.set_default_timeout(20_000)
        page.goto(f"{origin}{base}search/", wait_until="load")
        page.locator("#search-query").press_sequentially("seventy minutes", delay=20)
        titles = results(page, "seventy minutes")
        assert titles[0] == "The call: Marek and Velsky talk for the first time in fourteen months"
        first = page.locator(".search-result").first
        assert first.locator(".meta").inner_text() == "18 March 2025"
        marks = [m.lower() for m in first.locator(".search-excerpt mark").all_inner_texts()]
        assert marks and all("seventy" in m or "minute" in m for m in marks)
        href = first.locator("a").get_attribute("href")
        assert href == f"{base}2025/03/18/the-call/"
        assert "q=seventy+minutes" in page.url  # the search can be bookmarked
        first.locator("a").click()
        page.wait_for_url(f"{origin}{base}2025/03/18/the-call/")


def test_quotes_and_live_updates_are_found_and_filters_narrow(browser, origin: str) -> None:  # type: ignore[no-untyped-def]
    with open_page(browser, 390, 844, "dark") as page:
        page.set_default_timeout(20_000)
        # text that appears only inside a quoted statement of the live entry
        page.goto(f"{origin}/ledger/search/?q=approximately+seventy", wait_until="load")
        assert "The call: Marek and Velsky talk for the first time in fourteen months" in \
            results(page, "approximately seventy")
        # text of a live update
        page.goto(f"{origin}/ledger/search/?q=currently+speaking", wait_until="load")
        assert "The call: Marek and Velsky talk for the first time in fourteen months" in \
            results(page, "currently speaking")
        page.goto(f"{origin}/ledger/search/?q=minute", wait_until="load")
        every = results(page, "minute")
        assert len(every) >= 2
        count = page.locator(".search-status").inner_text()
        page.locator("#search-year").select_option("2024")
        page.wait_for_function("old => document.querySelector('.search-status').textContent"
                               " != old && location.search.includes('year=2024')", arg=count)
        in_2024 = results(page, "minute")
        assert in_2024 and set(in_2024) < set(every)
        assert all(date.endswith("2024") for date in page.locator(".search-result .meta").all_inner_texts())


def test_the_header_box_leads_to_the_results(browser, origin: str) -> None:  # type: ignore[no-untyped-def]
    with open_page(browser, 1280, 900) as page:
        page.set_default_timeout(20_000)
        page.goto(f"{origin}/ledger/", wait_until="load")
        page.get_by_label("Search this site").fill("press office")
        page.keyboard.press("Enter")
        page.wait_for_url("**/ledger/search/?q=press+office")
        assert "The call: Marek and Velsky talk for the first time in fourteen months" in \
            results(page, "press office")


def test_chinese_words_inside_sentences_are_found(browser, origin: str) -> None:  # type: ignore[no-untyped-def]
    with open_page(browser, 390, 844) as page:
        page.set_default_timeout(20_000)
        for query, title in [("外交部", "通话"), ("七十分钟", "通话"), ("北京", "天气")]:
            page.goto(f"{origin}/zh/search/?q={query}", wait_until="load")
            assert results(page, query) == [title]


def test_without_javascript_the_page_says_so_and_links_the_archives(browser, origin: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{origin}/ledger/search/?q=anything", wait_until="load")
        notice = page.locator(".search-notice")
        assert "needs JavaScript" in notice.inner_text()
        assert notice.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))") \
            == ["/ledger/archives/", "/ledger/tags/", "/ledger/categories/"]
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}px")
def test_the_search_page_with_results_has_no_wcag_aa_violations(
        browser, origin: str, scheme: str, viewport: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    require_tool("axe-core", AXE_JS.is_file(), "run: npm ci --prefix tests/support")
    with open_page(browser, *viewport, scheme) as page:  # type: ignore[arg-type]
        page.set_default_timeout(20_000)
        page.goto(f"{origin}/ledger/search/?q=minutes", wait_until="load")
        assert results(page, "minutes")  # filters and marked excerpts are on the page
        page.add_script_tag(path=str(AXE_JS))
        violations = page.evaluate(_AXE_RUN_JS, AXE_OPTIONS)
        assert violations == [], [(v["id"], v["help"], v["targets"][:3]) for v in violations]
