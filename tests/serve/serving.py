"""Helpers for serve tests: run `chronicle serve` / `build --watch` as a subprocess and talk to it.

    with running_chronicle(site, site_env, "serve", "--port", "0") as server:
        server.url                     # http://127.0.0.1:PORT/sub/ as printed on stderr
        server.wait_for("rebuilt")     # a stderr line containing the text
        with EventStream(server, "/sub/__chronicle/events") as events:
            events.next_event()        # ("reload", {...})
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

#: generous bounds for a loaded CI machine; tests never assert on durations
WAIT = 20.0


@dataclass
class Running:
    """A chronicle subprocess with its stderr collected line by line."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    url: str = ""

    def read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, text: str, start: int = 0, timeout: float = WAIT) -> str:
        """The first stderr line (from index start) containing text; fails after timeout."""
        def found() -> str | None:
            return next((line for line in self.lines[start:] if text in line), None)
        with self.changed:
            self.changed.wait_for(lambda: found() is not None or self.process.poll() is not None,
                                  timeout)
            line = found()
        assert line is not None, f"no {text!r} on stderr:\n" + "\n".join(self.lines)
        return line

    @property
    def stderr(self) -> str:
        with self.changed:
            return "\n".join(self.lines)

    @property
    def host_port(self) -> tuple[str, int]:
        parts = urlsplit(self.url)
        return parts.hostname or "", parts.port or 80

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Send a signal (Ctrl-C by default) and wait for the exit code."""
        self.process.send_signal(sig)
        return self.process.wait(timeout=WAIT)


@contextlib.contextmanager
def running_chronicle(site: Path, env: dict[str, str], *args: str,
                      ready: str = "serving http://") -> Iterator[Running]:
    """Start `chronicle ARGS --source site` in its own session; wait for the ready line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "chronicle_ssg", *args, "--source", str(site)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
        cwd=site.parent, start_new_session=True)
    running = Running(process)
    reader = threading.Thread(target=running.read_stderr, daemon=True)
    reader.start()
    try:
        line = running.wait_for(ready)
        match = re.search(r"http://\S+", line)
        running.url = match.group(0) if match else ""
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=WAIT)
        reader.join(timeout=WAIT)


def processes_where(field: int, value: int) -> list[int]:
    """Live pids whose /proc stat field (after the name: 1 parent, 3 session) is value."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[field]) == value and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


def session_processes(session_id: int) -> list[int]:
    """Pids still alive in a process session (children a server might have left)."""
    return processes_where(3, session_id)


def fetch(server: Running, path: str, method: str = "GET", host: str | None = None,
          ) -> tuple[int, dict[str, str], bytes]:
    """One request with the path sent exactly as given (no normalisation); `host` replaces
    the Host header http.client would send."""
    connection = http.client.HTTPConnection(*server.host_port, timeout=WAIT)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True, skip_host=host is not None)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


class EventStream:
    """A Server-Sent Events client on http.client, reading with a timeout."""

    def __init__(self, server: Running, path: str) -> None:
        self.connection = http.client.HTTPConnection(*server.host_port, timeout=WAIT)
        self.connection.request("GET", path)
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type") == "text/event-stream"

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.response.close()  # it holds the socket open after the connection lets go of it
        self.connection.close()

    def wait_connected(self) -> list[tuple[str, dict]]:
        """Read up to the server's `: connected` comment; events sent before it come back."""
        events: list[tuple[str, dict]] = []
        name, data = "", ""
        while True:
            line = self.response.readline().decode("utf-8").rstrip("\n")
            if line == ": connected":
                return events
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif not line and name:
                events.append((name, json.loads(data or "{}")))
                name, data = "", ""

    def next_event(self) -> tuple[str, dict]:
        """The next named event (comments and keep-alives skipped)."""
        name, data = "", ""
        while True:
            raw = self.response.readline()
            assert raw, "event stream closed"
            line = raw.decode("utf-8").rstrip("\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif not line and name:
                return name, json.loads(data or "{}")


def subprocess_env(env: dict[str, str]) -> dict[str, str]:
    """The site_env, unbuffered so that log lines arrive as they are written."""
    return {**env, "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
