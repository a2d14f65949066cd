"""Issue 12, live-blogging from the command line: `chronicle new entry --live` and
`chronicle new update ENTRY [TEXT]`, checked by their messages and the files they write."""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from chronicle_ssg.cli import main
from tests.conftest import build_site, entry, make_site, texts

BERLIN = '''\
title = "Newsroom"
base_url = "https://example.org/"
timezone = "Europe/Berlin"
'''
CALL = "content/entries/2025/2025-03-18-the-call.md"
CALL_TEXT = entry("The call", "2025-03-18 09:12", body="Intro.", live=True)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path, {CALL: CALL_TEXT,
                                "content/2025-03-10-earlier.md": entry("Earlier", "2025-03-10 09:00"),
                                "content/pages/about.md": "---\ntitle: About\n---\n\nUs.\n"},
                     config=BERLIN)


def update(site: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run(["new", "update", *args, "--source", str(site)], capsys)


# --- new entry --live ---

def test_new_entry_live_with_tags_categories_and_date(site: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["new", "entry", 'Vote "count" night', "--live", "--tags",
                          "elections, Avalon", "--categories", "Politics", "--date",
                          "2025-03-20 18:00", "--source", str(site)], capsys)
    path = site / "content/entries/2025/2025-03-20-vote-count-night.md"
    assert (code, err) == (0, "")
    assert out == (f"created {path}; add updates with: chronicle new update vote-count-night "
                   '"Text"\n')
    assert path.read_text("utf-8") == (
        '---\ntitle: "Vote \\"count\\" night"\ndate: 2025-03-20 18:00\n'
        'tags: ["elections", "Avalon"]\ncategories: ["Politics"]\nlive: true\ndraft: true\n'
        '---\n\n')


def test_new_entry_no_draft_and_timezone_then_published_live(
        site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(["new", "entry", "Night in New York", "--live", "--no-draft",
                        "--timezone", "America/New_York", "--date", "2025-03-20 22:00",
                        "--source", str(site)], capsys)
    assert code == 0
    path = site / "content/entries/2025/2025-03-20-night-in-new-york.md"
    assert path.read_text("utf-8") == (
        '---\ntitle: "Night in New York"\ndate: 2025-03-20 22:00\n'
        "timezone: America/New_York\ntags: []\ncategories: []\nlive: true\n---\n\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1742601600")  # 2025-03-22 00:00 UTC
    built = build_site(site)
    page = built.html("2025/03/21/night-in-new-york/")  # 22:00 EDT is 03:00 CET the next day
    assert texts(page, "//span[contains(concat(' ', @class, ' '), ' badge ')]") == ["Live"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--date", "18 March"], "error: --date: cannot parse '18 March' as a date"),
    (["--timezone", "Mars/Base"], "error: --timezone: unknown timezone 'Mars/Base'"),
])
def test_new_entry_bad_date_or_zone_is_a_clear_error(site: Path, capsys: pytest.CaptureFixture[str],
                                                     argv: list[str], message: str) -> None:
    code, _, err = run(["new", "entry", "X", *argv, "--source", str(site)], capsys)
    assert code == 1 and err.startswith(message) and "Traceback" not in err
    assert not list((site / "content/entries").rglob("*-x.md"))


# --- new update ---

def test_new_update_appends_a_stamped_block_by_slug(site: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = update(site, capsys, "the-call", "**Call is on!** Confirmed.",
                            "--time", "2025-03-18 16:45")
    assert (code, err) == (0, "")
    assert out == f"added an update at 2025-03-18 16:45 CET to {CALL}:9 (1 update)\n"
    assert (site / CALL).read_text("utf-8") == CALL_TEXT + (
        "\n::: update 2025-03-18 16:45\n**Call is on!** Confirmed.\n:::\n")
    code, out, _ = update(site, capsys, "the-call", "Over.", "--time", "2025-03-18 12:00")
    assert out == f"added an update at 2025-03-18 12:00 CET to {CALL}:13 (2 updates)\n"
    built = build_site(site)  # appended last, shown in time order
    sections = built.html("2025/03/18/the-call/").xpath("//section[contains(@class,'update')]")
    assert [s.get("id") for s in sections] == ["update-2025-03-18-1645", "update-2025-03-18-1200"]
    assert "Call is on!" in sections[0].text_content()


def test_new_update_without_time_is_stamped_now_in_the_site_zone(
        site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = dt.datetime.now(ZoneInfo("Europe/Berlin")).replace(second=0, microsecond=0, tzinfo=None)
    code, out, _ = update(site, capsys, "the-call", "Now.")
    after = dt.datetime.now(ZoneInfo("Europe/Berlin")).replace(tzinfo=None)
    assert code == 0
    stamp = (site / CALL).read_text("utf-8").split("::: update ", 1)[1].split("\n", 1)[0]
    assert before <= dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M") <= after
    assert out.startswith(f"added an update at {stamp} ")


def test_new_update_stamps_now_in_the_entrys_own_zone(site: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    (site / CALL).write_text(entry("The call", "2025-03-18 09:12", body="Intro.",
                                   timezone="America/New_York"), "utf-8")
    before = dt.datetime.now(ZoneInfo("America/New_York")).replace(second=0, microsecond=0,
                                                                   tzinfo=None)
    code, out, _ = update(site, capsys, "the-call", "From New York.")
    after = dt.datetime.now(ZoneInfo("America/New_York")).replace(tzinfo=None)
    stamp = (site / CALL).read_text("utf-8").split("::: update ", 1)[1].split("\n", 1)[0]
    assert code == 0 and before <= dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M") <= after
    assert out.split(" to ")[0].endswith(("EDT", "EST"))


def test_new_update_reads_the_text_from_stdin(site: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Piped in.\n\nA second paragraph.\n"))
    code, out, _ = update(site, capsys, "the-call", "--time", "2025-03-18 10:00")
    assert code == 0
    assert (site / CALL).read_text("utf-8").endswith(
        "::: update 2025-03-18 10:00\nPiped in.\n\nA second paragraph.\n:::\n")


def test_new_update_without_text_on_a_terminal_is_an_error(
        site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal())
    code, out, err = update(site, capsys, "the-call")
    assert code == 1 and out == ""
    assert err.startswith("error: no text for the update\n  hint: chronicle new update ENTRY")
    assert (site / CALL).read_text("utf-8") == CALL_TEXT


@pytest.mark.parametrize("name", [CALL, "entries/2025/2025-03-18-the-call",
                                  "entries/2025/2025-03-18-the-call.md"])
def test_new_update_finds_the_entry_by_path(site: Path, capsys: pytest.CaptureFixture[str],
                                            name: str) -> None:
    code, out, _ = update(site, capsys, name, "By path.", "--time", "2025-03-18 10:00")
    assert code == 0 and f"to {CALL}:9" in out


def test_new_update_takes_a_file_path_from_anywhere(site: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(site / "content/entries")
    code, out, _ = update(site, capsys, "2025/2025-03-18-the-call.md", "Relative.",
                          "--time", "2025-03-18 10:00")
    assert code == 0 and f"to {CALL}:9" in out
    code, out, _ = update(site, capsys, str(site / CALL), "Absolute.", "--time", "2025-03-18 11:00")
    assert code == 0 and "(2 updates)" in out


def test_new_update_ambiguous_slug_lists_the_candidates(site: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (site / "content/2024-05-01-the-call.md").write_text(entry("The call", "2024-05-01 09:00"))
    (site / "content/renamed.md").write_text(entry("Other", "2024-06-01 09:00", slug="the-call"))
    code, _, err = update(site, capsys, "the-call", "Which one?")
    assert code == 1
    assert err == ("error: 'the-call' names 3 entries: content/2024-05-01-the-call.md, "
                   f"{CALL}, content/renamed.md\n"
                   "  hint: name one by its path, e.g. chronicle new update "
                   "content/2024-05-01-the-call.md\n")


def test_new_update_unknown_entry_suggests_names(site: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = update(site, capsys, "call", "Where?")
    assert code == 1
    assert err == (f"error: no entry 'call' in {site / 'content'}\n"
                   "  hint: did you mean: the-call?\n")
    code, _, err = update(site, capsys, "the-cal", "Where?")
    assert "did you mean: the-call?" in err
    code, _, err = update(site, capsys, "zzz", "Where?")
    assert "`chronicle list` shows them all" in err
    code, _, err = update(site, capsys, "about", "A page?")  # pages are not entries
    assert code == 1 and "no entry 'about'" in err
    code, _, err = update(site, capsys, "content/pages/about.md", "A page?")
    assert code == 1 and "content/pages/about.md is a page, not an entry" in err


def test_new_update_keeps_crlf_bom_fence_style_and_mode(site: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    text = ("---\ntitle: The call\ndate: 2025-03-18 09:12\n---\n\nIntro.\n\n"
            ":::: update 2025-03-18 10:00\nFirst.\n\n::: note\nMine.\n:::\n::::")  # no final newline
    original = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")
    (site / CALL).write_bytes(original)
    os.chmod(site / CALL, 0o640)
    code, out, _ = update(site, capsys, "the-call", "Second.", "--time", "2025-03-18 11:00")
    assert code == 0 and "(2 updates)" in out
    assert (site / CALL).read_bytes() == original + (
        b"\r\n\r\n:::: update 2025-03-18 11:00\r\nSecond.\r\n::::\r\n")
    assert stat.S_IMODE((site / CALL).stat().st_mode) == 0o640
    assert [p.name for p in (site / CALL).parent.iterdir()] == ["2025-03-18-the-call.md"]


def test_new_update_with_a_nested_block_gets_a_longer_fence(
        site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = 'The statement:\n\n::: quote source="Press Office"\nAgreed.\n:::'
    code, out, _ = update(site, capsys, "the-call", text, "--time", "2025-03-18 12:30")
    assert code == 0
    assert (site / CALL).read_text("utf-8").endswith(
        ':::: update 2025-03-18 12:30\nThe statement:\n\n::: quote source="Press Office"\n'
        "Agreed.\n:::\n::::\n")
    built = build_site(site)
    (section,) = built.html("2025/03/18/the-call/").xpath("//section[contains(@class,'update')]")
    assert section.xpath(".//figure/blockquote")


@pytest.mark.parametrize(("body", "time", "message"), [
    ("Intro.\n\n```\nan unclosed code block\n", "2025-03-18 10:00",
     "the update was not added: the end of the entry is inside another block"),
    ("Intro.", "2025-03-17 10:00", "the update was not added: update at 2025-03-17 10:00 is "
                                   "before the entry's date"),
    ("Intro.", "at noon", "--time: cannot parse 'at noon' as a date"),
])
def test_new_update_that_would_not_read_right_writes_nothing(
        site: Path, capsys: pytest.CaptureFixture[str], body: str, time: str, message: str) -> None:
    original = entry("The call", "2025-03-18 09:12", body=body)
    (site / CALL).write_text(original, "utf-8")
    code, out, err = update(site, capsys, "the-call", "Lost?", "--time", time)
    assert code == 1 and out == "" and message in err.splitlines()[0]
    assert (site / CALL).read_text("utf-8") == original
    assert [p.name for p in (site / CALL).parent.iterdir()] == ["2025-03-18-the-call.md"]


def test_new_update_to_an_entry_that_says_live_false_says_so(
        site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (site / CALL).write_text(entry("The call", "2025-03-18 09:12", body="Intro.", live=False))
    code, _, err = update(site, capsys, "the-call", "Late.", "--time", "2025-03-19 10:00")
    assert code == 0
    assert err == ("note: the entry says live: false, so its coverage stays ended; remove that "
                   "line to go live again\n")


def test_new_update_help_describes_text_and_time(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["new", "update", "--help"], capsys)
    assert code == 0
    for word in ("ENTRY", "TEXT", "--time", "standard input", "--source"):
        assert word in out
