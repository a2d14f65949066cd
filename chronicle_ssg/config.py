"""chronicle.toml -> SiteConfig, validated: unknown keys and wrong types are errors."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from chronicle_ssg.dates import load_timezone
from chronicle_ssg.errors import ConfigError, SourceLocation, raise_collected

CONFIG_NAME = "chronicle.toml"
PERMALINK_FIELDS = {"year", "month", "day", "slug"}


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """The validated site configuration. Field docs double as the config reference."""

    title: str = "A chronicle"  #: site title, shown in the header and feeds
    description: str = ""  #: one-line description for meta tags and feeds
    base_url: str = "http://localhost:8000/"  #: absolute URL, may include a sub-path
    language: str = "en"  #: BCP 47 code for <html lang>
    author: str = ""  #: default author for entries without one
    timezone: str = "UTC"  #: IANA zone for naive dates and archive grouping
    theme: str = "default"  #: theme folder under themes/ or a built-in theme
    entries_per_page: int = 10  #: listing page size (home, archives, terms)
    permalink: str = "/{year}/{month}/{day}/{slug}/"  #: entry URL pattern
    feed_entries: int = 20  #: entries in each Atom feed
    update_order: str = "newest"  #: order of live updates: newest or oldest first
    recently_updated: int = 5  #: live/updated entries listed on the home page
    #: live coverage ends this many hours after an entry's last update (0: never by itself)
    live_window_hours: int = 48
    related_entries: int = 5  #: related entries shown on an entry page
    words_per_minute: int = 220  #: reading speed for reading time
    build_timestamp: bool = False  #: print the build time in the footer (breaks reproducibility)
    menu: tuple[tuple[str, str], ...] = ()  #: extra navigation links [[menu]] name/url
    theme_settings: dict[str, Any] = field(default_factory=dict)  #: passed to templates as-is
    #: computed: the file this came from (None for defaults)
    source: Path | None = None

    @property
    def tz(self) -> dt.tzinfo:
        return load_timezone(self.timezone)

    @property
    def base_path(self) -> str:
        """The URL path part of base_url, without trailing slash ('' at the root)."""
        return urlsplit(self.base_url).path.rstrip("/")

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    def digest(self) -> str:
        """A hash over every setting: a config change re-renders everything."""
        text = repr([(f.name, getattr(self, f.name)) for f in fields(self) if f.name != "source"])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


_TYPES: dict[str, type | tuple[type, ...]] = {
    "title": str, "description": str, "base_url": str, "language": str, "author": str,
    "timezone": str, "theme": str, "entries_per_page": int, "permalink": str,
    "feed_entries": int, "update_order": str, "recently_updated": int, "live_window_hours": int,
    "related_entries": int, "words_per_minute": int, "build_timestamp": bool,
    "menu": list, "theme_settings": dict,
}


def _key_line(text: str, key: str) -> int | None:
    """Find the line of a top-level key with a small scan (tomllib keeps no positions)."""
    pattern = re.compile(rf"^\s*(\[\[?\s*)?\"?{re.escape(key)}\"?\s*(=|\]\]?)")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return None


def load_config(site_root: Path, overrides: dict[str, Any] | None = None) -> SiteConfig:
    """Read and validate chronicle.toml at the site root; every problem is reported."""
    path = site_root / CONFIG_NAME
    rel = PurePosixPath(CONFIG_NAME)
    if not path.is_file():
        raise_collected([ConfigError(
            f"no {CONFIG_NAME} in {site_root}", SourceLocation(rel),
            hint="run `chronicle new site DIR` for a starter site, or pass --source")])
    text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise_collected([ConfigError(f"invalid TOML: {exc}",
                                     SourceLocation(rel, int(line.group(1)) if line else None))])
    raw.update(overrides or {})
    errors: list[ConfigError] = []
    values: dict[str, Any] = {}
    for key, value in raw.items():
        where = SourceLocation(rel, _key_line(text, key))
        if key not in _TYPES:
            errors.append(ConfigError(f"unknown key {key!r}", where,
                                      hint="known keys: " + ", ".join(sorted(_TYPES))))
            continue
        expected = _TYPES[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            errors.append(ConfigError(
                f"{key!r} must be {_type_name(expected)}, got {type(value).__name__}", where))
            continue
        values[key] = value
    errors.extend(_check_values(values, text, rel))
    raise_collected(errors)
    if "menu" in values:
        values["menu"] = tuple((str(m["name"]), str(m["url"])) for m in values["menu"])
    if "base_url" in values and not values["base_url"].endswith("/"):
        values["base_url"] += "/"
    return SiteConfig(**values, source=path)


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", bool: "true or false", list: "a list",
             dict: "a table"}
    return names.get(expected, str(expected))  # type: ignore[arg-type]


def _check_values(values: dict[str, Any], text: str, rel: PurePosixPath) -> list[ConfigError]:
    errors = []

    def bad(key: str, message: str, hint: str | None = None) -> None:
        errors.append(ConfigError(message, SourceLocation(rel, _key_line(text, key)), hint))

    if "timezone" in values:
        try:
            load_timezone(values["timezone"])
        except ValueError as exc:
            bad("timezone", str(exc), "use an IANA name such as Europe/Berlin or UTC")
    if "base_url" in values:
        parts = urlsplit(values["base_url"])
        if parts.scheme not in ("http", "https") or not parts.netloc:
            bad("base_url", f"base_url {values['base_url']!r} is not an absolute http(s) URL",
                "for example https://example.org/ or https://example.org/archive/")
    if "permalink" in values:
        names = set(re.findall(r"{(\w+)}", values["permalink"]))
        if not names <= PERMALINK_FIELDS or "slug" not in names:
            bad("permalink", f"permalink {values['permalink']!r} must use {{slug}} and only "
                "{year}, {month}, {day}, {slug}")
    for key in ("entries_per_page", "feed_entries", "words_per_minute"):
        if key in values and values[key] < 1:
            bad(key, f"{key!r} must be at least 1")
    if values.get("live_window_hours", 0) < 0:
        bad("live_window_hours", "'live_window_hours' must be 0 (coverage never ends by itself) "
            "or more")
    if values.get("update_order", "newest") not in ("newest", "oldest"):
        bad("update_order", "'update_order' must be 'newest' or 'oldest'")
    for item in values.get("menu", []):
        if not isinstance(item, dict) or set(item) != {"name", "url"}:
            bad("menu", "each [[menu]] needs exactly 'name' and 'url'")
            break
    return errors
