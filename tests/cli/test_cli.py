"""The command line: main(argv) with captured output, plus one console-script smoke test."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chronicle_ssg import __version__
from chronicle_ssg.cli import main
from tests.conftest import entry, make_site, parse_html

SUBCOMMANDS = ["build", "serve", "list", "new", "check", "clean"]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """main() as the console script calls it; argparse exits count as return codes."""
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"chronicle {__version__}"


def test_top_level_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    for name in SUBCOMMANDS:
        assert name in out


@pytest.mark.parametrize(("argv", "options"), [
    (["build"], ["--source", "--output", "--base-url", "--drafts", "--future", "--quiet"]),
    (["list"], ["--source", "--drafts", "--future"]),
    (["new", "site"], ["DIR"]),
    (["new", "entry"], ["title", "--source"]),
    (["serve"], ["--port"]),
    (["check"], ["--format"]),
    (["clean"], ["--source"]),
])
def test_each_subcommand_has_helpful_help(argv: list[str], options: list[str],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(argv + ["--help"], capsys)
    assert code == 0
    for option in options:
        assert option in out


def test_unknown_option_exits_non_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["build", "--frobnicate"], capsys)
    assert code == 2 and "unrecognized arguments" in err


def test_new_site_builds_outside_the_repo(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # nothing of this repo (themes/, templates/) is in reach
    monkeypatch.delenv("SOURCE_DATE_EPOCH")  # the starter entry is dated by the real clock
    code, out, _ = run(["new", "site", "mysite"], capsys)
    assert code == 0 and "mysite" in out
    site = tmp_path / "mysite"
    assert (site / "chronicle.toml").is_file()
    assert not (site / "themes").exists()  # the default theme comes from the package
    code, out, err = run(["build", "--source", str(site)], capsys)
    assert code == 0, err
    assert out.startswith("1 entry built; ")
    # the starter's base_url is an example domain: fine to try, said before publishing
    assert ("chronicle.toml:3: warning: base_url https://example.org/ is an example domain"
            in err and "set base_url in chronicle.toml" in err)
    home = parse_html((site / "output/index.html").read_bytes())
    assert home.xpath("//article//a/text()")
    assert (site / "output/about/index.html").is_file()
    assert (site / "output/style.css").is_file()


def test_new_site_refuses_a_non_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full/file.txt").write_text("x")
    code, _, err = run(["new", "site", str(tmp_path / "full")], capsys)
    assert code == 1 and "not empty" in err and "Traceback" not in err


@pytest.mark.parametrize(("title", "slug"), [
    ("The Call Is On!", "the-call-is-on"),
    ("Звонок президента", "zvonok-prezidenta"),
    ("Réunion à Genève", "reunion-a-geneve"),
])
def test_new_entry_derives_slug_from_title(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           title: str, slug: str) -> None:
    site = make_site(tmp_path, {})
    code, out, _ = run(["new", "entry", title, "--source", str(site)], capsys)
    assert code == 0
    (path,) = (site / "content/entries").rglob(f"*-{slug}.md")
    today = dt.datetime.now(dt.timezone.utc).date()  # the site's timezone is UTC
    assert path.name in (f"{today:%Y-%m-%d}-{slug}.md",
                         f"{today - dt.timedelta(days=1):%Y-%m-%d}-{slug}.md")  # at midnight
    assert path.parent.name == path.name[:4]
    text = path.read_text("utf-8")
    assert text.startswith("---\n") and f'title: "{title}"' in text and "draft: true" in text
    code, out, _ = run(["list", "--source", str(site), "--drafts"], capsys)
    assert f"/{slug}/" in out and "draft" in out


def test_new_entry_outside_a_site_fails_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["new", "entry", "X", "--source", str(tmp_path)], capsys)
    assert code == 1 and "chronicle.toml" in err and "Traceback" not in err


@pytest.fixture
def status_site(tmp_path: Path) -> Path:
    return make_site(tmp_path, {
        "content/pub.md": entry("Published", "2025-01-01 10:00"),
        "content/draft.md": entry("Drafty", "2025-02-01 10:00", draft=True),
        "content/later.md": entry("Later", "2030-01-01 10:00"),
    }, config='title = "S"\nbase_url = "https://example.org/sub/"\n')


def list_rows(out: str) -> dict[str, str]:
    """entry id -> its row."""
    return {line.split()[-1]: line for line in out.splitlines() if line.strip()}


def test_list_shows_date_status_and_url(status_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["list", "--source", str(status_site)], capsys)
    assert code == 0
    rows = list_rows(out)
    assert "2025-01-01 10:00" in rows["content/pub.md"]
    assert "published" in rows["content/pub.md"]
    assert "/sub/2025/01/01/pub/" in rows["content/pub.md"]
    assert "draft" in rows["content/draft.md"]
    assert "scheduled" in rows["content/later.md"]


def test_list_marks_what_a_build_with_flags_would_publish(status_site: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Without --drafts/--future a draft is not published; with them, the row says it will be."""
    _, plain, _ = run(["list", "--source", str(status_site)], capsys)
    _, flagged, _ = run(["list", "--source", str(status_site), "--drafts", "--future"], capsys)
    assert plain != flagged, "the --drafts/--future flags must change what list reports"


def test_build_summary_line_and_flags(status_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["build", "--source", str(status_site)], capsys)
    assert code == 0 and out.startswith(
        "1 entry built; 1 draft and 1 scheduled left out (--drafts, --future); ")
    assert not (status_site / "output/2025/02/01/draft").exists()
    code, out, _ = run(["build", "--source", str(status_site), "--drafts", "--future",
                        "--base-url", "https://other.example/x/"], capsys)
    assert code == 0 and out.startswith("3 entries built; ")
    assert (status_site / "output/2025/02/01/draft/index.html").is_file()
    assert (status_site / "output/2030/01/01/later/index.html").is_file()
    assert b"https://other.example/x/" in (status_site / "output/feed.xml").read_bytes()
    code, out, _ = run(["build", "--source", str(status_site), "--quiet"], capsys)
    assert code == 0 and out == ""


def test_build_of_folder_without_config_fails_cleanly(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["build", "--source", str(tmp_path)], capsys)
    assert code == 1 and "chronicle.toml" in err and "Traceback" not in err


def test_console_script_builds_a_site(tmp_path: Path, site_env: dict[str, str]) -> None:
    # the script installed beside the interpreter running the tests (a venv's bin/ need
    # not be on PATH: `.venv/bin/python -m pytest`), else the one on PATH
    beside = Path(sys.executable).parent / "chronicle"
    script = str(beside) if beside.is_file() else shutil.which("chronicle")
    assert script, "the console script `chronicle` is not installed (pip install -e .)"
    site = make_site(tmp_path, {"content/a.md": entry("Smoke", "2025-01-01")})
    result = subprocess.run([script, "build", "--source", str(site)], capture_output=True,
                            text=True, env=site_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1 entry built; ")
    assert (site / "output/2025/01/01/a/index.html").is_file()
    broken = subprocess.run([script, "build", "--source", str(tmp_path / "nowhere")],
                            capture_output=True, text=True, env=site_env)
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    version = subprocess.run([script, "--version"], capture_output=True, text=True, env=site_env)
    assert version.stdout.strip() == f"chronicle {__version__}"
    assert os.access(script, os.X_OK)
