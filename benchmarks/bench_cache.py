#!/usr/bin/env python3
"""The build cache: cold then warm build, and the cache's own save, load and size.

    python benchmarks/bench_cache.py [N ...] [--runs 3]

For each N it times (whole processes, GNU time) a cold build and a warm build after one
entry changed, then, in this process, loading `.chronicle-cache/` and saving it again
(the parsed sources rewritten in full, as after any change), the files' sizes, and the
most memory that saving allocates at once (tracemalloc, in a separate pass so that it
does not slow the timed ones). Record results in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

from common import REPO, median, site, timed

sys.path.insert(0, str(REPO))
from chronicle_ssg.cache import CACHE_DIR, load_cache, save_cache  # noqa: E402

CHRONICLE = [sys.executable, "-m", "chronicle_ssg", "build", "--quiet"]


def edit_one_entry(root: Path, number: int) -> None:
    entries = sorted((root / "content" / "entries").glob("*.md"))
    entry = entries[len(entries) // 2]
    entry.write_text(entry.read_text() + f"\nOne more sentence, edit {number}.\n")


def seconds(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def save_all(root: Path) -> None:
    cache = load_cache(root)
    cache.dirty = True  # rewrite the parsed sources, not only the signatures
    save_cache(root, cache)


def measure(n: int, runs: int) -> dict[str, float]:
    root = site(n, "cache")
    colds, warms = [], []
    for number in range(runs):
        shutil.rmtree(root / "output", ignore_errors=True)
        shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
        colds.append(timed(CHRONICLE + ["--source", str(root)]))
        edit_one_entry(root, number)
        warms.append(timed(CHRONICLE + ["--source", str(root)]))
    cache = load_cache(root)
    assert len(cache.sources) == n, f"the cache holds {len(cache.sources)} of {n} sources"
    figures = {"cold": median(colds).wall, "warm": median(warms).wall,
               "warm_mb": median(warms).peak_mb,
               "load": seconds(lambda: load_cache(root), runs),
               "save": seconds(lambda: save_all(root), runs)}
    figures["size_mb"] = sum(p.stat().st_size for p in (root / CACHE_DIR).iterdir()
                             if p.is_file()) / 2**20
    cache = load_cache(root)
    cache.dirty = True
    tracemalloc.start()
    save_cache(root, cache)
    figures["save_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    for path in sorted((root / CACHE_DIR).iterdir()):
        print(f"  {path.name}: {path.stat().st_size / 2**20:.1f} MB", file=sys.stderr)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| entries | cold s | warm s | warm peak MB | cache load s | cache save s "
          "| cache MB | save allocates MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        f = measure(n, args.runs)
        print(f"| {n:,} | {f['cold']:.2f} | {f['warm']:.2f} | {f['warm_mb']:.0f} | "
              f"{f['load']:.3f} | {f['save']:.3f} | {f['size_mb']:.1f} | "
              f"{f['save_peak_mb']:.0f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
