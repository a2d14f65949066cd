"""Shared helpers: write a small site into tmp_path, build it, and parse what it produced.

    root = make_site(tmp_path, '''
    -- chronicle.toml --
    title = "T"
    -- content/2025-03-18-call.md --
    ---
    title: The call
    ---
    Body.
    ''')
    out = build_site(root)            # in memory: {"2025/03/18/call/index.html": b"...", ...}
    doc = out.html("2025/03/18/call/")  # an lxml tree; paths ending in "/" mean index.html

`make_site` also takes a dict {path: text or bytes}. A site without chronicle.toml gets
DEFAULT_CONFIG. Text is dedented, so fixtures can be indented inside tests.
"""

from __future__ import annotations

import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Mapping

import lxml.etree
import lxml.html
import pytest

DEFAULT_CONFIG = '''\
title = "Test Chronicle"
description = "A site built by the test suite."
base_url = "https://example.org/"
author = "Test Author"
timezone = "UTC"
entries_per_page = 10
search = false
'''
# search = false: most tests are about pages, and Pagefind would run in every build;
# tests of search (tests/e2e/test_search.py, tests/browser/) and of the example site
# build with it on

#: a fixed "now" so that future-dated fixtures stay in the future and output is reproducible
#: a valid 1x1 PNG, for fixtures with images (the build measures every local image)
TINY_PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
                         "0000000c49444154789c63f8ffff3f0005fe02fe0def46b80000000049454e44ae426082")
SOURCE_DATE_EPOCH = "1767225600"  # 2026-01-01T00:00:00Z


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test builds as if it were 2026-01-01, unless it sets SOURCE_DATE_EPOCH itself."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)


def parse_txtar(text: str) -> dict[str, str]:
    """Split `-- name --` sections (Hugo's txtar) into {name: dedented text}."""
    files: dict[str, str] = {}
    name: str | None = None
    lines: list[str] = []
    for line in textwrap.dedent(text).splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("-- ") and stripped.endswith(" --") and len(stripped) > 6:
            if name is not None:
                files[name] = "".join(lines)
            name, lines = stripped[3:-3].strip(), []
        elif name is not None:
            lines.append(line)
    if name is not None:
        files[name] = "".join(lines)
    return files


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    """Write (or overwrite) files under root; str is dedented and written as UTF-8."""
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data).lstrip("\n"), "utf-8")


def make_site(tmp_path: Path, files: Mapping[str, str | bytes] | str,
              config: str | None = None) -> Path:
    """Write a site under tmp_path/site and return its root."""
    root = tmp_path / "site"
    root.mkdir(exist_ok=True)
    mapping = parse_txtar(files) if isinstance(files, str) else dict(files)
    if "chronicle.toml" not in mapping:
        mapping["chronicle.toml"] = config if config is not None else DEFAULT_CONFIG
    write_files(root, mapping)
    return root


def entry(title: str, date: str | None = "2025-03-18 09:00", body: str = "Body text.",
          **meta: Any) -> str:
    """A Markdown source with front matter; values are written as YAML flow scalars."""
    lines = ["---", f"title: {_yaml(title)}"]
    if date is not None:
        lines.append(f"date: {date}")
    for key, value in meta.items():
        lines.append(f"{key}: {_yaml(value)}")
    return "\n".join(lines) + "\n---\n\n" + textwrap.dedent(body).strip("\n") + "\n"


def _yaml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def output_name(path: str) -> str:
    """`2025/` or `/2025/` -> `2025/index.html`; `feed.xml` stays."""
    rel = path.lstrip("/")
    return rel + "index.html" if rel == "" or rel.endswith("/") else rel


@dataclass
class Built:
    """In-memory build result: output path (str) -> bytes, with parsing helpers."""

    files: dict[str, bytes]
    loaded: Any  #: chronicle_ssg.build.LoadedSite

    def __contains__(self, path: str) -> bool:
        return output_name(path) in self.files

    def __getitem__(self, path: str) -> bytes:
        return self.files[output_name(path)]

    def text(self, path: str) -> str:
        return self[path].decode("utf-8")

    def html(self, path: str) -> lxml.html.HtmlElement:
        return parse_html(self[path])

    def xml(self, path: str) -> lxml.etree._Element:
        return lxml.etree.fromstring(self[path])

    def pages(self) -> list[str]:
        return sorted(p for p in self.files if p.endswith(".html"))


def build_site(root: Path, **options: Any) -> Built:
    """Build in memory with chronicle_ssg.build.load_site/render_site; BuildOptions kwargs."""
    from chronicle_ssg.build import BuildOptions, load_site, render_site
    loaded = load_site(root, BuildOptions(**options))
    outputs = render_site(loaded)
    return Built({str(PurePosixPath(k)): v for k, v in outputs.items()}, loaded)


def build_to_disk(root: Path, output: Path | None = None, **options: Any) -> Path:
    """The full pipeline including the atomic write; returns the output folder."""
    from chronicle_ssg.build import BuildOptions, build
    output = output or root / "output"
    build(root, output, BuildOptions(**options))
    return output


#: Pagefind (1.5) writes its filter indexes and its metadata index in hash-map order, so
#: they differ from run to run although they hold the same data, and pagefind-entry.json
#: names the metadata file by its hash (Pagefind issue #638). Its fragments (one per
#: page), word indexes and scripts are stable: those are compared byte for byte.
UNSTABLE_SEARCH_FILE = re.compile(r"pagefind/(filter/[^/]+|pagefind\.[^/]+\.pf_meta|"
                                  r"pagefind-entry\.json)")


def read_tree(folder: Path) -> dict[str, bytes]:
    """Every file under folder by relative path (chronicle's bookkeeping files and
    Pagefind's unstable files excluded)."""
    return {name: p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".chronicle-")
            and not UNSTABLE_SEARCH_FILE.fullmatch(name := p.relative_to(folder).as_posix())}


def parse_html(data: bytes | str) -> lxml.html.HtmlElement:
    """Parse a whole page with lxml (UTF-8)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return lxml.html.document_fromstring(data, parser=lxml.html.HTMLParser(encoding="utf-8"))


def texts(doc: lxml.html.HtmlElement, xpath: str) -> list[str]:
    """Whitespace-normalised text of every element (or string) an XPath selects."""
    found = doc.xpath(xpath)
    return [" ".join(e.text_content().split()) if hasattr(e, "text_content") else str(e)
            for e in found]


def hrefs(doc: lxml.html.HtmlElement, xpath: str = ".//a") -> list[str]:
    """The href of every element an XPath picks (default: links below doc)."""
    return [e.get("href") for e in doc.xpath(xpath) if e.get("href") is not None]


@pytest.fixture
def site_env() -> dict[str, str]:
    """Environment for CLI subprocesses: fixed time, no user site config."""
    env = dict(os.environ)
    env["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
    return env
