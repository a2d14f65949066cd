#!/usr/bin/env python3
"""Save-to-page and save-to-reload-signal latency of `chronicle serve`, beside `hugo server`.

    python benchmarks/bench_serve.py [N ...] [--edits 5]

For each archive size: starts `chronicle serve --port 0` on the generated corpus, listens
to its Server-Sent Events stream like a browser tab, then times four kinds of save:
an entry's body, an entry's tags, a new entry, a template. "page" is the time until
the rebuilt file on disk holds the change; "signal" is the time until the browser is
told to reload. Hugo's `hugo server` body-edit latency (page on disk) comes from the
shared peers harness (../shared/bench/peers/incr.py) on the same corpus.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

from common import SHARED, WORK, hugo_command, site


class Events:
    """Reads the SSE stream in a thread and timestamps every `reload`/`css` event."""

    def __init__(self, host: str, port: int, page: str) -> None:
        self.times: list[float] = []
        self.connection = http.client.HTTPConnection(host, port, timeout=600)
        # like livereload.js in a tab showing `page`: serve renders that page first
        self.connection.request("GET", "/__chronicle/events?page=" + quote(page, safe=""))
        self.response = self.connection.getresponse()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for raw in self.response:
            if raw.startswith(b"event: reload") or raw.startswith(b"event: css"):
                self.times.append(time.monotonic())


def wait_for(predicate, timeout: float = 120.0, step: float = 0.002) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return False


def contains(path: Path, needle: str) -> bool:
    try:
        return needle in path.read_text("utf-8", errors="replace")
    except OSError:
        return False


def viewed_page(root: Path) -> str:
    """The URL of the entry the scenarios edit: the page the author has open."""
    entries = sorted((root / "content" / "entries").glob("*.md"))
    target = entries[len(entries) // 2]
    match = re.search(r"^date: (\d{4})-(\d{2})-(\d{2})", target.read_text("utf-8"), re.M)
    assert match
    return "/{}/{}/{}/{}/".format(*match.groups(), target.stem[11:])


def scenarios(root: Path) -> dict[str, object]:
    """name -> function(i) that saves a change and returns (file to watch, marker)."""
    entries = sorted((root / "content" / "entries").glob("*.md"))
    target = entries[len(entries) // 2]
    original = target.read_text("utf-8")
    match = re.search(r"^date: (\d{4})-(\d{2})-(\d{2})", original, re.M)
    assert match
    slug = target.stem[11:]
    page = root / "output" / match.group(1) / match.group(2) / match.group(3) / slug / "index.html"
    template = root / "templates" / "base.html"
    theme_base = Path(__import__("chronicle_ssg").__file__).parent / "themes/default/templates/base.html"

    def body(i: int) -> tuple[Path, str]:
        marker = f"bodymarker{i}x"
        target.write_text(original + f"\nEdited paragraph {marker}.\n", "utf-8")
        return page, marker

    def tags(i: int) -> tuple[Path, str]:
        marker = f"tagmarker{i}x"
        target.write_text(original.replace("tags: [", f'tags: ["{marker}", ', 1), "utf-8")
        return root / "output" / "tags" / marker / "index.html", marker

    def new(i: int) -> tuple[Path, str]:
        marker = f"newmarker{i}x"
        (root / "content" / "entries" / f"2025-12-31-{marker}.md").write_text(
            f"---\ntitle: New {marker}\ndate: 2025-12-31 10:00\ntags: [Policy]\n---\n\nText.\n", "utf-8")
        return root / "output" / "2025" / "12" / "31" / marker / "index.html", marker

    def tmpl(i: int) -> tuple[Path, str]:
        marker = f"templatemarker{i}x"
        template.parent.mkdir(exist_ok=True)
        template.write_text(theme_base.read_text("utf-8").replace(
            "</footer>", f"<!-- {marker} --></footer>"), "utf-8")
        return page, marker

    return {"entry body edit": body, "entry tags edit": tags, "new entry": new,
            "template edit": tmpl}


def measure_chronicle(n: int, edits: int) -> list[tuple[str, float, float]]:
    root = site(n, "serve")
    log = open(WORK / f"serve-{n}.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "chronicle_ssg", "serve", "--source", str(root),
                             "--port", "0"], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        url = None

        def ready() -> bool:
            nonlocal url
            log.seek(0)
            found = re.search(r"serving http://([\d.]+):(\d+)/", log.read())
            url = found.groups() if found else None
            return url is not None

        if not wait_for(ready, 1200, 0.1):
            raise SystemExit("serve did not start")
        events = Events(url[0], int(url[1]), viewed_page(root))
        time.sleep(1.0)
        rows = []
        for name, action in scenarios(root).items():
            pages, signals = [], []
            for i in range(edits):
                seen = len(events.times)
                start = time.monotonic()
                path, marker = action(i)
                if not wait_for(lambda: contains(path, marker)):
                    raise SystemExit(f"{name}: change never reached {path}")
                pages.append(time.monotonic() - start)
                wait_for(lambda: len(events.times) > seen)
                signals.append(events.times[seen] - start if len(events.times) > seen else float("nan"))
                time.sleep(0.5)
            rows.append((name, statistics.median(pages), statistics.median(signals)))
        return rows
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(30)


def measure_hugo(n: int, edits: int) -> float | None:
    """Median save-to-page of `hugo server` for a body edit, via the shared harness."""
    if hugo_command(n, WORK / "hugo-out") is None:
        return None
    peers = Path.home() / ".cache" / "chronicle-peers"
    hugo = peers / "hugo-venv/lib/python3.11/site-packages/hugo/binaries/hugo"
    hugo_site = peers / "site" / f"hugo-{n}"
    entries = sorted((hugo_site / "content" / "entries").glob("*.md"))
    entry = entries[len(entries) // 2]
    date = re.search(r"^date: (\d{4})-(\d{2})-(\d{2})", entry.read_text(), re.M)
    out = WORK / f"hugo-serve-{n}"
    page = out / date.group(1) / date.group(2) / date.group(3) / entry.stem[11:] / "index.html"
    result = subprocess.run(
        [sys.executable, str(SHARED / "bench/peers/incr.py"),
         "--cmd", f"{hugo} server --source {hugo_site} --destination {out} --port 0 "
                  f"--disableLiveReload --cacheDir {out}.cache",
         "--entry", str(entry), "--output", str(page), "--ready", "Web Server is available",
         "--edits", str(edits), "--log", str(WORK / f"hugo-serve-{n}.log")],
        capture_output=True, text=True)
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return data.get("median_s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--edits", type=int, default=5)
    args = parser.parse_args()
    for n in args.sizes:
        hugo = measure_hugo(n, args.edits)
        rows = measure_chronicle(n, args.edits)
        print(f"\n### {n:,} entries (median of {args.edits} saves)\n")
        print("| change | chronicle save → page on disk | chronicle save → reload signal "
              "| hugo server save → page on disk |")
        print("|---|---:|---:|---:|")
        for name, page, signal_s in rows:
            peer = f"{hugo * 1000:.0f} ms" if hugo is not None and name == "entry body edit" else "–"
            print(f"| {name} | {page * 1000:.0f} ms | {signal_s * 1000:.0f} ms | {peer} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
