"""Every user error: named file (and line), all reported in one run, exit 1, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from chronicle_ssg.cli import main
from chronicle_ssg.errors import BuildFailed
from tests.conftest import DEFAULT_CONFIG, build_site, entry, make_site

GOOD = entry("Fine", "2025-01-01")

#: (case id, files, expected "path:line[:column]" of the error, or just the path when any
#: line will do, and a part of the message)
CASES = [
    ("broken-yaml", {"content/a.md": "---\ntitle: A\ndate: [2025\n---\nBody\n"},
     "content/a.md:4:1", "invalid YAML"),
    ("yaml-mapping-in-title", {"content/a.md": "---\ntitle: Q: A\ndate: 2025-01-01\n---\n"},
     "content/a.md:2:9", "invalid YAML"),
    ("missing-title", {"content/a.md": "---\ndate: 2025-01-01\n---\nBody\n"},
     "content/a.md", "missing required field 'title'"),
    ("missing-date", {"content/a.md": "---\ntitle: A\n---\nBody\n"},
     "content/a.md", "missing required field 'date'"),
    ("unparseable-date", {"content/a.md": "---\ntitle: A\ndate: 18 March\n---\n"},
     "content/a.md:3", "date"),
    ("unknown-timezone", {"chronicle.toml": 'title = "T"\ntimezone = "Mars/Olympus"\n'},
     "chronicle.toml:2", "unknown timezone 'Mars/Olympus'"),
    ("unknown-config-key", {"chronicle.toml": 'title = "T"\n\ntitel = "typo"\n'},
     "chronicle.toml:3", "unknown key 'titel'"),
    ("wrong-config-type", {"chronicle.toml": 'title = "T"\nentries_per_page = "ten"\n'},
     "chronicle.toml:2", "'entries_per_page' must be an integer"),
    ("bad-toml", {"chronicle.toml": 'title = "T\n'}, "chronicle.toml:1", "invalid TOML"),
    ("slug-with-dotdot", {"content/a.md": entry("A", "2025-01-01", slug="../../etc")},
     "content/a.md:4", "slug '../../etc'"),
    ("slug-absolute", {"content/a.md": entry("A", "2025-01-01", slug="/etc/passwd")},
     "content/a.md:4", "slug '/etc/passwd'"),
    ("alias-with-dotdot", {"content/a.md": entry("A", "2025-01-01", aliases=["/x/../../../etc/"])},
     "content/a.md:4", "alias '/x/../../../etc/'"),
    ("alias-with-backslash", {"content/a.md": entry("A", "2025-01-01", aliases=["..\\..\\x"])},
     "content/a.md:4", "alias"),
    ("non-utf8", {"content/a.md": b"---\ntitle: caf\xe9\ndate: 2025-01-01\n---\n"},
     "content/a.md:2", "not valid UTF-8"),
    ("empty-file", {"content/a.md": ""}, "content/a.md:1", "file is empty"),
    ("no-front-matter", {"content/a.md": "# Just Markdown\n\nText.\n"},
     "content/a.md:1", "no front matter"),
    ("unclosed-front-matter", {"content/a.md": "---\ntitle: A\n\nText.\n"},
     "content/a.md:1", "never closed"),
    ("draft-not-boolean", {"content/a.md": entry("A", "2025-01-01", draft="yes please")},
     "content/a.md:4", "'draft' must be true or false"),
]


def build_errors(tmp_path: Path, files: dict[str, str | bytes]) -> list[str]:
    root = make_site(tmp_path, {"content/good.md": GOOD, **files})
    with pytest.raises(BuildFailed) as failure:
        build_site(root)
    return [error.format() for error in failure.value.errors]


@pytest.mark.parametrize(("files", "where", "message"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_error_names_file_line_and_problem(tmp_path: Path, files: dict[str, str | bytes],
                                           where: str, message: str) -> None:
    errors = build_errors(tmp_path, files)
    assert len(errors) == 1, errors
    head = errors[0].splitlines()[0]
    location = head.split(": error: ")[0]
    # a line is asserted where the case names one; otherwise any line in that file will do
    assert location == where or (where.count(":") == 0 and location.startswith(where + ":")), head
    assert message in errors[0]


def test_two_entries_on_one_url_name_both_files(tmp_path: Path) -> None:
    errors = build_errors(tmp_path, {
        "content/one/2025-01-01-same.md": entry("One", None),
        "content/two/2025-01-01-same.md": entry("Two", None)})
    assert len(errors) == 1
    assert "content/one/2025-01-01-same.md" in errors[0]
    assert "content/two/2025-01-01-same.md" in errors[0]
    assert "/2025/01/01/same/" in errors[0]


def test_alias_clashing_with_an_entry_is_a_conflict(tmp_path: Path) -> None:
    errors = build_errors(tmp_path, {"content/b.md": entry("B", "2025-02-01",
                                                           aliases=["/2025/01/01/good/"])})
    assert "content/good.md" in errors[0] and "alias in content/b.md" in errors[0]


def test_every_broken_file_is_reported_in_one_run(tmp_path: Path) -> None:
    errors = build_errors(tmp_path, {
        "content/a.md": "---\ntitle: A\ndate: [2025\n---\n",
        "content/b.md": "---\ndate: 2025-01-01\n---\n",
        "content/c.md": "---\ntitle: C\ndate: someday\n---\n",
        "content/d.md": b"---\ntitle: \xff\n---\n",
        "content/e.md": "",
    })
    files = [e.split(":")[0] for e in errors]
    assert files == ["content/a.md", "content/b.md", "content/c.md", "content/d.md",
                     "content/e.md"]


def test_config_errors_are_all_reported_together(tmp_path: Path) -> None:
    errors = build_errors(tmp_path, {"chronicle.toml": (
        'title = 1\ntimezone = "Nowhere/City"\nfoo = 2\nbase_url = "example.org"\n')})
    assert len(errors) == 4
    assert all(e.startswith("chronicle.toml:") for e in errors)


def test_errors_carry_a_hint(tmp_path: Path) -> None:
    errors = build_errors(tmp_path, {"content/a.md": "---\ntitle: A\ndate: 18 March\n---\n"})
    assert "hint: use YYYY-MM-DD" in errors[0]


@pytest.mark.parametrize(("files", "where", "message"),
                         [CASES[0][1:], CASES[5][1:], CASES[13][1:]],
                         ids=["yaml", "timezone", "utf8"])
def test_cli_prints_errors_and_exits_1_without_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str | bytes],
        where: str, message: str) -> None:
    root = make_site(tmp_path, {"content/good.md": GOOD, **files})
    assert main(["build", "--source", str(root)]) == 1
    captured = capsys.readouterr()
    assert where in captured.err and message in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert "build failed: 1 error" in captured.err
    assert not (root / "output").exists()


def test_cli_failed_rebuild_keeps_the_previous_output(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {"content/good.md": GOOD}, config=DEFAULT_CONFIG)
    assert main(["build", "--source", str(root), "--quiet"]) == 0
    page = root / "output/2025/01/01/good/index.html"
    before = page.read_bytes()
    (root / "content/good.md").write_text("---\ntitle: [\n---\n", "utf-8")
    assert main(["build", "--source", str(root)]) == 1
    assert page.read_bytes() == before
    assert "Traceback" not in capsys.readouterr().err
