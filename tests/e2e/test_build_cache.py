"""The content cache, warm and no-op builds, parallel rendering, --no-cache, clean, stats."""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import pytest

from chronicle_ssg import parallel
from chronicle_ssg.build import BuildOptions, Stats, build_site
from chronicle_ssg.cache import MAGIC, cache_file, load_cache
from chronicle_ssg.cli import main
from chronicle_ssg.progress import Progress
from tests.conftest import entry, make_site, read_tree


def archive(tmp_path: Path, count: int = 6) -> Path:
    files = {f"content/2025-03-{day:02d}-e{day}.md":
             entry(f"Entry {day}", f"2025-03-{day:02d} 09:00", f"Summary {day}.\n\nBody of entry {day}.",
                   tags=["alpha", "beta"][: 1 + day % 2])
             for day in range(1, count + 1)}
    return make_site(tmp_path, files)


def build(root: Path, **options: object) -> tuple[object, Stats]:
    stats = Stats()
    result = build_site(root, root / "output", BuildOptions(**options), stats)  # type: ignore[arg-type]
    return result, stats


def mtimes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
            for p in folder.rglob("*") if p.is_file()}


def test_warm_build_parses_and_renders_only_what_changed(tmp_path: Path) -> None:
    root = archive(tmp_path)
    build(root)
    source = root / "content/2025-03-03-e3.md"
    source.write_text(source.read_text().replace("Body of entry 3.", "A new body."))
    result, stats = build(root)
    assert stats.counts["cache_misses"] == 1
    assert stats.counts["cache_hits"] == 5
    # the entry page and the feeds carrying its full content; listings show only cards
    rendered = stats.counts["pages_rendered"]
    assert rendered == 4, rendered
    assert result.report.changed == ("2025/03/03/e3/index.html", "feed.xml",
                                     "tags/alpha/feed.xml", "tags/beta/feed.xml")
    assert b"A new body." in (root / "output/2025/03/03/e3/index.html").read_bytes()


def test_no_op_build_loads_nothing_and_touches_nothing(tmp_path: Path) -> None:
    root = archive(tmp_path)
    build(root)
    before = mtimes(root / "output")
    inode = (root / "output").stat().st_ino
    result, _ = build(root)
    assert result.loaded is None  # stopped after discovery: inputs are as last time
    assert result.report.written == 0 and result.report.unchanged == len(before) - 2
    assert mtimes(root / "output") == before
    assert (root / "output").stat().st_ino == inode


