"""`chronicle serve` and `chronicle build --watch`: rebuild on change, reload browsers.

The server serves output/ under the base path (pretty URLs, the site's 404.html, no
path outside output/), and injects a small reload script into HTML responses only:
the files on disk never contain it. Browsers listen on a Server-Sent Events stream;
after a rebuild they reload (keeping their scroll position), or swap stylesheets when
only CSS changed, or show an overlay with the error when the rebuild failed.
"""

from __future__ import annotations

import errno
import html
import ipaddress
import json
import mimetypes
import os
import posixpath
import re
import select
import socket
import sys
import threading
import time
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

from chronicle_ssg.build import BuildOptions
from chronicle_ssg.errors import BuildFailed, ChronicleError, ChronicleWarning, counted
from chronicle_ssg.render import BUILTIN_DIR

if TYPE_CHECKING:  # imported lazily at run time: serve pulls in watchdog only when used
    from chronicle_ssg.build import BuildResult
    from chronicle_ssg.stopping import StopRequest
    from chronicle_ssg.session import SiteSession
    from chronicle_ssg.watch import Watcher

T = TypeVar("T")
EVENTS_PATH = "/__chronicle/events"
SCRIPT_PATH = "/__chronicle/livereload.js"
#: Python's own table only: /etc/mime.types differs between machines
MIME_TYPES = mimetypes.MimeTypes(filenames=())
#: connections served at once, each by a thread; the longest idle one makes room for a new one
MAX_CONNECTIONS = 64
#: of those, live-reload streams (one per open tab), so that pages always have room
MAX_EVENT_STREAMS = 32
#: seconds a connection may wait for its next request, or stall one read or write
IDLE_TIMEOUT = 10.0
#: seconds a new connection waits for a busy one to finish before it gets 503
ADMIT_WAIT = 5.0
#: connections the kernel queues until they are accepted: a burst waits instead of failing
LISTEN_BACKLOG = 1024
#: bytes of a request target; longer gets 414 (no file path on disk is that long)
MAX_TARGET = 8192
#: bytes of one path segment: no file system has longer names, so such a page cannot exist
MAX_SEGMENT = 255
#: what a Host header may hold: a name, an IPv4 address or a bracketed IPv6 one, a port
HOST_HEADER = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
#: errors of a rebuild that a moment's wait may cure (file descriptors or memory run short)
TRANSIENT_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.EAGAIN, errno.ENOMEM,
                              errno.ENOBUFS, errno.EINTR})
#: seconds between checks that a live-reload stream's browser is still there
HANGUP_CHECK = 1.0
#: seconds of silence on a live-reload stream before a comment keeps proxies from closing it
KEEP_ALIVE = 15.0
#: seconds to wait before each retry of a rebuild that failed for a transient reason
RETRY_DELAYS = (0.1, 0.5, 2.0)


class Broadcaster:
    """Hands each browser the latest event; a generation counter avoids lost wake-ups."""

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.generation = 0
        self.event: tuple[str, str] = ("ok", "{}")
        self.closed = False
        self.viewers: Counter[str] = Counter()  #: request path of each page listening

    def viewed(self) -> list[str]:
        """The pages open in browsers now (their request paths)."""
        with self.condition:
            return sorted(self.viewers)

    def watch_page(self, page: str, delta: int) -> None:
        with self.condition:
            self.viewers[page] += delta
            if self.viewers[page] <= 0:
                del self.viewers[page]

    def publish(self, name: str, data: dict | None = None) -> None:
        with self.condition:
            self.generation += 1
            self.event = (name, json.dumps(data or {}))
            self.condition.notify_all()

    def current(self) -> tuple[int, tuple[str, str]]:
        """The generation and the latest event, read together."""
        with self.condition:
            return self.generation, self.event

    def wait(self, seen: int, timeout: float = 15.0) -> tuple[int, tuple[str, str] | None]:
        with self.condition:
            self.condition.wait_for(lambda: self.generation != seen or self.closed, timeout)
            if self.generation == seen or self.closed:
                return seen, None
            return self.generation, self.event

    def close(self) -> None:
        with self.condition:
            self.closed = True
            self.condition.notify_all()


