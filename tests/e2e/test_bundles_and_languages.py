"""Entry bundles, per-entry languages, titles with Markdown and entities, author lists.

Each test builds a small fixture site and looks at the pages, feeds and files it writes.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import urljoin

import pytest

from conftest import TINY_PNG, build_site, build_to_disk, entry, make_site, read_tree, texts, write_files

PNG = TINY_PNG  # a real image: the build measures body images
SUB_PATH = '''\
title = "Ledger"
search = false
base_url = "https://example.org/ledger/"
author = "Test Author"
'''


def bundle_site(tmp_path: Path, config: str = SUB_PATH) -> Path:
    return make_site(tmp_path, {
        "content/entries/2025/2025-03-18-the-call/index.md": entry(
            "The call", None, "![Chart](chart.png)\n\nSee [the notes](notes.md) and "
            "[the data](data/votes.csv).\n\n<!--more-->\n\nMore."),
        "content/entries/2025/2025-03-18-the-call/chart.png": PNG,
        "content/entries/2025/2025-03-18-the-call/notes.md": "no front matter: a resource\n",
        "content/entries/2025/2025-03-18-the-call/data/votes.csv": "a,b\n1,2\n",
        "content/entries/2025/2025-03-18-the-call/index.comments.yaml":
            "comments:\n- id: c1\n  author: Reader\n  date: 2025-03-19\n  body: Nice chart.\n",
        "content/entries/2025/plain.md": entry("Plain entry", "2025-03-20 09:00"),
    }, config=config)


# -- entry bundles ------------------------------------------------------------------------

def test_a_bundle_is_one_entry_with_its_files_beside_its_page(tmp_path: Path) -> None:
    built = build_site(bundle_site(tmp_path))
    page = "2025/03/18/the-call/"
    assert page in built  # slug and date from the folder name, not "index"
    assert "2025/03/18/index/" not in built
    assert built["2025/03/18/the-call/chart.png"] == PNG
    assert built.text("2025/03/18/the-call/notes.md") == "no front matter: a resource\n"
    assert built.text("2025/03/18/the-call/data/votes.csv") == "a,b\n1,2\n"
    assert [e.title for e in built.loaded.site.entries] == ["Plain entry", "The call"]
    assert "Nice chart." in texts(built.html(page), "//section[@id='comments']//p")


def test_relative_links_of_a_bundle_resolve_under_a_base_path(tmp_path: Path) -> None:
    built = build_site(bundle_site(tmp_path))
    doc = built.html("2025/03/18/the-call/")
    [src] = doc.xpath("//article//img/@src")
    base = "https://example.org/ledger/2025/03/18/the-call/"
    target = urljoin(base, src)
    assert target == base + "chart.png"
    assert target.removeprefix("https://example.org/ledger/") in built
    links = [h for h in doc.xpath("//article//a/@href") if h.endswith((".md", ".csv"))]
    assert links == ["notes.md", "data/votes.csv"]
    for href in links:
        assert urljoin(base, href).removeprefix("https://example.org/ledger/") in built
    # the summary on the home page points where the entry's page does
    home = built.html("/")
    assert "/ledger/2025/03/18/the-call/chart.png" in home.xpath("//img/@src")
    feed = built.text("feed.xml")
    assert "https://example.org/ledger/2025/03/18/the-call/chart.png" in feed


def test_a_slug_in_the_front_matter_moves_the_files_with_the_page(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/trip/index.md": entry("Trip", "2025-05-01", "![Map](map.png)", slug="journey"),
        "content/trip/map.png": PNG,
    })
    built = build_site(root)
    assert built["2025/05/01/journey/map.png"] == PNG
    assert "2025/05/01/trip/" not in built


def test_a_page_bundle_and_a_draft_bundle(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/pages/about/index.md": entry("About", None, "![Me](me.png)"),
        "content/pages/about/me.png": PNG,
        "content/later/index.md": entry("Later", "2025-05-01", draft=True),
        "content/later/secret.png": PNG,
    })
    built = build_site(root)
    assert built["about/me.png"] == PNG
    assert not [name for name in built.files if name.endswith("secret.png")]
    assert build_site(root, drafts=True)["2025/05/01/later/secret.png"] == PNG


def test_index_md_in_content_entries_or_pages_is_no_bundle(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/entries/index.md": entry("Index entry", "2025-05-01"),
        "content/entries/other.md": entry("Other entry", "2025-05-02"),
    })
    built = build_site(root)
    assert {e.slug for e in built.loaded.site.entries} == {"index", "other"}


def test_a_bundle_file_at_another_page_url_is_a_clash(tmp_path: Path) -> None:
    from chronicle_ssg.errors import BuildFailed
    root = make_site(tmp_path, {
        "content/a/index.md": entry("A", "2025-05-01"),
        "content/a/b/index.html": "<p>shadow</p>",
        "content/b.md": entry("B", "2025-05-01", slug="b", aliases=["/2025/05/01/a/b/"]),
    })
    with pytest.raises(BuildFailed) as caught:
        build_site(root)
    message = str(caught.value)
    assert "bundle file content/a/b/index.html is at the same path as the alias page" in message


def test_two_bundle_files_on_one_output_are_reported(tmp_path: Path) -> None:
    from chronicle_ssg.errors import BuildFailed
    config = 'base_url = "https://example.org/"\npermalink = "/{year}/{slug}.html"\nsearch = false\n'
    root = make_site(tmp_path, {
        "content/2025-01-01-a/index.md": entry("A", None),
        "content/2025-01-01-a/pic.png": PNG,
        "content/2025-02-01-b/index.md": entry("B", None),
        "content/2025-02-01-b/pic.png": PNG,
    }, config=config)
    with pytest.raises(BuildFailed) as caught:
        build_site(root)
    assert ("2 files would be written to /2025/pic.png: content/2025-01-01-a/pic.png, "
            "content/2025-02-01-b/pic.png") in str(caught.value)


def test_the_no_op_build_notices_a_changed_bundle_file(tmp_path: Path) -> None:
    root = bundle_site(tmp_path)
    output = build_to_disk(root)
    assert (output / "2025/03/18/the-call/chart.png").read_bytes() == PNG
    chart = root / "content/entries/2025/2025-03-18-the-call/chart.png"
    chart.write_bytes(PNG + b"v2")
    os.utime(chart, ns=(chart.stat().st_mtime_ns + 10**9,) * 2)
    build_to_disk(root)
    assert (output / "2025/03/18/the-call/chart.png").read_bytes() == PNG + b"v2"


def test_serve_recopies_a_changed_bundle_file_and_follows_a_new_slug(tmp_path: Path) -> None:
    from chronicle_ssg.build import BuildOptions
    from chronicle_ssg.session import SiteSession
    root = bundle_site(tmp_path)
    out = tmp_path / "out"
    session = SiteSession(root, out, BuildOptions(jobs=1))
    session.start()
    folder = root / "content/entries/2025/2025-03-18-the-call"
    (folder / "chart.png").write_bytes(PNG + b"v2")
    delta = session.rebuild({str(folder / "chart.png")})
    writes = {str(p) for p in delta.writes}
    # a body image: its new variant and the pages that show it are written too
    assert "2025/03/18/the-call/chart.png" in writes and "2025/03/18/the-call/index.html" in writes
    assert any(name.startswith("_img/chart-") for name in writes)
    assert (out / "2025/03/18/the-call/chart.png").read_bytes() == PNG + b"v2"
    # a new file, then a Markdown resource edited: files, never entries
    write_files(root, {"content/entries/2025/2025-03-18-the-call/extra.md": "# not an entry\n"})
    delta = session.rebuild({str(folder / "extra.md")})
    assert {str(p) for p in delta.writes} == {"2025/03/18/the-call/extra.md"}
    # the entry moves: its files move with it
    index = folder / "index.md"
    index.write_text(index.read_text("utf-8").replace("title:", "slug: moved\ntitle:"), "utf-8")
    delta = session.rebuild({str(index)})
    assert (out / "2025/03/18/moved/chart.png").read_bytes() == PNG + b"v2"
    assert not (out / "2025/03/18/the-call").exists()
    shutil.rmtree(tmp_path / "full", ignore_errors=True)
    assert read_tree(out) == read_tree(build_to_disk(root, tmp_path / "full", use_cache=False))


def test_a_folder_becomes_a_bundle_when_an_index_appears(tmp_path: Path) -> None:
    from chronicle_ssg.build import BuildOptions
    from chronicle_ssg.session import SiteSession
    root = make_site(tmp_path, {
        "content/trip/day-one.md": entry("Day one", "2025-05-01"),
    })
    out = tmp_path / "out"
    session = SiteSession(root, out, BuildOptions(jobs=1))
    session.start()
    assert (out / "2025/05/01/day-one/index.html").exists()
    write_files(root, {"content/trip/index.md": entry("Trip", "2025-05-02")})
    session.rebuild({str(root / "content/trip/index.md")})
    assert (out / "2025/05/02/trip/day-one.md").exists()
    assert not (out / "2025/05/01/day-one").exists()


# -- languages ------------------------------------------------------------------------------

LANG_CONFIG = '''\
title = "Bilingual"
search = false
base_url = "https://example.org/"
language = "en"
permalink = "/{lang}/{section}/{slug}/"
'''


def lang_site(tmp_path: Path) -> Path:
    return make_site(tmp_path, {
        "content/entries/posts/2025-03-18-hello.md": entry("Hello", None),
        "content/entries/posts/2025-03-19-ni-hao.md": entry("你好", None, "正文。", lang="zh-Hans",
                                                              slug="ni-hao"),
        "content/entries/notes/2025-03-20-bonjour/index.md": entry("Bonjour", None, lang="fr"),
        "content/entries/2025-03-21-top.md": entry("Top level", None),
    }, config=LANG_CONFIG)


def test_lang_on_the_page_the_feed_and_the_cards(tmp_path: Path) -> None:
    built = build_site(lang_site(tmp_path))
    assert built.html("/zh-hans/posts/ni-hao/").get("lang") == "zh-Hans"
    assert built.html("/en/posts/hello/").get("lang") == "en"
    assert built.html("/fr/notes/bonjour/").get("lang") == "fr"
    assert "/en/top/" in built  # no section folder: the segment drops out
    feed = built.xml("feed.xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    langs = {e.findtext("a:title", namespaces=ns): e.get(xml_lang)
             for e in feed.findall("a:entry", ns)}
    assert langs == {"你好": "zh-Hans", "Bonjour": "fr", "Hello": None, "Top level": None}
    assert feed.get(xml_lang) == "en"
    home = built.html("/")
    cards = {" ".join(c.xpath(".//h2")[0].text_content().split()): c.get("lang")
             for c in home.xpath("//article[contains(@class, 'card')]")}
    assert cards == {"你好": "zh-Hans", "Bonjour": "fr", "Hello": None, "Top level": None}
    ld = json.loads(built.html("/fr/notes/bonjour/").xpath(
        "//script[@type='application/ld+json']")[0].text)
    assert ld["inLanguage"] == "fr"


def test_a_bad_language_tag_is_an_error_at_its_line(tmp_path: Path) -> None:
    from chronicle_ssg.errors import BuildFailed
    root = make_site(tmp_path, {"content/a.md": entry("A", "2025-01-01", lang="en_GB")})
    with pytest.raises(BuildFailed) as caught:
        build_site(root)
    assert "content/a.md:4: error: language 'en_GB' is not a BCP 47 tag: write 'en-GB'" in \
        str(caught.value)


def test_a_bad_site_language_and_permalink_fields_are_config_errors(tmp_path: Path) -> None:
    from chronicle_ssg.config import load_config
    from chronicle_ssg.errors import BuildFailed
    root = make_site(tmp_path, {}, config='language = "en US"\npermalink = "/{lang}/{id}/"\n')
    with pytest.raises(BuildFailed) as caught:
        load_config(root)
    message = str(caught.value)
    assert "chronicle.toml:1: error: language 'en US' is not a BCP 47 tag" in message
    assert "{slug}, {lang}, {section}" in message


# -- titles ---------------------------------------------------------------------------------

def test_entities_in_titles_are_characters_everywhere(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/a.md": entry(
        "&ldquo;Fish &amp; chips&rdquo; isn&#39;t <b>bold</b>", "2025-01-01")})
    built = build_site(root)
    plain = "“Fish & chips” isn't <b>bold</b>"
    page = built.html("2025/01/01/a/")
    assert texts(page, "//h1") == [plain]
    assert texts(page, "//title") == [f"{plain} · Test Chronicle"]
    assert page.xpath("//meta[@property='og:title']/@content") == [plain]
    raw = built.text("2025/01/01/a/")
    assert "&amp;amp;" not in raw and "&amp;ldquo;" not in raw and "<b>bold" not in raw
    feed = built.xml("feed.xml")
    assert feed.findtext("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}title") \
        == plain
    assert texts(built.html("/"), "//article//h2") == [plain]


def test_markdown_in_titles_renders_in_headings_and_is_plain_elsewhere(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/a.md": entry(
        "Why `len()` is *not* [a link](https://x.example/)", "2025-01-01")})
    built = build_site(root)
    page = built.html("2025/01/01/a/")
    [h1] = page.xpath("//h1")
    assert h1.xpath("code/text()") == ["len()"] and h1.xpath("em/text()") == ["not"]
    assert not h1.xpath(".//a")
    plain = "Why len() is not [a link](https://x.example/)"
    assert texts(page, "//title") == [f"{plain} · Test Chronicle"]
    ld = json.loads(page.xpath("//script[@type='application/ld+json']")[0].text)
    assert ld["headline"] == plain
    assert built.xml("feed.xml").findtext(
        "{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}title") == plain
    [card_title] = built.html("/").xpath("//article//h2/a")
    assert card_title.xpath("code/text()") == ["len()"]
    assert built.loaded.site.entries[0].title == plain


# -- authors --------------------------------------------------------------------------------

def test_author_lists_are_split_and_accents_fold(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/a.md": entry("A", "2025-01-01", author="José Núñez, Ann Lee, and Bo Chen"),
        "content/b.md": entry("B", "2025-01-02", author="Jose Nunez and Ann Lee"),
        "content/c.md": entry("C", "2025-01-03", authors="Bo Chen & Dee Fox"),
        "content/d.md": entry("D", "2025-01-04", author=["Simon & Schuster"]),
    })
    built = build_site(root)
    authors = {term.name: len(ids) for term, ids in built.loaded.site.authors.items()}
    assert authors == {"José Núñez": 2, "Ann Lee": 2, "Bo Chen": 2, "Dee Fox": 1,
                       "Simon & Schuster": 1}
    assert "authors/jose-nunez/" in built and "authors/jose-nunez-2/" not in built
    byline = built.html("2025/01/02/b/")
    assert "José Núñez" in byline.text_content()
