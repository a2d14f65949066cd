#!/usr/bin/env python3
"""Whole-process build benchmark: chronicle cold, warm, no-op and --jobs 1, beside Hugo.

    python benchmarks/bench_build.py [N ...] [--runs 3]

Prints one Markdown table per N with the median wall time, CPU time and peak memory of
the largest process. Run it on a quiet machine; record results in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from common import Run, hugo_command, median, site, timed

CHRONICLE = [sys.executable, "-m", "chronicle_ssg", "build", "--quiet"]


def edit_one_entry(root: Path, number: int) -> None:
    """Change one entry's body, as an author does between two builds."""
    entries = sorted((root / "content" / "entries").glob("*.md"))
    entry = entries[len(entries) // 2]
    entry.write_text(entry.read_text() + f"\nOne more sentence, edit {number}.\n")


def measure(n: int, runs: int) -> list[tuple[str, Run]]:
    root = site(n)
    rows = []
    hugo = hugo_command(n, root / "hugo-out")
    if hugo:
        hugo_runs = []
        for _ in range(runs):
            shutil.rmtree(root / "hugo-out", ignore_errors=True)
            shutil.rmtree(root / "hugo-out.cache", ignore_errors=True)
            hugo_runs.append(timed(hugo))
        rows.append(("Hugo cold", median(hugo_runs)))

    def cold(*extra: str) -> Run:
        shutil.rmtree(root / "output", ignore_errors=True)
        shutil.rmtree(root / ".chronicle-cache", ignore_errors=True)
        return timed(CHRONICLE + ["--source", str(root), *extra])

    rows.append(("chronicle cold", median([cold() for _ in range(runs)])))
    rows.append(("chronicle cold --jobs 1", median([cold("--jobs", "1") for _ in range(runs)])))
    cold()
    warm = []
    for number in range(runs):
        edit_one_entry(root, number)
        warm.append(timed(CHRONICLE + ["--source", str(root)]))
    rows.append(("chronicle warm (1 entry changed)", median(warm)))
    rows.append(("chronicle no-op", median([timed(CHRONICLE + ["--source", str(root)])
                                             for _ in range(runs)])))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for n in args.sizes:
        rows = measure(n, args.runs)
        hugo = next((r.wall for name, r in rows if name == "Hugo cold"), None)
        print(f"\n### {n:,} entries (median of {args.runs})\n")
        print("| run | wall s | CPU s | peak MB | × Hugo cold | ms per entry |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, r in rows:
            ratio = f"{r.wall / hugo:.2f}" if hugo else "–"
            print(f"| {name} | {r.wall:.2f} | {r.cpu:.2f} | {r.peak_mb:.0f} | {ratio} | "
                  f"{r.wall / n * 1000:.3f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
