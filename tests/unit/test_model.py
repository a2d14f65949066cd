"""The Site model: ordering, indexes, neighbours, series, related entries."""

from __future__ import annotations

from pathlib import Path

from chronicle_ssg.build import BuildOptions, load_site
from chronicle_ssg.model import Site
from tests.conftest import entry, make_site


def site_of(tmp_path: Path, files: dict[str, str], **options: bool) -> Site:
    return load_site(make_site(tmp_path, files), BuildOptions(**options)).site


def test_entries_are_newest_first_with_ties_broken_by_id(tmp_path: Path) -> None:
    site = site_of(tmp_path, {
        "content/b.md": entry("B", "2025-01-01 10:00"), "content/a.md": entry("A", "2025-01-01 10:00"),
        "content/c.md": entry("C", "2025-01-02")})
    assert [e.id for e in site.entries] == ["content/c.md", "content/b.md", "content/a.md"]
    assert site.neighbours("content/b.md") == (site.by_id["content/c.md"], site.by_id["content/a.md"])


def test_series_neighbours_follow_reading_order(tmp_path: Path) -> None:
    site = site_of(tmp_path, {
        "content/p1.md": entry("P1", "2025-01-01", series="Saga"),
        "content/x.md": entry("X", "2025-01-02"),
        "content/p2.md": entry("P2", "2025-01-03", series="saga"),
        "content/p3.md": entry("P3", "2025-01-04", series="Saga")})
    first, middle = site.by_id["content/p1.md"], site.by_id["content/p2.md"]
    assert site.series_neighbours("content/p2.md") == (first, site.by_id["content/p3.md"])
    assert site.series_neighbours("content/p1.md") == (None, middle)
    assert site.series_neighbours("content/x.md") == (None, None)


def test_term_spelling_comes_from_the_first_file_by_path(tmp_path: Path) -> None:
    site = site_of(tmp_path, {"content/b.md": entry("B", "2025-01-02", tags=["energy"]),
                              "content/a.md": entry("A", "2025-01-01", tags=["Energy"])})
    (tag,) = site.tags
    assert tag.name == "Energy" and site.tags[tag] == ("content/b.md", "content/a.md")


def test_terms_with_colliding_slugs_get_distinct_slugs(tmp_path: Path) -> None:
    site = site_of(tmp_path, {"content/a.md": entry("A", "2025-01-01", tags=["C++", "C--"])})
    assert sorted(t.slug for t in site.tags) == ["c", "c-2"]


def test_related_entries_prefer_more_shared_tags_then_nearness(tmp_path: Path) -> None:
    site = site_of(tmp_path, {
        "content/me.md": entry("Me", "2025-01-10", tags=["a", "b"]),
        "content/both.md": entry("Both", "2024-01-01", tags=["a", "b"]),
        "content/near.md": entry("Near", "2025-01-09", tags=["a"]),
        "content/far.md": entry("Far", "2023-01-01", tags=["b"]),
        "content/none.md": entry("None", "2025-01-08", tags=["z"])})
    assert site.related["content/me.md"] == ("content/both.md", "content/near.md", "content/far.md")


def test_backlinks_and_corrections_and_recently_updated(tmp_path: Path) -> None:
    site = site_of(tmp_path, {
        "content/2025-01-01-a.md": entry("A", None, updated="2025-01-05"),
        "content/2025-01-02-b.md": entry("B", None, body="[a](entry:a)\n\n::: correction\nFix.\n:::\n")})
    assert site.backlinks == {"content/2025-01-01-a.md": ("content/2025-01-02-b.md",)}
    (item,) = site.corrections
    assert item[0] == "content/2025-01-02-b.md" and item[1].date == site.by_id[item[0]].date
    assert site.recently_updated == ("content/2025-01-01-a.md",)


def test_drafts_and_future_entries_are_filtered_unless_asked(tmp_path: Path) -> None:
    files = {"content/d.md": entry("D", "2025-01-01", draft=True),
             "content/f.md": entry("F", "2099-01-01")}
    assert site_of(tmp_path, files).entries == ()
    statuses = {e.id: e.status for e in site_of(tmp_path, files, drafts=True, future=True).entries}
    assert statuses == {"content/d.md": "draft", "content/f.md": "scheduled"}


def test_digests_change_with_what_they_cover(tmp_path: Path) -> None:
    one = site_of(tmp_path, {"content/a.md": entry("A", "2025-01-01", body="One.\n\n<!--more-->\n\nX")})
    two = site_of(tmp_path, {"content/a.md": entry("A", "2025-01-01", body="One.\n\n<!--more-->\n\nY")})
    (a,), (b,) = one.entries, two.entries
    assert a.card_digest == b.card_digest and a.full_digest != b.full_digest


def test_author_text_splits_at_commas_and_and_list_items_do_not() -> None:
    from chronicle_ssg.model import split_people
    assert split_people("Ana Lima, Bo Chen, and Dee Fox") == ["Ana Lima", "Bo Chen", "Dee Fox"]
    assert split_people("Ana Lima and Bo Chen") == split_people("Ana Lima & Bo Chen") \
        == ["Ana Lima", "Bo Chen"]
    assert split_people("Alexander Andrews") == ["Alexander Andrews"]


def test_sections_come_from_the_first_folder() -> None:
    from pathlib import PurePosixPath as P
    from chronicle_ssg.model import section_of
    assert section_of(P("content/entries/posts/2025/a.md")) == "posts"
    assert section_of(P("content/entries/a.md")) == ""
    assert section_of(P("content/Notes/b/index.md")) == "notes"
    assert section_of(P("content/b/index.md")) == ""
