#!/usr/bin/env python3
"""Stage benchmark of the inputs that used to be quadratic (issue 10):

- comment threads of 10,000 and 20,000 comments (comments.build_thread), and reply
  chains 250 and 5,000 deep;
- one entry with 8,000 updates stamped with the same minute, 8,000 headings with the
  same text, 8,000 quotes of one source (markdown.render_markdown: anchor numbering).

    python benchmarks/bench_scale.py [--only NAME ...]

Each case is timed in this process (best of `--runs`, default 1), so the figure is the
stage itself, without start-up or writing. Run it on a quiet machine and record the
results in docs/benchmarks.md. The script also runs against older versions of
chronicle (it adapts to the older build_thread signature), which is how the "before"
figures were taken: `PYTHONPATH=/path/to/old/checkout python benchmarks/bench_scale.py`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import random
import sys
import time
from pathlib import Path, PurePosixPath
from typing import Any, Callable

sys.setrecursionlimit(1000)  # the interpreter's default: deep input must not need more

REL = PurePosixPath("content/bench.md")


def comment_records(count: int, deep: bool) -> dict[str, Any]:
    """`count` comments: a single reply chain when `deep`, else a realistic thread
    (a third top-level, the rest replying to a random earlier comment)."""
    rng = random.Random(count)
    records = []
    start = dt.datetime(2025, 3, 18, 8, 0, tzinfo=dt.timezone.utc)
    for number in range(count):
        record = {"id": f"c{number}", "author": f"Reader {number % 97}",
                  "date": start + dt.timedelta(seconds=number), "body": f"Comment {number}."}
        if number and (deep or rng.random() > 0.33):
            record["parent"] = f"c{number - 1}" if deep else f"c{rng.randrange(number)}"
        records.append(record)
    return {"comments": records}


def thread_case(count: int, deep: bool) -> Callable[[], Any]:
    from chronicle_ssg.comments import build_thread
    records = comment_records(count, deep)
    lines = {f"comments.{i}": 2 + 5 * i for i in range(count)}
    render = str  # the Markdown renderer is not what is measured here
    takes_mapping = "lines" in inspect.signature(build_thread).parameters

    def run() -> Any:
        if takes_mapping:
            return build_thread(records, REL, lines, dt.timezone.utc, render)
        return build_thread(records, REL, lambda i: lines[f"comments.{i}"], dt.timezone.utc,
                            render)
    return run


def body_case(block: Callable[[int], str], count: int) -> Callable[[], Any]:
    from chronicle_ssg.markdown import MarkdownSettings, make_markdown, render_markdown
    md = make_markdown()
    text = "\n".join(block(number) for number in range(count))
    settings = MarkdownSettings(dt.timezone.utc)
    entry_date = dt.datetime(2025, 3, 18, tzinfo=dt.timezone.utc)
    return lambda: render_markdown(md, text, REL, 5, settings, None, entry_date)


CASES: dict[str, Callable[[], Callable[[], Any]]] = {
    "comments 10,000": lambda: thread_case(10_000, deep=False),
    "comments 20,000": lambda: thread_case(20_000, deep=False),
    "reply chain 250 deep": lambda: thread_case(250, deep=True),
    "reply chain 5,000 deep": lambda: thread_case(5_000, deep=True),
    "8,000 updates, same minute": lambda: body_case(
        lambda n: f"::: update 2025-03-18 10:00\nUpdate {n}.\n:::\n", 8_000),
    "8,000 headings, same text": lambda: body_case(lambda n: f"## Reaction\n\nText {n}.\n", 8_000),
    "8,000 quotes, one source": lambda: body_case(
        lambda n: f'::: quote source="Press Office"\nSaid {n}.\n:::\n', 8_000),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="substrings of the case names to run")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    import chronicle_ssg
    print(f"chronicle from {Path(chronicle_ssg.__file__).parent}\n")
    print("| case | seconds |\n|---|---|")
    for name, make in CASES.items():
        if args.only and not any(part in name for part in args.only):
            continue
        run = make()
        best = None
        for _ in range(args.runs):
            started = time.perf_counter()
            try:
                run()
            except Exception as exc:  # noqa: BLE001 - the "before" code fails on some cases
                print(f"| {name} | {type(exc).__name__} |", flush=True)
                break
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
        else:
            print(f"| {name} | {best:.2f} |", flush=True)


if __name__ == "__main__":
    main()