class ConnectionSlots:
    """Bounds the connections served at once, so idle sockets cannot pile up threads.

    Each connection is idle (waiting for its next request) or busy (a request, or a
    live-reload stream). A new connection over the limit closes the longest-idle one and
    takes its place; when every connection is busy it waits a little, then gets 503.
    """

    def __init__(self, limit: int = MAX_CONNECTIONS, streams: int = MAX_EVENT_STREAMS) -> None:
        self.changed = threading.Condition()
        self.limit, self.stream_limit = limit, streams
        self.count = 0
        self.streams = 0
        self.idle: dict[socket.socket, None] = {}  #: oldest first
        self.evicted: set[socket.socket] = set()

    def admit(self, wait: float = ADMIT_WAIT) -> bool:
        """Take a slot for a new connection; False when none came free in time."""
        deadline = time.monotonic() + wait
        with self.changed:
            while self.count >= self.limit:
                if self.idle and not self.evicted:
                    self._evict(next(iter(self.idle)))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.changed.wait(min(remaining, 0.05))
            self.count += 1
            return True

    def _evict(self, connection: socket.socket) -> None:
        del self.idle[connection]
        self.evicted.add(connection)
        try:  # wakes its thread, blocked reading, which then ends and frees the slot
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def release(self, connection: socket.socket) -> None:
        with self.changed:
            self.count -= 1
            self.idle.pop(connection, None)
            self.evicted.discard(connection)
            self.changed.notify_all()

    def set_idle(self, connection: socket.socket) -> bool:
        """The connection waits for its next request; False when it was closed to make room."""
        with self.changed:
            if connection in self.evicted:
                return False
            self.idle[connection] = None
            self.changed.notify_all()
            return True

    def set_busy(self, connection: socket.socket) -> bool:
        """A request arrived; False when the connection was closed to make room meanwhile."""
        with self.changed:
            if connection in self.evicted:
                return False
            self.idle.pop(connection, None)
            return True

    def open_stream(self) -> bool:
        with self.changed:
            if self.streams >= self.stream_limit:
                return False
            self.streams += 1
            return True

    def close_stream(self) -> None:
        with self.changed:
            self.streams -= 1


def host_allowed(header: str | None, bound_host: str) -> bool:
    """Whether a Host header names this server.

    A web page can point its own host name at 127.0.0.1 (DNS rebinding) and then read
    what serve answers, drafts included; its requests still carry its own name. So only
    loopback names, the address serve was told to listen on and, when that is every
    address (0.0.0.0), IP literals and this machine's name are served. The port is not
    checked: a name alone decides whose page asks, and port forwarding changes ports.
    """
    if header is None:  # HTTP/1.0 tools; browsers always send a Host
        return True
    if not HOST_HEADER.fullmatch(header.strip()):  # no user@host or paths: one name, one port
        return False
    try:
        name = urlsplit("//" + header.strip()).hostname or ""
    except ValueError:
        return False
    name = name.rstrip(".")
    bound = bound_host.strip("[]").lower()
    if name in ("localhost", "127.0.0.1", "::1", bound):
        return True
    if bound not in ("", "0.0.0.0", "::"):
        return False
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        machine = socket.gethostname().lower()
        return name in (machine, machine + ".local")


def resolve_request(output_dir: Path, base_path: str, raw_path: str) -> Path | None:
    """The file to serve for a request path, or None (missing, or outside output/)."""
    path = unquote(urlsplit(raw_path).path, errors="strict")
    if "\x00" in path or "\\" in path:
        return None
    if base_path:
        if path == base_path:
            path += "/"
        if not path.startswith(base_path + "/"):
            return None
        path = path[len(base_path):]
    parts = [p for p in path.split("/") if p]
    if any(p in ("..", ".") for p in parts) or posixpath.isabs("".join(parts[:1])):
        return None
    if any(len(p.encode("utf-8", "surrogateescape")) > MAX_SEGMENT for p in parts):
        return None  # no such file can exist; asking the file system would fail, not say no
    candidate = output_dir.joinpath(*parts)
    try:
        if path.endswith("/") or candidate.is_dir():  # the handler redirects folders to "/"
            candidate = candidate / "index.html"
        real = candidate.resolve(strict=True)
        if not real.is_relative_to(output_dir.resolve()) or not real.is_file():
            return None
    except (OSError, RuntimeError):  # a path too long, a link loop: no page there
        return None
    return real


