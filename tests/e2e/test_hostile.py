"""Hostile and broken input: a clear error naming the file or a documented safe result.

Never a traceback, never a file outside the output folder, never active script in the
output. Markdown bodies may hold raw HTML (the author is trusted, see issue 2); everything
that comes from front matter is data and must arrive escaped.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import lxml.etree
import pytest

from chronicle_ssg.cli import main
from conftest import build_site, entry, make_site, parse_html, read_tree

PAYLOAD = '</script><script>alert(1)</script><img src=x onerror="alert(2)">"\'&'
JS_ATTRS = ("href", "src", "action", "formaction", "srcdoc", "data")


def tree(folder: Path) -> set[str]:
    """Every path under folder, as relative posix strings (symlinks are not followed)."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def assert_no_active_script(doc) -> None:  # type: ignore[no-untyped-def]
    """No script but JSON-LD, no event handler attributes, no javascript: URLs."""
    for script in doc.iter("script"):
        assert script.get("type") == "application/ld+json", lxml.etree.tostring(script)
        json.loads(script.text)  # a literal </script> inside would have cut it short
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name, value)
            if name.lower() in JS_ATTRS:
                assert not value.strip().lower().startswith("javascript:"), (element.tag, value)


def assert_safe_output(files: dict[str, bytes]) -> None:
    """Every page and feed of a build holds no active script."""
    for name, data in files.items():
        if name.endswith(".html"):
            assert_no_active_script(parse_html(data))
        elif name.endswith(".xml") and b"<feed" in data:
            feed = lxml.etree.fromstring(data)
            for node in feed.iter("{*}content", "{*}summary"):
                if node.get("type") == "html" and (node.text or "").strip():
                    assert_no_active_script(parse_html(node.text))


