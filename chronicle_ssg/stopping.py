"""Stopping `serve` and `build --watch` with Ctrl-C or SIGTERM, at any moment, cleanly.

Python turns Ctrl-C into a KeyboardInterrupt wherever the main thread happens to be: in
the middle of an import, a `finally` block or a lock. Those long-running commands install
this handler before they import anything heavy. It records the request; only while the
first build runs (which is atomic and may be abandoned) does it also raise. Everywhere
else the command looks at the request at a safe point and shuts down in order.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    def __init__(self) -> None:
        self.event = threading.Event()
        self._interruptible = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopRequest:
        self._previous = {number: signal.signal(number, self._handle) for number in SIGNALS}
        return self

    def __exit__(self, *exc: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    @property
    def requested(self) -> bool:
        return self.event.is_set()

    def _handle(self, number: int, frame: FrameType | None) -> None:
        self.event.set()
        if self._interruptible:
            raise KeyboardInterrupt

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """Within this block a stop request raises KeyboardInterrupt, as Ctrl-C usually does."""
        if self.requested:
            raise KeyboardInterrupt
        self._interruptible = True
        try:
            yield
        finally:
            self._interruptible = False

    def ignore_more(self) -> None:
        """A second Ctrl-C must not cut the shutdown short."""
        for number in SIGNALS:
            signal.signal(number, signal.SIG_IGN)
