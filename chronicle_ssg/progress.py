"""A one-line progress counter on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """`stage: done/total` rewritten in place at most ten times a second."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.stage, self.total, self.done, self._shown = "", 0, 0, 0.0

    def start(self, stage: str, total: int) -> None:
        self.stage, self.total, self.done = stage, total, 0
        self._show(force=True)

    def advance(self, count: int = 1) -> None:
        self.done += count
        self._show(force=self.done >= self.total)

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()

    def _show(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or self.total == 0 or (not force and now - self._shown < 0.1):
            return
        self._shown = now
        percent = 100 * self.done // self.total
        self.stream.write(f"\r\x1b[2K{self.stage}: {self.done}/{self.total} ({percent}%)")
        self.stream.flush()