def test_scheduled_entry_that_came_due_is_not_a_no_op(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = archive(tmp_path)
    (root / "content/2026-06-01-later.md").write_text(entry("Later", "2026-06-01 09:00"))
    build(root)
    assert not (root / "output/2026/06/01/later").exists()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")  # 2026-09-21: now it is due
    result, _ = build(root)
    assert result.loaded is not None
    assert (root / "output/2026/06/01/later/index.html").is_file()


def test_cache_result_equals_clean_build(tmp_path: Path) -> None:
    root = archive(tmp_path)
    build(root)
    (root / "content/2025-03-02-e2.md").write_text(entry("Renamed", "2025-03-02 09:00",
                                                         tags=["gamma"]))
    build(root)
    cached = read_tree(root / "output")
    build(root, use_cache=False)
    assert read_tree(root / "output") == cached
    assert "tags/gamma/index.html" in cached


@pytest.mark.parametrize("damage", [
    b"garbage",
    MAGIC + b"\x00" * 32 + b"not a pickle",
    None,  # a well-formed file whose pickle would run os.system
])
def test_corrupt_or_hostile_cache_is_ignored(tmp_path: Path, damage: bytes | None) -> None:
    import hashlib
    root = archive(tmp_path)
    build(root)
    expected = read_tree(root / "output")
    path = cache_file(root)
    if damage is None:
        payload = pickle.dumps(os.system)  # a reference to a callable outside chronicle
        damage = MAGIC + hashlib.blake2b(payload, digest_size=32).digest() + payload
    path.write_bytes(damage)
    assert load_cache(root).sources == {}
    source = root / "content/2025-03-01-e1.md"
    source.write_text(source.read_text().replace("Body of entry 1.", "Changed."))
    result, stats = build(root)
    assert stats.counts["cache_misses"] == 6  # nothing was taken from the damaged file
    assert b"Changed." in (root / "output/2025/03/01/e1/index.html").read_bytes()
    assert read_tree(root / "output") != expected
    assert len(load_cache(root).sources) == 6  # and a good cache was written again


def test_parallel_output_is_byte_identical_to_one_job(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 1)  # fork even for a small site
    root = archive(tmp_path, count=12)
    build(root, jobs=1, use_cache=False)
    one = read_tree(root / "output")
    build(root, jobs=3, use_cache=False)
    assert read_tree(root / "output") == one


def test_no_cache_repairs_an_output_file_edited_by_hand(tmp_path: Path) -> None:
    root = archive(tmp_path)
    build(root)
    page = root / "output/2025/03/01/e1/index.html"
    good = page.read_bytes()
    page.write_bytes(good.replace(b"Entry 1", b"Entry X"))  # same size: the manifest can't tell
    build(root, use_cache=False)
    assert page.read_bytes() == good


def test_clean_removes_output_and_cache(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = archive(tmp_path)
    build(root)
    assert (root / ".chronicle-cache").is_dir()
    assert main(["clean", "--source", str(root)]) == 0
    assert not (root / "output").exists() and not (root / ".chronicle-cache").exists()
    assert (root / "content/2025-03-01-e1.md").is_file()


def test_stats_report_stages_kinds_and_cache(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    root = archive(tmp_path)
    assert main(["build", "--source", str(root), "--stats"]) == 0
    out = capsys.readouterr().out
    for needle in ("stage timings:", "parse", "render", "pages by kind:", "entry 6",
                   "cache_misses 6", "slowest templates:"):
        assert needle in out, needle


def test_progress_is_drawn_only_on_a_terminal() -> None:
    quiet, shown = io.StringIO(), io.StringIO()
    for stream, enabled in ((quiet, None), (shown, True)):
        progress = Progress(stream, enabled)
        progress.start("rendering", 3)
        progress.advance(3)
        progress.finish()
    assert quiet.getvalue() == ""  # StringIO is not a TTY
    assert "rendering: 3/3 (100%)" in shown.getvalue()


def test_static_file_at_a_generated_path_is_an_error(tmp_path: Path) -> None:
    from chronicle_ssg.errors import BuildFailed
    root = archive(tmp_path)
    (root / "static").mkdir()
    (root / "static/feed.xml").write_text("<x/>")
    with pytest.raises(BuildFailed, match="static file feed.xml is at the same path"):
        build(root)


def test_impossible_unquoted_date_is_located(tmp_path: Path) -> None:
    from chronicle_ssg.errors import BuildFailed
    root = make_site(tmp_path, {"content/x.md": "---\ntitle: X\ndate: 2025-13-45\n---\nBody.\n"})
    with pytest.raises(BuildFailed) as caught:
        build(root)
    assert "content/x.md:3: error: invalid value" in caught.value.format()


def test_template_syntax_error_names_the_template(tmp_path: Path) -> None:
    from chronicle_ssg.errors import ChronicleError
    root = archive(tmp_path)
    (root / "templates").mkdir()
    (root / "templates/page.html").write_text('{% extends "base.html" %}\n{% if %}\n')
    with pytest.raises(ChronicleError) as caught:
        build(root)
    assert caught.value.format().startswith("templates/page.html:2: error: template syntax")


def test_build_timestamp_is_opt_in(tmp_path: Path) -> None:
    root = archive(tmp_path)
    build(root)
    assert b"built <time" not in (root / "output/index.html").read_bytes()
    config = root / "chronicle.toml"
    config.write_text(config.read_text() + "build_timestamp = true\n")
    build(root)
    assert b'built <time datetime="2026-01-01T00:00:00Z">' in (root / "output/index.html").read_bytes()


def test_large_previous_site_is_removed_in_the_background(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import time
    from chronicle_ssg import write
    monkeypatch.setattr(write, "BACKGROUND_DELETE", 1)  # every site counts as large
    root = archive(tmp_path)
    build(root)
    source = root / "content/2025-03-01-e1.md"
    source.write_text(source.read_text().replace("Body of entry 1.", "Changed."))
    result, _ = build(root)
    assert result.report.swapped
    assert b"Changed." in (root / "output/2025/03/01/e1/index.html").read_bytes()
    deadline = time.monotonic() + 10
    while any(p.name.startswith(".output.staging-") for p in root.iterdir()):
        assert time.monotonic() < deadline, "the old site was never removed"
        time.sleep(0.05)
    build(root, use_cache=False)  # and the next build finds nothing left to clean
    assert read_tree(root / "output")["2025/03/01/e1/index.html"].count(b"Changed.") == 1
