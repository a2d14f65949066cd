"""Worker processes for the two heavy stages: Markdown rendering and page rendering.

Workers are forked, so they inherit the site model, the routes and the Jinja
environment without pickling them; each renders a slice and stages its files itself,
sending back only small bookkeeping. The split never changes a byte of output: each
page depends only on its route and the site, so any partition gives the same files.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from chronicle_ssg.errors import BuildFailed, ChronicleError

#: below this many items a pool costs more than it saves
MIN_PARALLEL = 300

# Set in the parent just before the fork and read by the forked workers; never used
# otherwise. This is how fork hands a large object graph to children for free.
_SHARED: dict[str, Any] = {}


def job_count(requested: int) -> int:
    """--jobs N, or every core the process may use."""
    if requested > 0:
        return requested
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _chunks(count: int, jobs: int) -> list[range]:
    # several chunks per worker so a slow chunk does not leave a core idle
    size = max(1, count // (jobs * 4) + 1)
    return [range(start, min(start + size, count)) for start in range(0, count, size)]


#: prctl(2) option: the signal a process gets when the thread that forked it ends
PR_SET_PDEATHSIG = 1


def _start_worker(parent: int) -> None:
    """Set up a pool worker: it lives and dies with the main process, silently.

    A build killed with SIGKILL cannot stop its workers; without this they would finish
    their slice, fail to send it to nobody and print a BrokenPipeError traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the main process stops the pool
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # serve's handler must not keep a worker
    if sys.platform.startswith("linux"):
        import ctypes
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            _watch_parent(parent)
    else:
        _watch_parent(parent)
    if os.getppid() != parent:  # the main process died before the line above
        os._exit(0)


def _watch_parent(parent: int) -> None:
    """Where prctl is missing: a thread that ends the worker once its parent is gone."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()


@dataclass
class _Outcome:
    values: list[Any]
    errors: list[ChronicleError]


def _run_slice(indices: range) -> _Outcome:
    work: Callable[[Any], Any] = _SHARED["work"]
    items: Sequence[Any] = _SHARED["items"]
    values, errors = [], []
    for index in indices:
        try:
            values.append(work(items[index]))
        except ChronicleError as exc:
            errors.append(exc)
            values.append(None)
        except BuildFailed as exc:
            errors.extend(exc.errors)
            values.append(None)
    return _Outcome(values, errors)


def map_items(work: Callable[[Any], Any], items: Sequence[Any], jobs: int,
              errors: list[ChronicleError], progress: Any = None) -> list[Any]:
    """[work(item) for item in items], across forked workers when it pays off.

    ChronicleErrors are collected into `errors` (the item's value is None); results
    keep the order of `items`.
    """
    jobs = job_count(jobs)
    serial = jobs == 1 or len(items) < MIN_PARALLEL or not _can_fork()
    slices = _chunks(len(items), 25 if serial else jobs)  # serial: small slices for progress
    _SHARED.update(work=work, items=items)
    outcomes = []
    try:
        if serial:
            for indices in slices:
                outcomes.append(_run_slice(indices))
                if progress:
                    progress.advance(len(indices))
        else:
            context = multiprocessing.get_context("fork")
            with context.Pool(jobs, initializer=_start_worker, initargs=(os.getpid(),)) as pool:
                for outcome in pool.imap(_run_slice, slices, chunksize=1):
                    outcomes.append(outcome)
                    if progress:
                        progress.advance(len(outcome.values))
    finally:
        _SHARED.clear()
    values: list[Any] = []
    for outcome in outcomes:
        values.extend(outcome.values)
        errors.extend(outcome.errors)
    return values