def inject_script(page: bytes, base_path: str) -> bytes:
    """Add the reload script before </body> (serve mode only)."""
    base = html.escape(base_path, quote=True)
    tag = (f'<script src="{base}{SCRIPT_PATH}" data-events="{base}{EVENTS_PATH}">'
           f"</script>").encode()
    index = page.rfind(b"</body>")
    return page[:index] + tag + page[index:] if index >= 0 else page + tag


def content_type(name: str) -> str:
    """The Content-Type for a file name; text types say UTF-8."""
    kind = MIME_TYPES.guess_type(name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/xml", "application/json",
                                            "application/javascript", "image/svg+xml"):
        kind += "; charset=utf-8"
    return kind


def make_handler(output_dir: Path, base_path: str, broadcaster: Broadcaster,
                 before_serving: Callable[[str], None] = lambda name: None) -> type:
    """The request handler; `before_serving(name)` may bring a file in output/ up to date."""
    real_output = output_dir.resolve()

    class Handler(BaseHTTPRequestHandler):
        server_version = "chronicle"
        protocol_version = "HTTP/1.1"
        timeout = IDLE_TIMEOUT  #: for each read and write: a silent client is let go
        server: _Server

        def log_message(self, format: str, *args: object) -> None:  # quiet by default
            pass

        def handle(self) -> None:
            """Requests one after another; between them the connection may be closed for room."""
            slots = self.server.slots
            self.close_connection = True
            while slots.set_idle(self.connection):
                self.handle_one_request()
                if self.close_connection:
                    break

        def parse_request(self) -> bool:
            if not self.server.slots.set_busy(self.connection):
                self.close_connection = True
                return False
            return super().parse_request()

        def do_HEAD(self) -> None:
            self.do_GET(head=True)

        def do_GET(self, head: bool = False) -> None:
            if not host_allowed(self.headers.get("Host"), self.server.host):
                self.close_connection = True
                return self.send_bytes(
                    HTTPStatus.FORBIDDEN, b"chronicle serve answers only requests for its own "
                    b"address, such as 127.0.0.1 or localhost\n", "text/plain; charset=utf-8",
                    head)
            if len(self.path) > MAX_TARGET:
                self.close_connection = True
                return self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            path = urlsplit(self.path).path
            if path == base_path + EVENTS_PATH:
                if head:  # the headers of the stream, without holding the connection open
                    return self.send_bytes(HTTPStatus.OK, b"", "text/event-stream", head)
                return self.stream_events()
            if path == base_path + SCRIPT_PATH:
                return self.send_bytes(HTTPStatus.OK, (BUILTIN_DIR / "livereload.js").read_bytes(),
                                       "text/javascript; charset=utf-8", head)
            try:
                target = resolve_request(output_dir, base_path, self.path)
            except UnicodeDecodeError:
                target = None
            if target is None:
                missing = output_dir / "404.html"
                body = missing.read_bytes() if missing.is_file() else b"<h1>Not found</h1>"
                return self.send_bytes(HTTPStatus.NOT_FOUND, inject_script(body, base_path),
                                       "text/html; charset=utf-8", head)
            if target.name == "index.html" and not path.endswith(("/", "/index.html")):
                query = urlsplit(self.path).query
                return self.redirect(path + "/" + (f"?{query}" if query else ""))
            before_serving(target.relative_to(real_output).as_posix())
            body = target.read_bytes()
            kind = content_type(target.name)
            if kind.startswith("text/html"):
                body = inject_script(body, base_path)
            self.send_bytes(HTTPStatus.OK, body, kind, head)

        def redirect(self, location: str) -> None:
            """A folder asked for without its slash: relative links need the slash."""
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def send_bytes(self, status: HTTPStatus, body: bytes, kind: str, head: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def stream_events(self) -> None:
            slots = self.server.slots
            if not slots.open_stream():  # the tab still works; it just does not reload
                self.close_connection = True
                return self.send_bytes(HTTPStatus.SERVICE_UNAVAILABLE,
                                       b"too many live-reload streams\n",
                                       "text/plain; charset=utf-8", False)
            page = parse_qs(urlsplit(self.path).query).get("page", [""])[0]
            if page:
                broadcaster.watch_page(page, 1)
            try:
                self.send_events()
            finally:
                if page:
                    broadcaster.watch_page(page, -1)
                slots.close_stream()

        def send_events(self) -> None:
            # before the headers: a client that has them gets every event published after
            seen, (name, data) = broadcaster.current()
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                if name == "error-report":  # a page opened while the build is broken
                    self.wfile.write(f"event: {name}\ndata: {data}\n\n".encode())
                self.wfile.write(b": connected\n\n")
                self.wfile.flush()
                quiet = 0.0
                while not broadcaster.closed:
                    seen, event = broadcaster.wait(seen, timeout=HANGUP_CHECK)
                    if event:
                        message, quiet = f"event: {event[0]}\ndata: {event[1]}\n\n", 0.0
                    elif self.client_left():
                        return
                    elif (quiet := quiet + HANGUP_CHECK) >= KEEP_ALIVE:
                        message, quiet = ": keep-alive\n\n", 0.0
                    else:
                        continue
                    self.wfile.write(message.encode())
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, OSError):
                return
            self.close_connection = True

        def client_left(self) -> bool:
            """Whether the browser closed the stream (a tab closed or reloaded): the slot
            is freed within a second instead of at the next failed write."""
            try:
                readable, _, _ = select.select([self.connection], [], [], 0)
                return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
            except OSError:
                return True

    return Handler


