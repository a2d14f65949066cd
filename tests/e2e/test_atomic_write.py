"""Whole-site writes: unchanged files keep inode and mtime, no-op builds touch nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import build_to_disk, entry, make_site, read_tree


def stats(folder: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime_ns) of every file under folder."""
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def two_entry_site(tmp_path: Path) -> Path:
    return make_site(tmp_path, {
        "content/2025-03-18-a.md": entry("A", tags=["x"]),
        "content/2025-03-19-b.md": entry("B", date="2025-03-19 09:00", tags=["y"]),
    })


def test_unchanged_files_keep_inode_and_mtime(tmp_path: Path) -> None:
    root = two_entry_site(tmp_path)
    out = build_to_disk(root)
    before = stats(out)
    entry_b = root / "content/2025-03-19-b.md"
    entry_b.write_text(entry_b.read_text() + "\nA new paragraph.\n")
    build_to_disk(root)
    after = stats(out)
    assert after["2025/03/18/a/index.html"] == before["2025/03/18/a/index.html"]
    assert after["style.css"] == before["style.css"]
    assert after["2025/03/19/b/index.html"] != before["2025/03/19/b/index.html"]


def test_a_no_op_build_writes_nothing(tmp_path: Path) -> None:
    root = two_entry_site(tmp_path)
    out = build_to_disk(root)
    folder_inode = out.stat().st_ino
    before = stats(out)
    build_to_disk(root)
    assert stats(out) == before  # the manifest and change list too: no swap happened
    assert out.stat().st_ino == folder_inode


def test_removed_entries_leave_no_files(tmp_path: Path) -> None:
    root = two_entry_site(tmp_path)
    out = build_to_disk(root)
    assert (out / "tags/y/index.html").is_file()
    (root / "content/2025-03-19-b.md").unlink()
    build_to_disk(root)
    tree = read_tree(out)
    assert not [name for name in tree if "2025/03/19" in name or name.startswith("tags/y/")]
    assert "2025/03/18/a/index.html" in tree


def test_stale_staging_and_half_swapped_folders_are_cleaned(tmp_path: Path) -> None:
    root = two_entry_site(tmp_path)
    out = build_to_disk(root)
    expected = read_tree(out)
    stale = root / ".output.staging-99999"
    (stale / "2025").mkdir(parents=True)
    (stale / "2025/half.html").write_text("half")
    build_to_disk(root)
    assert not stale.exists()
    # a fallback swap killed between its two renames: output/ is gone, .output.old holds it
    out.rename(root / ".output.old")
    build_to_disk(root)
    assert read_tree(out) == expected
    assert not (root / ".output.old").exists()


def test_cli_build_twice_reports_nothing_written(tmp_path: Path, site_env: dict[str, str]) -> None:
    root = two_entry_site(tmp_path)
    command = [sys.executable, "-m", "chronicle_ssg", "build", "--source", str(root)]
    subprocess.run(command, env=site_env, check=True, capture_output=True)
    second = subprocess.run(command, env=site_env, check=True, capture_output=True, text=True)
    assert " 0 written, 0 removed" in second.stdout
    assert os.listdir(root / "output")
