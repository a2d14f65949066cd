"""Builds on disk: stale files go, output is reproducible byte for byte, failures change nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chronicle_ssg.errors import BuildFailed
from tests.conftest import build_to_disk, entry, make_site, read_tree, write_files

REPO = Path(__file__).resolve().parents[2]


def two_entry_site(tmp_path: Path) -> Path:
    return make_site(tmp_path, {
        "content/keep.md": entry("Keep", "2025-01-01", tags=["stay"]),
        "content/gone.md": entry("Gone", "2025-02-01", tags=["leaves"], aliases=["/old-gone/"]),
    })


def test_removed_entry_leaves_no_files_behind(tmp_path: Path) -> None:
    root = two_entry_site(tmp_path)
    out = build_to_disk(root)
    assert (out / "2025/02/01/gone/index.html").is_file()
    assert (out / "tags/leaves/index.html").is_file()
    (root / "content/gone.md").unlink()
    build_to_disk(root)
    left = read_tree(out)
    assert not [p for p in left if "gone" in p or "leaves" in p or p.startswith("2025/02")]
    assert "2025/01/01/keep/index.html" in left
    assert b"Gone" not in left["feed.xml"]


def test_two_builds_of_the_same_site_are_byte_identical(tmp_path: Path) -> None:
    root = two_entry_site(tmp_path)
    first = read_tree(build_to_disk(root, tmp_path / "one"))
    second = read_tree(build_to_disk(root, tmp_path / "two"))
    assert first == second


def test_build_output_does_not_depend_on_hash_seed_or_folder(tmp_path: Path) -> None:
    """The example site, built by two processes with different PYTHONHASHSEED and paths."""
    trees = []
    for seed in ("1", "2"):
        copy = tmp_path / f"site{seed}"
        shutil.copytree(REPO / "content", copy / "content")
        shutil.copytree(REPO / "static", copy / "static")  # the example's images
        shutil.copy(REPO / "chronicle.toml", copy / "chronicle.toml")
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-m", "chronicle_ssg", "build", "--quiet",
                        "--source", str(copy)], check=True, env=env, cwd=tmp_path)
        trees.append(read_tree(copy / "output"))
    assert trees[0] == trees[1]
    assert len(trees[0]) > 50


def test_failed_build_leaves_previous_output_intact(tmp_path: Path) -> None:
    root = two_entry_site(tmp_path)
    out = build_to_disk(root)
    before = read_tree(out)
    write_files(root, {"content/broken.md": "---\ntitle: [unclosed\n---\n"})
    with pytest.raises(BuildFailed):
        build_to_disk(root)
    assert read_tree(out) == before


def test_unchanged_files_keep_their_mtime_across_builds(tmp_path: Path) -> None:
    root = two_entry_site(tmp_path)
    out = build_to_disk(root)
    page = out / "2025/01/01/keep/index.html"
    stamp = page.stat().st_mtime_ns
    write_files(root, {"content/new.md": entry("New", "2025-03-01")})
    build_to_disk(root)
    assert page.stat().st_mtime_ns == stamp
    assert (out / "2025/03/01/new/index.html").is_file()
