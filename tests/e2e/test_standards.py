"""Web standards over whole built sites: the example site and a fixture site of every page kind.

* every HTML page passes the Nu Html Checker;
* every page has a canonical URL, a description, Open Graph and Twitter tags and JSON-LD of
  the right schema.org type;
* feeds parse cleanly with absolute links, unique ids and RFC 3339 dates;
* the sitemap validates against the sitemaps.org schema (tests/data/sitemap.xsd);
* axe-core finds no WCAG 2.1 AA violation on the key pages, light and dark, phone and desktop,
  and no page scrolls sideways on a phone.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import feedparser
import lxml.etree
import lxml.html
import pytest

from chronicle_ssg.build import BuildOptions, LoadedSite, load_site
from tests.conftest import SOURCE_DATE_EPOCH, build_to_disk, entry, parse_html, write_files
from tests.support.validators import (VIEWPORTS, ColorScheme, axe_violations, launch_chromium,
                                      open_page, serve_directory, validate_html)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

REPO = Path(__file__).resolve().parents[2]
SITEMAP_XSD = REPO / "tests" / "data" / "sitemap.xsd"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
LISTING_KINDS = {"year", "month", "day", "term", "terms", "archive_index", "corrections",
                 "series", "source"}

FIXTURE_CONFIG = '''\
title = "Fixture & Friends"
description = "A small site that uses every page kind and every block."
base_url = "https://example.com/sub/site/"
language = "en"
author = "Ada Editor"
timezone = "Europe/Berlin"
entries_per_page = 2

[[menu]]
name = "Colophon"
url = "/colophon/"

[theme_settings]
tagline = "Checked by machines, read by people."
'''

LIVE_BODY = '''\
Opening paragraph with a [relative link](/about/) and a footnote.[^1]

::: background How we got here
- First point, with `code`.
- Second point.
:::

:::: update 2025-03-18 09:30
**First update.** Something happened.

::: quote source="Press Office" url="https://example.net/press/1" date=2025-03-18 translated="from French"
We confirm that the meeting took place.
:::

::: note
A remark on the statement.
:::
::::

:::: update 2025-03-18 13:15
Second update, with a table:

| Item | Before | After |
|------|-------:|------:|
| Fee  | 2.10   | 2.25  |
| Volume | 12   | 9     |

::: warning
Figures are provisional.
:::
::::

:::: update 2025-03-18 21:05+00:00
Third update, written with an explicit offset.

::: quote source="An anonymous official"
Nothing was signed.
:::

> [!NOTE]
> A GitHub-style alert.

::: correction 2025-03-19
An earlier version gave the wrong time.
:::
::::

[^1]: The footnote text.
'''

COMMENTS = '''\
comments:
  - id: a1
    author: "Reader One"
    date: 2025-03-18 10:00
    url: https://reader.example/
    body: |
      First comment, with *emphasis* and <script>alert(1)</script>.
  - id: a2
    author: "Ada Editor"
    role: admin
    date: 2025-03-18 10:30
    parent: a1
    body: A reply from the admin.
  - id: a3
    author: "Reader Two"
    date: 2025-03-18 11:00
    parent: a2
    edited: 2025-03-18 11:20
    body: A third-level reply, edited.
  - id: a4
    author: "Reader One"
    date: 2025-03-18 11:45
    parent: a3
    body: A fourth-level reply.
  - id: a5
    author: "Ada Editor"
    role: author
    date: 2025-03-18 12:00
    body: A second thread by the author.
'''


def fixture_files() -> dict[str, str]:
    """A site with a live entry using every block, comments, series, aliases and a page."""
    return {
        "chronicle.toml": FIXTURE_CONFIG,
        "content/entries/2025-03-18-live.md": entry(
            "Live: the meeting & the day after", "2025-03-18 09:00", LIVE_BODY,
            tags=["diplomacy", "energy"], categories=["World"], author="Ada Editor",
            updated="2025-03-19 08:00"),
        "content/entries/2025-03-18-live.comments.yaml": COMMENTS,
        "content/entries/2025-03-10-preview.md": entry(
            "Preview of the meeting", "2025-03-10 08:00",
            "What to expect.\n\n<!-- more -->\n\nThe rest, linking [the live entry](entry:live).",
            tags=["diplomacy"], series="Meetings", aliases=["/old/preview/"]),
        "content/entries/2025-02-01-earlier.md": entry(
            "An earlier entry", "2025-02-01 12:00", "Earlier text.\n\n## A heading\n\nMore.",
            tags=["energy"], categories=["Economy"], series="Meetings"),
        "content/entries/2024-03-18-a-year-before.md": entry(
            "A year before", "2024-03-18 12:00", "On this day, a year earlier.", tags=["energy"]),
        "content/pages/about.md": entry("About this site", None, "An *about* page."),
        "content/pages/colophon.md": entry("Colophon", None, "Made with care."),
    }


@dataclass
class BuiltSite:
    """A site built to disk, with its routes and where it is served under its base path."""

    name: str
    root: Path
    output: Path
    loaded: LoadedSite

    @property
    def base_url(self) -> str:
        return self.loaded.config.base_url

    @property
    def base_path(self) -> str:
        return urlsplit(self.base_url).path

    def pages(self) -> list[Path]:
        return sorted(self.output.rglob("*.html"))

    def doc(self, rel: str) -> lxml.html.HtmlElement:
        return parse_html((self.output / rel).read_bytes())


def _build(name: str, root: Path) -> BuiltSite:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        output = build_to_disk(root, root.parent / f"{name}-output")
        loaded = load_site(root, BuildOptions())
    return BuiltSite(name, root, output, loaded)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """The repository's example site, copied and built into a temporary folder."""
    root = tmp_path_factory.mktemp("example") / "site"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "static", root / "static")  # the example's images
    shutil.copy(REPO / "chronicle.toml", root / "chronicle.toml")
    return _build("example", root)


