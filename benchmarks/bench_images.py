#!/usr/bin/env python3
"""Image processing cost: a site whose entries each carry one body image.

    python benchmarks/bench_images.py [N] [--size 1600x1000]

Builds N entries with N distinct PNG and JPEG images (half each) in static/, then times a
cold build (every variant encoded), a warm build after editing one entry (variants taken
from .chronicle-cache/images/, checked by hash), a warm build after changing one image,
and a --no-cache build. Record results in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

CHRONICLE = [sys.executable, "-m", "chronicle_ssg", "build", "--quiet"]


def image_bytes(number: int, width: int, height: int, fmt: str) -> bytes:
    image = Image.new("RGB", (width, height), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    for bar in range(8):  # a bar chart: flat colours, like most images on such a site
        top = height - (number * 37 + bar * 53) % (height - 40) - 20
        draw.rectangle((40 + bar * width // 9, top, 40 + bar * width // 9 + width // 12,
                        height - 20), fill=((bar * 60 + number) % 256, 90, 160))
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return out.getvalue()


def make_site(root: Path, n: int, width: int, height: int) -> None:
    (root / "content" / "entries").mkdir(parents=True)
    (root / "static" / "images").mkdir(parents=True)
    (root / "chronicle.toml").write_text('title = "Images"\nbase_url = "https://example.org/"\n')
    for number in range(n):
        ext, fmt = ("png", "PNG") if number % 2 else ("jpg", "JPEG")
        name = f"chart-{number:04d}.{ext}"
        (root / "static" / "images" / name).write_bytes(image_bytes(number, width, height, fmt))
        day = 1 + number % 28
        (root / "content" / "entries" / f"2025-01-{day:02d}-entry-{number:04d}.md").write_text(
            f"---\ntitle: Entry {number}\n---\n\nSome text.\n\n![Chart {number}](/images/{name})\n")


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=300)
    parser.add_argument("--size", default="1600x1000")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    root = Path(tempfile.mkdtemp(prefix="chronicle-images-"))
    try:
        make_site(root, args.n, width, height)
        rows = [("cold (every variant encoded)", timed(CHRONICLE, root))]
        entry = sorted((root / "content" / "entries").glob("*.md"))[args.n // 2]
        entry.write_text(entry.read_text() + "\nOne more sentence.\n")
        rows.append(("warm, one entry edited", timed(CHRONICLE, root)))
        image = root / "static" / "images" / "chart-0001.png"
        image.write_bytes(image_bytes(9999, width, height, "PNG"))
        rows.append(("warm, one image changed", timed(CHRONICLE, root)))
        os.utime(image)
        rows.append(("warm, one image touched (same bytes)", timed(CHRONICLE, root)))
        rows.append(("--no-cache", timed(CHRONICLE + ["--no-cache"], root)))
        variants = len(list((root / "output" / "_img").iterdir()))
        print(f"{args.n} entries, {args.n} images of {width}x{height}, {variants} variants\n")
        print("| build | wall time |\n|---|---:|")
        for name, seconds in rows:
            print(f"| {name} | {seconds:.2f} s |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
