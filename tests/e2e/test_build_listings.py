"""Listing pages: home, dated archives, and tag/category/author indexes, with pagination."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Built, build_site, entry, hrefs, make_site, texts
from tests.e2e.invariants import assert_site_ok

SMALL_PAGES = '''\
title = "Paged"
base_url = "https://example.org/"
entries_per_page = 2
'''


def card_titles(built: Built, path: str) -> list[str]:
    """Titles of the entry cards on a listing page, in page order."""
    return texts(built.html(path), "//article[contains(@class,'card')]//*[contains(@class,'card-title')]/a")


@pytest.fixture
def archive(tmp_path: Path) -> Built:
    """Seven entries over two years, tagged, categorised and by two authors; 2 per page."""
    spec = [  # (file, title, date, tags, categories, author)
        ("a", "Alpha", "2024-11-05 10:00", ["Energy"], ["Economy"], "Ann"),
        ("b", "Bravo", "2024-12-24 10:00", ["Energy", "Courts"], ["Law"], "Ann"),
        ("c", "Charlie", "2025-03-18 08:00", ["energy"], ["Economy"], "Bo"),
        ("d", "Delta", "2025-03-18 12:00", ["Courts"], ["Law"], "Bo"),
        ("e", "Echo", "2025-03-18 16:00", ["Energy"], ["Economy"], "Ann"),
        ("f", "Foxtrot", "2025-03-20 09:00", ["Media"], ["Economy"], "Ann"),
        ("g", "Golf", "2025-05-01 09:00", ["Energy"], ["Law"], "Bo"),
    ]
    files = {f"content/{name}.md": entry(title, date, tags=tags, categories=cats, author=author,
                                          body=f"Summary of {title}.\n\nMore of {title}.")
             for name, title, date, tags, cats, author in spec}
    return build_site(make_site(tmp_path, files, config=SMALL_PAGES))


def test_home_lists_newest_first_with_summaries_and_read_more(archive: Built) -> None:
    assert card_titles(archive, "index.html") == ["Golf", "Foxtrot"]
    doc = archive.html("index.html")
    assert texts(doc, "//div[contains(@class,'summary')]") == ["Summary of Golf.", "Summary of Foxtrot."]
    assert "More of Golf." not in archive.text("index.html")
    assert hrefs(doc, "//a[contains(@class,'read-more')]") == ["/2025/05/01/g/", "/2025/03/20/f/"]


def test_home_is_paginated_under_page_n(archive: Built) -> None:
    assert card_titles(archive, "page/2/") == ["Echo", "Delta"]
    assert card_titles(archive, "page/4/") == ["Alpha"]
    assert "page/5/" not in archive
    assert "page/1/" not in archive  # page one is the home page itself
    doc = archive.html("page/2/")
    assert hrefs(doc, "//nav[contains(@class,'pager')]//a[@rel='prev']") == ["/"]
    assert hrefs(doc, "//nav[contains(@class,'pager')]//a[@rel='next']") == ["/page/3/"]
    assert_site_ok(archive)


def test_archive_index_lists_years_and_months_with_counts(archive: Built) -> None:
    main = " ".join(texts(archive.html("archives/"), "//main"))
    assert "2025" in main and "2024" in main
    links = hrefs(archive.html("archives/"), "//main//a")
    for path in ("/2025/", "/2024/", "/2025/03/", "/2025/05/", "/2024/11/", "/2024/12/"):
        assert path in links
    # counts: 5 entries in 2025, 2 in 2024, 4 in March 2025
    doc = archive.html("archives/")
    assert "5" in texts(doc, "//main//*[a[@href='/2025/']]")[0].split()
    assert "2" in texts(doc, "//main//*[a[@href='/2024/']]")[0].split()
    assert "4" in texts(doc, "//main//*[a[@href='/2025/03/']]")[0].split()


def test_year_month_and_day_pages_list_their_entries_newest_first(archive: Built) -> None:
    assert card_titles(archive, "2025/03/18/") == ["Echo", "Delta"]
    assert card_titles(archive, "2025/03/18/page/2/") == ["Charlie"]
    assert card_titles(archive, "2025/03/") == ["Foxtrot", "Echo"]
    assert card_titles(archive, "2024/") == ["Bravo", "Alpha"]
    assert "2025/03/19/" not in archive  # no empty periods


def test_period_pages_link_to_neighbouring_periods_that_have_entries(archive: Built) -> None:
    def nav(path: str) -> tuple[list[str], list[str]]:
        doc = archive.html(path)
        return (hrefs(doc, "//nav[contains(@class,'period-nav')]//a[@rel='prev']"),
                hrefs(doc, "//nav[contains(@class,'period-nav')]//a[@rel='next']"))

    assert nav("2025/03/18/") == (["/2024/12/24/"], ["/2025/03/20/"])
    assert nav("2025/03/") == (["/2024/12/"], ["/2025/05/"])
    assert nav("2024/") == ([], ["/2025/"])
    assert nav("2025/05/01/") == (["/2025/03/20/"], [])


def test_tag_page_lists_entries_newest_first_and_is_paginated(archive: Built) -> None:
    assert card_titles(archive, "tags/energy/") == ["Golf", "Echo"]
    assert card_titles(archive, "tags/energy/page/2/") == ["Charlie", "Bravo"]
    assert card_titles(archive, "tags/energy/page/3/") == ["Alpha"]


def test_tag_index_lists_every_tag_with_its_count(archive: Built) -> None:
    doc = archive.html("tags/")
    assert hrefs(doc, "//main//li/a") == ["/tags/courts/", "/tags/energy/", "/tags/media/"]
    counts = texts(doc, "//main//li")
    assert any("Energy" in c and "5" in c for c in counts), counts
    assert any("Courts" in c and "2" in c for c in counts), counts


def test_category_and_author_indexes_and_pages(archive: Built) -> None:
    assert hrefs(archive.html("categories/"), "//main//li/a") == ["/categories/economy/",
                                                                  "/categories/law/"]
    assert card_titles(archive, "categories/law/") == ["Golf", "Delta"]
    assert card_titles(archive, "categories/law/page/2/") == ["Bravo"]
    assert hrefs(archive.html("authors/"), "//main//li/a") == ["/authors/ann/", "/authors/bo/"]
    assert card_titles(archive, "authors/bo/") == ["Golf", "Delta"]


def test_listing_cards_show_dates(archive: Built) -> None:
    doc = archive.html("tags/courts/")
    assert doc.xpath("//article[contains(@class,'card')]//time/@datetime")[:1] == \
        ["2025-03-18T12:00:00+00:00"]
