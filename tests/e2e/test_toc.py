"""A table of contents for long entries: the site's `toc` setting with `toc_min_headings`,
and `toc: true|false` in the front matter; a nested list of the h2/h3 headings."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from chronicle_ssg.cli import main
from tests.conftest import DEFAULT_CONFIG, TINY_PNG, Built, build_site, entry, hrefs, make_site, texts
from tests.e2e.invariants import assert_site_ok

LONG = """\
Intro.

## First part

Text.

### A detail

Text.

### Another `<detail>` & "more"

Text.

## Second part

Text.

#### Too deep for the contents
"""
SHORT = "## Only\n\nText.\n\n### Two\n\nText.\n"
TOC_ON = DEFAULT_CONFIG + "toc = true\n"


def site(tmp_path: Path, config: str = TOC_ON, **extra: str) -> Built:
    return build_site(make_site(tmp_path, {
        "content/2025-03-18-long.md": entry("Long", "2025-03-18 09:00", body=LONG),
        "content/2025-03-19-short.md": entry("Short", "2025-03-19 09:00", body=SHORT),
        **extra}, config=config))


def toc_of(built: Built, page: str) -> list:
    return built.html(page).xpath("//nav[contains(@class,'toc')]")


def test_long_entries_get_a_nested_contents_before_the_body(tmp_path: Path) -> None:
    built = site(tmp_path)
    doc = built.html("2025/03/18/long/")
    (nav,) = doc.xpath("//nav[contains(@class,'toc')]")
    label = nav.get("aria-labelledby")
    assert texts(nav, f".//*[@id='{label}']") == ["Contents"]
    top = nav.xpath("./ol/li")
    assert [" ".join(li.xpath("./a")[0].text_content().split()) for li in top] == [
        "First part", "Second part"]
    assert texts(top[0], "./ol/li/a") == ["A detail", "Another <detail> & “more”"]
    assert hrefs(nav) == ["#first-part", "#a-detail", "#another-detail-more", "#second-part"]
    body = doc.xpath("//div[@class='entry-body']")[0]
    for href in hrefs(nav):  # every link lands on a heading of the body
        assert body.xpath(f".//*[@id='{href[1:]}']"), href
    assert nav.getnext() is body  # after the header, before the body
    assert toc_of(built, "2025/03/19/short/") == []  # 2 headings < toc_min_headings (3)
    assert toc_of(built, "/") == []  # never on listings
    assert_site_ok(built)


def test_toc_min_headings_sets_what_long_means(tmp_path: Path) -> None:
    built = site(tmp_path, TOC_ON + "toc_min_headings = 2\n")
    assert len(toc_of(built, "2025/03/19/short/")) == 1
    built = site(tmp_path, TOC_ON + "toc_min_headings = 5\n")
    assert toc_of(built, "2025/03/18/long/") == []


def test_off_by_default_and_front_matter_decides_either_way(tmp_path: Path) -> None:
    built = site(tmp_path, DEFAULT_CONFIG)
    assert toc_of(built, "2025/03/18/long/") == []
    built = site(tmp_path, DEFAULT_CONFIG, **{
        "content/2025-03-19-short.md": entry("Short", "2025-03-19 09:00", body=SHORT, toc=True)})
    assert len(toc_of(built, "2025/03/19/short/")) == 1
    built = site(tmp_path, TOC_ON, **{
        "content/2025-03-18-long.md": entry("Long", "2025-03-18 09:00", body=LONG, toc=False)})
    assert toc_of(built, "2025/03/18/long/") == []


def test_pages_take_the_front_matter_switch(tmp_path: Path) -> None:
    built = site(tmp_path, DEFAULT_CONFIG, **{
        "content/pages/about.md": "---\ntitle: About\ntoc: true\n---\n" + SHORT})
    (nav,) = toc_of(built, "about/")
    assert hrefs(nav) == ["#only", "#two"]


def test_a_non_boolean_toc_is_an_error_at_its_line(tmp_path: Path) -> None:
    from chronicle_ssg.errors import BuildFailed
    with pytest.raises(BuildFailed) as failure:
        site(tmp_path, **{"content/2025-03-18-long.md": entry("Long", "2025-03-18 09:00",
                                                              body=LONG, toc="yes")})
    (error,) = failure.value.errors
    assert error.format().startswith("content/2025-03-18-long.md:4: error: 'toc' must be "
                                      "true or false")


def test_headings_named_like_the_contents_do_not_duplicate_ids(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = "An opening paragraph.\n\n## Toc title\n\n## Contents\n\n## Toc\n\n## Entry title\n"
    root = make_site(tmp_path, {
        "content/2025-03-18-long.md": entry("Long", "2025-03-18 09:00", body=body)},
        config=TOC_ON)
    built = build_site(root)
    page = built.html("2025/03/18/long/")
    ids = Counter(str(i) for i in page.xpath("//@id"))
    assert [i for i, n in ids.items() if n > 1] == []
    (nav,) = toc_of(built, "2025/03/18/long/")
    assert page.xpath(f"//*[@id='{nav.get('aria-labelledby')}']")[0].text == "Contents"
    assert main(["check", "--source", str(root), "--format", "json"]) == 0, capsys.readouterr()
    assert [p for p in json.loads(capsys.readouterr().out) if p["kind"] == "duplicate-id"] == []


def test_headings_without_text_are_left_out(tmp_path: Path) -> None:
    body = "## ![](/x.png)\n\n## Real\n\n## Also real\n\n## Third\n"
    built = site(tmp_path, **{"content/2025-03-18-long.md": entry(
        "Long", "2025-03-18 09:00", body=body), "static/x.png": TINY_PNG})
    (nav,) = toc_of(built, "2025/03/18/long/")
    assert texts(nav, ".//li/a") == ["Real", "Also real", "Third"]


def test_an_h3_before_any_h2_is_an_item_of_its_own() -> None:
    from chronicle_ssg.markdown import Heading, TocItem, table_of_contents
    h = [Heading(3, "lead", "Lead"), Heading(2, "a", "A"), Heading(3, "a1", "A1"),
         Heading(4, "deep", "Deep"), Heading(3, "a2", "A2"), Heading(1, "top", "Top"),
         Heading(2, "b", "B")]
    assert table_of_contents(tuple(h)) == (
        TocItem(h[0]), TocItem(h[1], (h[2], h[4])), TocItem(h[6]))
