"""discover.py: which files are sources, in what order, and the symlink policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from chronicle_ssg.discover import discover_sources, is_ignored_name
from chronicle_ssg.errors import BuildFailed
from conftest import make_site, write_files


def rels(files) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(f.rel) for f in files]


def test_content_is_sorted_and_split_by_kind(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/b.md": "x", "content/a/z.markdown": "x", "content/a.md": "x",
        "content/a.comments.yaml": "x", "content/notes.txt": "x", "content/img.png": b"x",
    })
    sources = discover_sources(root, "default")
    # sorted as paths, part by part (folder "a" before "a.md"), which is also walk order
    assert rels(sources.content) == ["content/a/z.markdown", "content/a.md", "content/b.md"]
    assert rels(sources.comments) == ["content/a.comments.yaml"]


@pytest.mark.parametrize("name", [".hidden.md", "#draft.md#", ".#lock.md", "entry.md~",
                                  ".entry.md.swp", "entry.md.tmp", "4913", "x___jb_tmp___"])
def test_editor_temporaries_are_ignored(tmp_path: Path, name: str) -> None:
    assert is_ignored_name(name)
    root = make_site(tmp_path, {f"content/{name}": "x", "content/real.md": "x"})
    assert rels(discover_sources(root, "default").content) == ["content/real.md"]


def test_site_static_and_templates_override_the_theme(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"static/style.css": "mine", "templates/entry.html": "mine",
                                "static/CNAME": "example.org"})
    sources = discover_sources(root, "default")
    static = {f.name: f for f in sources.static}
    assert static["style.css"].path == root / "static/style.css"
    assert static["CNAME"].path == root / "static/CNAME"
    templates = {f.name: f for f in sources.templates}
    assert templates["entry.html"].path == root / "templates/entry.html"
    assert templates["base.html"].path.is_relative_to(sources.theme_dir)
    assert [f.name for f in sources.static] == sorted(static)


def test_symlink_inside_the_site_is_followed(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"shared/common.md": "x"})
    (root / "content").mkdir()
    (root / "content/common.md").symlink_to(root / "shared/common.md")
    assert rels(discover_sources(root, "default").content) == ["content/common.md"]


def test_symlinks_outside_and_loops_are_all_reported(tmp_path: Path) -> None:
    (tmp_path / "outside.md").write_text("x")
    root = make_site(tmp_path, {"content/ok.md": "x"})
    (root / "content/leak.md").symlink_to(tmp_path / "outside.md")
    (root / "content/sub").mkdir()
    (root / "content/sub/up").symlink_to(root / "content", target_is_directory=True)
    (root / "content/dangling.md").symlink_to(root / "content/nothing.md")
    with pytest.raises(BuildFailed) as failure:
        discover_sources(root, "default")
    found = {(str(e.location.path), e.message) for e in failure.value.errors if e.location}
    assert ("content/leak.md", "symlink points outside the site") in found
    assert any(path.startswith("content/sub/up") and "loop" in message for path, message in found)
    assert ("content/dangling.md", "broken or looping symlink") in found


def test_unknown_theme_points_at_the_config(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/a.md": "x"})
    with pytest.raises(BuildFailed) as failure:
        discover_sources(root, "nope")
    assert str(failure.value.errors[0].location) == "chronicle.toml"


def test_static_names_differing_only_by_case_collide(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"static/Logo.png": b"1", "static/logo.png": b"2"})
    with pytest.raises(BuildFailed) as failure:
        discover_sources(root, "default")
    message = failure.value.errors[0].format()
    assert "static/Logo.png" in message and "static/logo.png" in message


# -- updated_sources: the watcher's paths applied without a walk -----------------------------

def assert_same_as_a_walk(root: Path, updated) -> None:  # type: ignore[no-untyped-def]
    walked = discover_sources(root, "default")
    assert updated is not None
    assert [(str(f.rel), f.kind, f.stamp) for f in updated.content] == \
        [(str(f.rel), f.kind, f.stamp) for f in walked.content]
    assert [(str(f.rel), f.stamp) for f in updated.comments] == \
        [(str(f.rel), f.stamp) for f in walked.comments]


def test_updated_sources_adds_edits_and_removes_files_in_walk_order(tmp_path: Path) -> None:
    from chronicle_ssg.discover import updated_sources
    root = make_site(tmp_path, {"content/b.md": "b", "content/a/z.md": "z", "content/c.md": "c",
                                "content/c.comments.yaml": "comments: []"})
    before = discover_sources(root, "default")
    write_files(root, {"content/a.md": "new", "content/a-b.md": "new", "content/b.md": "edited",
                       "content/a.comments.yaml": "comments: []", "content/notes.txt": "x",
                       "content/.b.md.swp": "x"})
    (root / "content/c.md").unlink()
    (root / "content/c.comments.yaml").unlink()
    changed = {str(root / "content" / n) for n in (
        "a.md", "a-b.md", "b.md", "a.comments.yaml", "notes.txt", ".b.md.swp", "c.md",
        "c.comments.yaml")}
    after = updated_sources(before, root, changed)
    assert_same_as_a_walk(root, after)
    assert rels(after.content) == ["content/a/z.md", "content/a-b.md", "content/a.md", "content/b.md"]
    # files nobody touched keep their SourceFile objects: later stages skip them by identity
    assert after.content[0] is before.content[0]


def test_updated_sources_leaves_folders_symlinks_and_other_sources_to_a_walk(tmp_path: Path) -> None:
    from chronicle_ssg.discover import updated_sources
    root = make_site(tmp_path, {"content/old/a.md": "a", "content/b.md": "b",
                                "templates/entry.html": "x"})
    before = discover_sources(root, "default")
    (root / "content/new").mkdir()
    assert updated_sources(before, root, {str(root / "content/new")}) is None
    (root / "content/old/a.md").unlink()
    (root / "content/old").rmdir()
    assert updated_sources(before, root, {str(root / "content/old")}) is None
    (root / "content/link.md").symlink_to(root / "content/b.md")
    assert updated_sources(before, root, {str(root / "content/link.md")}) is None
    (root / "content/via").symlink_to(root / "content/new")
    (root / "content/new/c.md").write_text("c")
    assert updated_sources(before, root, {str(root / "content/via/c.md")}) is None
    for outside in ("templates/entry.html", "chronicle.toml", "static/x.css"):
        assert updated_sources(before, root, {str(root / outside)}) is None
    # a file that came and went between two batches is nothing at all
    assert updated_sources(before, root, {str(root / "content/gone.md")}) == before


def test_updated_sources_walks_for_a_gone_folder_named_like_a_file_and_case_renames(
        tmp_path: Path) -> None:
    from chronicle_ssg.discover import updated_sources
    root = make_site(tmp_path, {"content/2024.md/a.md": "a", "content/Post.md": "p"})
    before = discover_sources(root, "default")
    (root / "content/2024.md/a.md").unlink()
    (root / "content/2024.md").rmdir()
    assert updated_sources(before, root, {str(root / "content/2024.md")}) is None
    # a rename in case only: on a case-insensitive disk the old name still answers
    (root / "content/Post.md").rename(root / "content/post.md")
    assert updated_sources(before, root, {str(root / "content/Post.md"),
                                          str(root / "content/post.md")}) is None


def test_bundle_files_are_resources_and_only_the_index_is_content() -> None:
    from pathlib import PurePosixPath as P
    from chronicle_ssg.discover import SourceKind, bundle_of, content_kind
    bundles = {("content", "trip"), ("content", "trip", "inner")}
    assert content_kind(P("content/trip/index.md"), bundles) is SourceKind.CONTENT
    assert content_kind(P("content/trip/index.comments.yaml"), bundles) is SourceKind.COMMENTS
    for resource in ("content/trip/notes.md", "content/trip/map.png", "content/trip/inner/index.md"):
        assert content_kind(P(resource), bundles) is SourceKind.BUNDLE, resource
    assert content_kind(P("content/other.md"), bundles) is SourceKind.CONTENT
    assert content_kind(P("content/other.png"), bundles) is None
    assert bundle_of(P("content/trip/index.md")) == P("content/trip")
    for not_bundle in ("content/index.md", "content/entries/index.md", "content/pages/index.md",
                       "content/trip/notes.md"):
        assert bundle_of(P(not_bundle)) is None, not_bundle
