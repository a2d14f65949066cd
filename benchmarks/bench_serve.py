#!/usr/bin/env python3
"""Save-to-page and save-to-reload-signal latency of `chronicle serve`, beside `hugo server`.

    python benchmarks/bench_serve.py [N ...] [--edits 5]

For each archive size: starts `chronicle serve --port 0` on the generated corpus, listens
to its Server-Sent Events stream like a browser tab, then times four kinds of save:
an entry's body, an entry's tags, a new entry, a template. "page" is the time until
the rebuilt file on disk holds the change; "signal" is the time until the browser is
told to reload. The same four saves are then timed against `hugo server` (pages rendered
to disk) on Hugo's copy of the corpus from the shared peers harness (../shared/bench/peers).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from common import WORK, hugo_command, site


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
    """The file holds the marker (in any case: Hugo title-cases a new tag's name)."""
    try:
        return needle in path.read_text("utf-8", errors="replace").lower()
    except OSError:
        return False


def viewed_page(root: Path) -> str:
    """The URL of the entry the scenarios edit: the page the author has open."""
    entries = sorted((root / "content" / "entries").glob("*.md"))
    target = entries[len(entries) // 2]
    match = re.search(r"^date: (\d{4})-(\d{2})-(\d{2})", target.read_text("utf-8"), re.M)
    assert match
    return "/{}/{}/{}/{}/".format(*match.groups(), target.stem[11:])


def scenarios(content: Path, output: Path, edit_template: Callable[[str], None],
              ) -> dict[str, Callable[[int], tuple[Path, str]]]:
    """name -> function(i) that saves a change and returns (file to watch, marker).

    The same edits for chronicle and Hugo: `content` holds the entries, `output` is
    where the tool writes pages, `edit_template` puts a marker into the base template.
    """
    entries = sorted((content / "entries").glob("*.md"))
    target = entries[len(entries) // 2]
    original = target.read_text("utf-8")
    match = re.search(r"^date: (\d{4})-(\d{2})-(\d{2})", original, re.M)
    assert match
    page = output.joinpath(*match.groups(), target.stem[11:], "index.html")

    def body(i: int) -> tuple[Path, str]:
        marker = f"bodymarker{i}x"
        target.write_text(original + f"\nEdited paragraph {marker}.\n", "utf-8")
        return page, marker

    def tags(i: int) -> tuple[Path, str]:
        marker = f"tagmarker{i}x"
        target.write_text(original.replace("tags: [", f'tags: ["{marker}", ', 1), "utf-8")
        return output / "tags" / marker / "index.html", marker

    def new(i: int) -> tuple[Path, str]:
        marker = f"newmarker{i}x"
        (content / "entries" / f"2025-12-31-{marker}.md").write_text(
            f'---\ntitle: "New {marker}"\ndate: 2025-12-31T10:00:00+00:00\ntags: ["Policy"]\n'
            "---\n\nText.\n", "utf-8")
        return output / "2025" / "12" / "31" / marker / "index.html", marker

    def template(i: int) -> tuple[Path, str]:
        marker = f"templatemarker{i}x"
        edit_template(marker)
        return page, marker

    return {"entry body edit": body, "entry tags edit": tags, "new entry": new,
            "template edit": template}


def restore(content: Path, originals: dict[Path, bytes]) -> None:
    """Put the edited entries back and remove the new ones."""
    for path, data in originals.items():
        path.write_bytes(data)
    for path in (content / "entries").glob("2025-12-31-newmarker*.md"):
        path.unlink()


def time_saves(actions: dict[str, Callable[[int], tuple[Path, str]]], edits: int,
               signals: list[float] | None, gap: float,
               finished: Callable[[], int] | None = None) -> list[tuple[str, float, float, float]]:
    """Per scenario, the median times from save to page on disk, to reload signal (when
    `signals` are collected) and to every stale page on disk (`finished` counts the
    rebuilds that are complete)."""
    rows = []
    nan = float("nan")
    for name, action in actions.items():
        pages, reloads, complete = [], [], []
        for i in range(edits):
            seen = len(signals) if signals is not None else 0
            done = finished() if finished else 0
            start = time.monotonic()
            path, marker = action(i)
            if not wait_for(lambda: contains(path, marker)):
                raise SystemExit(f"{name}: change never reached {path}")
            pages.append(time.monotonic() - start)
            if signals is not None:
                wait_for(lambda: len(signals) > seen)
                reloads.append(signals[seen] - start if len(signals) > seen else nan)
            if finished is not None:
                wait_for(lambda: finished() > done)
                complete.append(time.monotonic() - start)
            time.sleep(gap)
        rows.append((name, statistics.median(pages), statistics.median(reloads) if reloads else nan,
                     statistics.median(complete) if complete else nan))
    return rows


def measure_chronicle(n: int, edits: int) -> list[tuple[str, float, float, float]]:
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
        theme_base = Path(__import__("chronicle_ssg").__file__).parent / "themes/default/templates/base.html"

        def edit_template(marker: str) -> None:
            (root / "templates").mkdir(exist_ok=True)
            (root / "templates" / "base.html").write_text(theme_base.read_text("utf-8").replace(
                "</footer>", f"<!-- {marker} --></footer>"), "utf-8")

        def finished() -> int:  # a rebuild is complete when no page is left for later
            log.seek(0)
            text = log.read()
            return len(re.findall(r"rebuilt in .* removed$", text, re.M)) + text.count(
                "other pages done")

        return time_saves(scenarios(root / "content", root / "output", edit_template), edits,
                          events.times, 0.5, finished)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(30)


def measure_hugo(n: int, edits: int) -> list[tuple[str, float, float, float]] | None:
    """The same saves against `hugo server` (pages written to disk), on Hugo's copy of the
    corpus made by the shared peers harness."""
    if hugo_command(n, WORK / "hugo-out") is None:
        return None
    peers = Path.home() / ".cache" / "chronicle-peers"
    hugo = peers / "hugo-venv/lib/python3.11/site-packages/hugo/binaries/hugo"
    hugo_site = peers / "site" / f"hugo-{n}"
    out = WORK / f"hugo-serve-{n}"
    for stale in (out, Path(f"{out}.cache")):
        shutil.rmtree(stale, ignore_errors=True)
    base = hugo_site / "layouts" / "baseof.html"
    entries = sorted((hugo_site / "content" / "entries").glob("*.md"))
    originals = {path: path.read_bytes() for path in (entries[len(entries) // 2], base)}
    log = open(WORK / f"hugo-serve-{n}.log", "w+")
    proc = subprocess.Popen([str(hugo), "server", "--source", str(hugo_site), "--destination",
                             str(out), "--port", "0", "--disableLiveReload", "--disableFastRender",
                             "--cacheDir", f"{out}.cache"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def ready() -> bool:
            log.seek(0)
            return "Web Server is available" in log.read()

        if not wait_for(ready, 1200, 0.1):
            raise SystemExit("hugo server did not start")
        time.sleep(2.0)

        def edit_template(marker: str) -> None:  # Go templates drop HTML comments
            base.write_text(originals[base].decode().replace(
                "<head>", f'<head><meta name="bench" content="{marker}">', 1), "utf-8")

        return time_saves(scenarios(hugo_site / "content", out, edit_template), edits, None, 2.0)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(30)
        restore(hugo_site / "content", originals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--edits", type=int, default=5)
    args = parser.parse_args()
    for n in args.sizes:
        hugo = {row[0]: row[1] for row in measure_hugo(n, args.edits) or []}
        rows = measure_chronicle(n, args.edits)
        print(f"\n### {n:,} entries (median of {args.edits} saves)\n")
        print("| change | chronicle: save → page on disk | save → reload signal "
              "| save → every page on disk | hugo server: save → page on disk |")
        print("|---|---:|---:|---:|---:|")
        for name, page, signal_s, complete in rows:
            peer = f"{hugo[name] * 1000:,.0f} ms" if name in hugo else "–"
            print(f"| {name} | {page * 1000:,.0f} ms | {signal_s * 1000:,.0f} ms "
                  f"| {complete * 1000:,.0f} ms | {peer} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
