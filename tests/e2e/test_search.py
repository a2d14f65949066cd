"""The search index: Pagefind runs on the staged site, its files are in the manifest,
only entry and page text is marked for it, and `search = false` leaves every trace out.
(Queries in a real browser: tests/browser/test_search_in_browser.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chronicle_ssg.build import BuildOptions, Stats, build_site
from chronicle_ssg.search import SearchIndexError
from conftest import DEFAULT_CONFIG, entry, make_site, parse_html

CONFIG = DEFAULT_CONFIG.replace("search = false", "search = true").replace(
    'base_url = "https://example.org/"', 'base_url = "https://example.org/sub/"')
FILES = {
    "content/2025-03-18-call.md": entry("The call", body="Seventy minutes of talks.",
                                        tags=["diplomacy"], categories=["World"]),
    "content/2024-05-01-budget.md": entry("Budget", date="2024-05-01 09:00",
                                          body="The budget vote.", aliases=["/old-budget/"]),
    "content/pages/about.md": "---\ntitle: About\n---\nAbout this site.\n",
}


def build(root: Path, **options: object) -> tuple[Path, Stats]:
    stats = Stats()
    build_site(root, root / "output", BuildOptions(**options), stats)  # type: ignore[arg-type]
    return root / "output", stats


def manifest(output: Path) -> dict[str, list]:
    return json.loads((output / ".chronicle-manifest.json").read_text())["files"]


def index_files(output: Path) -> list[str]:
    return sorted(p.relative_to(output).as_posix() for p in (output / "pagefind").rglob("*")
                  if p.is_file())


def test_the_index_is_written_with_the_site_and_listed_in_the_manifest(tmp_path: Path) -> None:
    output, _ = build(make_site(tmp_path, FILES, CONFIG))
    files = index_files(output)
    assert "pagefind/pagefind.js" in files and "pagefind/pagefind-entry.json" in files
    assert set(files) <= set(manifest(output))
    entry_json = json.loads((output / "pagefind/pagefind-entry.json").read_text())
    assert entry_json["languages"]["en"]["page_count"] == 3  # two entries and the page
    assert not list(tmp_path.glob(".output.*"))  # no scratch folder left beside output/


def test_only_entry_and_page_text_is_marked_for_search(tmp_path: Path) -> None:
    output, _ = build(make_site(tmp_path, FILES, CONFIG))
    marked = sorted(p.relative_to(output).as_posix() for p in output.rglob("*.html")
                    if b"data-pagefind-body" in p.read_bytes())
    assert marked == ["2024/05/01/budget/index.html", "2025/03/18/call/index.html",
                      "about/index.html"]
    doc = parse_html((output / "2025/03/18/call/index.html").read_bytes())
    assert doc.xpath("//*[@data-pagefind-meta='title']/text()") == ["The call"]
    assert doc.xpath("//*[@data-pagefind-meta='date']/text()") == ["18 March 2025"]
    filters = {(e.get("data-pagefind-filter"), e.text) for e in doc.xpath("//*[@data-pagefind-filter]")}
    assert filters == {("year", "2025"), ("category", "World"), ("tag", "diplomacy")}
    # related entries, navigation and the meta line are not part of the indexed text
    assert doc.xpath("//footer[@class='entry-footer']/@data-pagefind-ignore") == [""]


def test_the_search_page_and_box_work_under_the_sub_path(tmp_path: Path) -> None:
    output, _ = build(make_site(tmp_path, FILES, CONFIG))
    page = parse_html((output / "search/index.html").read_bytes())
    root = page.get_element_by_id("search")
    assert root.get("data-base") == "/sub/" and root.get("data-bundle") == "/sub/pagefind/"
    assert page.xpath("//script/@src") == ["/sub/search.js"]
    assert page.xpath("//meta[@name='robots']/@content") == ["noindex"]
    notice = " ".join(page.xpath("//noscript//text()"))
    assert "needs JavaScript" in notice
    assert page.xpath("//noscript//a/@href") == ["/sub/archives/", "/sub/tags/", "/sub/categories/"]
    home = parse_html((output / "index.html").read_bytes())
    form = home.xpath("//form[@role='search']")[0]
    assert form.get("action") == "/sub/search/" and form.get("method") == "get"
    assert home.xpath("//label[@for='site-search-query']/text()") == ["Search this site"]
    assert "search/" not in (output / "sitemap.xml").read_text()


def test_search_false_leaves_out_index_page_box_and_markers(tmp_path: Path) -> None:
    output, _ = build(make_site(tmp_path, FILES, CONFIG.replace("search = true", "search = false")))
    assert not (output / "pagefind").exists() and not (output / "search").exists()
    assert not any(b"pagefind" in p.read_bytes() or b'role="search"' in p.read_bytes()
                   for p in output.rglob("*.html"))


def test_a_warm_build_keeps_the_index_unless_searchable_text_changed(tmp_path: Path) -> None:
    root = make_site(tmp_path, FILES, CONFIG)
    output, _ = build(root)
    inodes = {name: (output / name).stat().st_ino for name in index_files(output)}
    (root / "static").mkdir()
    (root / "static/extra.css").write_text("p { color: red }")
    output, stats = build(root)
    assert "search_files" in stats.counts and "search" in stats.timings
    assert {name: (output / name).stat().st_ino for name in index_files(output)} == inodes
    (root / "content/2025-03-18-call.md").write_text(entry("The call", body="Ninety minutes."))
    output, _ = build(root)
    after = {name: (output / name).stat().st_ino for name in index_files(output)}
    assert after != inodes  # indexed again
    kept = [name for name in after if after[name] == inodes.get(name)]
    assert "pagefind/pagefind.js" in kept  # unchanged files stay hard links
    assert set(index_files(output)) <= set(manifest(output))


def test_removing_an_entry_indexes_again(tmp_path: Path) -> None:
    root = make_site(tmp_path, FILES, CONFIG)
    output, _ = build(root)
    (root / "content/2024-05-01-budget.md").unlink()
    output, _ = build(root)
    entry_json = json.loads((output / "pagefind/pagefind-entry.json").read_text())
    assert entry_json["languages"]["en"]["page_count"] == 2


def test_a_missing_pagefind_binary_is_a_clear_error_and_output_stays(
        tmp_path: Path, site_env: dict[str, str]) -> None:
    root = make_site(tmp_path, FILES, CONFIG)
    output, _ = build(root)
    before = manifest(output)
    (root / "content/2025-03-18-call.md").write_text(entry("The call", body="Changed."))
    env = {**site_env, "PAGEFIND_BINARY_PATH": str(tmp_path / "no-such-pagefind")}
    done = subprocess.run([sys.executable, "-m", "chronicle_ssg", "build", "--source", str(root)],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "chronicle.toml: error: search is on, but the Pagefind binary is not installed" \
        in done.stderr
    assert "search = false" in done.stderr
    assert manifest(output) == before  # the old site, index and all
    assert not list(tmp_path.glob(".output.*"))


def test_pagefind_failing_is_an_error_not_a_traceback(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_site(tmp_path, FILES, CONFIG)
    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\necho 'Error: cannot index' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(fake))
    with pytest.raises(SearchIndexError, match=r"Pagefind failed to index the site \(exit 3\): "
                                               r"Error: cannot index"):
        build(root)
    assert not (root / "output").exists()


def test_search_must_be_true_or_false(tmp_path: Path) -> None:
    from chronicle_ssg.errors import BuildFailed
    root = make_site(tmp_path, FILES, CONFIG.replace("search = true", 'search = "yes"'))
    with pytest.raises(BuildFailed, match=r"chronicle.toml:\d+: error: 'search' must be true or false"):
        build(root)


def test_a_serve_session_keeps_the_index_and_refreshes_it_after_page_changes(
        tmp_path: Path) -> None:
    from chronicle_ssg.session import SiteSession
    from conftest import read_tree
    root = make_site(tmp_path, FILES, CONFIG)
    session = SiteSession(root, tmp_path / "out", BuildOptions(jobs=1))
    session.start()
    before = index_files(tmp_path / "out")
    (root / "content/2025-03-18-call.md").write_text(entry("The call", body="Ninety minutes."))
    session.rebuild({str(root / "content/2025-03-18-call.md")})
    assert index_files(tmp_path / "out") == before  # kept while pages are rebuilt
    assert session.refresh_search() > 0
    assert session.refresh_search() == 0  # nothing changed since
    out = read_tree(tmp_path / "out")
    clean = read_tree(build(root)[0])
    assert {k: v for k, v in out.items() if k.startswith("pagefind/")} == \
        {k: v for k, v in clean.items() if k.startswith("pagefind/")}
    assert set(index_files(tmp_path / "out")) <= set(manifest(tmp_path / "out"))
    assert not list(tmp_path.glob(".out.*"))


def test_serve_no_search_builds_no_index(tmp_path: Path) -> None:
    from chronicle_ssg.session import SiteSession
    root = make_site(tmp_path, FILES, CONFIG)
    session = SiteSession(root, tmp_path / "out", BuildOptions(jobs=1, search=False))
    session.start()
    assert not (tmp_path / "out/pagefind").exists()
    (root / "content/2025-03-18-call.md").write_text(entry("The call", body="Ninety minutes."))
    session.rebuild({str(root / "content/2025-03-18-call.md")})
    assert session.refresh_search() == 0 and not (tmp_path / "out/pagefind").exists()


def test_chronicle_check_finds_nothing_wrong_with_the_index_and_search_page(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from chronicle_ssg.cli import main
    root = make_site(tmp_path, {**FILES, "content/2025-03-18-call.md": entry(
        "The call", body="Seventy minutes.", tags=["diplomacy"], categories=["World"])}, CONFIG)
    build(root)
    assert (root / "output/pagefind/pagefind.js").is_file()
    assert main(["check", "--source", str(root), "--output", str(root / "output"),
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
