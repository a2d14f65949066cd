"""Date parsing in the site timezone and RFC 3339 output."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from chronicle_ssg.dates import load_timezone, parse_datetime, rfc3339

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(("value", "expected"), [
    (dt.date(2025, 3, 18), dt.datetime(2025, 3, 18, tzinfo=BERLIN)),
    (dt.datetime(2025, 3, 18, 9, 5), dt.datetime(2025, 3, 18, 9, 5, tzinfo=BERLIN)),
    ("2025-03-18", dt.datetime(2025, 3, 18, tzinfo=BERLIN)),
    ("2025-03-18 16:45", dt.datetime(2025, 3, 18, 16, 45, tzinfo=BERLIN)),
    ("2025-03-18T16:45:30", dt.datetime(2025, 3, 18, 16, 45, 30, tzinfo=BERLIN)),
    ("2025-03-18T23:30:00Z", dt.datetime(2025, 3, 18, 23, 30, tzinfo=dt.timezone.utc)),
    ("2025-03-18 10:00+05:30",
     dt.datetime(2025, 3, 18, 10, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))),
])
def test_parse_datetime_accepts_yaml_values_and_strings(value: object, expected: dt.datetime) -> None:
    parsed = parse_datetime(value, BERLIN)
    assert parsed == expected and parsed.utcoffset() == expected.utcoffset()


def test_aware_yaml_datetime_keeps_its_offset() -> None:
    value = dt.datetime(2025, 3, 18, 23, 30, tzinfo=dt.timezone.utc)
    assert parse_datetime(value, BERLIN).utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("value", ["18 March 2025", "2025-13-01", "2025-03-18 25:00", "", 12, None])
def test_unparseable_dates_raise_value_error(value: object) -> None:
    with pytest.raises(ValueError):
        parse_datetime(value, BERLIN)


def test_load_timezone() -> None:
    assert load_timezone("UTC") is dt.timezone.utc
    assert load_timezone("Europe/Berlin") == BERLIN
    with pytest.raises(ValueError, match="unknown timezone"):
        load_timezone("Mars/Olympus")


def test_rfc3339_uses_z_for_utc_and_offsets_otherwise() -> None:
    assert rfc3339(dt.datetime(2025, 3, 18, 9, tzinfo=dt.timezone.utc)) == "2025-03-18T09:00:00Z"
    assert rfc3339(dt.datetime(2025, 3, 18, 9, tzinfo=BERLIN)) == "2025-03-18T09:00:00+01:00"


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+01:00",
                                   "0001-01-01", "9999-12-31T12:00:00Z",
                                   dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)])
def test_dates_that_cannot_be_shown_in_every_timezone_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="limits of the calendar"):
        parse_datetime(value, ZoneInfo("Pacific/Kiritimati"))


def test_dates_a_day_inside_the_calendar_convert_everywhere() -> None:
    for value in ("0001-01-02T12:00:00+00:00", "9999-12-30 00:00"):
        when = parse_datetime(value, dt.timezone.utc)
        for zone in ("Pacific/Kiritimati", "Etc/GMT+12", "Europe/Paris"):
            when.astimezone(ZoneInfo(zone))
