"""What a build believes about output/: the no-op record, the recorded signatures and the
output path itself (issue 10 items 3, 4 and 5; issue 11's touched file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chronicle_ssg.build import BuildOptions, Stats, build_site
from chronicle_ssg.cache import load_cache, save_signatures
from chronicle_ssg.cli import main
from tests.conftest import build_to_disk, entry, make_site, read_tree


def archive(tmp_path: Path, drafts: int = 0) -> Path:
    files = {f"content/2025-03-{day:02d}-e{day}.md":
             entry(f"Entry {day}", f"2025-03-{day:02d} 09:00", tags=["alpha"])
             for day in range(1, 6)}
    files.update({f"content/2025-04-{day:02d}-d{day}.md":
                  entry(f"Draft {day}", f"2025-04-{day:02d} 09:00", draft=True)
                  for day in range(1, drafts + 1)})
    files["chronicle.toml"] = 'title = "T"\nbase_url = "https://example.org/"\nentries_per_page = 2\n'
    return make_site(tmp_path, files)


def cli(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["build", "--source", str(root), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def clean_build(root: Path, tmp_path: Path, name: str = "clean", **options: object) -> dict[str, bytes]:
    return read_tree(build_to_disk(root, tmp_path / name, use_cache=False, **options))


# -- the no-op build trusts what it finds in output/, not its record (item 3) --

@pytest.mark.parametrize("damage", ["remove", "same size", "empty"])
def test_a_no_op_build_repairs_an_output_file_removed_or_changed_by_hand(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str) -> None:
    root = archive(tmp_path)
    assert cli(root, capsys)[0] == 0
    page = root / "output/index.html"
    original = page.read_bytes()
    if damage == "remove":
        page.unlink()
    elif damage == "same size":
        page.write_bytes(original.replace(b"Entry", b"Eeeee"))
    else:
        page.write_bytes(b"")
    code, out, _ = cli(root, capsys)
    assert code == 0 and "nothing changed" not in out, out
    assert page.read_bytes() == original
    assert read_tree(root / "output") == clean_build(root, tmp_path)
    assert cli(root, capsys)[1].startswith("nothing changed")  # and now it trusts it again


def test_a_touched_output_file_is_compared_not_rewritten(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    root = archive(tmp_path)
    cli(root, capsys)
    page = root / "output/index.html"
    os.utime(page, ns=(1, 1))
    inode = page.stat().st_ino
    code, out, _ = cli(root, capsys)
    assert code == 0 and "0 written" in out and "nothing changed" not in out, out
    assert page.stat().st_ino == inode  # same bytes: kept
    assert cli(root, capsys)[1].startswith("nothing changed")


def test_touching_a_source_keeps_the_no_op_shortcut(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 11: the build after a touch found nothing to write and returned before it
    saved its record, so every later build loaded the whole site again."""
    root = archive(tmp_path)
    cli(root, capsys)
    source = root / "content/2025-03-02-e2.md"
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns - 10**10))
    code, out, _ = cli(root, capsys)
    assert code == 0 and out.startswith("5 entries built; ") and " 0 written" in out, out
    code, out, _ = cli(root, capsys)
    assert out.startswith("nothing changed"), out


# -- options that change output are part of what is recorded (item 4) --

def test_drafts_then_plain_builds_equal_a_clean_build(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = archive(tmp_path, drafts=5)
    assert cli(root, capsys, "--drafts")[0] == 0
    assert b"Page 1 of 5" in (root / "output/index.html").read_bytes()
    edited = root / "content/2025-03-03-e3.md"
    edited.write_text(entry("Entry 3, edited", "2025-03-03 09:00", tags=["alpha"]))
    for _ in range(2):
        assert cli(root, capsys)[0] == 0
        assert read_tree(root / "output") == clean_build(root, tmp_path)
    assert b"Page 1 of 3" in (root / "output/index.html").read_bytes()


def test_signatures_recorded_with_other_options_are_not_trusted(tmp_path: Path) -> None:
    """However a record of pages built --drafts comes to stand for a plain build (serve
    used to write one), a plain build does not keep those pages: here entry pages show
    the number of entries, which no route lists."""
    root = archive(tmp_path, drafts=5)
    (root / "templates").mkdir()
    (root / "templates/entry.html").write_text(
        '{% extends "theme/entry.html" %}{% block head %}'
        '<meta name="entries" content="{{ site.entry_count }}">{% endblock %}')
    output = root / "output"
    build_site(root, output, BuildOptions(drafts=True), Stats())
    cache = load_cache(root)
    (drafted,) = cache.signatures.values()
    from chronicle_ssg.build import output_key
    save_signatures(root, {output_key(output, BuildOptions()): drafted})
    build_site(root, output, BuildOptions(), Stats())
    assert read_tree(output) == clean_build(root, tmp_path)


def test_a_no_cache_build_voids_the_recorded_signatures(tmp_path: Path) -> None:
    root = archive(tmp_path)
    output = root / "output"
    build_site(root, output, BuildOptions(), Stats())
    build_site(root, output, BuildOptions(base_url="https://mirror.example.org/", use_cache=False),
               Stats())
    build_site(root, output, BuildOptions(), Stats())
    assert read_tree(output) == clean_build(root, tmp_path)


def test_source_date_epoch_is_an_input_of_the_no_op_build(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {"content/2025-06-01-later.md": entry("Later", "2025-06-01 09:00")})
    cli(root, capsys)
    assert (root / "output/2025/06/01/later/index.html").is_file()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")  # 2025-01-01: it is not published yet
    code, out, _ = cli(root, capsys)
    assert code == 0 and "nothing changed" not in out
    assert not (root / "output/2025/06/01/later/index.html").exists()


# -- an output path that is not a folder is refused (item 5) --

def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_link(path: Path) -> None:
    path.symlink_to(path.parent / "chronicle.toml")


@pytest.mark.parametrize("make", [None, make_fifo, make_link], ids=["config file", "fifo", "link"])
def test_an_output_path_that_is_not_a_folder_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], make) -> None:  # type: ignore[no-untyped-def]
    root = archive(tmp_path)
    config = (root / "chronicle.toml").read_bytes()
    target = root / "chronicle.toml" if make is None else root / "odd"
    if make is not None:
        make(target)
    code, out, err = cli(root, capsys, "--output", str(target))
    assert code == 1 and "Traceback" not in err
    assert err.startswith(f"error: output folder {target} is "), err
    assert (root / "chronicle.toml").read_bytes() == config
    assert target.exists() and not target.is_dir()
    assert not list(root.glob(".*.staging-*"))


def test_serve_refuses_an_output_path_that_is_a_file(tmp_path: Path, site_env: dict[str, str]) -> None:
    root = archive(tmp_path)
    config = (root / "chronicle.toml").read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "chronicle_ssg", "serve", "--port", "0", "--source", str(root),
         "--output", str(root / "chronicle.toml")], env=site_env, capture_output=True, text=True,
        timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: output folder {root / 'chronicle.toml'} is a file")
    assert (root / "chronicle.toml").read_bytes() == config
