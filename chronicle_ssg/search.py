"""STAGE 6b: the search index. Pagefind reads the staged site and writes `pagefind/`.

It runs on the staging folder, before the swap, so output/ never holds pages and an index
that disagree; its files go through `Staging.put` like every other output, so they are in
the manifest and unchanged ones stay hard links. Pagefind cannot update an index in
place, so a build whose searchable pages (those marked `data-pagefind-body`) did not
change keeps the previous index instead of running it again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

from chronicle_ssg.errors import ChronicleError, SourceLocation

SEARCH_FOLDER = "pagefind"
#: the attribute that makes a page searchable (Pagefind then ignores every other page)
BODY_MARKER = b"data-pagefind-body"
INSTALL_HINT = ("install it with `pip install 'pagefind[bin]'`, or set `search = false` "
                "in chronicle.toml")


class SearchIndexError(ChronicleError):
    """Pagefind is missing or failed to index the site."""


@dataclass(frozen=True, slots=True)
class SearchReport:
    files: int  #: files in pagefind/
    reindexed: bool  #: False when the previous index was kept unchanged


def is_index_file(name: str) -> bool:
    return name.startswith(SEARCH_FOLDER + "/")


def pagefind_command() -> list[str]:
    """The Pagefind binary from the `pagefind[bin]` package (imported only when needed)."""
    try:
        from pagefind.service import get_executable
        executable = get_executable()
    except (ImportError, OSError):
        executable = None
    if executable is None or not Path(executable).is_file():
        raise SearchIndexError("search is on, but the Pagefind binary is not installed",
                               SourceLocation(PurePosixPath("chronicle.toml")), INSTALL_HINT)
    return [str(executable)]


def index_staging(staging: Any, searchable: Iterable[str]) -> SearchReport:
    """Give the staged site its search index: the previous one when no searchable page
    changed, else a new one from Pagefind.

    `searchable` names the staged pages that search covers (entries and pages): only they
    are shown to Pagefind, which at ten thousand entries halves its work (listings, tag
    pages and aliases are never indexed anyway).
    """
    pages = sorted(searchable)
    previous = sorted(name for name in staging.old if is_index_file(name))
    if previous and not searchable_pages_changed(staging, pages):
        if all(staging.keep(PurePosixPath(name)) for name in previous):
            return SearchReport(len(previous), False)
    return SearchReport(run_pagefind(staging, pages), True)


def searchable_pages_changed(staging: Any, pages: list[str]) -> bool:
    """Whether a searchable page was added, changed or removed in this build."""
    written = set(staging.added) | set(staging.changed)
    if any(name in written for name in pages):
        return True
    gone = (name for name in staging.old
            if name.endswith(".html") and name not in staging.files)
    return any(_marked(staging.output_dir / name) for name in gone)


def _marked(path: Path) -> bool:
    try:
        return BODY_MARKER in path.read_bytes()
    except OSError:
        return True  # unreadable: index again rather than keep a stale index


def run_pagefind(staging: Any, pages: list[str]) -> int:
    """Index the searchable staged pages and stage every index file."""
    index = build_index(staging.path, pages, staging.path.parent / f"{staging.path.name}-search")
    for rel in sorted(index):
        staging.put(rel, index[rel])
    return len(index)


def build_index(site: Path, pages: list[str], scratch: Path,
                hold: Any = contextlib.nullcontext()) -> dict[PurePosixPath, bytes]:
    """Pagefind's index of `pages` (paths relative to `site`), by output path.

    Pagefind reads a view of `site` holding only those pages (hard links, made while
    holding `hold`: serve's lock, so the view is one consistent state of output/) and
    writes into a scratch folder; both are removed afterwards. They are named like the
    staging folder, so a build killed while Pagefind runs leaves nothing that the next
    build does not clear away.
    """
    view, bundle = scratch.with_name(scratch.name + "-pages"), scratch.with_name(scratch.name + "-index")
    for folder in (view, bundle):
        shutil.rmtree(folder, ignore_errors=True)
    command = pagefind_command() + ["--site", str(view), "--output-path", str(bundle), "--quiet"]
    try:
        with hold:
            _link_pages(site, view, pages)
        done = subprocess.run(command, capture_output=True, text=True, errors="replace",
                              env={**os.environ, "NO_COLOR": "1"})
        if done.returncode != 0:
            detail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-5:]
            raise SearchIndexError(
                f"Pagefind failed to index the site (exit {done.returncode}): "
                + " / ".join(detail), hint="set `search = false` in chronicle.toml to build "
                "without search, or report the message above")
        return {PurePosixPath(SEARCH_FOLDER, *path.relative_to(bundle).parts): path.read_bytes()
                for path in sorted(bundle.rglob("*")) if path.is_file()}
    except OSError as exc:
        raise SearchIndexError(f"cannot run Pagefind: {exc}", hint=INSTALL_HINT) from None
    finally:
        for folder in (view, bundle):
            shutil.rmtree(folder, ignore_errors=True)


def _link_pages(root: Path, view: Path, pages: list[str]) -> None:
    made: set[str] = set()
    view.mkdir()
    for name in pages:
        folder = name.rpartition("/")[0]
        if folder and folder not in made:
            os.makedirs(view / folder, exist_ok=True)
            made.add(folder)
        try:
            os.link(root / name, view / name)
        except OSError:
            shutil.copy2(root / name, view / name)
