"""Issue 12: every id is unique on every page, and `chronicle check` says when one is not.

Listing pages repeat entries' summaries; a summary used to carry its footnote and heading
ids, so two footnoted entries put two `id="fnref1"` on the home, tag and archive pages.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from chronicle_ssg.cli import main
from tests.conftest import build_site, entry, hrefs, make_site, parse_html

FOOTNOTED = {
    "content/2025-03-18-first.md": entry(
        "First", "2025-03-18 09:00", tags=["courts"],
        body="The court sat for six hours.[^1]\n\n[^1]: By the clerk's count.\n"),
    "content/2025-03-19-second.md": entry(
        "Second", "2025-03-19 09:00", tags=["courts"],
        body="## Ruling\n\n::: update 2025-03-19 10:00\nThe ruling is out.[^a]\n:::\n\n"
             "<!--more-->\n\nMore.\n\n[^a]: Read at 10:00.\n"),
}


def duplicate_ids(page: bytes) -> dict[str, int]:
    counts = Counter(str(i) for i in parse_html(page).xpath("//@id"))
    return {anchor: count for anchor, count in counts.items() if count > 1}


def test_listing_pages_repeat_summaries_without_their_ids(tmp_path: Path) -> None:
    built = build_site(make_site(tmp_path, FOOTNOTED))
    for page in ("/", "tags/courts/", "2025/", "2025/03/"):
        doc = built.html(page)
        assert duplicate_ids(built[page]) == {}, page
        refs = doc.xpath("//div[@class='summary']//sup[@class='footnote-ref']/a")
        assert len(refs) == 2 and all(a.get("id") is None for a in refs), page
        # the reference still leads to the footnote, on the entry's page
        assert sorted(a.get("href") for a in refs) == [
            "/2025/03/18/first/#fn1", "/2025/03/19/second/#fn1"]
        assert not doc.xpath("//div[@class='summary']//*[@id]"), page
    for page in built.pages():
        assert duplicate_ids(built[page]) == {}, page


def test_entry_pages_keep_their_ids_and_footnotes_never_clash_with_headings(
        tmp_path: Path) -> None:
    body = "## fn1\n\nSee the note.[^1] Again.[^1]\n\n## fnref1\n\n[^1]: The note.\n"
    built = build_site(make_site(tmp_path, {
        **FOOTNOTED, "content/2025-03-20-third.md": entry("Third", "2025-03-20 09:00", body=body)}))
    doc = built.html("2025/03/20/third/")
    assert doc.xpath("//h2/@id") == ["fn1-2", "fnref1-2"]
    assert {"fn1", "fnref1", "fnref1:1"} <= {str(i) for i in doc.xpath("//@id")}
    assert duplicate_ids(built["2025/03/20/third/"]) == {}
    second = built.html("2025/03/19/second/")
    assert second.xpath("//section[@id='update-2025-03-19-1000']")
    assert second.xpath("//h2[@id='ruling']") and second.xpath("//*[@id='fnref1']")


def test_summary_update_keeps_no_dangling_aria_reference(tmp_path: Path) -> None:
    doc = build_site(make_site(tmp_path, FOOTNOTED)).html("/")
    (section,) = doc.xpath("//div[@class='summary']//section[@class='update']")
    assert section.get("aria-labelledby") is None and section.get("id") is None
    assert hrefs(section) == ["/2025/03/19/second/#update-2025-03-19-1000",
                              "/2025/03/19/second/#fn1"]


def test_check_reports_a_duplicate_id_with_its_page(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # raw HTML in a summary is the author's own: chronicle keeps it, check points at it
    root = make_site(tmp_path, {
        **FOOTNOTED,
        "content/2025-03-21-a.md": entry("A", "2025-03-21 09:00",
                                         body='Text with <span id="key">a key</span>.\n'),
        "content/2025-03-22-b.md": entry("B", "2025-03-22 09:00",
                                         body='Text with <span id="key">a key</span> too.\n'),
    }, config='title = "T"\ndescription = "D"\nbase_url = "https://example.org/"\n')
    assert main(["check", "--source", str(root), "--format", "json"]) == 1
    problems = [p for p in json.loads(capsys.readouterr().out) if p["kind"] == "duplicate-id"]
    assert problems and all(p["message"] == "id 'key' appears 2 times on the page"
                            for p in problems)
    # one report per cause, on the first listing (by path) showing both, at the newer entry
    (problem,) = problems
    assert (problem["file"], problem["line"], problem["page"]) == (
        "content/2025-03-22-b.md", 6, "/2025/03/")
    assert main(["check", "--source", str(root)]) == 1
    assert ("content/2025-03-22-b.md:6: duplicate-id: id 'key' appears 2 times on the page "
            "(on /2025/03/)") in capsys.readouterr().out


def test_check_reports_a_theme_duplicate_at_the_template(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {
        **FOOTNOTED,
        "templates/404.html": '{% extends "theme/404.html" %}{% block content %}'
                              '<p id="x">a</p><p id="x">b</p>{% endblock %}',
    }, config='title = "T"\ndescription = "D"\nbase_url = "https://example.org/"\n')
    assert main(["check", "--source", str(root), "--format", "json"]) == 1
    problems = [p for p in json.loads(capsys.readouterr().out) if p["kind"] == "duplicate-id"]
    assert [(p["file"], p["message"], p["page"]) for p in problems] == [
        ("templates/404.html", "id 'x' appears 2 times on the page", "/404.html")]
