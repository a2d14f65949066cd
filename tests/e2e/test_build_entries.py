"""Entry pages: what each shows, where it is written, and which entries get built at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import build_site, entry, hrefs, make_site, texts
from tests.e2e.invariants import assert_site_ok

BERLIN = '''\
title = "Berlin"
base_url = "https://example.org/"
timezone = "Europe/Berlin"
'''


def test_entry_page_shows_title_datetime_updated_authors_and_linked_terms(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/call.md": entry(
        "The call", "2025-03-18 16:45", updated="2025-03-19 08:00",
        author=["Ann Lee", "Bo Chen"], tags=["Diplomacy", "Phone calls"],
        categories=["World"], slug="the-call")})
    built = build_site(root)
    doc = built.html("2025/03/18/the-call/")
    assert texts(doc, "//h1") == ["The call"]
    times = doc.xpath("//time/@datetime")
    assert "2025-03-18T16:45:00+00:00" in times
    assert "2025-03-19T08:00:00+00:00" in times
    assert any("16:45" in text for text in texts(doc, "//time"))
    links = hrefs(doc)
    for path in ("/authors/ann-lee/", "/authors/bo-chen/", "/tags/diplomacy/",
                 "/tags/phone-calls/", "/categories/world/"):
        assert path in links, path
    assert_site_ok(built)


def test_entry_page_links_previous_and_next_entries(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/a.md": entry("First", "2025-01-01"),
        "content/b.md": entry("Second", "2025-01-02"),
        "content/c.md": entry("Third", "2025-01-03")})
    built = build_site(root)
    middle = built.html("2025/01/02/b/")
    assert hrefs(middle, "//a[@rel='prev']") == ["/2025/01/01/a/"]
    assert hrefs(middle, "//a[@rel='next']") == ["/2025/01/03/c/"]
    assert hrefs(built.html("2025/01/01/a/"), "//nav[contains(@class,'prev-next')]//a") == \
        ["/2025/01/02/b/"]


def test_jekyll_file_name_gives_date_and_slug(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/2024/2024-02-29-leap-day.md": entry("Leap", None)})
    built = build_site(root)
    assert "2024/02/29/leap-day/" in built
    assert built.html("2024/02/29/leap-day/").xpath("//time/@datetime")[0].startswith("2024-02-29")


def test_front_matter_slug_and_date_win_over_file_name(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/2024-02-29-leap-day.md": entry(
        "Leap", "2024-03-01 10:00", slug="renamed")})
    built = build_site(root)
    assert "2024/03/01/renamed/" in built
    assert "2024/02/29/leap-day/" not in built


def test_naive_datetime_is_in_site_timezone(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/a.md": entry("A", "2025-03-18 09:00")}, config=BERLIN)
    doc = build_site(root).html("2025/03/18/a/")
    assert "2025-03-18T09:00:00+01:00" in doc.xpath("//time/@datetime")


def test_entry_late_in_utc_lands_on_next_day_in_site_timezone(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/late.md": entry("Late", "2025-03-18T23:30:00Z")},
                     config=BERLIN)
    built = build_site(root)
    assert "2025/03/19/late/" in built
    assert "2025/03/19/" in built and "2025/03/18/" not in built
    assert "2025-03-19T00:30:00+01:00" in built.html("2025/03/19/late/").xpath("//time/@datetime")


def test_tags_as_comma_separated_string_equal_a_list(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/a.md": entry("A", tags="energy, gas markets")})
    built = build_site(root)
    assert "tags/energy/" in built and "tags/gas-markets/" in built
    assert texts(built.html("tags/gas-markets/"), "//h1") == ["gas markets"] or \
        "gas markets" in texts(built.html("tags/gas-markets/"), "//h1")[0]


def test_tags_match_case_insensitively_and_first_spelling_by_path_wins(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/a.md": entry("A", "2025-01-01", tags=["EU Policy"]),
        "content/b.md": entry("B", "2025-01-02", tags=["eu policy"]),
        "content/c.md": entry("C", "2025-01-03", tags=["EU POLICY"])})
    built = build_site(root)
    tag_pages = [p for p in built.files if p.startswith("tags/") and p.endswith("index.html")]
    assert sorted(tag_pages) == ["tags/eu-policy/index.html", "tags/index.html"]
    assert len(built.html("tags/eu-policy/").xpath("//article[contains(@class,'card')]")) == 3
    assert "EU Policy" in texts(built.html("tags/"), "//main//a")


def test_cyrillic_and_accented_titles_get_transliterated_slugs(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/ru.md": entry("Звонок состоялся", "2025-01-01", tags=["Политика"]),
        "content/fr.md": entry("Réunion à Genève", "2025-01-02", tags=["Café crème"])})
    built = build_site(root)
    assert "2025/01/01/ru/" in built  # the file name, not the title, gives the slug
    assert "tags/politika/" in built
    assert "tags/cafe-creme/" in built
    assert_site_ok(built)


def test_slug_from_title_less_file_uses_file_stem_in_any_script(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/2025-01-01-звонок.md": entry("Call", None)})
    assert "2025/01/01/zvonok/" in build_site(root)


def test_drafts_and_future_entries_are_left_out_by_default(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/pub.md": entry("Published", "2025-01-01", tags=["t"]),
        "content/draft.md": entry("Draft", "2025-01-02", draft=True),
        "content/future.md": entry("Future", "2030-01-01")})
    built = build_site(root)
    assert "2025/01/01/pub/" in built
    assert "2025/01/02/draft/" not in built and "2030/01/01/future/" not in built
    assert "Draft" not in built.text("index.html") and "Future" not in built.text("feed.xml")
    assert "2030/" not in built
    assert_site_ok(built)


def test_drafts_option_includes_drafts_and_future_option_includes_future(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/draft.md": entry("Draft", "2025-01-02", draft=True),
        "content/future.md": entry("Future", "2030-01-01")})
    with_drafts = build_site(root, drafts=True)
    assert "2025/01/02/draft/" in with_drafts and "2030/01/01/future/" not in with_drafts
    with_future = build_site(root, future=True)
    assert "2030/01/01/future/" in with_future and "2025/01/02/draft/" not in with_future


def test_standalone_pages_are_outside_the_archive_and_in_navigation(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/pages/about.md": "---\ntitle: About us\n---\nWho we are.\n",
        "content/contact.md": "---\ntitle: Contact\nlayout: page\n---\nWrite to us.\n",
        "content/a.md": entry("A", "2025-01-01", tags=["t"])})
    built = build_site(root)
    assert "about/" in built and "contact/" in built
    nav = built.html("index.html").xpath("//nav[@id='site-nav' or @aria-label]//a/@href")
    assert "/about/" in nav and "/contact/" in nav
    assert "About us" not in " ".join(texts(built.html("archives/"), "//main"))
    assert "About us" not in built.text("feed.xml")
    assert_site_ok(built)


def test_aliases_write_redirect_pages_to_the_entry(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/a.md": entry(
        "Moved", "2025-01-01", tags=["t"], aliases=["/old/moved/", "/2019/legacy.html"])})
    built = build_site(root)
    for alias in ("old/moved/", "2019/legacy.html"):
        doc = built.html(alias)
        assert doc.xpath("//meta[@http-equiv='refresh']/@content") == ["0; url=/2025/01/01/a/"]
        assert doc.xpath("//link[@rel='canonical']/@href") == ["https://example.org/2025/01/01/a/"]
    assert_site_ok(built)


def test_extra_front_matter_keys_reach_templates(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/a.md": entry("A", "2025-01-01", mood="grim <b>"),
        "templates/entry.html": (
            '{% extends "theme/entry.html" %}{% block content %}'
            '<p id="mood">{{ entry.extra.mood }}</p>{{ super() }}{% endblock %}'),
    })
    built = build_site(root)
    doc = built.html("2025/01/01/a/")
    assert texts(doc, "//p[@id='mood']") == ["grim <b>"]  # escaped: text, not markup
    assert texts(doc, "//h1") == ["A"]


def test_site_without_tags_has_no_broken_tags_link(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/a.md": entry("A", "2025-01-01")})
    assert_site_ok(build_site(root))
