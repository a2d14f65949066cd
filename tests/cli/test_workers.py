"""Worker processes of a parallel build leave quietly when the main process is gone.

A build killed with SIGKILL (the OOM killer, `kill -9`, a CI timeout) cannot stop its
workers; they must notice on their own, print nothing and exit.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import entry, make_site
from tests.serve.serving import processes_where, session_processes

ENTRIES = 600
WAIT = 60.0


def children_of(pid: int) -> list[int]:
    """Pids whose parent is pid (the pool workers of a build)."""
    return processes_where(1, pid)


def test_workers_exit_quietly_when_the_build_is_killed(tmp_path: Path,
                                                       site_env: dict[str, str]) -> None:
    files = {f"content/2025-03-{day:02d}-e{n:03d}.md":
             entry(f"Entry {n}", date=f"2025-03-{day:02d} 09:{n % 60:02d}", tags=[f"t{n % 40}"],
                   body="Some text with *emphasis* and a [link](https://example.org/).\n\n" * 20)
             for n in range(ENTRIES) for day in [1 + n % 28]}
    root = make_site(tmp_path, files)
    command = [sys.executable, "-m", "chronicle_ssg", "build", "--jobs", "2", "--source", str(root)]
    subprocess.run(command, env=site_env, check=True, capture_output=True)  # warm the cache
    shutil.rmtree(root / "output")  # every page to render again; parsing comes from the cache
    stderr = tmp_path / "stderr.txt"
    with stderr.open("w") as sink:
        build = subprocess.Popen(command, env=site_env, stdout=subprocess.DEVNULL, stderr=sink,
                                 start_new_session=True)
        deadline = time.monotonic() + WAIT
        while len(children_of(build.pid)) < 2 and build.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.005)
        workers = children_of(build.pid)
        assert len(workers) == 2, "the build ended before its workers were seen"
        time.sleep(0.2)  # mid-render: the workers hold slices of pages
        os.kill(build.pid, signal.SIGKILL)
        build.wait(timeout=WAIT)
        deadline = time.monotonic() + WAIT
        while session_processes(build.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert session_processes(build.pid) == []  # no worker left running
    text = stderr.read_text()
    assert "Traceback" not in text and "Error" not in text, text
