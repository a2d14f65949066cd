"""One process at a time writes an output folder: the lock, waiting, and staging folders
that belong to live or dead processes (issue 10, item 2)."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from chronicle_ssg.write import lock_file
from tests.conftest import build_to_disk, entry, make_site, read_tree
from tests.serve.serving import WAIT, running_chronicle


def chronicle(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "chronicle_ssg", *args, "--source", str(root)]


def many_entries(tmp_path: Path, count: int) -> Path:
    return make_site(tmp_path, {
        f"content/2024/2024-{1 + n % 12:02d}-{1 + n % 28:02d}-e{n}.md":
            entry(f"Entry {n}", date=f"2024-{1 + n % 12:02d}-{1 + n % 28:02d} 09:{n % 60:02d}",
                  tags=[f"t{n % 9}", f"u{n % 4}"], body=f"Paragraph of entry {n}.\n\n" * 12)
        for n in range(count)})


class HeldLock:
    """The output lock held by this test, as a build with `pid` would hold it."""

    def __init__(self, output: Path, pid: int = 424242, command: str = "build") -> None:
        self.fd = os.open(lock_file(output), os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        os.ftruncate(self.fd, 0)
        os.write(self.fd, f"{pid} {command}\n".encode())

    def release(self) -> None:
        os.close(self.fd)


def test_a_second_build_waits_for_the_first(tmp_path: Path, site_env: dict[str, str]) -> None:
    root = many_entries(tmp_path, 5)
    held = HeldLock(root / "output")
    process = subprocess.Popen(chronicle(root, "build"), env=site_env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        assert first.startswith("waiting for chronicle build (PID 424242) to finish with "
                                f"{root / 'output'}"), first
        assert process.poll() is None and not (root / "output").exists()
    finally:
        held.release()
    out, err = process.communicate(timeout=WAIT)
    assert process.returncode == 0, err
    assert "5 entries built; " in out and "Traceback" not in err
    assert read_tree(root / "output") == read_tree(build_to_disk(root, tmp_path / "expected"))


def test_no_wait_fails_at_once_naming_the_holder(tmp_path: Path, site_env: dict[str, str]) -> None:
    root = many_entries(tmp_path, 3)
    held = HeldLock(root / "output", command="serve")
    try:
        result = subprocess.run(chronicle(root, "build", "--no-wait"), env=site_env,
                                capture_output=True, text=True, timeout=WAIT)
    finally:
        held.release()
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {root / 'output'} is in use by chronicle serve "
                                    "(PID 424242)"), result.stderr
    assert "Traceback" not in result.stderr and not (root / "output").exists()


def test_two_builds_at_once_publish_one_complete_site(tmp_path: Path,
                                                      site_env: dict[str, str]) -> None:
    root = many_entries(tmp_path, 300)
    expected = read_tree(build_to_disk(root, tmp_path / "expected", use_cache=False))
    build = chronicle(root, "build", "--jobs", "1")
    subprocess.run(build, env=site_env, check=True, capture_output=True)
    # the first renders every page anew (another base URL); the second starts while the
    # first stages them. Unlocked, the second found nothing to do but removed the first
    # one's staging folder, and the first published what it staged after that.
    first = subprocess.Popen(build + ["--no-cache", "--base-url", "https://mirror.example.org/"],
                             env=site_env, text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    staging = root / f".output.staging-{first.pid}"
    while first.poll() is None and not staging.exists():
        pass  # busy-wait: staging starts late in the build
    second = subprocess.Popen(build, env=site_env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    results = [process.communicate(timeout=120) for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], results
    assert not any("Traceback" in err for _, err in results)
    assert read_tree(root / "output") == expected
    assert not list(root.glob(".output.staging-*"))
    third = subprocess.run(build, env=site_env, capture_output=True, text=True, check=True)
    assert third.stdout.startswith("nothing changed"), third.stdout


def test_a_staging_folder_is_removed_only_when_its_owner_is_gone(
        tmp_path: Path, site_env: dict[str, str]) -> None:
    root = many_entries(tmp_path, 2)
    build_to_disk(root)
    live = root / ".output.staging-77777"
    live.mkdir()
    (live / "half.html").write_text("being written")
    owner = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); "
         "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); sys.stdin.read()",
         str(live)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None and owner.stdout.readline() == "locked\n"
        (root / "content/2024/2024-01-01-e0.md").write_text(entry("Changed", "2024-01-01 09:00"))
        build_to_disk(root)
        assert (live / "half.html").read_text() == "being written"  # its owner is alive
    finally:
        owner.kill()
        owner.wait()
    build_to_disk(root)  # the owner died: now it is a leftover
    assert not live.exists()
    assert not list(root.glob(".output.staging-*"))


def test_serve_holds_the_output_and_a_build_waits_for_it(tmp_path: Path,
                                                         site_env: dict[str, str]) -> None:
    """The sequence of issue 10 item 4: with serve running, `build --drafts`, an edit, then
    `build` twice: the output equals a build without the cache, byte for byte."""
    root = make_site(tmp_path, {
        **{f"content/2025-03-{day:02d}-e{day}.md": entry(f"Entry {day}", f"2025-03-{day:02d} 09:00")
           for day in range(1, 6)},
        **{f"content/2025-04-{day:02d}-d{day}.md": entry(f"Draft {day}", f"2025-04-{day:02d} 09:00",
                                                         draft=True)
           for day in range(1, 6)},
        "chronicle.toml": 'title = "T"\nbase_url = "https://example.org/"\nentries_per_page = 2\n'})
    with running_chronicle(root, site_env, "serve", "--port", "0") as server:
        refused = subprocess.run(chronicle(root, "build", "--no-wait"), env=site_env,
                                 capture_output=True, text=True, timeout=WAIT)
        assert refused.returncode == 1
        assert f"is in use by chronicle serve (PID {server.process.pid})" in refused.stderr
        drafts = subprocess.Popen(chronicle(root, "build", "--drafts"), env=site_env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert drafts.stderr is not None
        assert drafts.stderr.readline().startswith(
            f"waiting for chronicle serve (PID {server.process.pid}) to finish with")
        server.stop(signal.SIGINT)
    out, err = drafts.communicate(timeout=WAIT)
    assert drafts.returncode == 0, err
    assert b"Page 1 of 5" in (root / "output/index.html").read_bytes()
    edited = root / "content/2025-03-03-e3.md"
    edited.write_text(entry("Entry 3 edited", "2025-03-03 09:00"))
    for _ in range(2):
        subprocess.run(chronicle(root, "build"), env=site_env, check=True, capture_output=True)
    subprocess.run(chronicle(root, "build", "--no-cache", "--output", str(tmp_path / "clean")),
                   env=site_env, check=True, capture_output=True)
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")
    assert b"Page 1 of 3" in (root / "output/index.html").read_bytes()


@pytest.mark.parametrize("command", [["build"], ["serve", "--port", "0"]])
def test_the_lock_is_released_when_its_holder_is_killed(tmp_path: Path, site_env: dict[str, str],
                                                        command: list[str]) -> None:
    root = many_entries(tmp_path, 2)
    held = subprocess.Popen(chronicle(root, "build", "--watch"), env=site_env, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert held.stderr is not None
    assert "watching" in held.stderr.readline()
    held.send_signal(signal.SIGKILL)
    held.wait()
    if command[0] == "build":
        subprocess.run(chronicle(root, *command, "--no-wait"), env=site_env, check=True,
                       capture_output=True, timeout=WAIT)
    else:
        with running_chronicle(root, site_env, *command, "--no-wait") as server:
            assert "serving http://" in server.stderr  # it started: the lock was free


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["build", "--watch"]])
def test_ctrl_c_while_waiting_for_the_lock_stops(tmp_path: Path, site_env: dict[str, str],
                                                 command: list[str]) -> None:
    root = many_entries(tmp_path, 2)
    held = HeldLock(root / "output")
    try:
        process = subprocess.Popen(chronicle(root, *command), env=site_env, text=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert process.stderr is not None
        assert process.stderr.readline().startswith("waiting for chronicle build (PID 424242)")
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=WAIT)
    finally:
        held.release()
    assert process.returncode == 0 and err.strip() == "stopped", err
    assert not (root / "output").exists()
