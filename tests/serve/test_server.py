"""`chronicle serve` end to end: a subprocess on a free port, a site under a sub-path.

Pages come over HTTP with pretty URLs and the right types; nothing outside output/ is ever
served; the event stream says `reload` after an edit, `error-report` (file, line, message)
after a broken one while the last good pages stay up, and `reload`/`ok` after the fix.
Ctrl-C and SIGTERM stop the server cleanly. `chronicle build --watch` rebuilds on change.
"""

from __future__ import annotations

import signal
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import entry, make_site, read_tree, write_files
from serving import (EventStream, Running, fetch, running_chronicle, session_processes,
                     subprocess_env)

CONFIG = '''\
title = "Served"
base_url = "https://example.org/sub/"
author = "Test Author"
timezone = "UTC"
'''
CALL = "content/2025-03-18-call.md"
SECRET = "TOP-SECRET-8f3a"
EVENTS = "/sub/__chronicle/events"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = make_site(tmp_path, {
        CALL: entry("The call", tags=["diplomacy"], body="The original text."),
        "content/2025-03-10-earlier.md": entry("Earlier", date="2025-03-10 09:00"),
        "static/notes.txt": "plain notes\n",
    }, config=CONFIG)
    (tmp_path / "secret.txt").write_text(SECRET)  # beside the site
    (root / "secret.txt").write_text(SECRET)  # beside output/
    (tmp_path / "secretdir").mkdir()
    (tmp_path / "secretdir/secret.txt").write_text(SECRET)
    return root


@pytest.fixture
def server(site: Path, site_env: dict[str, str]) -> Iterator[Running]:
    with running_chronicle(site, subprocess_env(site_env), "serve", "--port", "0") as running:
        yield running
        assert running.stop() == 0


def test_serves_under_the_base_path_with_pretty_urls(server: Running, site: Path) -> None:
    assert server.url.endswith("/sub/")
    status, headers, body = fetch(server, "/sub/2025/03/")
    assert status == 200
    on_disk = (site / "output/2025/03/index.html").read_bytes()
    assert body.replace(script_tag(), b"") == on_disk
    status, headers, _ = fetch(server, "/sub/2025/03")
    assert (status, headers["location"]) == (301, "/sub/2025/03/")
    status, headers, _ = fetch(server, "/sub")
    assert (status, headers["location"]) == (301, "/sub/")
    assert fetch(server, "/sub/2025/03/18/call/index.html")[0] == 200


@pytest.mark.parametrize("path, kind", [
    ("/sub/", "text/html; charset=utf-8"),
    ("/sub/style.css", "text/css; charset=utf-8"),
    ("/sub/feed.xml", "text/xml; charset=utf-8"),
    ("/sub/sitemap.xml", "text/xml; charset=utf-8"),
    ("/sub/robots.txt", "text/plain; charset=utf-8"),
    ("/sub/notes.txt", "text/plain; charset=utf-8"),
    ("/sub/__chronicle/livereload.js", "text/javascript; charset=utf-8"),
])
def test_content_types(server: Running, path: str, kind: str) -> None:
    status, headers, body = fetch(server, path)
    assert (status, headers["content-type"]) == (200, kind)
    assert int(headers["content-length"]) == len(body)


def test_head_sends_headers_only(server: Running) -> None:
    status, headers, body = fetch(server, "/sub/", method="HEAD")
    assert (status, body) == (200, b"")
    assert int(headers["content-length"]) > 0


def test_head_on_the_event_stream_answers_at_once(server: Running) -> None:
    status, headers, body = fetch(server, EVENTS, method="HEAD")  # fetch times out if it streams
    assert (status, headers["content-type"], body) == (200, "text/event-stream", b"")


@pytest.mark.parametrize("path", ["/sub/no/such/page/", "/sub/missing.css", "/", "/index.html",
                                  "/2025/03/", "/subway/", "/sub2/"])
def test_missing_pages_and_paths_outside_the_base_get_the_sites_404(
        server: Running, site: Path, path: str) -> None:
    status, headers, body = fetch(server, path)
    assert (status, headers["content-type"]) == (404, "text/html; charset=utf-8")
    assert body.replace(script_tag(), b"") == (site / "output/404.html").read_bytes()


