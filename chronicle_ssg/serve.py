"""`chronicle serve` and `chronicle build --watch`: rebuild on change, reload browsers.

The server serves output/ under the base path (pretty URLs, the site's 404.html, no
path outside output/), and injects a small reload script into HTML responses only:
the files on disk never contain it. Browsers listen on a Server-Sent Events stream;
after a rebuild they reload (keeping their scroll position), or swap stylesheets when
only CSS changed, or show an overlay with the error when the rebuild failed.
"""

from __future__ import annotations

import html
import json
import mimetypes
import posixpath
import sys
import threading
import time
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

from chronicle_ssg.build import BuildOptions
from chronicle_ssg.errors import BuildFailed, ChronicleError
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
    candidate = output_dir.joinpath(*parts)
    if path.endswith("/") or candidate.is_dir():  # the handler redirects folders to "/"
        candidate = candidate / "index.html"
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(output_dir.resolve()) or not real.is_file():
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

        def log_message(self, format: str, *args: object) -> None:  # quiet by default
            pass

        def do_HEAD(self) -> None:
            self.do_GET(head=True)

        def do_GET(self, head: bool = False) -> None:
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
            page = parse_qs(urlsplit(self.path).query).get("page", [""])[0]
            if page:
                broadcaster.watch_page(page, 1)
            try:
                self.send_events()
            finally:
                if page:
                    broadcaster.watch_page(page, -1)

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
                while not broadcaster.closed:
                    seen, event = broadcaster.wait(seen)
                    message = (f"event: {event[0]}\ndata: {event[1]}\n\n" if event
                               else ": keep-alive\n\n")
                    self.wfile.write(message.encode())
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, OSError):
                return
            self.close_connection = True

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

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
        log(f"rebuilt in {delta.seconds * 1000:.0f} ms: {delta.rendered} pages rendered, "
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
    """Run a rebuild step; a failure is logged and shown in browsers, and gives None."""
    try:
        return action()
    except (BuildFailed, ChronicleError) as exc:
        report = _report(exc)
        log(str(report["text"]))
        if broadcaster:
            broadcaster.publish("error-report", report)
    except Exception as exc:  # a bug must not kill the watcher; show it like an error
        text = f"internal error: {type(exc).__name__}: {exc}"
        log(text)
        if broadcaster:
            broadcaster.publish("error-report", {"text": text})
    return None


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


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

    url = f"http://{host}:{server.server_address[1]}{base_path}/"
    watcher = Watcher(site_root, output_dir, watched_folders(site_root, result.loaded.sources.theme_dir))
    # said only now: an edit made after this line is seen, because the watcher runs
    _log(f"built {len(result.loaded.site.entries)} entries; serving {url} (Ctrl-C to stop)")
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
    _log(f"built {len(result.loaded.site.entries)} entries into {output_dir}; watching (Ctrl-C to stop)")
    stop = threading.Event()
    return _run_until_interrupted(lambda: rebuild_loop(session, watcher, None, _log, stop), stop_request,
                                  lambda: (stop.set(), watcher.stop(), session.flush_manifest()))
