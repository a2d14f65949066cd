"""RSS 2.0 and JSON Feed 1.1 beside Atom (`feeds = [...]` in chronicle.toml): valid, with
absolute links, unique ids, the right dates, hostile text escaped, linked from page heads."""

from __future__ import annotations

import email.utils
import json
from pathlib import Path

import feedparser
import lxml.html
import pytest

from tests.conftest import TINY_PNG, Built, build_site, entry, make_site
from tests.e2e.invariants import assert_site_ok

HOSTILE = '</script><b>bold</b> & "quotes" \'single\' ]]> <!-- x'
CONFIG = '''\
title = "Feeds & <Co>"
description = "Feed test"
base_url = "https://example.org/archive/"
author = "Ed"
search = false
feeds = ["atom", "rss", "json"]
'''
#: the correction's text as the Markdown renders it (inline markup dropped, typography)
CORRECTION = "Misnamed bold & “quotes” ‘single’ ]]> <!-- x"
FILES = {
    "content/a.md": entry(HOSTILE, "2025-01-01 10:00", tags=["Energy"],
                          body="See [the next](/2025/02/01/b/) and ![chart](/chart.png)."),
    "static/chart.png": TINY_PNG,
    "content/b.md": entry("New", "2025-02-01 10:00+01:00", updated="2025-02-03 09:30",
                          tags=["Energy", "Courts"], categories=["Law"], lang="de",
                          body="Relative [link](../../../01/01/a/).\n\n::: correction 2025-02-04\n"
                               f"Misnamed {HOSTILE}\n:::\n"),
}


@pytest.fixture
def built(tmp_path: Path) -> Built:
    return build_site(make_site(tmp_path, FILES, config=CONFIG))


FOLDERS = ("", "tags/energy/", "tags/courts/", "corrections/")


def test_every_feed_is_written_in_every_configured_format(built: Built) -> None:
    for folder in FOLDERS:
        for name in ("feed.xml", "rss.xml", "feed.json"):
            assert folder + name in built, folder + name
    assert_site_ok(built)


def test_only_atom_by_default(tmp_path: Path) -> None:
    built = build_site(make_site(tmp_path, FILES, config=CONFIG.replace(
        'feeds = ["atom", "rss", "json"]\n', "")))
    assert "feed.xml" in built and "rss.xml" not in built and "feed.json" not in built
    assert "tags/energy/rss.xml" not in built and "corrections/feed.json" not in built
    head = built.html("/").xpath("//link[@rel='alternate']/@type")
    assert head == ["application/atom+xml"]


def test_rss_feeds_are_valid_with_rfc822_dates_and_unique_absolute_guids(built: Built) -> None:
    for folder in FOLDERS:
        parsed = feedparser.parse(built[folder + "rss.xml"])
        assert not parsed.bozo, (folder, parsed.bozo_exception)
        assert parsed.version == "rss20"
        ids = [e.id for e in parsed.entries]
        assert ids and len(ids) == len(set(ids))
        for item in parsed.entries:
            assert item.link.startswith("https://example.org/archive/")
            assert item.id == item.link
        root = built.xml(folder + "rss.xml")
        for text in root.xpath("//pubDate/text() | //lastBuildDate/text()"):
            assert email.utils.parsedate_to_datetime(text).tzinfo is not None, text
            assert email.utils.format_datetime(email.utils.parsedate_to_datetime(text)) == text
    site = feedparser.parse(built["rss.xml"])
    assert [e.title for e in site.entries] == ["New [corrected]", HOSTILE]
    assert built.xml("rss.xml").xpath("//item/pubDate/text()") == [
        "Sat, 01 Feb 2025 09:00:00 +0000", "Wed, 01 Jan 2025 10:00:00 +0000"]
    assert site.feed.link == "https://example.org/archive/"
    assert feedparser.parse(built["tags/courts/rss.xml"]).feed.link == \
        "https://example.org/archive/tags/courts/"


def test_rss_content_is_escaped_html_with_absolute_links(built: Built) -> None:
    items = {i.findtext("title"): i for i in built.xml("rss.xml").iter("item")}
    old = lxml.html.fragment_fromstring(items[HOSTILE].findtext("description"),
                                        create_parent="div")
    assert old.xpath(".//a/@href") == ["https://example.org/archive/2025/02/01/b/"]
    assert old.xpath(".//img/@src") == ["https://example.org/archive/chart.png"]
    assert [c.text for c in items["New [corrected]"].iter("category")] == [
        "Law", "Energy", "Courts"]
    # a correction is plain text: as the HTML of <description> it reads as written
    description = built.xml("corrections/rss.xml").findtext("channel/item/description")
    shown = lxml.html.fragment_fromstring(description, create_parent="div")
    assert shown.text_content() == CORRECTION and not len(shown)


