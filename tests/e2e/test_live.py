"""Issue 12: live coverage ends (by front matter or the site's live window), per-entry
time zones, and how a page whose live status changes with time alone is rebuilt."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from chronicle_ssg.build import BuildOptions, build_site as build_to
from chronicle_ssg.errors import BuildFailed
from tests.conftest import Built, build_site, entry, make_site, texts, write_files

BERLIN = '''\
title = "Newsroom"
base_url = "https://example.org/"
timezone = "Europe/Berlin"
'''
BODY = '''\
Intro.

::: update 2025-03-18 09:41
The call is on.
:::

::: update 2025-03-18 12:30
The statement is out.
:::
'''
CALL = "content/2025-03-18-call.md"
PAGE = "2025/03/18/call/"
#: moments as SOURCE_DATE_EPOCH; the last update is 2025-03-18 12:30 CET (11:30 UTC)
DURING = "1742342400"  # 2025-03-19 00:00 UTC: within 48 hours of the last update
AFTER = "1742515200"  # 2025-03-21 00:00 UTC: the 48-hour window closed at 2025-03-20 11:30 UTC


def live_site(tmp_path: Path, config: str = BERLIN, **meta: object) -> Path:
    tmp_path.mkdir(exist_ok=True)
    return make_site(tmp_path, {
        CALL: entry("The call", "2025-03-18 09:12", body=BODY, **meta),
        "content/2025-03-10-earlier.md": entry("Earlier", "2025-03-10 09:00"),
    }, config=config)


def at(monkeypatch: pytest.MonkeyPatch, epoch: str) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)


def status(built: Built) -> str:
    return " ".join(texts(built.html(PAGE), "//*[contains(@class,'live-status')]/p"))


def badges(built: Built, path: str) -> list[str]:
    return texts(built.html(path), "//span[contains(concat(' ', @class, ' '), ' badge ')]")


def json_ld(built: Built) -> dict:
    (script,) = built.html(PAGE).xpath("//script[@type='application/ld+json']/text()")
    return json.loads(script)


def test_live_entry_within_the_window_is_live(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    at(monkeypatch, DURING)
    built = build_site(live_site(tmp_path))
    assert status(built).startswith("Updated throughout the day. 2 updates, the latest "
                                    "18 March 2025, 12:30 CET.")
    assert badges(built, PAGE) == ["Live · 2 updates"]
    assert badges(built, "") == ["Live · 2 updates"]
    data = json_ld(built)
    assert data["@type"] == "LiveBlogPosting" and "coverageEndTime" not in data
    assert data["coverageStartTime"] == "2025-03-18T09:12:00+01:00"
    assert built.loaded.site.next_due.isoformat() == "2025-03-20T12:30:00+01:00"


def test_live_coverage_ends_48_hours_after_the_last_update(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    at(monkeypatch, AFTER)
    built = build_site(live_site(tmp_path))
    assert status(built) == ("Live coverage has ended. Updated 2 times, last on "
                             "18 March 2025, 12:30 CET.")
    assert "Updated throughout the day" not in built.text(PAGE)
    assert badges(built, PAGE) == badges(built, "") == ["Updated 2 times"]
    assert "Live ·" not in built.text("")
    data = json_ld(built)
    assert data["@type"] == "LiveBlogPosting"
    assert data["coverageEndTime"] == "2025-03-20T12:30:00+01:00"
    assert len(data["liveBlogUpdate"]) == 2
    # the jump list stays: the updates are still there to read
    assert built.html(PAGE).xpath("//nav[@aria-label='Updates']//a/@href") == [
        "#update-2025-03-18-1230", "#update-2025-03-18-0941"]
    assert built.loaded.site.next_due is None


def test_live_window_is_a_site_setting_and_zero_never_ends(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    at(monkeypatch, AFTER)
    short = build_site(live_site(tmp_path / "a", BERLIN + "live_window_hours = 100\n"))
    assert badges(short, PAGE) == ["Live · 2 updates"]
    never = build_site(live_site(tmp_path / "b", BERLIN + "live_window_hours = 0\n"))
    assert badges(never, PAGE) == ["Live · 2 updates"]
    assert never.loaded.site.next_due is None


def test_live_false_ends_coverage_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at(monkeypatch, DURING)
    built = build_site(live_site(tmp_path, live=False))
    assert status(built).startswith("Live coverage has ended. Updated 2 times, last on")
    assert badges(built, PAGE) == ["Updated 2 times"]
    assert json_ld(built)["coverageEndTime"] == "2025-03-18T12:30:00+01:00"  # the last update


def test_live_until_ends_coverage_at_that_time(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    at(monkeypatch, DURING)  # 2025-03-19 01:00 CET
    before = build_site(live_site(tmp_path / "a", live_until="2025-03-19 18:00"))
    assert badges(before, PAGE) == ["Live · 2 updates"]
    assert before.loaded.site.next_due.isoformat() == "2025-03-19T18:00:00+01:00"
    ended = build_site(live_site(tmp_path / "b", live_until="2025-03-18 20:00"))
    assert badges(ended, PAGE) == ["Updated 2 times"]
    assert json_ld(ended)["coverageEndTime"] == "2025-03-18T20:00:00+01:00"
    at(monkeypatch, AFTER)  # live_until wins over the window, both ways
    longer = build_site(live_site(tmp_path / "c", live_until="2025-03-25 18:00"))
    assert badges(longer, PAGE) == ["Live · 2 updates"]


def test_live_true_makes_a_live_entry_before_its_first_update(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at(monkeypatch, DURING)
    built = build_site(make_site(tmp_path, {CALL: entry("The call", "2025-03-18 09:12",
                                                        body="Intro.", live=True)}, config=BERLIN))
    assert badges(built, PAGE) == ["Live"]
    assert status(built) == "Updated throughout the day. The first update follows soon."
    assert json_ld(built)["@type"] == "LiveBlogPosting"


def test_one_update_reads_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at(monkeypatch, AFTER)
    body = "Intro.\n\n::: update 2025-03-18 10:00\nOnly one.\n:::\n"
    built = build_site(make_site(tmp_path, {CALL: entry("The call", "2025-03-18 09:12",
                                                        body=body)}, config=BERLIN))
    assert badges(built, PAGE) == ["Updated once"]
    assert status(built).startswith("Live coverage has ended. Updated once, last on 18 March")


@pytest.mark.parametrize(("meta", "line", "message"), [
    ({"live": "yes"}, 4, "'live' must be true or false"),
    ({"live_until": "soon"}, 4, "live_until: cannot parse 'soon'"),
    ({"live_until": "2025-03-17 10:00"}, 4, "live_until (2025-03-17T10:00:00+01:00) is before "
                                            "the entry's date"),
])
def test_bad_live_front_matter_is_an_error_at_its_line(tmp_path: Path, meta: dict, line: int,
                                                       message: str) -> None:
    with pytest.raises(BuildFailed) as failure:
        build_site(live_site(tmp_path, **meta))
    (error,) = failure.value.errors
    assert str(error.location) == f"{CALL}:{line}"
    assert message in error.message


def test_negative_live_window_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(BuildFailed) as failure:
        build_site(live_site(tmp_path, BERLIN + "live_window_hours = -1\n"))
    (error,) = failure.value.errors
    assert str(error.location) == "chronicle.toml:4"
    assert "'live_window_hours' must be 0" in error.message


# --- time alone changes the page: warm builds and serve re-render it ---

def test_warm_build_after_the_window_rerenders_the_entry_and_listings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = live_site(tmp_path)
    at(monkeypatch, DURING)
    build_to(root, root / "output", BuildOptions(jobs=1))
    build_to(root, root / "output", BuildOptions(jobs=1))  # a no-op: nothing is due yet
    assert b"Live \xc2\xb7 2 updates" in (root / "output" / PAGE / "index.html").read_bytes()
    at(monkeypatch, AFTER)
    result = build_to(root, root / "output", BuildOptions(jobs=1))
    assert result.loaded is not None, "the no-op shortcut must not keep a page whose coverage ended"
    assert {PAGE + "index.html", "index.html"} <= set(result.report.changed)
    page = (root / "output" / PAGE / "index.html").read_text("utf-8")
    assert "Live coverage has ended." in page and "Live ·" not in page
    assert "Updated 2 times" in (root / "output/index.html").read_text("utf-8")


def test_serve_session_rebuilds_when_coverage_ends_without_a_file_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chronicle_ssg.serve import rebuild_loop
    from chronicle_ssg.session import SiteSession
    root = live_site(tmp_path)
    at(monkeypatch, DURING)
    session = SiteSession(root, root / "output", BuildOptions(jobs=1))
    session.start()
    assert session.overdue() is None

    class Idle:  # a watcher that sees no change at all
        def next_batch(self, timeout: float = 0.25) -> None:
            stop.wait(0.01)

        def has_events(self) -> bool:
            return False

        def watch(self, folder: object) -> None:
            pass

    stop, lines = threading.Event(), []
    at(monkeypatch, AFTER)
    assert session.overdue() is not None and session.overdue().isoformat() == "2025-03-20T12:30:00+01:00"
    loop = threading.Thread(target=rebuild_loop, args=(session, Idle(), None, lines.append, stop))
    loop.start()
    try:
        for _ in range(2000):
            if lines:
                break
            stop.wait(0.01)
    finally:
        stop.set()
        loop.join()
    assert lines and lines[0].startswith("rebuilt"), lines
    assert len(lines) == 1  # once per moment, not on every idle tick
    assert "Live coverage has ended." in (root / "output" / PAGE / "index.html").read_text("utf-8")
    assert "Updated 2 times" in (root / "output/index.html").read_text("utf-8")
    assert session.overdue() is None


def test_serve_edit_after_the_window_also_ends_coverage_of_other_entries(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chronicle_ssg.session import SiteSession
    root = live_site(tmp_path)
    at(monkeypatch, DURING)
    session = SiteSession(root, root / "output", BuildOptions(jobs=1))
    session.start()
    at(monkeypatch, AFTER)
    earlier = root / "content/2025-03-10-earlier.md"
    write_files(root, {"content/2025-03-10-earlier.md": entry("Earlier", "2025-03-10 09:00",
                                                              body="A body edit.")})
    session.rebuild({str(earlier)})  # a body edit alone would take the fast path
    assert "A body edit." in (root / "output/2025/03/10/earlier/index.html").read_text("utf-8")
    assert "Live coverage has ended." in (root / "output" / PAGE / "index.html").read_text("utf-8")


# --- a live entry following events in another time zone ---

NEW_YORK_BODY = '''\
Intro.

::: update 2025-03-18 10:15
Read in New York time.
:::

::: update 2025-03-18T16:00:00+01:00
An explicit offset stays as written.
:::
'''


def test_entry_timezone_reads_naive_times_in_it_and_shows_the_site_zone(tmp_path: Path) -> None:
    built = build_site(make_site(tmp_path, {CALL: entry(
        "The call", "2025-03-18 09:00", body=NEW_YORK_BODY, timezone="America/New_York")},
        config=BERLIN))
    doc = built.html(PAGE)
    times = doc.xpath("//section[contains(@class,'update')]//time")
    assert [t.get("datetime") for t in times] == ["2025-03-18T16:00:00+01:00",
                                                  "2025-03-18T10:15:00-04:00"]
    assert [t.text_content() for t in times] == ["18 March 2025, 16:00 CET",
                                                 "18 March 2025, 15:15 CET"]
    published = doc.xpath("//p[contains(@class,'entry-meta')]/time")[0]
    assert published.get("datetime") == "2025-03-18T14:00:00+01:00"  # 09:00 EDT
    assert published.text_content() == "18 March 2025, 14:00 CET"
    (only,) = built.loaded.site.entries
    assert only.updated.isoformat() == "2025-03-18T16:00:00+01:00"  # in the site zone


def test_entry_timezone_applies_to_the_file_name_date_and_archives_use_the_site_zone(
        tmp_path: Path) -> None:
    built = build_site(make_site(tmp_path, {
        "content/2025-03-18-late.md": entry("Late", "2025-03-18 22:00", timezone="America/New_York"),
        "content/2025-03-18-named.md": entry("Named", None, timezone="Asia/Tokyo"),
    }, config=BERLIN))
    by_slug = {e.slug: e for e in built.loaded.site.entries}
    assert by_slug["late"].date.isoformat() == "2025-03-19T03:00:00+01:00"
    assert by_slug["late"].path == "/2025/03/19/late/"
    assert by_slug["named"].date.isoformat() == "2025-03-17T16:00:00+01:00"  # midnight in Tokyo


def test_update_before_the_entry_date_compares_in_the_entry_zone(tmp_path: Path) -> None:
    body = "Intro.\n\n::: update 2025-03-18 08:30\nToo early in New York.\n:::\n"
    with pytest.raises(BuildFailed) as failure:
        build_site(make_site(tmp_path, {CALL: entry(
            "The call", "2025-03-18 09:00", body=body, timezone="America/New_York")},
            config=BERLIN))
    (error,) = failure.value.errors
    assert str(error.location) == f"{CALL}:9"
    assert "before the entry's date (2025-03-18T14:00:00+01:00)" in error.message  # 09:00 EDT


@pytest.mark.parametrize(("value", "message"), [
    ('"Mars/Olympus_Mons"', "timezone: unknown timezone 'Mars/Olympus_Mons'"),
    ("3", "'timezone' must be text, got int"),
])
def test_unknown_entry_timezone_is_an_error_at_its_line(tmp_path: Path, value: str,
                                                       message: str) -> None:
    source = f"---\ntitle: X\ndate: 2025-03-18 09:00\ntimezone: {value}\n---\n\nBody.\n"
    with pytest.raises(BuildFailed) as failure:
        build_site(make_site(tmp_path, {CALL: source}, config=BERLIN))
    (error,) = failure.value.errors
    assert str(error.location) == f"{CALL}:4"
    assert message in error.message
    assert "IANA name" in (error.hint or "")


def test_zones_without_an_abbreviation_are_named_by_their_offset(tmp_path: Path) -> None:
    built = build_site(make_site(tmp_path, {CALL: entry("The call", "2025-03-18 09:00", body=BODY)},
                                 config=BERLIN.replace("Europe/Berlin", "Asia/Dubai")))
    times = built.html(PAGE).xpath("//section[contains(@class,'update')]//time/text()")
    assert times == ["18 March 2025, 12:30 UTC+4", "18 March 2025, 09:41 UTC+4"]


def test_changing_the_entry_timezone_is_seen_by_a_warm_build(tmp_path: Path) -> None:
    root = make_site(tmp_path, {CALL: entry("The call", "2025-03-18 09:00", body=NEW_YORK_BODY)},
                     config=BERLIN)
    build_to(root, root / "output", BuildOptions(jobs=1))
    page = root / "output" / PAGE / "index.html"
    assert "18 March 2025, 10:15 CET" in page.read_text("utf-8")
    write_files(root, {CALL: entry("The call", "2025-03-18 09:00", body=NEW_YORK_BODY,
                                   timezone="America/New_York")})
    build_to(root, root / "output", BuildOptions(jobs=1))
    assert "18 March 2025, 15:15 CET" in page.read_text("utf-8")


def test_serve_edit_of_live_until_moves_the_next_rebuild(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from chronicle_ssg.session import SiteSession
    root = live_site(tmp_path, live_until="2025-03-19 18:00")
    at(monkeypatch, DURING)  # 2025-03-19 01:00 CET
    session = SiteSession(root, root / "output", BuildOptions(jobs=1))
    session.start()
    write_files(root, {CALL: entry("The call", "2025-03-18 09:12", body=BODY,
                                   live_until="2025-03-19 06:00")})
    session.rebuild({str(root / CALL)})  # nothing a listing shows changed
    assert session.loaded.site.next_due.isoformat() == "2025-03-19T06:00:00+01:00"
