"""Atom feeds (site and per tag), sitemap.xml, robots.txt and 404.html."""

from __future__ import annotations

from pathlib import Path

import feedparser
import lxml.html
import pytest

from tests.conftest import TINY_PNG, Built, build_site, entry, make_site
from tests.e2e.invariants import ATOM, SITEMAP, assert_site_ok

SUBPATH = '''\
title = "Feeds"
description = "Feed test"
base_url = "https://example.org/archive/"
author = "Ed"
'''


@pytest.fixture
def built(tmp_path: Path) -> Built:
    return build_site(make_site(tmp_path, {
        "content/a.md": entry("Old", "2025-01-01 10:00", tags=["Energy"],
                              body="See [the next](/2025/02/01/b/) and ![chart](img/c.png)."),
        "content/b.md": entry("New", "2025-02-01 10:00", updated="2025-02-03 09:30",
                              tags=["Energy", "Courts"], body="Relative [link](../other/)."),
        "content/pages/about.md": "---\ntitle: About\nupdated: 2025-01-15\n---\nAbout.\n",
    }, config=SUBPATH))


def atom_entries(built: Built, path: str) -> list[lxml.etree._Element]:
    return built.xml(path).findall(f"{ATOM}entry")


def test_site_feed_is_valid_atom_with_unique_ids_and_updated(built: Built) -> None:
    parsed = feedparser.parse(built["feed.xml"])
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    ids = [e.id for e in parsed.entries]
    assert ids == ["https://example.org/archive/2025/02/01/b/",
                   "https://example.org/archive/2025/01/01/a/"]
    assert parsed.entries[0].updated == "2025-02-03T09:30:00Z"
    assert parsed.entries[1].updated == "2025-01-01T10:00:00Z"
    assert parsed.feed.updated == "2025-02-03T09:30:00Z"


def test_feed_content_has_absolute_links_and_image_sources(built: Built) -> None:
    entries = {e.findtext(f"{ATOM}title"): e for e in atom_entries(built, "feed.xml")}
    old = lxml.html.fragment_fromstring(entries["Old"].findtext(f"{ATOM}content"), create_parent="div")
    assert old.xpath(".//a/@href") == ["https://example.org/archive/2025/02/01/b/"]
    assert old.xpath(".//img/@src") == ["https://example.org/archive/2025/01/01/a/img/c.png"]
    new = lxml.html.fragment_fromstring(entries["New"].findtext(f"{ATOM}content"), create_parent="div")
    assert new.xpath(".//a/@href") == ["https://example.org/archive/2025/02/01/other/"]


def test_each_tag_has_its_own_feed(built: Built) -> None:
    courts = feedparser.parse(built["tags/courts/feed.xml"])
    assert not courts.bozo
    assert [e.title for e in courts.entries] == ["New"]
    assert [e.title for e in feedparser.parse(built["tags/energy/feed.xml"]).entries] == ["New", "Old"]
    tag_page = built.html("tags/courts/")
    assert tag_page.xpath("//link[@type='application/atom+xml']/@href") == \
        ["https://example.org/archive/tags/courts/feed.xml"] or \
        "/archive/tags/courts/feed.xml" in tag_page.xpath("//link[@type='application/atom+xml']/@href")


def test_sitemap_lists_pages_with_lastmod(built: Built) -> None:
    root = built.xml("sitemap.xml")
    lastmod = {u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod")
               for u in root.findall(f"{SITEMAP}url")}
    assert lastmod["https://example.org/archive/2025/02/01/b/"] == "2025-02-03T09:30:00Z"
    assert lastmod["https://example.org/archive/2025/01/01/a/"] == "2025-01-01T10:00:00Z"
    assert lastmod["https://example.org/archive/about/"].startswith("2025-01-15")
    assert "https://example.org/archive/404.html" not in lastmod


def test_robots_txt_points_at_the_sitemap(built: Built) -> None:
    assert "Sitemap: https://example.org/archive/sitemap.xml" in built.text("robots.txt")


def test_404_page_exists_and_links_home_under_sub_path(built: Built) -> None:
    doc = built.html("404.html")
    assert "/archive/" in doc.xpath("//a/@href")
    assert doc.xpath("//meta[@name='robots']/@content") == ["noindex"] or \
        "noindex" in " ".join(doc.xpath("//meta[@name='robots']/@content"))


def test_listing_summaries_leave_body_images_out(built: Built) -> None:
    """A card never shows a body image full size (issue 14): its summary holds none."""
    for listing in ("index.html", "tags/energy/", "2025/", "authors/ed/"):
        summary = built.html(listing).xpath("//div[contains(@class,'summary')]")
        assert summary and not any(s.xpath(".//img") for s in summary), listing
        assert "See the next and" in " ".join(s.text_content() for s in summary), listing


def test_every_link_in_a_sub_path_site_resolves(tmp_path: Path) -> None:
    built = build_site(make_site(tmp_path, {
        "content/a.md": entry("Old", "2025-01-01 10:00", tags=["Energy"], aliases=["/old/"],
                              body="See [the next](/2025/02/01/b/) and ![chart](/chart.png)."),
        "content/b.md": entry("New", "2025-02-01 10:00", tags=["Energy"], categories=["Law"],
                              body="[About](/about/), [old](../../../01/01/a/)\n\n## Head"),
        "content/pages/about.md": "---\ntitle: About\n---\n[Home](/) and [b](entry:b#head).\n",
        "static/chart.png": TINY_PNG,
    }, config=SUBPATH))
    assert_site_ok(built)
    for page in built.pages():
        for link in built.html(page).xpath("//a/@href | //link/@href | //img/@src | //script/@src"):
            assert not link.startswith("/") or link.startswith("/archive/"), (page, link)