@pytest.fixture(scope="module")
def fixture(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """The fixture site above (sub-path base URL, every block, nested comments)."""
    root = tmp_path_factory.mktemp("fixture") / "site"
    write_files(root, fixture_files())
    return _build("fixture", root)


@pytest.fixture(scope="module", params=["example", "fixture"])
def built(request: pytest.FixtureRequest) -> BuiltSite:
    site: BuiltSite = request.getfixturevalue(request.param)
    return site


def test_fixture_site_covers_every_page_kind(fixture: BuiltSite) -> None:
    kinds = {r.kind for r in fixture.loaded.routes}
    assert kinds >= {"entry", "page", "home", "archive_index", "year", "month", "day", "terms",
                     "term", "series", "source", "corrections", "feed", "sitemap", "alias",
                     "not_found", "robots"}
    assert fixture.base_path == "/sub/site/"
    live = fixture.doc("2025/03/18/live/index.html")
    nested = "//ol[@class='comments-list']" * 4
    for what, xpath in (("updates", _by_class("section", "update")),
                        ("quotes", _by_class("figure", "source-quote")),
                        ("notes", _by_class("aside", "callout-note")),
                        ("warnings", _by_class("aside", "callout-warning")),
                        ("backgrounds", _by_class("aside", "callout-background")),
                        ("corrections", _by_class("aside", "callout-correction")),
                        ("tables", "//table"), ("footnotes", "//*[starts-with(@id, 'fn')]"),
                        ("admin comments", _by_class("li", "comment-role-admin")),
                        ("edited comments", _by_class("span", "comment-edited")),
                        ("4 levels of replies", nested)):
        assert live.xpath(xpath), f"the live fixture entry has no {what}"


def _by_class(tag: str, name: str) -> str:
    """XPath for elements of a tag with a class (lxml's cssselect needs another package)."""
    return f"//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"


# --- HTML5 ------------------------------------------------------------------------------

@pytest.mark.validator
def test_every_page_is_valid_html5(built: BuiltSite) -> None:
    pages = built.pages()
    errors = validate_html(pages)
    shown = "\n".join(f"{Path(e['file']).relative_to(built.output)}:{e['line']}: {e['message']}"
                      for e in errors[:30])
    assert not errors, f"{len(errors)} Nu Html Checker errors over {len(pages)} pages of " \
                       f"the {built.name} site:\n{shown}"
    assert len(pages) > 10, f"only {len(pages)} pages built"


# --- head metadata and JSON-LD ----------------------------------------------------------

def _meta(doc: lxml.html.HtmlElement, attr: str, name: str) -> str | None:
    found = doc.xpath(f"//head/meta[@{attr}=$n]/@content", n=name)
    return str(found[0]) if found else None


def _json_ld(doc: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    return [json.loads(s.text) for s in doc.xpath("//script[@type='application/ld+json']")]


def _aware(value: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(value)
    assert when.tzinfo is not None, f"{value} has no offset"
    return when


def _expected_type(route: Any, built: BuiltSite) -> str | None:
    if route.kind == "entry":
        entry = built.loaded.site.by_id[route.subject]
        return "LiveBlogPosting" if entry.live_blog else "BlogPosting"
    return {"home": "Blog", "page": "WebPage"}.get(
        route.kind, "CollectionPage" if route.kind in LISTING_KINDS else None)


def _html_routes(built: BuiltSite) -> list[Any]:
    return [r for r in built.loaded.routes if str(r.output).endswith(".html")]


def test_every_page_has_canonical_description_and_social_tags(built: BuiltSite) -> None:
    checked = 0
    for route in _html_routes(built):
        doc = built.doc(str(route.output))
        canonical = doc.xpath("//head/link[@rel='canonical']/@href")
        assert len(canonical) == 1, f"{route.path}: {len(canonical)} canonical links"
        if route.kind == "alias":
            assert _meta(doc, "name", "robots") == "noindex"
            continue
        assert canonical[0] == built.base_url + route.path.lstrip("/"), route.path
        assert (_meta(doc, "name", "description") or "").strip(), f"{route.path}: no description"
        for prop in ("og:title", "og:type", "og:url", "og:description"):
            assert (_meta(doc, "property", prop) or "").strip(), f"{route.path}: no {prop}"
        assert _meta(doc, "property", "og:url") == canonical[0]
        assert _meta(doc, "name", "twitter:card") in ("summary", "summary_large_image")
        assert _meta(doc, "property", "og:type") == ("article" if route.kind == "entry" else "website")
        checked += 1
    assert checked >= 10, f"only {checked} pages checked"


def test_json_ld_parses_and_has_the_right_type(built: BuiltSite) -> None:
    checked = 0
    for route in _html_routes(built):
        expected = _expected_type(route, built)
        if expected is None:
            continue
        blocks = _json_ld(built.doc(str(route.output)))
        assert len(blocks) == 1, f"{route.path}: {len(blocks)} JSON-LD blocks"
        data = blocks[0]
        assert data["@context"] == "https://schema.org"
        assert data["@type"] == expected, route.path
        assert data["url"] == built.base_url + route.path.lstrip("/")
        checked += 1
    assert checked >= 10


def test_entry_json_ld_names_author_dates_and_live_updates(built: BuiltSite) -> None:
    lives = 0
    for route in (r for r in built.loaded.routes if r.kind == "entry"):
        entry = built.loaded.site.by_id[route.subject]
        doc = built.doc(str(route.output))
        data = _json_ld(doc)[0]
        assert data["headline"] and data["headline"] in entry.title
        authors = data["author"] if isinstance(data["author"], list) else [data["author"]]
        assert authors and all(a["@type"] in ("Person", "Organization") and a["name"] for a in authors)
        published, modified = _aware(data["datePublished"]), _aware(data["dateModified"])
        assert published == entry.date and modified >= published
        if entry.live_blog:
            lives += 1
            updates = data["liveBlogUpdate"]
            assert len(updates) == len(entry.updates)
            ids = set(doc.xpath("//@id"))
            for update in updates:
                assert update["@type"] == "BlogPosting" and update["headline"]
                _aware(update["datePublished"])
                assert update["url"].split("#", 1)[1] in ids, update["url"]
        else:
            assert "liveBlogUpdate" not in data
    assert lives >= 1, "no live entry checked"


def test_home_json_ld_is_a_blog_with_its_entries(built: BuiltSite) -> None:
    data = _json_ld(built.doc("index.html"))[0]
    assert data["@type"] == "Blog" and data["name"] == built.loaded.config.title
    assert data["hasPart"] and all(p["url"].startswith(built.base_url) for p in data["hasPart"])


# --- feeds and sitemap ---------------------------------------------------------------------

def _feeds(built: BuiltSite) -> list[Path]:
    feeds = sorted(built.output.rglob("feed.xml"))
    assert built.output / "feed.xml" in feeds
    return feeds


def _absolute_urls_in(html: str) -> Iterator[tuple[str, str]]:
    if not html.strip():
        return
    for element in lxml.html.fragment_fromstring(html, create_parent="div").iter():
        for attr in ("href", "src"):
            if element.get(attr) is not None:
                yield attr, element.get(attr)


def test_feeds_parse_cleanly_with_absolute_links_unique_ids_and_rfc3339(built: BuiltSite) -> None:
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(built.base_url))
    for path in _feeds(built):
        rel = path.relative_to(built.output)
        feed = feedparser.parse(path.read_bytes())
        assert not feed.bozo, f"{rel}: {feed.get('bozo_exception')}"
        assert feed.version == "atom10", rel
        assert feed.entries, f"{rel} has no entries"
        ids = [e.id for e in feed.entries]
        assert len(ids) == len(set(ids)), f"{rel}: duplicate ids"
        links = [feed.feed.link] + [link.href for link in feed.feed.links]
        for item in feed.entries:
            links += [link.href for link in item.links]
            for content in item.get("content", []) + [item.get("summary_detail") or {}]:
                links += [url for _, url in _absolute_urls_in(content.get("value", ""))
                          if not url.startswith(("#", "mailto:"))]
        relative = [url for url in links if not url.startswith(("http://", "https://"))]
        assert not relative, f"{rel}: relative URLs {relative[:5]}"
        assert any(url.startswith(origin) for url in links)
        tree = lxml.etree.parse(str(path))
        stamps = tree.xpath("//a:updated/text() | //a:published/text()",
                            namespaces={"a": "http://www.w3.org/2005/Atom"})
        assert stamps and all(RFC3339.match(s) for s in stamps), f"{rel}: {stamps[:3]}"


def test_sitemap_validates_and_lists_every_canonical_page(built: BuiltSite) -> None:
    schema = lxml.etree.XMLSchema(lxml.etree.parse(str(SITEMAP_XSD)))
    tree = lxml.etree.parse(str(built.output / "sitemap.xml"))
    assert schema.validate(tree), schema.error_log
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = tree.xpath("//s:loc/text()", namespaces=ns)
    assert len(locs) == len(set(locs))
    assert all(loc.startswith(built.base_url) for loc in locs)
    expected = {built.base_url + r.path.lstrip("/") for r in _html_routes(built)
                if r.kind not in ("alias", "not_found", "search")}  # search: noindex
    assert set(locs) == expected
    robots = (built.output / "robots.txt").read_text()
    assert f"Sitemap: {built.base_url}sitemap.xml" in robots


def test_a_sitemap_past_the_url_limit_becomes_an_index_of_valid_parts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """sitemaps.org allows 50,000 URLs per file; a big archive gets a sitemap index. The
    limit is lowered here so that a small site crosses it."""
    from chronicle_ssg import route
    root = tmp_path / "site"
    write_files(root, fixture_files())
    whole = build_to_disk(root, tmp_path / "whole", use_cache=False, jobs=1)
    single = lxml.etree.parse(str(whole / "sitemap.xml"))
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    expected = single.xpath("//s:url", namespaces=ns)
    monkeypatch.setattr(route, "SITEMAP_LIMIT", len(expected) // 3)
    split = build_to_disk(root, tmp_path / "split", use_cache=False, jobs=1)
    index = lxml.etree.parse(str(split / "sitemap.xml"))
    index_schema = lxml.etree.XMLSchema(lxml.etree.parse(str(SITEMAP_XSD.with_name("siteindex.xsd"))))
    assert index_schema.validate(index), index_schema.error_log
    base = "https://example.com/sub/site/"
    parts = index.xpath("//s:sitemap/s:loc/text()", namespaces=ns)
    count = -(-len(expected) // route.SITEMAP_LIMIT)
    assert count >= 3 and parts == [f"{base}sitemaps/{n}.xml" for n in range(1, count + 1)]
    schema = lxml.etree.XMLSchema(lxml.etree.parse(str(SITEMAP_XSD)))
    urls = []
    for loc in parts:
        tree = lxml.etree.parse(str(split / loc.removeprefix(base)))
        assert schema.validate(tree), schema.error_log
        found = tree.xpath("//s:url", namespaces=ns)
        assert 0 < len(found) <= route.SITEMAP_LIMIT
        urls += [[text.strip() for text in url.itertext()] for url in found]
    assert urls == [[text.strip() for text in url.itertext()] for url in expected]  # in order
    lastmods = index.xpath("//s:sitemap/s:lastmod/text()", namespaces=ns)
    assert len(lastmods) == len(parts) and all(RFC3339.match(s) for s in lastmods)


# --- accessibility in a real browser ------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def served(example: BuiltSite, fixture: BuiltSite,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Both sites served over HTTP under their base paths; name -> URL of the site root."""
    root = tmp_path_factory.mktemp("www")
    for site in (example, fixture):
        mount = root / site.base_path.strip("/")
        mount.parent.mkdir(parents=True, exist_ok=True)
        mount.symlink_to(site.output, target_is_directory=True)
    with serve_directory(root) as origin:
        yield {site.name: origin + site.base_path for site in (example, fixture)}


def _key_pages(example: BuiltSite) -> list[str]:
    """Home, the live entry with every kind of block and comments, a month and a tag page,
    and the search page (results: tests/browser/test_search_in_browser.py)."""
    return ["", "2025/03/18/the-call/", "2025/03/", "tags/avalon/", "search/?q=minutes"]


#: fixture pages whose blocks or templates the example's key pages do not already show
FIXTURE_PAGES = ["2025/03/18/live/", "archives/", "sources/", "corrections/"]


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}px")
def test_key_pages_have_no_wcag_aa_violations(
    browser: Browser, served: dict[str, str], example: BuiltSite, scheme: ColorScheme,
    viewport: tuple[int, int],
) -> None:
    width, height = viewport
    pages = [served["example"] + p for p in _key_pages(example)]
    pages += [served["fixture"] + p for p in FIXTURE_PAGES]
    found = {url: axe_violations(browser, url, scheme, width, height) for url in pages}
    found = {url: v for url, v in found.items() if v}
    report = "\n".join(f"{url}: {v['id']} ({v['help']}) at {v['targets'][:3]}"
                       for url, vs in found.items() for v in vs)
    assert not found, f"axe-core violations on {len(found)} of {len(pages)} pages:\n{report}"


@pytest.mark.browser
def test_no_page_scrolls_sideways_on_a_phone(browser: Browser, served: dict[str, str],
                                              example: BuiltSite, fixture: BuiltSite) -> None:
    wide = []
    checked = 0
    with open_page(browser, *VIEWPORTS[0]) as page:
        for site in (example, fixture):
            for path in site.pages():
                if b'http-equiv="refresh"' in path.read_bytes():
                    continue  # a redirect page navigates away
                page.goto(served[site.name] + path.relative_to(site.output).as_posix())
                width = page.evaluate("document.documentElement.scrollWidth")
                checked += 1
                if width > VIEWPORTS[0][0]:
                    wide.append(f"{site.name}:{path.relative_to(site.output)} is {width}px wide")
    assert not wide, f"{len(wide)} of {checked} pages overflow 390px:\n" + "\n".join(wide)