#: sent on a connection refused for lack of room, before it is closed
BUSY_RESPONSE = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 b"Content-Length: 21\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
                 b"too many connections\n")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # an idle keep-alive connection must not delay Ctrl-C
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG
    admit_wait = ADMIT_WAIT

    def __init__(self, address: tuple[str, int], handler: type) -> None:
        self.slots = ConnectionSlots()
        self.host = address[0]  #: as given to --host (a name stays a name)
        if ":" in address[0]:  # --host ::1
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        if not self.slots.admit(self.admit_wait):
            try:  # a fresh socket's buffer has room: this never blocks the accepting thread
                request.setblocking(False)
                request.send(BUSY_RESPONSE)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:  # no thread started: nobody else frees the slot
            self.slots.release(request)
            raise

    def process_request_thread(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release(request)

    def handle_error(self, request: object, client_address: object) -> None:
        """A browser that goes away mid-response is normal; anything else is one line."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            return
        _log(f"internal error while serving {client_address}: {type(error).__name__}: {error}")


def bind_server(host: str, port: int, handler: type, tries: int = 10) -> _Server:
    """Bind to the port, or the next free one (said clearly); port 0 picks any."""
    last: OSError | None = None
    for candidate in ([port] if port == 0 else range(port, port + tries)):
        try:
            server = _Server((host, candidate), handler)
        except OSError as exc:
            last = exc
            continue
        if candidate != port:
            print(f"port {port} is in use; serving on port {candidate} instead", file=sys.stderr)
        return server
    raise ChronicleError(f"cannot listen on {host}:{port}: {last.strerror if last else ''}",
                         hint="pass another --port, or --port 0 for any free port")


def _report(exc: BuildFailed | ChronicleError) -> dict[str, object]:
    """The overlay's payload: the terminal's text, and each error's file, line and message."""
    errors = exc.errors if isinstance(exc, BuildFailed) else [exc]
    return {"text": exc.format(), "errors": [e.to_dict() for e in errors]}


#: deferred pages rendered per step: small enough that a new save is not kept waiting
PENDING_STEP = 50


def rebuild_loop(session: "SiteSession", watcher: "Watcher", broadcaster: Broadcaster | None,
                 log: Callable[[str], None], stop: threading.Event,
                 viewed: Callable[[], set[str]] | None = None) -> None:
    """Rebuild after every batch of changes until stopped; errors keep the last good site.

    With `viewed` (the output paths open in browsers), the pages browsers show are
    rendered before they are told to reload, and the rest of the stale pages after,
    a step at a time, while no new change is waiting. When time alone changes the site (a
    scheduled entry is due, live coverage ends), it rebuilds without a change, once per
    such moment (a failed rebuild is not retried until the next change).
    """
    tried: object = None
    indexer: threading.Thread | None = None
    while not stop.is_set():
        batch = watcher.next_batch()
        if not batch:
            due = session.overdue()
            if due is None or due == tried:
                continue
            tried, batch = due, set()
        delta = _reporting(lambda: session.rebuild(batch, viewed() if viewed else None),
                           log, broadcaster)
        if delta is None:
            continue
        watcher.watch(session.loaded.sources.theme_dir)  # chronicle.toml may name another theme
        log(f"rebuilt in {delta.seconds * 1000:.0f} ms: {counted(delta.rendered, 'page')} rendered, "
            f"{len(delta.writes)} written, {len(delta.deletes)} removed"
            + ("; other pages follow" if delta.unfinished else ""))
        if broadcaster and (not delta.empty or not delta.unfinished):
            broadcaster.publish("css" if delta.css_only else "reload" if not delta.empty else "ok",
                                {"written": len(delta.writes)})
        started, written = time.perf_counter(), 0
        while session.behind and not stop.is_set() and not watcher.has_events():
            step = _reporting(lambda: session.render_pending(PENDING_STEP), log, broadcaster)
            if step is None:
                break
            written += step
        if session.behind:
            continue  # a new change came, or a page failed: the next rebuild takes them over
        if delta.unfinished:
            log(f"other pages done in {(time.perf_counter() - started) * 1000:.0f} ms: "
                f"{written} written")
            if broadcaster and delta.empty:  # nobody was told yet: tell them now
                broadcaster.publish("reload" if written else "ok", {"written": written})
        if indexer is None or not indexer.is_alive():  # the search index last, beside
            indexer = threading.Thread(target=_index_search, daemon=True,  # the next rebuilds
                                       args=(session, log, broadcaster, stop))
            indexer.start()
        session.flush_manifest()


def transient_reason(exc: BaseException) -> str | None:
    """Why a rebuild failed, when waiting a moment may cure it (no file descriptors or
    memory left, for instance while a browser holds many connections); else None."""
    if isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS:
        return os.strerror(exc.errno)
    if isinstance(exc, MemoryError):
        return "out of memory"
    if isinstance(exc, BuildFailed):
        return next(filter(None, map(transient_reason, exc.errors)), None)
    if isinstance(exc, ChronicleError):
        cause = exc.__cause__ or exc.__context__
        if cause is not None:
            return transient_reason(cause)
        # stages report a file they could not read by its strerror text, without the errno
        return next((os.strerror(code) for code in sorted(TRANSIENT_ERRNOS)
                     if os.strerror(code) in exc.message), None)
    return None


def _index_search(session: "SiteSession", log: Callable[[str], None],
                  broadcaster: Broadcaster | None, stop: threading.Event) -> None:
    """Bring the search index up to date with the pages, in its own thread: at thousands
    of entries Pagefind takes seconds, and saves made meanwhile must not wait for it.
    A run overtaken by newer pages is dropped (refresh_search) and done again here."""
    while session.search_stale and not stop.is_set():
        started = time.perf_counter()
        if _reporting(session.refresh_search, log, broadcaster) is None:
            return  # failed: shown like a build error; the next rebuild tries again
        if not session.search_stale:
            log(f"search index updated in {(time.perf_counter() - started) * 1000:.0f} ms")
            session.flush_manifest()


def _reporting(action: Callable[[], T], log: Callable[[str], None],
               broadcaster: Broadcaster | None) -> T | None:
    """Run a rebuild step; a failure is logged and shown in browsers, and gives None.

    A failure for a transient reason is tried again a few times, waiting longer each
    time, before it is reported: the rebuild keeps its state when it fails.
    """
    for delay in (*RETRY_DELAYS, None):
        try:
            return action()
        except Exception as exc:
            reason = transient_reason(exc)
            if reason is None or delay is None:
                _report_failure(exc, log, broadcaster)
                return None
            log(f"rebuild failed ({reason}); trying again in {delay:g} s")
            time.sleep(delay)
    return None


def _report_failure(exc: Exception, log: Callable[[str], None],
                    broadcaster: Broadcaster | None) -> None:
    """Log a failed step and show it in browsers; a bug must not kill the watcher either."""
    if isinstance(exc, (BuildFailed, ChronicleError)):
        report = _report(exc)
    else:
        report = {"text": f"internal error: {type(exc).__name__}: {exc}"}
    log(str(report["text"]))
    if broadcaster:
        broadcaster.publish("error-report", report)


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _log_warnings(warnings: Iterable[ChronicleWarning]) -> None:
    """The first build's warnings (rebuilds do not repeat them)."""
    for warning in warnings:
        _log(warning.format())


def serve(site_root: Path, output_dir: Path, options: BuildOptions, stop_request: StopRequest,
          host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False) -> int:
    """Build, serve and rebuild until Ctrl-C."""
    from chronicle_ssg.session import SiteSession
    from chronicle_ssg.watch import Watcher, watched_folders
    session = SiteSession(site_root, output_dir, options, defer_manifest=True)
    result = _start_or_stop(session, stop_request)
    if result is None:
        return 0
    base_path = result.loaded.config.base_path
    broadcaster = Broadcaster()
    server = bind_server(host, port, make_handler(
        output_dir, base_path, broadcaster,
        lambda name: session.render_pending(only=(name,)) if session.behind else None))

    def viewed() -> set[str]:
        real_output = output_dir.resolve()
        pages = (resolve_request(output_dir, base_path, page) for page in broadcaster.viewed())
        return {page.relative_to(real_output).as_posix() for page in pages if page is not None}

    url = f"http://{f'[{host}]' if ':' in host else host}:{server.server_address[1]}{base_path}/"
    watcher = Watcher(site_root, output_dir, watched_folders(site_root, result.loaded.sources.theme_dir))
    # said only now: an edit made after this line is seen, because the watcher runs
    _log_warnings(result.warnings)
    _log(f"built {counted(len(result.loaded.site.entries), 'entry')}; serving {url} (Ctrl-C to stop)")
    stop = threading.Event()
    loop = threading.Thread(target=rebuild_loop, daemon=True,
                            args=(session, watcher, broadcaster, _log, stop, viewed))
    loop.start()
    if open_browser:
        import webbrowser
        webbrowser.open(url)
    return _run_until_interrupted(server.serve_forever, stop_request, lambda: (
        _shutdown(server, broadcaster, watcher, stop, loop), session.flush_manifest()))


def _start_or_stop(session: "SiteSession", stop_request: StopRequest) -> "BuildResult | None":
    """The first build, or None when asked to stop before or during it (the build is
    atomic: output/ keeps the old site)."""
    try:
        with stop_request.interruptible():
            result = session.start()
    except KeyboardInterrupt:
        _log("stopped before the first build finished; output/ is unchanged")
        return None
    return None if stop_request.requested else result


def _shutdown(server: _Server, broadcaster: Broadcaster, watcher: "Watcher",
              stop: threading.Event, loop: threading.Thread) -> None:
    stop.set()
    broadcaster.close()
    watcher.stop()
    server.shutdown()
    server.server_close()
    loop.join(timeout=2)


def _run_until_interrupted(run: Callable[[], None], stop_request: StopRequest,
                           shutdown: Callable[[], None]) -> int:
    """Run in a thread until a stop is requested (or `run` returns); then shut down."""
    done = stop_request.event
    worker = threading.Thread(target=lambda: (run(), done.set()), daemon=True)
    worker.start()
    while not done.wait(0.2):
        pass
    stop_request.ignore_more()
    shutdown()
    _log("stopped")
    return 0


def watch_and_rebuild(site_root: Path, output_dir: Path, options: BuildOptions,
                      stop_request: StopRequest) -> int:
    """`chronicle build --watch`: the rebuild loop without a server."""
    from chronicle_ssg.session import SiteSession
    from chronicle_ssg.watch import Watcher, watched_folders
    session = SiteSession(site_root, output_dir, options)
    result = _start_or_stop(session, stop_request)
    if result is None:
        return 0
    watcher = Watcher(site_root, output_dir, watched_folders(site_root, result.loaded.sources.theme_dir))
    _log_warnings(result.warnings)
    _log(f"built {counted(len(result.loaded.site.entries), 'entry')} into {output_dir}; "
         "watching (Ctrl-C to stop)")
    stop = threading.Event()
    return _run_until_interrupted(lambda: rebuild_loop(session, watcher, None, _log, stop), stop_request,
                                  lambda: (stop.set(), watcher.stop(), session.flush_manifest()))
