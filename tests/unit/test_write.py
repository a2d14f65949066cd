"""write.py: the manifest, the change list, skipped no-op builds and safe targets."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import pytest

from chronicle_ssg.errors import UnsafePathError
from chronicle_ssg.write import (CHANGES, MANIFEST, content_hash, read_manifest, write_site)


def outputs(**files: str) -> dict[PurePosixPath, bytes]:
    return {PurePosixPath(name.replace("__", "/")): text.encode() for name, text in files.items()}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    return root


def test_manifest_lists_every_file_with_hash_and_size(site: Path) -> None:
    out = site / "output"
    write_site(outputs(index_html="home", a__index_html="a"), out, site)
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["files"] == {"a/index_html": [content_hash(b"a"), 1],
                                 "index_html": [content_hash(b"home"), 4]}
    assert read_manifest(out) == manifest["files"]


def test_changes_file_lists_added_changed_removed(site: Path) -> None:
    out = site / "output"
    write_site(outputs(keep="1", edit="1", gone="1"), out, site)
    assert json.loads((out / CHANGES).read_text()) == {
        "added": ["edit", "gone", "keep"], "changed": [], "removed": []}
    report = write_site(outputs(keep="1", edit="2", new="1"), out, site)
    assert json.loads((out / CHANGES).read_text()) == {
        "added": ["new"], "changed": ["edit"], "removed": ["gone"]}
    assert (report.added, report.changed, report.removed, report.unchanged) == (
        ("new",), ("edit",), ("gone",), 1)
    assert not (out / "gone").exists()


def test_removed_files_take_their_empty_folders_with_them(site: Path) -> None:
    out = site / "output"
    write_site(outputs(a__b__index_html="x", index_html="y"), out, site)
    write_site(outputs(index_html="y"), out, site)
    assert sorted(p.name for p in out.iterdir()) == sorted([CHANGES, MANIFEST, "index_html"])


@pytest.mark.parametrize("manifest", ["{not json", '{"version": 99, "files": {}}',
                                      '{"version": 1, "files": ["x"]}', '[]'])
def test_a_corrupt_manifest_means_rewrite_everything(site: Path, manifest: str) -> None:
    out = site / "output"
    write_site(outputs(a="1"), out, site)
    (out / MANIFEST).write_text(manifest)
    report = write_site(outputs(a="1"), out, site)
    assert report.swapped and report.added == ("a",)
    assert read_manifest(out) == {"a": [content_hash(b"1"), 1]}


def test_a_file_changed_behind_our_back_is_rewritten(site: Path) -> None:
    out = site / "output"
    write_site(outputs(a="right"), out, site)
    (out / "a").write_text("tampered!")
    report = write_site(outputs(a="right"), out, site)
    assert report.changed == ("a",)
    assert (out / "a").read_text() == "right"


@pytest.mark.parametrize("name", ["../escape", "/abs", "a/../../escape", "a\x00b"])
def test_unsafe_output_names_are_refused(site: Path, name: str) -> None:
    with pytest.raises(UnsafePathError):
        write_site({PurePosixPath(name): b"x"}, site / "output", site)
    assert not (site.parent / "escape").exists()
    assert not (site / "output").exists()
