"""`chronicle serve` under abuse: idle sockets, long paths, foreign Host headers, flaky disks.

Idle connections cannot pile up threads (the longest-idle one makes room), live-reload
streams keep working through a flood and have a share of their own, impossible paths get
404 and huge ones 414, a page elsewhere on the web cannot read the drafts through DNS
rebinding (its Host header names it), and a rebuild that fails for a transient reason is
tried again before it is reported.
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import entry, make_site, write_files
from serving import WAIT, EventStream, Running, fetch, running_chronicle, subprocess_env

CONFIG = '''\
title = "Served"
base_url = "https://example.org/sub/"
author = "Test Author"
timezone = "UTC"
'''
CALL = "content/2025-03-18-call.md"
EVENTS = "/sub/__chronicle/events"
IDLE_SOCKETS = 2000


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path, {
        CALL: entry("The call", body="The original text."),
        "content/2025-03-19-plan.md": entry("The plan", date="2025-03-19 09:00", draft=True),
    }, config=CONFIG)


@pytest.fixture
def server(site: Path, site_env: dict[str, str]) -> Iterator[Running]:
    with running_chronicle(site, subprocess_env(site_env), "serve", "--drafts",
                           "--port", "0") as running:
        yield running
        assert running.stop() == 0
        assert "Traceback" not in running.stderr


def thread_count(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))


def test_idle_connections_do_not_pile_up_threads(server: Running, site: Path) -> None:
    from chronicle_ssg.serve import MAX_CONNECTIONS
    with EventStream(server, EVENTS) as events:
        events.wait_connected()
        idle = []
        try:
            for _ in range(IDLE_SOCKETS):  # connect and say nothing, as a slowloris does
                idle.append(socket.create_connection(server.host_port, timeout=WAIT))
            status, _, body = fetch(server, "/sub/")  # queued behind all of them
            assert status == 200 and b"The call" in body
            assert thread_count(server.process.pid) <= MAX_CONNECTIONS + 10
            # the live-reload stream is busy, not idle: it was not closed to make room
            write_files(site, {CALL: entry("The call", body="Edited during the flood.")})
            assert events.next_event()[0] == "reload"
        finally:
            for connection in idle:
                connection.close()
    assert fetch(server, "/sub/2025/03/18/call/")[0] == 200


def test_live_reload_streams_have_a_share_not_every_slot(server: Running) -> None:
    from chronicle_ssg.serve import MAX_EVENT_STREAMS
    streams = [EventStream(server, EVENTS) for _ in range(MAX_EVENT_STREAMS)]
    try:
        for stream in streams:
            stream.wait_connected()
        assert fetch(server, EVENTS)[0] == 503  # one tab too many: it just does not reload
        assert fetch(server, "/sub/")[0] == 200
    finally:
        for stream in streams:
            stream.__exit__()


@pytest.mark.parametrize("path", ["/sub/" + "a" * 300, "/sub/" + "a" * 300 + "/",
                                  "/sub/2025/" + "%C3%A9" * 130 + "/index.html",
                                  "/sub/" + "/".join(["b" * 250] * 20)])
def test_a_path_no_file_system_can_hold_gets_404(server: Running, path: str) -> None:
    status, headers, _ = fetch(server, path)
    assert (status, headers["content-type"]) == (404, "text/html; charset=utf-8")


def test_a_huge_url_gets_414(server: Running) -> None:
    assert fetch(server, "/sub/?q=" + "x" * 10_000)[0] == 414
    assert fetch(server, "/sub/")[0] == 200


def test_resolve_request_says_no_to_an_overlong_segment(tmp_path: Path) -> None:
    from chronicle_ssg.serve import resolve_request
    (tmp_path / "index.html").write_text("home")
    assert resolve_request(tmp_path, "", "/" + "a" * 256) is None
    assert resolve_request(tmp_path, "", "/" + "a" * 256 + "/") is None
    assert resolve_request(tmp_path, "", "/") == (tmp_path / "index.html").resolve()


@pytest.mark.parametrize("host", ["evil.example:{port}", "evil.example", "127.0.0.1.evil.example:{port}",
                                  "localhost.evil.example:{port}", "", "[::1"])
def test_a_foreign_host_header_is_refused(server: Running, host: str) -> None:
    """DNS rebinding: a page at evil.example points its name at 127.0.0.1 and reads."""
    port = server.host_port[1]
    for path in ("/sub/", "/sub/2025/03/19/plan/", EVENTS):
        status, _, body = fetch(server, path, host=host.format(port=port))
        assert status == 403 and b"The plan" not in body


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LocalHost:{port}",
                                  "[::1]:{port}", "localhost", "127.0.0.1"])
def test_the_servers_own_names_are_served(server: Running, host: str) -> None:
    status, _, body = fetch(server, "/sub/2025/03/19/plan/", host=host.format(port=server.host_port[1]))
    assert status == 200 and b"The plan" in body


@pytest.mark.parametrize("header, bound, allowed", [
    ("192.168.1.20:8000", "0.0.0.0", True),  # a phone on the network, --host 0.0.0.0
    ("[fe80::1]:8000", "::", True),
    ("evil.example:8000", "0.0.0.0", False),
    ("192.168.1.20:8000", "127.0.0.1", False),
    ("preview.lan:8000", "preview.lan", True),  # --host names the machine
    ("[::1]:8000", "::1", True),
    ("evil.example:80@127.0.0.1", "127.0.0.1", False),  # user@host: only the name counts
    ("127.0.0.1/evil", "127.0.0.1", False),
    (None, "127.0.0.1", True),  # HTTP/1.0 tools send none; browsers always do
])
def test_host_allowed(header: str | None, bound: str, allowed: bool) -> None:
    from chronicle_ssg.serve import host_allowed
    assert host_allowed(header, bound) is allowed


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_serves_on_ipv6_loopback(site: Path, site_env: dict[str, str]) -> None:
    with running_chronicle(site, subprocess_env(site_env), "serve", "--host", "::1",
                           "--port", "0") as running:
        assert running.url.startswith("http://[::1]:")
        assert fetch(running, "/sub/")[0] == 200  # Host: [::1]:PORT
        assert fetch(running, "/sub/", host="evil.example")[0] == 403
        assert running.stop() == 0


# -- a rebuild that fails for a passing reason -------------------------------------------


class FlakySession:
    """A session whose rebuild fails `failures` times, as when file descriptors run out."""

    def __init__(self, failures: list[BaseException]) -> None:
        self.failures = failures
        self.calls = 0
        self.behind = False
        self.loaded = SimpleNamespace(sources=SimpleNamespace(theme_dir=None))

    def rebuild(self, batch: set[str], first: object = None) -> SimpleNamespace:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return SimpleNamespace(seconds=0.01, rendered=1, writes={"index.html": b""}, deletes=(),
                               unfinished=False, empty=False, css_only=False)

    def flush_manifest(self) -> None:
        pass

    def overdue(self) -> None:  # nothing scheduled becomes due
        return None


class OneBatchWatcher:
    def __init__(self, stop: threading.Event) -> None:
        self.stop, self.batches = stop, [{"content/a.md"}]

    def next_batch(self) -> set[str]:
        if not self.batches:
            self.stop.set()
            return set()
        return self.batches.pop()

    def watch(self, folder: object) -> None:
        pass

    def has_events(self) -> bool:
        return False


def _run_loop(session: FlakySession, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from chronicle_ssg import serve
    monkeypatch.setattr(serve.time, "sleep", lambda seconds: None)
    stop = threading.Event()
    broadcaster = serve.Broadcaster()
    log: list[str] = []
    serve.rebuild_loop(session, OneBatchWatcher(stop), broadcaster, log.append, stop)  # type: ignore[arg-type]
    return log + [f"event {broadcaster.current()[1][0]}"]


def test_a_rebuild_that_runs_out_of_file_descriptors_is_tried_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from chronicle_ssg.errors import BuildFailed, ContentError, SourceLocation
    too_many = OSError(errno.EMFILE, "Too many open files")
    unreadable = BuildFailed([ContentError("cannot read: Too many open files",
                                           SourceLocation(Path("content/a.md")))])
    session = FlakySession([too_many, unreadable])
    log = _run_loop(session, monkeypatch)
    assert session.calls == 3
    assert [line.split(";")[0] for line in log[:2]] == ["rebuild failed (Too many open files)"] * 2
    assert log[2].startswith("rebuilt in") and log[-1] == "event reload"


def test_a_rebuild_that_keeps_failing_is_reported_after_the_retries(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from chronicle_ssg.serve import RETRY_DELAYS
    session = FlakySession([OSError(errno.EMFILE, "Too many open files")] * 10)
    log = _run_loop(session, monkeypatch)
    assert session.calls == len(RETRY_DELAYS) + 1
    assert log[-2] == "internal error: OSError: [Errno 24] Too many open files"
    assert log[-1] == "event error-report"


def test_a_real_error_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from chronicle_ssg.errors import BuildFailed, FrontMatterError, SourceLocation
    broken = BuildFailed([FrontMatterError("invalid YAML", SourceLocation(Path("content/a.md"), 2))])
    session = FlakySession([broken])
    log = _run_loop(session, monkeypatch)
    assert session.calls == 1
    assert log[0].startswith("content/a.md:2: error: invalid YAML")
    assert log[-1] == "event error-report"


def test_connection_slots_wait_for_a_busy_connection_then_give_up() -> None:
    from chronicle_ssg.serve import ConnectionSlots
    slots = ConnectionSlots(limit=2, streams=1)
    first, second = socket.socket(), socket.socket()
    with first, second:
        assert slots.admit(0) and slots.admit(0)
        assert slots.set_busy(first) and slots.set_busy(second)
        assert not slots.admit(0.01)  # the server answers this one 503
        slots.release(first)  # a request ends and its connection closes: room again
        assert slots.admit(0)
        assert slots.open_stream() and not slots.open_stream()


def test_the_longest_idle_connection_makes_room_for_a_new_one() -> None:
    from chronicle_ssg.serve import ConnectionSlots
    slots = ConnectionSlots(limit=1, streams=1)
    idle, peer = socket.socketpair()
    with idle, peer:
        assert slots.admit(0) and slots.set_idle(idle)
        # the idle connection's thread: its read ends when the connection is closed for room
        handler = threading.Thread(target=lambda: (idle.settimeout(WAIT), idle.recv(1),
                                                   slots.release(idle)))
        handler.start()
        assert slots.admit(WAIT)
        handler.join(WAIT)
        assert peer.recv(1) == b""  # the client saw its idle connection closed


@pytest.fixture
def in_process(tmp_path: Path) -> Iterator[SimpleNamespace]:
    """A server on a folder with one page, in this process, so its limits can be small."""
    from chronicle_ssg.serve import Broadcaster, bind_server, make_handler
    (tmp_path / "index.html").write_text("<p>home</p>")
    broadcaster = Broadcaster()
    handler = make_handler(tmp_path, "", broadcaster)
    server = bind_server("127.0.0.1", 0, handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield SimpleNamespace(server=server, handler=handler, host_port=server.server_address[:2])
    finally:
        broadcaster.close()
        server.shutdown()
        server.server_close()


def test_a_silent_connection_is_closed_after_the_idle_timeout(
        in_process: SimpleNamespace) -> None:
    in_process.handler.timeout = 0.2
    with socket.create_connection(in_process.host_port, timeout=WAIT) as silent:
        assert silent.recv(1) == b""  # closed by the server, not by the test's timeout
    assert in_process.server.slots.count == 0 or _eventually(lambda: in_process.server.slots.count == 0)


def test_a_connection_beyond_the_cap_gets_a_clean_503(in_process: SimpleNamespace) -> None:
    from chronicle_ssg.serve import ConnectionSlots
    in_process.server.slots = ConnectionSlots(limit=1, streams=1)
    in_process.server.admit_wait = 0.05
    with EventStream(in_process, "/__chronicle/events") as events:  # type: ignore[arg-type]
        events.wait_connected()  # holds the only slot, busy
        status, headers, body = fetch(in_process, "/")  # type: ignore[arg-type]
        assert (status, headers["retry-after"], body) == (503, "1", b"too many connections\n")
    assert _eventually(lambda: fetch(in_process, "/")[0] == 200)  # type: ignore[arg-type]


def _eventually(condition: Callable[[], bool]) -> bool:
    """Whether condition() holds within WAIT seconds (a thread ending frees its slot)."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
