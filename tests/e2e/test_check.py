"""`chronicle check` and `build --strict`: located reports of broken links and duplicates."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections import Counter
from pathlib import Path
from typing import Iterator

import pytest

from chronicle_ssg.check import CACHE_FILE, Problem, check_external, scan_page
from chronicle_ssg.cli import main
from conftest import TINY_PNG, build_to_disk, entry
from conftest import make_site as make_bare_site

SUBPATH_CONFIG = '''\
title = "Sub"
description = "Hosted under a sub-path."
base_url = "https://example.org/archive/"
'''


def make_site(tmp_path: Path, files: dict[str, str | bytes], config: str | None = None) -> Path:
    """A fixture site plus one tagged entry, so the theme's Tags link has a target."""
    tagged = {"content/2025-01-01-tagged.md": entry("Tagged", date="2025-01-01", tags=["misc"])}
    return make_bare_site(tmp_path, {**tagged, **files}, config)


def run_json(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, list[dict]]:
    code = main(["check", "--source", str(root), "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def by_kind(problems: list[dict], kind: str) -> list[dict]:
    return [p for p in problems if p["kind"] == kind]


def test_clean_site_passes_with_exit_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {
        "content/2025-03-18-a.md": entry("A", body="See [b](/2025/03/19/b/#details) and [top](#top)."),
        "content/2025-03-19-b.md": entry("B", date="2025-03-19", body="Intro.\n\n## Details\n\nText."),
    })
    assert run_json(capsys, root) == (0, [])


def test_broken_link_reports_source_file_and_line(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {
        "content/2025-03-18-a.md": entry("A", body="First paragraph.\n\nSee [gone](/2024/01/01/gone/)."),
    })
    code = main(["check", "--source", str(root)])
    out = capsys.readouterr().out
    assert code == 1
    # front matter is 4 lines, a blank line, the first paragraph, a blank line: line 8
    assert "content/2025-03-18-a.md:8: broken-link: link /2024/01/01/gone/ resolves to no file" in out
    assert "check: 1 problem" in out


def test_broken_image_and_relative_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {
        "static/images/here.png": TINY_PNG,
        "content/2025-03-18-a.md": entry("A", body="""\
            Text.

            ![ok](/images/here.png)
            [up](../nowhere/)
            """),
    })
    code, problems = run_json(capsys, root)
    assert code == 1
    messages = {(p["line"], p["message"].split(" resolves")[0]) for p in problems}
    assert messages == {(9, "link ../nowhere/")}


