"""The watcher turns an editor's save, however odd, into one batch naming the real file.

Each test saves the way an editor does (vim, emacs, JetBrains, atomic-rename tools) and
checks the batch: the real source is in it, the temporaries are not, and the save does not
spill into a second batch. Changes to output/ and the cache never wake the watcher.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import entry, make_site

#: long enough for any event already queued; the watcher's own quiet period is 30 ms
SETTLED = 0.5


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = make_site(tmp_path, {"content/x.md": entry("X"), "static/site.css": "a { }"})
    for folder in ("output", ".chronicle-cache"):
        (root / folder).mkdir()
    return root


@pytest.fixture
def watcher(site: Path) -> Iterator[object]:
    from chronicle_ssg.watch import Watcher, watched_folders
    watching = Watcher(site, site / "output", watched_folders(site, site / "no-theme"))
    yield watching
    watching.stop()


def one_batch(watcher) -> set[str]:  # type: ignore[no-untyped-def]
    """The next batch, and proof that the save did not spill into another."""
    batch = watcher.next_batch(timeout=5)
    assert batch is not None, "no change seen"
    assert watcher.next_batch(timeout=SETTLED) is None
    return batch


def names(batch: set[str], site: Path) -> set[str]:
    return {Path(p).relative_to(site).as_posix() for p in batch}


def test_atomic_rename_save_names_the_real_file(site: Path, watcher) -> None:  # type: ignore[no-untyped-def]
    temp = site / "content/x.md.tmp"
    temp.write_text(entry("X", body="Saved atomically."), "utf-8")
    os.replace(temp, site / "content/x.md")
    assert names(one_batch(watcher), site) == {"content/x.md"}


def test_truncate_then_write_is_one_batch_with_the_whole_file(site: Path, watcher) -> None:  # type: ignore[no-untyped-def]
    text = entry("X", body="Written in two parts. " * 50)
    with open(site / "content/x.md", "w", encoding="utf-8") as handle:
        handle.flush()  # truncated: size 0 on disk
        handle.write(text[:100])
        handle.flush()
        handle.write(text[100:])
    assert names(one_batch(watcher), site) == {"content/x.md"}
    assert (site / "content/x.md").read_text("utf-8") == text


def test_several_events_per_save_are_one_batch(site: Path, watcher) -> None:  # type: ignore[no-untyped-def]
    path = site / "content/x.md"
    path.write_text(entry("X", body="Edited."), "utf-8")
    os.chmod(path, 0o644)
    os.utime(path)
    path.write_text(entry("X", body="Edited again."), "utf-8")
    assert names(one_batch(watcher), site) == {"content/x.md"}


def test_vim_save_with_swap_backup_and_probe_files(site: Path, watcher) -> None:  # type: ignore[no-untyped-def]
    content = site / "content"
    (content / ".x.md.swp").write_bytes(b"swap")
    (content / "4913").write_bytes(b"")  # vim's "can I write here" probe
    (content / "4913").unlink()
    os.rename(content / "x.md", content / "x.md~")  # backup by renaming
    (content / "x.md").write_text(entry("X", body="Saved by vim."), "utf-8")
    (content / "x.md~").unlink()
    (content / ".x.md.swp").unlink()
    assert names(one_batch(watcher), site) == {"content/x.md"}


def test_emacs_lock_and_jetbrains_temporaries_are_ignored(site: Path, watcher) -> None:  # type: ignore[no-untyped-def]
    content = site / "content"
    os.symlink("user@host.1234", content / ".#x.md")  # emacs lock file: a dangling symlink
    (content / "#x.md#").write_text("autosave", "utf-8")
    (content / "x.md___jb_tmp___").write_text("temp", "utf-8")
    (content / "x.md").write_text(entry("X", body="Saved by emacs."), "utf-8")
    for name in (".#x.md", "#x.md#", "x.md___jb_tmp___"):
        (content / name).unlink()
    assert names(one_batch(watcher), site) == {"content/x.md"}


def test_temporaries_alone_wake_nothing(site: Path, watcher) -> None:  # type: ignore[no-untyped-def]
    content = site / "content"
    for name in (".x.md.swp", "x.md~", ".#x.md", "4913", "x.md.tmp", ".hidden.md"):
        (content / name).write_text("noise", "utf-8")
        (content / name).unlink()
    assert watcher.next_batch(timeout=SETTLED) is None


def test_output_and_cache_changes_are_ignored(site: Path, watcher) -> None:  # type: ignore[no-untyped-def]
    (site / "output/index.html").write_text("<p>built</p>", "utf-8")
    (site / ".chronicle-cache/cache.bin").write_bytes(b"cache")
    (site / "output/index.html").unlink()
    (site / "README.txt").write_text("not a source", "utf-8")
    assert watcher.next_batch(timeout=SETTLED) is None
    (site / "chronicle.toml").write_text('title = "Renamed"\n', "utf-8")
    assert names(one_batch(watcher), site) == {"chronicle.toml"}


def test_deleting_and_adding_entries_and_static_files(site: Path, watcher) -> None:  # type: ignore[no-untyped-def]
    (site / "content/x.md").unlink()
    (site / "content/2025").mkdir()
    (site / "content/2025/y.md").write_text(entry("Y"), "utf-8")
    (site / "static/site.css").write_text("a { color: red }", "utf-8")
    assert names(one_batch(watcher), site) >= {"content/x.md", "content/2025/y.md",
                                                 "static/site.css"}


def test_a_templates_folder_made_after_the_start_is_watched(site: Path, watcher) -> None:  # type: ignore[no-untyped-def]
    (site / "templates").mkdir()
    assert names(one_batch(watcher), site) == {"templates"}
    (site / "templates/entry.html").write_text('{% extends "theme/entry.html" %}', "utf-8")
    assert "templates/entry.html" in names(one_batch(watcher), site)


@pytest.mark.parametrize("name, relevant", [
    ("content/x.md", True), ("content/.x.md.swp", False), ("content/x.md~", False),
    ("content/.#x.md", False), ("content/4913", False), ("content/x.md.tmp", False),
    ("content/#x.md#", False), ("output/index.html", False), (".chronicle-cache/a", False),
    (".git/index", False), ("chronicle.toml", True), ("notes.txt", False),
    ("templates", True), ("static/a/b.css", True),
])
def test_is_relevant(tmp_path: Path, name: str, relevant: bool) -> None:
    from chronicle_ssg.watch import is_relevant
    assert is_relevant(str(tmp_path / name), tmp_path, tmp_path / "output") is relevant