def test_reload_script_is_served_but_never_written(server: Running, site: Path) -> None:
    for path in ("/sub/", "/sub/2025/03/18/call/", "/sub/tags/diplomacy/"):
        assert fetch(server, path)[2].count(script_tag()) == 1
    for path in ("/sub/feed.xml", "/sub/style.css", "/sub/notes.txt"):
        assert b"__chronicle" not in fetch(server, path)[2]
    leaks = [n for n, data in read_tree(site / "output").items()
             if b"__chronicle" in data or b"livereload" in data]
    assert leaks == []


TRAVERSALS = [
    "/sub/../secret.txt", "/sub/../../secret.txt", "/sub/%2e%2e/secret.txt",
    "/sub/%2E%2E/%2E%2E/secret.txt", "/sub/..%2fsecret.txt", "/sub/..%2F..%2Fsecret.txt",
    "/sub/%2e%2e%2f%2e%2e%2fsecret.txt", "/sub/%252e%252e/secret.txt",
    "/sub/%c0%ae%c0%ae/secret.txt", "/sub/..\\secret.txt", "/sub/..%5csecret.txt",
    "/sub/%5c..%5csecret.txt", "/sub/%00", "/sub/index.html%00.txt", "/sub/%2fetc%2fpasswd",
    "/sub//etc/passwd", "/sub/" + "/".join([".."] * 8) + "/etc/passwd",
    "//etc/passwd", "/etc/passwd", "/sub/leak.txt", "/sub/leakdir/secret.txt",
    "/sub/leakdir/", "http://127.0.0.1/sub/../secret.txt",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_nothing_outside_output_is_served(server: Running, site: Path, path: str) -> None:
    out = site / "output"
    if not (out / "leak.txt").is_symlink():  # symlinks inside output/ pointing out
        (out / "leak.txt").symlink_to(site.parent / "secret.txt")
        (out / "leakdir").symlink_to(site.parent / "secretdir", target_is_directory=True)
    status, _, body = fetch(server, path)
    assert status in (400, 404)
    assert SECRET.encode() not in body and b"root:" not in body


@pytest.mark.parametrize("raw", ["/sub/\x00", "/sub/a\\..\\..\\secret.txt", "/sub/../secret.txt",
                                 "/sub/%2e%2e/secret.txt", "/sub/leak.txt", "/sub/%ff"])
def test_resolve_request_refuses_escapes(tmp_path: Path, raw: str) -> None:
    from chronicle_ssg.serve import resolve_request
    out = tmp_path / "output"
    out.mkdir()
    (out / "index.html").write_text("home")
    (tmp_path / "secret.txt").write_text(SECRET)
    (out / "leak.txt").symlink_to(tmp_path / "secret.txt")
    try:
        assert resolve_request(out, "/sub", raw) is None
    except UnicodeDecodeError:  # the handler answers 404 for undecodable paths
        assert raw == "/sub/%ff"


def test_event_stream_reload_error_and_recovery(server: Running, site: Path) -> None:
    page = "/sub/2025/03/18/call/"
    good = entry("The call", tags=["diplomacy"], body="Edited while the call went on.")
    with EventStream(server, EVENTS) as events:
        assert events.wait_connected() == []
        write_files(site, {CALL: good})
        assert events.next_event()[0] == "reload"
        assert b"Edited while the call went on." in fetch(server, page)[2]

        mark = len(server.lines)
        write_files(site, {CALL: "---\ntitle: The call\ndate: 2025-03-18 09:00\ntags: a: b\n---\n"})
        name, data = events.next_event()
        assert name == "error-report"
        (error,) = data["errors"]
        assert (error["file"], error["line"]) == (CALL, 4)
        assert "invalid YAML" in error["message"]
        assert f"{CALL}:4" in data["text"]
        server.wait_for(f"{CALL}:4", start=mark)  # the terminal says the same
        status, _, body = fetch(server, page)  # the last good page is still served
        assert status == 200 and b"Edited while the call went on." in body
        with EventStream(server, EVENTS) as late:  # a tab opened while broken sees the error
            assert [name for name, _ in late.wait_connected()] == ["error-report"]

        write_files(site, {CALL: good.replace("went on", "ended")})
        assert events.next_event()[0] == "reload"
        assert b"Edited while the call ended." in fetch(server, page)[2]

        write_files(site, {CALL: "---\ntitle: [\n---\n"})
        assert events.next_event()[0] == "error-report"
        write_files(site, {CALL: good.replace("went on", "ended")})  # back as it was
        assert events.next_event()[0] == "ok"  # nothing to reload: the overlay goes


def test_a_css_only_change_says_css(server: Running, site: Path) -> None:
    write_files(site, {"static/extra.css": "p { color: red }"})
    with EventStream(server, EVENTS) as events:
        events.wait_connected()
        write_files(site, {"static/extra.css": "p { color: blue }"})
        assert events.next_event()[0] == "css"
        assert fetch(server, "/sub/extra.css")[2] == b"p { color: blue }"


def test_template_error_keeps_the_site_and_the_watcher(server: Running, site: Path) -> None:
    with EventStream(server, EVENTS) as events:
        events.wait_connected()
        write_files(site, {"templates/entry.html": '{% extends "theme/entry.html" %}{% block x %}'})
        name, data = events.next_event()
        assert name == "error-report" and data["errors"][0]["file"].endswith("entry.html")
        assert fetch(server, "/sub/2025/03/18/call/")[0] == 200
        write_files(site, {"templates/entry.html": '{% extends "theme/entry.html" %}'
                                                   '{% block content %}<p>Custom</p>{% endblock %}'})
        assert events.next_event()[0] == "reload"
        assert b"<p>Custom</p>" in fetch(server, "/sub/2025/03/18/call/")[2]


def test_a_port_in_use_falls_back_to_the_next_and_says_so(site: Path,
                                                          site_env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with running_chronicle(site, subprocess_env(site_env), "serve", "--port", str(port)) as running:
            assert f"port {port} is in use; serving on port" in running.stderr
            assert running.host_port[1] != port
            assert fetch(running, "/sub/")[0] == 200
            assert running.stop() == 0


def test_bind_server_gives_a_clear_error_when_no_port_is_free() -> None:
    from chronicle_ssg.errors import ChronicleError
    from chronicle_ssg.serve import bind_server
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ChronicleError) as failure:
            bind_server("127.0.0.1", port, object, tries=1)  # type: ignore[arg-type]
    assert f"127.0.0.1:{port}" in failure.value.message and "--port" in (failure.value.hint or "")


def test_a_browser_leaving_mid_download_is_no_error(site: Path, site_env: dict[str, str]) -> None:
    write_files(site, {"static/big.bin": bytes(16 * 1024 * 1024)})  # more than socket buffers
    with running_chronicle(site, subprocess_env(site_env), "serve", "--port", "0") as running:
        for _ in range(3):
            with socket.create_connection(running.host_port) as client:
                client.sendall(b"GET /sub/big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
                client.recv(1024)
                # close with a reset, as a tab does when it navigates away
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        assert fetch(running, "/sub/")[0] == 200
        assert running.stop() == 0
    assert "Traceback" not in running.stderr and "error" not in running.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_stops_cleanly_with_an_open_event_stream(site: Path, site_env: dict[str, str],
                                                 sig: int) -> None:
    with running_chronicle(site, subprocess_env(site_env), "serve", "--port", "0") as running:
        with EventStream(running, EVENTS) as events:
            events.wait_connected()
            assert running.stop(sig) == 0
        assert "Traceback" not in running.stderr
        assert running.stderr.splitlines()[-1].endswith("stopped")
        assert session_processes(running.process.pid) == []


def test_build_watch_rebuilds_on_change(site: Path, site_env: dict[str, str]) -> None:
    with running_chronicle(site, subprocess_env(site_env), "build", "--watch",
                           ready="watching") as running:
        mark = len(running.lines)
        write_files(site, {CALL: entry("The call", tags=["diplomacy"], body="Rebuilt by watch.")})
        running.wait_for("rebuilt", start=mark)
        page = (site / "output/2025/03/18/call/index.html").read_bytes()
        assert b"Rebuilt by watch." in page and b"__chronicle" not in page
        mark = len(running.lines)
        write_files(site, {CALL: "---\ntitle: [\n---\n"})
        running.wait_for(f"{CALL}:", start=mark)  # the error, located; the loop goes on
        write_files(site, {CALL: entry("The call", body="Fixed.")})
        running.wait_for("rebuilt", start=mark)
        assert b"Fixed." in (site / "output/2025/03/18/call/index.html").read_bytes()
        assert running.stop() == 0
        assert "Traceback" not in running.stderr


def script_tag() -> bytes:
    return (b'<script src="/sub/__chronicle/livereload.js" '
            b'data-events="/sub/__chronicle/events"></script>')


def test_a_page_left_for_later_is_rendered_when_a_browser_asks(site: Path) -> None:
    """In process: after a rebuild that deferred pages, the server renders a deferred
    page before serving it, and the event stream tells serve which page a tab shows."""
    import threading
    import time
    from types import SimpleNamespace

    from chronicle_ssg.build import BuildOptions, build
    from chronicle_ssg.serve import Broadcaster, bind_server, make_handler
    from chronicle_ssg.session import SiteSession
    out = site / "output"
    session = SiteSession(site, out, BuildOptions(jobs=1))
    session.start()
    write_files(site, {"content/2025-03-20-newer.md": entry("Newer", date="2025-03-20 09:00")})
    session.rebuild({str(site / "content/2025-03-20-newer.md")}, first=set())
    assert session.behind  # which pages wait is found out after the reload signal
    build(site, site / "full", BuildOptions(use_cache=False, jobs=1))
    broadcaster = Broadcaster()
    server = bind_server("127.0.0.1", 0, make_handler(
        out, "/sub", broadcaster, lambda name: session.render_pending(only=(name,))))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = SimpleNamespace(host_port=server.server_address[:2])
        status, _, body = fetch(client, "/sub/")  # type: ignore[arg-type]
        assert status == 200 and b"Newer" in body
        assert body.replace(script_tag(), b"") == (site / "full/index.html").read_bytes()
        assert "index.html" not in session.pending and "archives/index.html" in session.pending
        with EventStream(client, EVENTS + "?page=%2Fsub%2F2025%2F03%2F20%2Fnewer%2F"):  # type: ignore[arg-type]
            deadline = time.monotonic() + 10
            while broadcaster.viewed() != ["/sub/2025/03/20/newer/"] and time.monotonic() < deadline:
                time.sleep(0.01)
            assert broadcaster.viewed() == ["/sub/2025/03/20/newer/"]
    finally:
        broadcaster.close()
        server.shutdown()
        server.server_close()
    deadline = time.monotonic() + 10
    while broadcaster.viewed() and time.monotonic() < deadline:  # the tab went away
        time.sleep(0.01)
    assert broadcaster.viewed() == []


def test_serve_indexes_search_after_the_reload_and_keeps_the_manifest_true(
        server: Running, site: Path) -> None:
    import json
    output = site / "output"
    before = {p.name for p in (output / "pagefind/fragment").iterdir()}
    mark = len(server.lines)
    with EventStream(server, EVENTS) as events:
        events.wait_connected()
        write_files(site, {CALL: entry("The call", tags=["diplomacy"], body="Searchable now.")})
        assert events.next_event()[0] == "reload"
        server.wait_for("search index updated", start=mark)  # after the reload signal
    after = {p.name for p in (output / "pagefind/fragment").iterdir()}
    assert after != before and len(after) == len(before)  # the edited entry's fragment
    server.stop()
    manifest = json.loads((output / ".chronicle-manifest.json").read_text())["files"]
    on_disk = {p.relative_to(output).as_posix() for p in (output / "pagefind").rglob("*")
               if p.is_file()}
    assert on_disk == {name for name in manifest if name.startswith("pagefind/")}


def test_serve_no_search_writes_no_index(site: Path, site_env: dict[str, str]) -> None:
    with running_chronicle(site, subprocess_env(site_env), "serve", "--port", "0",
                           "--no-search") as running:
        mark = len(running.lines)
        write_files(site, {CALL: entry("The call", body="Edited.")})
        running.wait_for("rebuilt", start=mark)
        assert not (site / "output/pagefind").exists()
        assert running.stop() == 0
    assert "search index" not in running.stderr
