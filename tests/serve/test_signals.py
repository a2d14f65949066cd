"""Ctrl-C and SIGTERM at any moment of serve and build --watch: exit 0, no traceback,
output/ either the old site or the new one."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import entry, make_site, read_tree
from tests.serve.serving import WAIT, Running, running_chronicle, subprocess_env


@pytest.fixture
def site(tmp_path: Path) -> Path:
    files = {f"content/2025-03-{day:02d}-e{day}.md": entry(f"Entry {day}", f"2025-03-{day:02d} 10:00",
                                                           tags=["a", f"t{day % 3}"])
             for day in range(1, 29)}
    return make_site(tmp_path, files)


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["build", "--watch"]])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_right_after_the_ready_line_stops_cleanly(site: Path, site_env: dict[str, str],
                                                          command: list[str], sig: int) -> None:
    ready = "serving http://" if command[0] == "serve" else "watching"
    with running_chronicle(site, subprocess_env(site_env), *command, ready=ready) as running:
        assert running.stop(sig) == 0, running.stderr
        assert "Traceback" not in running.stderr


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2, 0.4, 0.8])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_start_up_stops_cleanly(site: Path, site_env: dict[str, str],
                                               delay: float, sig: int) -> None:
    """Whether the signal lands in the interpreter's start, the first build or the moment
    after the ready line, chronicle exits 0 and output/ is the old site or the new one."""
    subprocess.run([sys.executable, "-m", "chronicle_ssg", "build", "--quiet", "--source",
                    str(site)], check=True, env=site_env)
    before = read_tree(site / "output")
    (site / "content/2025-03-01-e1.md").write_text(entry("Renamed", "2025-03-01 10:00"), "utf-8")
    # -X importtime reports each import on stderr: the delay counts from chronicle's first
    # module, since a signal while the interpreter itself starts is Python's to handle
    process = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "chronicle_ssg", "serve",
                                "--port", "0", "--source", str(site)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, env=subprocess_env(site_env),
                               start_new_session=True)
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "chronicle_ssg.cli" in line:
            break
    time.sleep(delay)
    process.send_signal(sig)
    rest, = process.communicate(timeout=WAIT)[1:]
    stderr = "".join(seen) + rest
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    after = read_tree(site / "output")
    assert after == before or b"Renamed" in after["2025/03/01/e1/index.html"]