def _json(built: Built, path: str) -> dict:
    return json.loads(built.text(path))


def test_json_feeds_have_the_required_fields_of_json_feed_1_1(built: Built) -> None:
    for folder in FOLDERS:
        feed = _json(built, folder + "feed.json")
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert isinstance(feed["title"], str) and feed["title"]
        assert feed["feed_url"] == f"https://example.org/archive/{folder}feed.json"
        assert feed["home_page_url"] == f"https://example.org/archive/{folder}"
        ids = [item["id"] for item in feed["items"]]
        assert ids and len(ids) == len(set(ids)) and all(isinstance(i, str) for i in ids)
        for item in feed["items"]:
            assert "content_html" in item or "content_text" in item
            assert item["url"].startswith("https://example.org/archive/")
            for key in ("date_published", "date_modified"):
                # RFC 3339: what Python's ISO parser reads, with an offset
                assert dt_aware(item[key]), item[key]
    site = _json(built, "feed.json")
    assert site["title"] == "Feeds & <Co>"
    assert [i["title"] for i in site["items"]] == ["New [corrected]", HOSTILE]
    assert site["items"][0]["date_published"] == "2025-02-01T09:00:00Z"
    assert site["items"][0]["date_modified"] == "2025-02-03T09:30:00Z"
    assert site["items"][0]["language"] == "de"
    assert site["items"][0]["tags"] == ["Law", "Energy", "Courts"]
    old = lxml.html.fragment_fromstring(site["items"][1]["content_html"], create_parent="div")
    assert old.xpath(".//a/@href") == ["https://example.org/archive/2025/02/01/b/"]
    corrections = _json(built, "corrections/feed.json")["items"]
    assert corrections[0]["content_text"] == CORRECTION
    assert corrections[0]["id"].endswith("#correction-2025-02-04")


def dt_aware(text: str) -> bool:
    import datetime as dt
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.tzinfo is not None and "T" in text


def test_json_feed_escapes_markup_characters(built: Built) -> None:
    raw = built.text("feed.json")
    assert "</script>" not in raw and "<b>" not in raw  # \u003c escapes: safe to inline


def test_atom_correction_is_plain_text(built: Built) -> None:
    entry_ = feedparser.parse(built["corrections/feed.xml"]).entries[0]
    assert entry_.content[0].type == "text/plain"
    assert entry_.content[0].value == CORRECTION


def test_page_heads_link_every_feed_format(built: Built) -> None:
    def alternates(path: str) -> list[tuple[str, str]]:
        return [(link.get("type"), link.get("href"))
                for link in built.html(path).xpath("//head/link[@rel='alternate']")]

    site = [("application/atom+xml", "/archive/feed.xml"),
            ("application/rss+xml", "/archive/rss.xml"),
            ("application/feed+json", "/archive/feed.json")]
    assert alternates("/") == site
    assert alternates("2025/01/01/a/") == site
    assert alternates("tags/courts/") == site + [
        ("application/atom+xml", "/archive/tags/courts/feed.xml"),
        ("application/rss+xml", "/archive/tags/courts/rss.xml"),
        ("application/feed+json", "/archive/tags/courts/feed.json")]
    assert alternates("corrections/")[3:] == [
        ("application/atom+xml", "/archive/corrections/feed.xml"),
        ("application/rss+xml", "/archive/corrections/rss.xml"),
        ("application/feed+json", "/archive/corrections/feed.json")]
    footer = built.html("/").xpath("//footer//a/@href")
    assert {"/archive/feed.xml", "/archive/rss.xml", "/archive/feed.json"} <= set(footer)


def test_a_site_without_atom_links_only_its_formats(tmp_path: Path) -> None:
    built = build_site(make_site(tmp_path, FILES, config=CONFIG.replace(
        '["atom", "rss", "json"]', '["json"]')))
    assert "feed.xml" not in built and "feed.json" in built
    assert built.html("/").xpath("//link[@rel='alternate']/@href") == ["/archive/feed.json"]
    assert built.html("tags/energy/").xpath("//main//a[contains(@href,'feed')]/@href") == [
        "/archive/tags/energy/feed.json"]
    assert_site_ok(built)
