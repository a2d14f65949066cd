"""Date parsing in the site timezone and RFC 3339 formatting."""

from __future__ import annotations

import datetime as dt
import re
from email.utils import format_datetime
from zoneinfo import ZoneInfo

_DATE_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)

DATE_HINT = "use YYYY-MM-DD, YYYY-MM-DD HH:MM or YYYY-MM-DDTHH:MM:SS+01:00"
#: a day inside datetime's range on either side: a time between these converts to any
#: timezone (offsets are under a day) without OverflowError
_EARLIEST = dt.datetime.min.replace(tzinfo=dt.timezone.utc) + dt.timedelta(days=1)
_LATEST = dt.datetime.max.replace(tzinfo=dt.timezone.utc) - dt.timedelta(days=1)


def parse_datetime(value: object, tz: dt.tzinfo) -> dt.datetime:
    """Turn a YAML date, datetime or string into an aware datetime; naive means `tz`.

    Raises ValueError with a short reason when the value is not a date, or is a date
    so close to year 1 or 9999 that it cannot be shown in every timezone.
    """
    when = _parse(value, tz)
    try:
        in_range = _EARLIEST <= when <= _LATEST
    except OverflowError:  # a zone whose offset cannot be applied there
        in_range = False
    if not in_range:
        raise ValueError(f"{value!s} is too close to the limits of the calendar "
                         "(years 1 and 9999) to be shown in every timezone")
    return when


def _parse(value: object, tz: dt.tzinfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=tz)
    if not isinstance(value, str):
        raise ValueError(f"expected a date, got {type(value).__name__}")
    match = _DATE_RE.match(value.strip())
    if not match:
        raise ValueError(f"cannot parse {value!r} as a date")
    year, month, day, hour, minute, second, offset = match.groups()
    zone = tz if offset is None else _parse_offset(offset)
    return dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                       int(second or 0), tzinfo=zone)


def _parse_offset(text: str) -> dt.tzinfo:
    if text == "Z":
        return dt.timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def load_timezone(name: str) -> dt.tzinfo:
    """Look up an IANA zone; raises ValueError for an unknown name."""
    if name.upper() == "UTC":
        return dt.timezone.utc
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc


def zone_name(value: dt.datetime) -> str:
    """The zone of an aware time as readers know it: "CET", "EDT", "UTC"; zones without a
    common abbreviation, whose tz data names them "+04" or "+0545", read "UTC+4", "UTC+5:45"."""
    name = value.strftime("%Z")
    if not name or name[0] not in "+-":
        return name
    hours, minutes = name[1:3].lstrip("0") or "0", name[3:5]
    return f"UTC{name[0]}{hours}{':' + minutes if minutes and minutes != '00' else ''}"


def rfc3339(value: dt.datetime) -> str:
    """Format as RFC 3339 with a numeric offset (or Z for UTC)."""
    text = value.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def rfc822(value: dt.datetime) -> str:
    """Format as RFC 822 (RSS 2.0 dates), with a four-digit year and a numeric offset."""
    return format_datetime(value)
