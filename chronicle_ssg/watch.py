"""Watch the site's sources with watchdog and hand over debounced batches of changes.

Editors save in odd ways (write to a temp file and rename, truncate then write, several
events per save, swap and backup files); we ignore editor temporaries, wait until the
events stop for `quiet` seconds, and wait until a changed file's size stops changing, so
a rebuild never reads a half-written file.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from pathlib import Path
from typing import Callable, Iterable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from chronicle_ssg.discover import is_ignored_name

QUIET_SECONDS = 0.03
SETTLE_SECONDS = 0.5
SOURCE_FOLDERS = ("content", "templates", "static")  #: under the site root


def watched_folders(site_root: Path, theme_dir: Path) -> list[Path]:
    """content/, templates/, static/ and the theme (the site root is watched for chronicle.toml)."""
    folders = [site_root / name for name in SOURCE_FOLDERS] + [theme_dir]
    return [f for f in folders if f.is_dir()]


def is_relevant(path: str, site_root: Path, output_dir: Path) -> bool:
    """Changes to output/, the cache, hidden files and editor temporaries are noise."""
    name = os.path.basename(path)
    if not name or is_ignored_name(name):
        return False
    resolved = Path(path)
    if resolved == site_root:
        return False
    for ignored in (output_dir, site_root / ".chronicle-cache", site_root / ".git"):
        if resolved == ignored or resolved.is_relative_to(ignored):
            return False
    if resolved.parent == site_root:  # a source folder made after the start counts
        return name == "chronicle.toml" or name in SOURCE_FOLDERS
    return True


class _Handler(FileSystemEventHandler):
    def __init__(self, events: "queue.Queue[str]", keep: Callable[[str], bool]) -> None:
        self.events, self.keep = events, keep

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type == "modified":
            return  # a folder's mtime changes with every save inside it: the file event says it
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path and self.keep(os.fsdecode(path)):
                self.events.put(os.fsdecode(path))


class Watcher:
    """Start watching; `batches()` yields sets of changed paths until `stop()`."""

    def __init__(self, site_root: Path, output_dir: Path, folders: Iterable[Path]) -> None:
        self.events: "queue.Queue[str]" = queue.Queue()
        self.stopped = threading.Event()
        self.site_root = site_root
        self.observer = Observer()
        self.handler = _Handler(self.events, lambda p: is_relevant(p, site_root, output_dir))
        self.observer.schedule(self.handler, str(site_root), recursive=False)
        self.watched: set[Path] = set()
        for folder in folders:
            self.watch(folder)
        self.observer.daemon = True
        self.observer.start()

    def watch(self, folder: Path) -> None:
        """Watch a folder and everything below it (once)."""
        if folder not in self.watched and folder.is_dir():
            self.observer.schedule(self.handler, str(folder), recursive=True)
            self.watched.add(folder)

    def next_batch(self, timeout: float = 0.25) -> set[str] | None:
        """Wait for a change, then collect until quiet; None when nothing happened."""
        try:
            first = self.events.get(timeout=timeout)
        except queue.Empty:
            return None
        batch = {first}
        while True:
            try:
                batch.add(self.events.get(timeout=QUIET_SECONDS))
            except queue.Empty:
                break
        _wait_until_settled(batch)
        while not self.events.empty():  # events caused while we waited
            batch.add(self.events.get_nowait())
        for path in batch:  # e.g. templates/ made for a first override
            if Path(path).parent == self.site_root and Path(path).name in SOURCE_FOLDERS:
                self.watch(Path(path))
        return batch

    def has_events(self) -> bool:
        """A change is waiting to be handled."""
        return not self.events.empty()

    def stop(self) -> None:
        self.stopped.set()
        self.observer.stop()
        self.observer.join(timeout=2)


def _wait_until_settled(paths: set[str]) -> None:
    """A file still growing is being written: wait (briefly) until its size holds."""
    deadline = time.monotonic() + SETTLE_SECONDS
    sizes = {p: _size(p) for p in paths}
    while time.monotonic() < deadline:
        time.sleep(0.01)
        now = {p: _size(p) for p in paths}
        if now == sizes:
            return
        sizes = now


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return -1
