"""Issue 3, end to end: live updates, source quotes, callouts, corrections, comments,
cross-references, series, related entries, reading time and "On this day"."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import lxml.html
import pytest

from chronicle_ssg.errors import BuildFailed
from tests.conftest import Built, build_site, entry, hrefs, make_site, texts
from tests.e2e.invariants import SITEMAP, assert_site_ok

BERLIN = '''\
title = "Live"
base_url = "https://example.org/"
timezone = "Europe/Berlin"
entries_per_page = 10
'''

LIVE_BODY = '''\
Intro before the updates.

:::: update 2025-03-18 09:41
**Call is on!** The press office confirms the call.
::::

:::: update 2025-03-18 12:30
The statement is out.

::: quote source="Presidential Press Office" url="https://press.example.net/1" date=2025-03-18 translated="from Avalonian"
The two leaders agreed on a working group.
:::

::: note
The phrase "instructed their governments" matters.
:::
::::

:::: update 2025-03-18T10:58:00+01:00
The call is over.
::::

## Background

Older context.
'''

CROSS_BODY = '''\
As [reported on the day](entry:the-call#update-2025-03-18-1230), the call happened.
See also [the same by path](entry:entries/2025-03-18-the-call.md).

::: quote source="presidential press office"
A second quote, same source spelled differently.
:::

> [!WARNING]
> Figures are provisional.

::: correction 2025-03-21
An earlier version misnamed the agency.
:::
'''


@pytest.fixture
def live(tmp_path: Path) -> Built:
    return build_site(make_site(tmp_path, {
        "content/entries/2025-03-18-the-call.md": entry(
            "The call", "2025-03-18 09:12", body=LIVE_BODY, tags=["diplomacy", "energy"],
            series="Northern Link"),
        "content/entries/2025-03-20-reactions.md": entry(
            "Reactions", "2025-03-20 10:00", body=CROSS_BODY, tags=["diplomacy"],
            series="Northern Link"),
        "content/entries/2025-03-25-calm.md": entry("Calm", "2025-03-25 10:00", tags=["energy"]),
        "content/entries/2025-03-26-other.md": entry("Other", "2025-03-26 10:00", tags=["courts"]),
    }, config=BERLIN + "live_window_hours = 0\n"))  # coverage goes on: see test_live_coverage


CALL = "2025/03/18/the-call/"


# --- live updates ---

def updates(doc: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return doc.xpath("//section[contains(@class,'update')]")


def test_updates_render_as_sections_with_time_and_stable_anchor_newest_first(live: Built) -> None:
    sections = updates(live.html(CALL))
    assert [s.get("id") for s in sections] == ["update-2025-03-18-1230", "update-2025-03-18-1058",
                                               "update-2025-03-18-0941"]
    assert [s.xpath(".//time/@datetime")[0] for s in sections] == [
        "2025-03-18T12:30:00+01:00", "2025-03-18T10:58:00+01:00", "2025-03-18T09:41:00+01:00"]
    assert hrefs(sections[0], ".//a[contains(@href,'#update-')]")[0] == "#update-2025-03-18-1230"


def test_update_order_oldest_per_entry(tmp_path: Path) -> None:
    built = build_site(make_site(tmp_path, {"content/2025-03-18-x.md": entry(
        "X", "2025-03-18 09:00", body=LIVE_BODY, update_order="oldest")}, config=BERLIN))
    ids = [s.get("id") for s in updates(built.html("2025/03/18/x/"))]
    assert ids == ["update-2025-03-18-0941", "update-2025-03-18-1058", "update-2025-03-18-1230"]


def test_update_order_oldest_site_wide_and_entry_can_override(tmp_path: Path) -> None:
    built = build_site(make_site(tmp_path, {
        "content/2025-03-18-x.md": entry("X", "2025-03-18 09:00", body=LIVE_BODY),
        "content/2025-03-18-y.md": entry("Y", "2025-03-18 09:00", body=LIVE_BODY,
                                         update_order="newest"),
    }, config=BERLIN + 'update_order = "oldest"\n'))
    assert updates(built.html("2025/03/18/x/"))[0].get("id") == "update-2025-03-18-0941"
    assert updates(built.html("2025/03/18/y/"))[0].get("id") == "update-2025-03-18-1230"


def test_live_entry_shows_status_count_last_update_and_jump_list(live: Built) -> None:
    doc = live.html(CALL)
    status = " ".join(texts(doc, "//*[contains(@class,'live-status')]"))
    assert "3 updates" in status
    assert "2025-03-18T12:30:00+01:00" in doc.xpath(
        "//*[contains(@class,'live-status')]//time/@datetime")
    jump = doc.xpath("//nav[@aria-label='Updates']//a/@href")
    assert jump == ["#update-2025-03-18-1230", "#update-2025-03-18-1058", "#update-2025-03-18-0941"]
    assert "Call is on!" in " ".join(texts(doc, "//nav[@aria-label='Updates']"))


def test_entry_updated_is_latest_update_in_feed_and_sitemap(live: Built) -> None:
    feed = feedparser.parse(live["feed.xml"])
    by_title = {e.title: e for e in feed.entries}
    assert by_title["The call"].updated == "2025-03-18T12:30:00+01:00"
    sitemap = live.xml("sitemap.xml")
    lastmod = {u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod")
               for u in sitemap.findall(f"{SITEMAP}url")}
    assert lastmod["https://example.org/" + CALL] == "2025-03-18T12:30:00+01:00"


def test_front_matter_updated_wins_over_latest_update(tmp_path: Path) -> None:
    built = build_site(make_site(tmp_path, {"content/2025-03-18-x.md": entry(
        "X", "2025-03-18 09:00", body=LIVE_BODY, updated="2025-03-19 08:00")}, config=BERLIN))
    assert feedparser.parse(built["feed.xml"]).entries[0].updated == "2025-03-19T08:00:00+01:00"


def test_home_page_has_recently_updated_box(live: Built) -> None:
    doc = live.html("index.html")
    box = doc.xpath("//section[contains(@class,'recently-updated')]")
    assert box and hrefs(box[0]) == ["/" + CALL]


def test_live_entry_has_live_blog_posting_json_ld(live: Built) -> None:
    scripts = live.html(CALL).xpath("//script[@type='application/ld+json']/text()")
    data = [json.loads(s) for s in scripts]
    posting = next(d for d in data if d.get("@type") == "LiveBlogPosting")
    urls = [u["url"] for u in posting["liveBlogUpdate"]]
    assert urls == ["https://example.org/" + CALL + "#update-2025-03-18-1230",
                    "https://example.org/" + CALL + "#update-2025-03-18-1058",
                    "https://example.org/" + CALL + "#update-2025-03-18-0941"]
    assert posting["liveBlogUpdate"][0]["datePublished"] == "2025-03-18T12:30:00+01:00"


@pytest.mark.parametrize(("header", "line", "message"), [
    ("update 18 March, noon", 8, "update time: cannot parse"),
    ("update 2025-03-17 23:00", 8, "before the entry's date"),
    ("update", 8, "update without a time"),
])
def test_bad_update_time_reports_file_and_line(tmp_path: Path, header: str, line: int,
                                               message: str) -> None:
    root = make_site(tmp_path, {"content/2025-03-18-x.md": entry(
        "X", "2025-03-18 09:00", body=f"Intro.\n\n:::: {header}\nText.\n::::\n")})
    with pytest.raises(BuildFailed) as failure:
        build_site(root)
    (error,) = failure.value.errors
    assert str(error.location) == f"content/2025-03-18-x.md:{line}"
    assert message in error.message


# --- source quotes and the sources index ---

def test_source_quote_is_a_figure_with_cited_blockquote_and_caption(live: Built) -> None:
    figure = live.html(CALL).xpath("//figure[.//blockquote]")[0]
    assert figure.xpath(".//blockquote/@cite") == ["https://press.example.net/1"]
    caption = " ".join(texts(figure, ".//figcaption"))
    assert "Presidential Press Office" in caption and "from Avalonian" in caption
    assert figure.xpath(".//figcaption//a/@href") == ["https://press.example.net/1"]
    assert figure.xpath(".//figcaption//time/@datetime") == ["2025-03-18"]
    assert figure.get("id")


def test_sources_index_counts_and_source_page_links_each_quote(live: Built) -> None:
    index = live.html("sources/")
    links = hrefs(index, "//main//li/a")
    assert links == ["/sources/presidential-press-office/"]
    assert "2" in texts(index, "//main//li")[0].split()  # quoted in two entries
    page = live.html("sources/presidential-press-office/")
    anchors = hrefs(page, "//main//a[contains(@href,'#quote-')]")
    assert sorted(a.split("#")[0] for a in anchors) == ["/2025/03/18/the-call/",
                                                        "/2025/03/20/reactions/"]
    assert_site_ok(live)


# --- callouts and corrections ---

def test_note_and_github_alert_render_as_labelled_asides(live: Built) -> None:
    note = live.html(CALL).xpath("//aside[contains(@class,'callout-note')]")
    assert note and note[0].get("aria-label") == "Note"
    warning = live.html("2025/03/20/reactions/").xpath("//aside[contains(@class,'callout-warning')]")
    assert warning and warning[0].get("aria-label") == "Warning"
    assert "[!WARNING]" not in warning[0].text_content()
    assert "Figures are provisional." in warning[0].text_content()


def test_correction_marks_entry_in_listings_and_feeds(live: Built) -> None:
    card = live.html("index.html").xpath(
        "//article[contains(@class,'card')][.//a[@href='/2025/03/20/reactions/']]")[0]
    assert "Corrected" in card.text_content()
    titles = [e.title for e in feedparser.parse(live["feed.xml"]).entries]
    assert "Reactions [corrected]" in titles


def test_corrections_page_and_feed_list_every_correction(live: Built) -> None:
    page = live.html("corrections/")
    assert "/2025/03/20/reactions/#correction-2025-03-21" in hrefs(page, "//main//a")
    assert "2025-03-21" in " ".join(page.xpath("//main//time/@datetime"))
    feed = feedparser.parse(live["corrections/feed.xml"])
    assert not feed.bozo
    assert [e.link for e in feed.entries] == [
        "https://example.org/2025/03/20/reactions/#correction-2025-03-21"]
    assert "misnamed the agency" in feed.entries[0].content[0].value


# --- cross-references, backlinks, series, related, reading time, on this day ---

def test_cross_references_resolve_by_slug_and_by_path(live: Built) -> None:
    body = live.html("2025/03/20/reactions/").xpath("//div[contains(@class,'entry-body')]")[0]
    assert hrefs(body)[:2] == ["/2025/03/18/the-call/#update-2025-03-18-1230",
                               "/2025/03/18/the-call/"]


def test_cross_references_follow_a_sub_path_base_url(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/2025-03-18-the-call.md": entry("Call", None, tags=["t"]),
        "content/2025-03-19-next.md": entry("Next", None, tags=["t"],
                                            body="[x](entry:the-call) [y](entry:2025-03-18-the-call.md)"),
    })
    built = build_site(root, base_url="https://example.org/sub/dir/")
    body = built.html("2025/03/19/next/").xpath("//div[contains(@class,'entry-body')]")[0]
    assert hrefs(body) == ["/sub/dir/2025/03/18/the-call/"] * 2
    assert_site_ok(built)


def test_missing_cross_reference_fails_with_file_and_line(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/2025-03-19-next.md": entry(
        "Next", None, body="Intro.\n\nSee [gone](entry:no-such-entry).")})
    with pytest.raises(BuildFailed) as failure:
        build_site(root)
    (error,) = failure.value.errors
    assert str(error.location) == "content/2025-03-19-next.md:7"
    assert "entry:no-such-entry" in error.message


def test_cross_reference_to_missing_anchor_fails(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/2025-03-18-a.md": entry("A", None),
        "content/2025-03-19-b.md": entry("B", None, body="[x](entry:a#nope)")})
    with pytest.raises(BuildFailed, match="no such anchor"):
        build_site(root)


def test_backlinks_list_entries_that_reference_this_one(live: Built) -> None:
    section = live.html(CALL).xpath("//section[@id='backlinks']")
    assert section and "Referenced in" in section[0].text_content()
    assert hrefs(section[0]) == ["/2025/03/20/reactions/"]
    assert not live.html("2025/03/20/reactions/").xpath("//section[@id='backlinks']")


def test_series_index_page_lists_parts_in_order(live: Built) -> None:
    doc = live.html("series/northern-link/")
    links = [h for h in hrefs(doc, "//main//a") if h.startswith("/2025/")]
    assert list(dict.fromkeys(links))[:2] == ["/2025/03/18/the-call/", "/2025/03/20/reactions/"]
    assert "/series/northern-link/" in hrefs(live.html(CALL))


def test_series_prev_next_on_entry_page(live: Built) -> None:
    nav = live.html("2025/03/20/reactions/").xpath("//nav[@id='series']")[0]
    assert "/2025/03/18/the-call/" in hrefs(nav)


def test_related_entries_rank_by_shared_tags_deterministically(live: Built) -> None:
    related = live.html(CALL).xpath("//section[@id='related']")[0]
    # Reactions shares "diplomacy", Calm shares "energy"; Other shares nothing
    assert sorted(hrefs(related)) == ["/2025/03/20/reactions/", "/2025/03/25/calm/"]
    assert live.loaded.site.related == build_site(live.loaded.site_root).loaded.site.related


def test_reading_time_on_entry_and_listing(tmp_path: Path) -> None:
    words = " ".join(["word"] * 1100)
    built = build_site(make_site(tmp_path, {"content/2025-01-01-long.md": entry(
        "Long", None, body=words)}))
    assert "5 min read" in " ".join(texts(built.html("2025/01/01/long/"), "//main"))
    assert "5 min read" in " ".join(texts(built.html("index.html"), "//main"))


def test_day_archive_shows_on_this_day_in_earlier_years(tmp_path: Path) -> None:
    built = build_site(make_site(tmp_path, {
        "content/2023-03-18-old.md": entry("Twenty-three", None),
        "content/2024-03-18-mid.md": entry("Twenty-four", None),
        "content/2024-03-19-not.md": entry("Other day", None),
        "content/2025-03-18-new.md": entry("Twenty-five", None)}))
    section = built.html("2025/03/18/").xpath("//section[contains(@class,'on-this-day')]")[0]
    assert hrefs(section) == ["/2024/03/18/mid/", "/2023/03/18/old/"]
    assert not built.html("2023/03/18/").xpath("//section[contains(@class,'on-this-day')]")


# --- archived reader comments ---

COMMENTS = '''\
comments:
  - id: c1
    author: Marit
    date: 2025-03-18 11:20
    body: First *comment*.
  - id: c2
    author: Jonas
    role: admin
    date: 2025-03-18 11:48
    parent: c1
    body: A reply from the admin.
  - id: c3
    author: Marit
    date: 2025-03-18 12:05
    parent: c2
    edited: 2025-03-18 13:00
    body: A reply to the reply, edited.
  - id: c4
    author: Tobias
    date: 2025-03-18 12:30
    parent: c3
    body: Fourth level.
  - id: c5
    author: Ada
    date: 2025-03-18 10:00
    body: "An earlier top-level comment, with a [link](https://example.net/)."
'''


def comment_site(tmp_path: Path, comments: str, body: str = "Body.") -> Path:
    return make_site(tmp_path, {
        "content/2025-03-18-call.md": entry("Call", "2025-03-18 09:00", body=body, tags=["t"]),
        "content/2025-03-18-call.comments.yaml": comments})


def test_comments_render_as_threaded_list_with_badges_and_edited_mark(tmp_path: Path) -> None:
    built = build_site(comment_site(tmp_path, COMMENTS))
    doc = built.html("2025/03/18/call/")
    top = doc.xpath("//section[@id='comments']/ol/li")
    assert [li.get("id") for li in top] == ["comment-c5", "comment-c1"]  # oldest first
    deepest = doc.xpath("//li[@id='comment-c1']/ol/li[@id='comment-c2']/ol/li[@id='comment-c3']"
                        "/ol/li[@id='comment-c4']")
    assert deepest, "replies must nest at least 3 levels"
    admin = doc.xpath("//li[@id='comment-c2']")[0]
    assert "Admin" in " ".join(texts(admin, "./article//*[contains(@class,'badge')]"))
    edited = doc.xpath("//li[@id='comment-c3']/article//*[contains(@class,'edited')]")
    assert edited and edited[0].xpath(".//time/@datetime") == ["2025-03-18T13:00:00+00:00"]
    stamp = doc.xpath("//li[@id='comment-c1']/article//time/@datetime")[0]
    assert stamp == "2025-03-18T11:20:00+00:00"
    assert "5 comments" in " ".join(texts(doc, "//section[@id='comments']//h2"))


def test_comment_count_shows_on_listings(tmp_path: Path) -> None:
    built = build_site(comment_site(tmp_path, COMMENTS))
    for listing in ("index.html", "2025/03/18/", "tags/t/"):
        card = " ".join(texts(built.html(listing), "//article[contains(@class,'card')]"))
        assert "5 comments" in card, listing
    assert_site_ok(built)


@pytest.mark.parametrize(("records", "message"), [
    ("  - {id: a, date: 2025-03-18 10:00, body: x}\n", "missing 'author'"),
    ("  - {id: a, author: A, body: x}\n", "missing 'date'"),
    ("  - {id: a, author: A, date: 2025-03-18 10:00, body: x, parent: zz}\n",
     "parent 'zz' does not exist"),
    ("  - {id: a, author: A, date: 2025-03-18 10:00, body: x}\n"
     "  - {id: a, author: B, date: 2025-03-18 11:00, body: y}\n", "duplicate id"),
    ("  - {id: a, author: A, date: yesterday, body: x}\n", "'date': cannot parse"),
    ("  - {id: a, author: A, date: 2025-03-18 10:00, body: x, role: king}\n", "role 'king'"),
])
def test_bad_comment_record_is_an_error_naming_file_and_record(tmp_path: Path, records: str,
                                                               message: str) -> None:
    root = comment_site(tmp_path, "comments:\n  - {id: ok, author: O, date: 2025-03-18 09:30, body: fine}\n" + records)
    with pytest.raises(BuildFailed) as failure:
        build_site(root)
    (error,) = failure.value.errors
    assert str(error.location.path) == "content/2025-03-18-call.comments.yaml"
    assert error.location.line and error.location.line >= 3
    assert message in error.message and "comment 'a'" in error.message


def test_comments_file_without_entry_is_an_error(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/lost.comments.yaml": COMMENTS,
                                "content/a.md": entry("A", "2025-01-01")})
    with pytest.raises(BuildFailed, match="no entry beside it"):
        build_site(root)


HOSTILE_BODIES = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">html link</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;avascript&#x3A;alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](data:image/svg+xml,<svg onload=alert(1)>)",
    "<javascript:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    '[x](https://ok.example/ "title" onmouseover="alert(1)")',
    "[ref link][r]\n\n[r]: javascript:alert(1)",
    "<iframe src=https://evil.example/></iframe>",
    "<svg><script>alert(1)</script></svg>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<https://fine.example/autolink>",
    "[fine](https://fine.example/page)",
    "<mailto:someone@example.org>",
]

SAFE_SCHEMES = ("http://", "https://", "mailto:")


def hostile_comments() -> str:
    records = [{"id": f"h{i}", "author": f"Troll <b onmouseover=alert({i})>",
                "date": "2025-03-18 12:00", "body": body} for i, body in enumerate(HOSTILE_BODIES)]
    return json.dumps({"comments": records})  # JSON is YAML: no quoting surprises


def test_hostile_comment_bodies_produce_nothing_active(tmp_path: Path) -> None:
    built = build_site(comment_site(tmp_path, hostile_comments()))
    doc = built.html("2025/03/18/call/")
    comments = doc.xpath("//section[@id='comments']")[0]
    assert len(comments.xpath(".//li[starts-with(@id,'comment-h')]")) == len(HOSTILE_BODIES)
    # the whole page: only JSON-LD scripts, no event handlers, no dangerous URLs
    assert [s.get("type") for s in doc.iter("script")] == \
        ["application/ld+json"] * len(list(doc.iter("script")))
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag not in ("iframe", "object", "embed", "svg", "form"), element.tag
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name, value)
            assert name.lower() != "style" or comments not in element.iterancestors()
            if name.lower() in ("href", "src", "action", "formaction", "cite", "poster"):
                cleaned = "".join(value.split()).lower()
                assert cleaned.startswith(SAFE_SCHEMES + ("/", "#")) or ":" not in cleaned, \
                    (element.tag, name, value)
    links = comments.xpath(".//div[contains(@class,'comment-body')]//a")
    assert {a.get("href") for a in links} == {"https://fine.example/autolink",
                                              "https://fine.example/page",
                                              "mailto:someone@example.org"}
    assert all(set(a.get("rel", "").split()) >= {"nofollow", "ugc"} for a in links)
    assert doc.xpath("//img[starts-with(@src,'data:')]") == []


def test_hostile_comment_text_is_shown_as_text(tmp_path: Path) -> None:
    built = build_site(comment_site(tmp_path, hostile_comments()))
    first = built.html("2025/03/18/call/").xpath("//li[@id='comment-h0']")[0]
    assert "<script>alert(1)</script>" in first.text_content()
    assert "Troll <b onmouseover=alert(0)>" in first.text_content()


def test_comment_author_url_must_be_http(tmp_path: Path) -> None:
    root = comment_site(tmp_path, "comments:\n  - {id: a, author: A, date: 2025-03-18 10:00, "
                                  "body: x, url: 'javascript:alert(1)'}\n")
    with pytest.raises(BuildFailed, match="url must start with http"):
        build_site(root)


def test_series_nav_has_previous_and_next_part_links(live: Built) -> None:
    nav = live.html("2025/03/20/reactions/").xpath("//nav[@id='series']")[0]
    assert hrefs(nav, ".//a[@rel='prev']") == ["/2025/03/18/the-call/"]
