#!/usr/bin/env python3
"""What rendering in Jinja's SandboxedEnvironment would cost: the default theme, every page.

    python benchmarks/bench_sandbox.py [N ...] [--runs 3]

Loads the corpus site once per N, then renders every route in process, alternating the
normal Environment and the SandboxedEnvironment (same loader, filters and globals), and
reports the median CPU seconds of each against a cold `chronicle build --jobs 1` of the
same site. It also checks that the sandbox writes the very same bytes. CPU time, not wall
time: the difference is small and the machine is shared.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from common import REPO, site, timed

sys.path.insert(0, str(REPO))


@contextlib.contextmanager
def environment_class(sandboxed: bool) -> Iterator[None]:
    """Make render.make_environment build the sandboxed environment (or the normal one)."""
    import jinja2
    import jinja2.sandbox
    original = jinja2.Environment
    if sandboxed:
        jinja2.Environment = jinja2.sandbox.SandboxedEnvironment  # type: ignore[misc]
    try:
        yield
    finally:
        jinja2.Environment = original  # type: ignore[misc]


def render_seconds(loaded, sandboxed: bool) -> tuple[float, dict]:  # type: ignore[no-untyped-def]
    from chronicle_ssg.build import render_site
    with environment_class(sandboxed):
        started = time.process_time()
        outputs = render_site(loaded)
        return time.process_time() - started, outputs


def measure(n: int, runs: int) -> dict[str, float]:
    from chronicle_ssg.build import BuildOptions, load_site
    root = site(n, "sandbox")
    cold = []
    for _ in range(runs):
        shutil.rmtree(root / "output", ignore_errors=True)
        shutil.rmtree(root / ".chronicle-cache", ignore_errors=True)
        cold.append(timed([sys.executable, "-m", "chronicle_ssg", "build", "--quiet", "--jobs", "1",
                           "--source", str(root)]).cpu)
    loaded = load_site(root, BuildOptions(jobs=1))
    normal, sandbox = [], []
    reference: dict = {}
    for _ in range(runs):  # alternate, so that drift of the machine hits both alike
        seconds, reference = render_seconds(loaded, sandboxed=False)
        normal.append(seconds)
        seconds, outputs = render_seconds(loaded, sandboxed=True)
        sandbox.append(seconds)
        if outputs != reference:
            raise SystemExit("the sandboxed environment rendered different bytes")
    return {"pages": len(loaded.routes), "build": statistics.median(cold),
            "normal": statistics.median(normal), "sandbox": statistics.median(sandbox)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| entries | pages | cold build --jobs 1, CPU s | render, CPU s | render in sandbox, CPU s "
          "| sandbox cost | share of the build |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        m = measure(n, args.runs)
        extra = m["sandbox"] - m["normal"]
        print(f"| {n:,} | {m['pages']:,} | {m['build']:.2f} | {m['normal']:.2f} | {m['sandbox']:.2f} "
              f"| +{extra / m['normal'] * 100:.0f} % | +{extra / m['build'] * 100:.1f} % |", flush=True)


if __name__ == "__main__":
    main()
