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


def watched_folders(site_root: Path, theme_dir: Path) -> list[Path]:
    """content/, templates/, static/, the theme and the site root (for chronicle.toml)."""
    folders = [site_root / "content", site_root / "templates", site_root / "static", theme_dir]
    return [f for f in folders if f.is_dir()]


def is_relevant(path: str, site_root: Path, output_dir: Path) -> bool:
    """Changes to output/, the cache, hidden files and editor temporaries are noise."""
    name = os.path.basename(path)
    if not name or is_ignored_name(name):
        return False
    resolved = Path(path)
    for ignored in (output_dir, site_root / ".chronicle-cache", site_root / ".git"):
        if resolved == ignored or resolved.is_relative_to(ignored):
            return False
    if resolved.parent == site_root:
        return name == "chronicle.toml"
    return True


class _Handler(FileSystemEventHandler):
    def __init__(self, events: "queue.Queue[str]", keep: Callable[[str], bool]) -> None:
        self.events, self.keep = events, keep

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path and self.keep(os.fsdecode(path)):
                self.events.put(os.fsdecode(path))


class Watcher:
    """Start watching; `batches()` yields sets of changed paths until `stop()`."""

    def __init__(self, site_root: Path, output_dir: Path, folders: Iterable[Path]) -> None:
        self.events: "queue.Queue[str]" = queue.Queue()
        self.stopped = threading.Event()
        self.observer = Observer()
        handler = _Handler(self.events, lambda p: is_relevant(p, site_root, output_dir))
        self.observer.schedule(handler, str(site_root), recursive=False)
        for folder in folders:
            self.observer.schedule(handler, str(folder), recursive=True)
        self.observer.daemon = True
        self.observer.start()

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
        return batch

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