def run(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The CLI in-process: any escaping exception fails the test as a traceback would."""
    code = main(["build", "--source", str(root), "--quiet", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return code, captured.err


def assert_fails_naming(root: Path, capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    before = tree(root.parent)
    code, err = run(root, capsys)
    assert code == 1, err
    for needle in needles:
        assert needle in err, err
    created = tree(root.parent) - before
    assert all(not p.startswith("site/output") for p in created), created
    return err


# -- front matter carrying HTML and script --------------------------------------------------


def test_html_in_front_matter_is_escaped_everywhere(tmp_path: Path) -> None:
    title = "Title " + PAYLOAD
    root = make_site(tmp_path, {
        "content/2025-03-18-a.md": entry(title, tags=["tag " + PAYLOAD], categories=["cat" + PAYLOAD],
                                         author="Ann " + PAYLOAD, summary="Sum " + PAYLOAD,
                                         series="Ser " + PAYLOAD, body="Body."),
        "content/pages/about.md": entry("About " + PAYLOAD, date=None, layout="page",
                                        description="D " + PAYLOAD),
    })
    out = build_site(root)
    assert_safe_output(out.files)
    page = out.html("2025/03/18/a/")
    assert page.xpath("string(//h1)").strip() == title
    assert page.xpath("string(//meta[@name='description']/@content)").startswith("Sum </script>")
    ld = [json.loads(s.text) for s in page.iter("script")]
    assert any(item.get("headline") == title for item in ld)
    feed = lxml.etree.fromstring(out["feed.xml"])
    titles = [t.text for t in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert title in titles


def test_tags_differing_by_case_or_normalisation_merge(tmp_path: Path) -> None:
    nfc, nfd = "Caf\u00e9", "Cafe\u0301"
    root = make_site(tmp_path, {
        "content/2025-03-18-a.md": entry("A", tags=[nfc]),
        "content/2025-03-19-b.md": entry("B", date="2025-03-19", tags=[nfd]),
        "content/2025-03-20-c.md": entry("C", date="2025-03-20", tags=["CAF\u00c9"]),
    })
    out = build_site(root)
    tag_pages = [p for p in out.pages() if p.startswith("tags/") and p != "tags/index.html"]
    assert tag_pages == ["tags/cafe/index.html"]
    assert len(out.html("tags/cafe/").xpath("//main//article")) == 3


# -- unsafe slugs, aliases and file names --------------------------------------------------


@pytest.mark.parametrize("line", [
    'slug: "../../escaped"', 'slug: "/etc/passwd"', "slug: " + "x" * 300,
    'aliases: ["../../../escaped/"]', "aliases: [/" + "y" * 300 + "/]",
], ids=["slug-dotdot", "slug-absolute", "slug-long", "alias-dotdot", "alias-long"])
def test_unsafe_slug_or_alias_is_an_error_naming_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str) -> None:
    text = f"---\ntitle: A\ndate: 2025-03-18\n{line}\n---\nText.\n"
    root = make_site(tmp_path, {"content/2025-03-18-a.md": text})
    assert_fails_naming(root, capsys, "content/2025-03-18-a.md:4")
    assert not (tmp_path / "escaped").exists() and not (tmp_path.parent / "escaped").exists()


@pytest.mark.parametrize("line", ['slug: "a\\0b"', 'aliases: ["/a\\0b/"]'],
                         ids=["slug-nul", "alias-nul"])
def test_nul_in_slug_or_alias_is_removed_with_a_warning_naming_the_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str) -> None:
    text = f"---\ntitle: A\ndate: 2025-03-18\n{line}\n---\nText.\n"
    root = make_site(tmp_path, {"content/2025-03-18-a.md": text})
    code, err = run(root, capsys)
    assert code == 0 and "content/2025-03-18-a.md:4: warning: removed a character" in err
    assert "U+0000" in err
    assert (root / "output/2025/03/18/ab/index.html").is_file() or (root / "output/ab/index.html").is_file()


def test_absolute_looking_alias_stays_inside_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {"content/2025-03-18-a.md": entry("A", aliases=["/etc/passwd"])})
    assert run(root, capsys)[0] == 0
    assert (root / "output/etc/passwd/index.html").is_file()


def test_very_long_file_name_gets_a_shortened_slug(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    name = "2025-03-18-" + "z" * 240 + ".md"  # 254 bytes: Linux allows 255 at most
    root = make_site(tmp_path, {f"content/{name}": entry("Long", body="Text.")})
    assert run(root, capsys)[0] == 0
    assert tree(root / "output/2025/03/18") == {"index.html", "z" * 120, "z" * 120 + "/index.html"}


def test_names_differing_only_by_case_collide(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {
        "content/2025-03-18-Call.md": entry("One", body="Text."),
        "content/2025-03-18-call.md": entry("Two", body="Text."),
    })
    err = assert_fails_naming(root, capsys)
    if "content/2025-03-18-Call.md" not in err:  # slugs are lower-cased: a plain URL clash
        pytest.fail(err)
    assert "content/2025-03-18-call.md" in err


def test_slugs_differing_only_by_case_collide(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {
        "content/2025-03-18-a.md": entry("One", slug="Report"),
        "content/2025-03-18-b.md": entry("Two", slug="report"),
    })
    assert_fails_naming(root, capsys, "content/2025-03-18-a.md", "content/2025-03-18-b.md")


# -- broken YAML and bytes -----------------------------------------------------------------


def test_yaml_python_object_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "pwned"
    text = f'---\ntitle: !!python/object/apply:os.system ["touch {marker}"]\ndate: 2025-03-18\n---\nx\n'
    root = make_site(tmp_path, {"content/2025-03-18-a.md": text})
    assert_fails_naming(root, capsys, "content/2025-03-18-a.md:2")
    assert not marker.exists()


def test_yaml_alias_bomb_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        prev = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [{','.join(['*' + prev] * 9)}]")
    text = "---\ntitle: Bomb\ndate: 2025-03-18\n" + "\n".join(lines) + "\n---\nx\n"
    root = make_site(tmp_path, {"content/2025-03-18-a.md": text})
    assert_fails_naming(root, capsys, "content/2025-03-18-a.md", "alias")


@pytest.mark.parametrize("data, needle", [
    (b"---\ntitle: Caf\xe9\ndate: 2025-03-18\n---\nx\n", "content/2025-03-18-a.md:2"),
    (b"", "content/2025-03-18-a.md:1"),
    (b"\n\n  \n", "content/2025-03-18-a.md:1"),
], ids=["latin-1", "empty", "blank"])  # a NUL is removed with a warning: test_no_traceback_content.py
def test_unreadable_file_is_an_error_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               data: bytes, needle: str) -> None:
    root = make_site(tmp_path, {"content/2025-03-18-a.md": data})
    assert_fails_naming(root, capsys, needle)


def test_bom_and_crlf_work(tmp_path: Path) -> None:
    text = "\ufeff---\r\ntitle: Windows\r\ndate: 2025-03-18\r\n---\r\n\r\nOne.\r\n\r\nTwo.\r\n"
    root = make_site(tmp_path, {"content/2025-03-18-a.md": text.encode("utf-8")})
    page = build_site(root).html("2025/03/18/a/")
    assert page.xpath("string(//h1)").strip() == "Windows"
    assert [p.text for p in page.xpath("//main//p") if p.text in ("One.", "Two.")] == ["One.", "Two."]


def test_twenty_megabyte_file_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paragraph = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 8 + "\n\n"
    body = paragraph * (20 * 2**20 // len(paragraph))
    root = make_site(tmp_path, {"content/2025-03-18-a.md": entry("Huge", body="Intro.") + body})
    assert run(root, capsys)[0] == 0
    assert (root / "output/2025/03/18/a/index.html").stat().st_size > 20 * 10**6


@pytest.mark.parametrize("body", [
    "> " * 5000 + "deep",
    "\n".join("  " * i + "- item" for i in range(5000)),
    "[" * 5000 + "x" + "]" * 5000 + "(" * 5000,
    "*" * 5000 + "x" + "*" * 5000,
    "::: note\n" * 5000 + "x\n" + ":::\n" * 5000,
    "<div>" * 5000 + "x" + "</div>" * 5000,
], ids=["quotes", "lists", "brackets", "emphasis", "containers", "raw-html"])
def test_deeply_nested_markdown_does_not_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               body: str) -> None:
    root = make_site(tmp_path, {"content/2025-03-18-a.md": entry("Deep", body="Intro.\n\n" + body)})
    code, err = run(root, capsys)
    assert code == 0 or "content/2025-03-18-a.md" in err, err
    assert "RecursionError" not in err


# -- symlinks ------------------------------------------------------------------------------


def test_symlink_outside_the_site_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text(entry("Secret", body="private text"))
    root = make_site(tmp_path, {"content/2025-03-18-a.md": entry("A")})
    (root / "content/2025-03-19-leak.md").symlink_to(secret)
    (root / "content/linked-dir").symlink_to(tmp_path, target_is_directory=True)
    err = assert_fails_naming(root, capsys, "content/2025-03-19-leak.md", "content/linked-dir")
    assert "outside the site" in err


@pytest.mark.parametrize("make_loop", [
    lambda content: (content / "loop").symlink_to(content, target_is_directory=True),
    lambda content: (content / "self.md").symlink_to(content / "self.md"),
], ids=["folder-loop", "self-link"])
def test_symlink_loop_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], make_loop) -> None:  # type: ignore[no-untyped-def]
    root = make_site(tmp_path, {"content/2025-03-18-a.md": entry("A")})
    make_loop(root / "content")
    assert_fails_naming(root, capsys, "content/")


# -- the output folder ---------------------------------------------------------------------


@pytest.mark.parametrize("where", ["site", "parent", "content"])
def test_output_holding_the_sources_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               where: str) -> None:
    root = make_site(tmp_path, {"content/2025-03-18-a.md": entry("A")})
    target = {"site": root, "parent": tmp_path, "content": root / "content/out"}[where]
    before = read_tree(tmp_path)
    code, err = run(root, capsys, "--output", str(target))
    assert code == 1 and "output folder" in err
    assert read_tree(tmp_path) == before


def test_foreign_non_empty_output_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {"content/2025-03-18-a.md": entry("A")})
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"jpeg")
    code, err = run(root, capsys, "--output", str(foreign))
    assert code == 1 and "not written by chronicle" in err
    assert tree(foreign) == {"holiday.jpg"}


# -- a build killed half-way -----------------------------------------------------------------


def big_site(root: Path, count: int, words: str) -> None:
    for number in range(count):
        day = 1 + number % 28
        month = 1 + (number // 28) % 12
        path = root / "content" / f"2024-{month:02d}-{day:02d}-entry-{number}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(entry(f"Entry {number}", date=f"2024-{month:02d}-{day:02d}",
                              tags=[f"t{number % 7}"], body=f"{words} {number}.\n\n" * 20))


def test_sigkill_mid_build_keeps_previous_output(tmp_path: Path, site_env: dict[str, str]) -> None:
    root = make_site(tmp_path, {})
    big_site(root, 400, "first")
    command = [sys.executable, "-m", "chronicle_ssg", "build", "--source", str(root), "--quiet",
               "--no-cache", "--jobs", "1"]
    subprocess.run(command, env=site_env, check=True)
    previous = read_tree(root / "output")
    big_site(root, 400, "second")
    subprocess.run(command + ["--output", str(tmp_path / "expected")], env=site_env, check=True)
    expected = read_tree(tmp_path / "expected")
    rng = random.Random(5)
    killed = 0
    for attempt in range(6):
        process = subprocess.Popen(command, env=site_env)
        staging = root / f".output.staging-{process.pid}"
        if attempt % 2:  # somewhere in parse or render
            time.sleep(rng.uniform(0, 0.5))
        else:  # while the new site is being staged
            while process.poll() is None and not staging.exists():
                pass  # busy-wait: staging starts late in the build and lasts briefly
            time.sleep(rng.uniform(0, 0.02))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait()
        now = read_tree(root / "output")
        assert now == previous or now == expected
        if now == expected:  # the swap won the race: go back to the old site and try again
            big_site(root, 400, "first")
            subprocess.run(command, env=site_env, check=True)
            big_site(root, 400, "second")
    assert killed, "every build finished before it could be killed"
    subprocess.run(command, env=site_env, check=True)
    assert read_tree(root / "output") == expected
    leftovers = set(tmp_path.glob("site/.output.*")) - {tmp_path / "site/.output.lock"}
    assert not leftovers, "stale staging folder left behind"