def test_missing_image_is_reported_at_its_line(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The images stage finds it when the site is loaded (issue 14), on its own line."""
    root = make_site(tmp_path, {
        "static/images/here.png": TINY_PNG,
        "content/2025-03-18-a.md": entry("A", body="""\
            Text.

            ![ok](/images/here.png)
            ![missing](/images/missing.png)
            """),
    })
    code, problems = run_json(capsys, root)
    assert code == 1
    assert [(p["line"], p["message"].split(" not found")[0]) for p in problems] == [
        (9, "image /images/missing.png")]


def test_missing_fragment_on_same_and_other_page(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {
        "content/2025-03-18-a.md": entry("A", body="""\
            Text.

            Text with [a bad anchor](#nope) and [a good one](#section).

            ## Section

            [other](/2025/03/19/b/#absent) and [fine](/2025/03/19/b/#present).
            """),
        "content/2025-03-19-b.md": entry("B", date="2025-03-19", body="Intro.\n\n## Present\n"),
    })
    code, problems = run_json(capsys, root)
    assert code == 1
    anchors = by_kind(problems, "missing-anchor")
    assert [(p["file"], p["line"]) for p in anchors] == [
        ("content/2025-03-18-a.md", 8), ("content/2025-03-18-a.md", 12)]
    assert "'nope'" in anchors[0]["message"] and "'absent'" in anchors[1]["message"]
    assert anchors[0]["page"] == "/2025/03/18/a/"


def test_links_resolve_under_a_base_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {
        "content/2025-03-18-a.md": entry("A", body="""\
            Text.

            [b](/2025/03/19/b/) and [elsewhere](https://example.org/other-site/page)
            [outside](https://example.org/archive/2025/03/20/missing/)
            """),
        "content/2025-03-19-b.md": entry("B", date="2025-03-19"),
    }, config=SUBPATH_CONFIG)
    code, problems = run_json(capsys, root)
    assert code == 1
    assert [(p["line"], p["kind"]) for p in problems] == [(9, "broken-link")]
    assert "/archive/2025/03/20/missing/" in problems[0]["message"]


def test_missing_cross_reference_is_a_located_problem(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {
        "content/2025-03-18-a.md": entry("A", body="Text.\n\nSee [it](entry:no-such-entry)."),
    })
    code, problems = run_json(capsys, root)
    assert code == 1
    assert problems == [{"file": "content/2025-03-18-a.md", "line": 8, "kind": "xref",
                         "message": "cross-reference entry:no-such-entry names no entry",
                         "page": "", "severity": "error"}]


def test_entry_without_any_description(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {
        "content/2025-03-18-empty.md": entry("Empty", body="## Only a heading"),
        "content/2025-03-19-fine.md": entry("Fine", date="2025-03-19", body="A paragraph."),
    })
    code, problems = run_json(capsys, root)
    assert code == 1
    assert [(p["file"], p["line"], p["kind"]) for p in problems] == [
        ("content/2025-03-18-empty.md", 2, "missing-description")]


def test_site_without_description_is_reported_once(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {"content/2025-03-18-a.md": entry("A")},
                     config='title = "T"\nbase_url = "https://example.org/"\n')
    code, problems = run_json(capsys, root)
    assert code == 1
    assert [(p["file"], p["kind"]) for p in problems] == [("chronicle.toml", "missing-description")]


def test_duplicate_titles_name_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {
        "content/2025-03-18-a.md": entry("The  Call"),
        "content/2025-03-19-b.md": entry("the call", date="2025-03-19"),
    })
    code, problems = run_json(capsys, root)
    assert code == 1
    assert problems == [{"file": "content/2025-03-19-b.md", "line": 2, "kind": "duplicate-title",
                         "message": "title 'the call' is also used by content/2025-03-18-a.md",
                         "page": "", "severity": "error"}]


def test_duplicate_aliases_are_reported_not_crashed(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {
        "content/2025-03-18-a.md": entry("A", aliases=["/old/"]),
        "content/2025-03-19-b.md": entry("B", date="2025-03-19", aliases=["/old"]),
    })
    code, problems = run_json(capsys, root)
    assert code == 1
    assert by_kind(problems, "duplicate-alias")
    assert "/old/" in problems[0]["message"]


def test_menu_link_is_traced_to_the_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = SUBPATH_CONFIG + '\n[[menu]]\nname = "Gone"\nurl = "/gone/"\n'
    root = make_site(tmp_path, {"content/2025-03-18-a.md": entry("A")}, config=config)
    code, problems = run_json(capsys, root)
    assert code == 1
    assert {(p["file"], p["line"], p["kind"]) for p in problems} == {("chronicle.toml", 7, "broken-link")}


def test_check_an_existing_output_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {
        "content/2025-03-18-a.md": entry("A", body="Text.\n\n[b](/2025/03/19/b/)"),
        "content/2025-03-19-b.md": entry("B", date="2025-03-19"),
    })
    out = build_to_disk(root)
    assert run_json(capsys, root, "--output", str(out))[0] == 0
    (out / "2025/03/19/b/index.html").unlink()
    code, problems = run_json(capsys, root, "--output", str(out))
    assert code == 1
    assert ("content/2025-03-18-a.md", 8) in {(p["file"], p["line"]) for p in problems}


def test_missing_output_folder_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {"content/2025-03-18-a.md": entry("A")})
    assert main(["check", "--source", str(root), "--output", str(tmp_path / "none")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_build_strict_fails_on_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {"content/2025-03-18-a.md": entry("A", body="Text [x](/nope/).")})
    assert main(["build", "--source", str(root), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["build", "--source", str(root), "--strict"]) == 1
    err = capsys.readouterr().err
    assert "content/2025-03-18-a.md:6: broken-link: link /nope/" in err


def test_scanner_collects_ids_links_and_description() -> None:
    scan = scan_page('<META NAME="description" content=" d "><h2 id="x">X</h2><a name=y></a>'
                     '<a href="/a/?p=1&amp;q=2">a</a><img src="b.png" srcset="c.png 1x, d.png 2x">'
                     "<a>no href</a><a title='x>y' href='/q/'>q</a><!-- <a href=\"/comment/\"> -->"
                     '<script type="application/ld+json">{"x": "<a href=/in-script/>"}</script>'
                     '<p <broken')
    assert scan.ids == {"x", "y"}
    assert scan.links == [("a", "/a/?p=1&q=2"), ("img", "b.png"), ("img", "c.png"),
                          ("img", "d.png"), ("a", "/q/")]
    assert scan.description == "d"


def test_site_without_tags_has_no_broken_links(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    root = make_bare_site(tmp_path, {"content/2025-03-18-a.md": entry("A")})
    assert run_json(capsys, root) == (0, [])


class _Handler(http.server.BaseHTTPRequestHandler):
    """/ok answers; /missing is 404; /no-head refuses HEAD but answers GET; /go?to=URL
    redirects."""

    hits: Counter[str]

    def _answer(self, body: bool) -> None:
        type(self).hits[f"{self.command} {self.path}"] += 1
        if self.path.startswith("/go?to="):
            self.send_response(302)
            self.send_header("Location", self.path[len("/go?to="):])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/missing" or (self.path == "/no-head" and self.command == "HEAD"):
            self.send_error(404 if self.path == "/missing" else 405)
            return
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        if body:
            self.wfile.write(b"ok")

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(True)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def serving_links(address: str) -> Iterator[tuple[str, Counter[str]]]:
    """A link server on a loopback address: its base URL and the requests it got."""
    handler = type("Handler", (_Handler,), {"hits": Counter()})
    server = http.server.ThreadingHTTPServer((address, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{address}:{server.server_address[1]}", handler.hits
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def link_server() -> Iterator[tuple[str, Counter[str]]]:
    with serving_links("127.0.0.1") as served:
        yield served


@pytest.fixture
def loopback_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """The link servers of these tests run on 127.0.0.1, which check never asks otherwise."""
    monkeypatch.setattr("chronicle_ssg.check.is_public_address", lambda address: True)


@pytest.mark.usefixtures("loopback_is_public")
def test_external_links_only_with_flag_and_cached(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  link_server: tuple[str, Counter[str]]) -> None:
    base, hits = link_server
    root = make_site(tmp_path, {"content/2025-03-18-a.md": entry("A", body=f"""\
        Text.

        [ok]({base}/ok) [head refused]({base}/no-head)
        [gone]({base}/missing)
        """)})
    assert run_json(capsys, root) == (0, [])
    assert not hits  # nothing is fetched without --external

    code, problems = run_json(capsys, root, "--external")
    assert code == 1
    assert [(p["line"], p["kind"], p["message"]) for p in problems] == [
        (9, "external-link", f"{base}/missing: HTTP 404")]
    assert hits["HEAD /no-head"] == 1 and hits["GET /no-head"] == 1  # GET after a refused HEAD
    cache = json.loads((root / CACHE_FILE).read_text())
    assert cache[f"{base}/ok"]["status"] == 200 and "checked" in cache[f"{base}/ok"]

    hits.clear()
    assert run_json(capsys, root, "--external")[0] == 1
    # successes come from the cache; the failure is asked again so a fix is noticed
    assert set(hits) == {"HEAD /missing", "GET /missing"}


@pytest.mark.usefixtures("loopback_is_public")
def test_external_cache_expires_and_survives_corruption(tmp_path: Path,
                                                        link_server: tuple[str, Counter[str]]) -> None:
    base, hits = link_server
    cache = tmp_path / "cache.json"
    urls = {f"{base}/ok": [("content/a.md", 3, "/a/")]}
    cache.write_text("{not json")
    assert check_external(urls, cache, now=1000.0) == []
    assert hits["HEAD /ok"] == 1
    assert check_external(urls, cache, now=2000.0) == []
    assert hits["HEAD /ok"] == 1
    check_external(urls, cache, now=1000.0 + 8 * 24 * 3600)
    assert hits["HEAD /ok"] == 2


@pytest.mark.usefixtures("loopback_is_public")
def test_unreachable_external_link_is_a_problem(tmp_path: Path) -> None:
    import socket
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    urls = {f"http://127.0.0.1:{port}/x": [("content/a.md", 3, "/a/")]}
    problems = check_external(urls, tmp_path / "cache.json")
    assert [(p.file, p.line, p.kind) for p in problems] == [("content/a.md", 3, "external-link")]
    assert isinstance(problems[0], Problem) and "refused" in problems[0].message.lower()


def test_external_never_requests_private_addresses_from_content_or_comments(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        link_server: tuple[str, Counter[str]]) -> None:
    """A reader's comment linking to the writer's router must not make check call it."""
    base, hits = link_server
    port = base.rsplit(":", 1)[1]
    root = make_site(tmp_path, {
        "content/2025-03-18-a.md": entry("A", body=f"Text.\n\n[admin]({base}/admin?action=delete)"),
        "content/2025-03-18-a.comments.yaml": f"""\
            comments:
              - id: c1
                author: "Reader"
                date: 2025-03-18 10:00
                body: "See [this](http://localhost:{port}/ok) and [that](http://[::1]:{port}/ok)"
            """,
    })
    code, problems = run_json(capsys, root, "--external")
    assert not hits  # nothing was requested
    assert code == 0  # warnings only
    skipped = {(p["kind"], p["severity"], p["message"]) for p in problems}
    assert skipped == {
        ("external-link", "warning", f"{base}/admin?action=delete: skipped: private address "
                                     "(127.0.0.1)"),
        ("external-link", "warning", f"http://localhost:{port}/ok: skipped: private address "
                                     f"(localhost is {_localhost_addresses()})"),
        ("external-link", "warning", f"http://[::1]:{port}/ok: skipped: private address (::1)"),
    }
    assert main(["check", "--source", str(root), "--external"]) == 0
    out = capsys.readouterr().out
    assert "content/2025-03-18-a.md:8: warning: external-link:" in out
    assert out.splitlines()[-1] == "check: 0 problems, 3 warnings"
    assert not hits


def _localhost_addresses() -> str:
    import socket
    return ", ".join(sorted({info[4][0] for info in socket.getaddrinfo("localhost", 80)}))


def test_a_redirect_to_a_private_address_is_not_followed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        link_server: tuple[str, Counter[str]]) -> None:
    """A public site (played by 127.0.0.2) redirects to 127.0.0.1: the hop is refused."""
    from chronicle_ssg.check import is_public_address
    monkeypatch.setattr("chronicle_ssg.check.is_public_address",
                        lambda address: address == "127.0.0.2" or is_public_address(address))
    private, private_hits = link_server
    with serving_links("127.0.0.2") as (public, public_hits):
        urls = {f"{public}/go?to={private}/admin": [("content/a.md", 3, "/a/")],
                f"{public}/go?to={public}/ok": [("content/a.md", 4, "/a/")]}
        problems = check_external(urls, tmp_path / "cache.json")
    assert not private_hits
    assert public_hits[f"HEAD /go?to={private}/admin"] == 1 and public_hits["GET /ok"] == 1  # urllib follows with GET
    assert [(p.line, p.severity, p.message) for p in problems] == [
        (3, "warning", f"{public}/go?to={private}/admin: skipped: private address "
                       "(127.0.0.1)")]
    assert f"{public}/go?to={private}/admin" not in json.loads((tmp_path / "cache.json").read_text())


def test_a_name_with_any_private_address_is_not_asked(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A name that resolves to a public and a private address: either might be used."""
    import socket
    asked: list[str] = []

    def resolve(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", port))]
    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket, "socket", None)  # a connection attempt would fail loudly
    urls = {"https://mixed.example/x": [("content/a.md", 3, "/a/")]}
    problems = check_external(urls, tmp_path / "cache.json")
    assert asked == ["mixed.example"]
    assert [(p.severity, p.message) for p in problems] == [
        ("warning", "https://mixed.example/x: skipped: private address (mixed.example is 10.0.0.1)")]


@pytest.mark.parametrize("address, public", [
    ("93.184.215.14", True), ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
    ("127.0.0.1", False), ("127.8.9.10", False), ("10.1.2.3", False), ("172.16.0.1", False),
    ("192.168.1.1", False), ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False),
    ("224.0.0.1", False), ("239.255.255.250", False), ("240.0.0.1", False),
    ("255.255.255.255", False), ("::1", False), ("::", False), ("fe80::1", False),
    ("fe80::1%eth0", False), ("fc00::1", False), ("ff02::1", False), ("::ffff:127.0.0.1", False),
    ("::ffff:93.184.215.14", True), ("2002:7f00:1::", False), ("192.0.2.1", False),
])
def test_is_public_address(address: str, public: bool) -> None:
    from chronicle_ssg.check import is_public_address
    assert is_public_address(address) is public
