"""chronicle new site / new entry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from chronicle_ssg.errors import ChronicleError
from chronicle_ssg.parse import parse_document
from chronicle_ssg.scaffold import new_entry, new_site


def test_new_site_writes_config_entry_page_and_gitignore(tmp_path: Path) -> None:
    root = new_site(tmp_path / "s")
    assert (root / "chronicle.toml").is_file() and (root / "content/pages/about.md").is_file()
    (first,) = (root / "content/entries").glob("*.md")
    meta = parse_document(first.read_bytes(), first.relative_to(root)).meta
    assert meta["title"] == "Hello, chronicle"
    written = dt.datetime.strptime(meta["date"], "%Y-%m-%d %H:%M")  # naive: the site's UTC
    assert written <= dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert (root / ".gitignore").read_text().splitlines() == ["output/", ".output.lock",
                                                             ".chronicle-cache/"]


def test_new_entry_quotes_title_and_is_a_draft(tmp_path: Path) -> None:
    root = new_site(tmp_path / "s")
    when = dt.datetime(2025, 3, 18, 16, 45)
    path = new_entry(root, 'He said "yes": a \\ story', now=when)
    assert path == root / "content/entries/2025/2025-03-18-he-said-yes-a-story.md"
    meta = parse_document(path.read_bytes(), path.relative_to(root)).meta
    assert meta["title"] == 'He said "yes": a \\ story' and meta["draft"] is True
    assert meta["date"] == "2025-03-18 16:45"
    with pytest.raises(ChronicleError, match="already exists"):
        new_entry(root, 'He said "yes": a \\ story', now=when)


def test_new_entry_without_a_title_slug_falls_back(tmp_path: Path) -> None:
    root = new_site(tmp_path / "s")
    assert new_entry(root, "!!!", now=dt.datetime(2025, 1, 1)).name == "2025-01-01-entry.md"
