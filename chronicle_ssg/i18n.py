"""Message catalogues and locale-aware dates: the theme's words in the site's language.

A catalogue is a TOML file named after its language (`i18n/de.toml`), mapping a key to a
string, or to plural forms chosen by Babel's plural rules (`{one = "...", other = "..."}`),
plus a `[dates]` table of CLDR date patterns. The theme ships catalogues; a site's own
`i18n/` folder adds languages or overrides single strings. English is complete and is the
reference: other catalogues may use only its keys and its placeholders (`{count}`), and
anything they lack falls back to English with a warning.

Babel (CLDR data: month and day names, plural rules) is imported only when a date is
formatted or a plural chosen, never at start-up.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Mapping

from chronicle_ssg.dates import zone_name
from chronicle_ssg.errors import ChronicleError, ChronicleWarning, SourceLocation

REFERENCE = "en"
#: Babel's plural categories (CLDR)
PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")
#: the CLDR date patterns a catalogue's [dates] table may set; a language whose catalogue
#: sets none uses Babel's own "long" formats
DATE_PATTERNS = {"date_long": "long", "datetime_long": "long", "time": "short",
                 "day_heading": "full", "month_year": "LLLL y", "month": "LLLL"}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_KEY_LINE = re.compile(r'^\s*(?:"([^"]+)"|([A-Za-z0-9_-]+))\s*=')
_TABLE_LINE = re.compile(r'^\s*\[\s*(?:"([^"]+)"|([A-Za-z0-9_-]+))\s*\]')
_SAMPLE = dt.datetime(2025, 3, 18, 16, 45, tzinfo=dt.timezone.utc)
#: the default theme's catalogues, used when no theme is at hand (unit tests, tools)
BUILTIN_CATALOGUES = Path(__file__).parent / "themes" / "default" / "i18n"

Message = str | Mapping[str, str]


class CatalogueError(ChronicleError):
    """A catalogue that cannot be used: bad TOML, a wrong type, a placeholder English lacks."""


@dataclass(frozen=True, slots=True)
class Localizer:
    """One language's strings (English filling the gaps) and date patterns."""

    language: str  #: BCP 47, as the site or entry wrote it
    messages: Mapping[str, Message]
    patterns: Mapping[str, str]  #: CLDR patterns; a missing one uses Babel's default

    def t(self, key: str, escape: Callable[[Any], str] = str, /, **params: Any) -> str:
        """The message for `key` with its placeholders filled; a `count` parameter picks
        the plural form. `escape` is applied to the text and to each parameter."""
        message = self.messages.get(key)
        if message is None:
            raise KeyError(f"no message {key!r} in the catalogues (English lacks it too)")
        if not isinstance(message, str):
            count = params.get("count")
            if not isinstance(count, (int, float)):
                raise KeyError(f"message {key!r} has plural forms: pass count=N")
            message = message.get(self._plural_form(count)) or message["other"]
        parts = _PLACEHOLDER.split(message)
        # split() alternates literal text and placeholder names
        return "".join(escape(part) if index % 2 == 0 else
                       escape(params[part]) if part in params else escape("{" + part + "}")
                       for index, part in enumerate(parts))

    def _plural_form(self, count: float) -> str:
        return _locale(self.language).plural_form(abs(count))

    def date_long(self, value: dt.date) -> str:
        return self._format(value, "date_long")

    def datetime_long(self, value: dt.datetime) -> str:
        """The date and time, followed by the zone readers know ("CET", "UTC+5:45")."""
        zone = zone_name(value) if isinstance(value, dt.datetime) else ""
        return self._format(value, "datetime_long") + (" " + zone if zone else "")

    def time(self, value: dt.datetime) -> str:
        return self._format(value, "time")

    def day_heading(self, value: dt.date) -> str:
        return self._format(value, "day_heading")

    def month_year(self, value: dt.date) -> str:
        return self._format(value, "month_year")

    def month(self, value: dt.date) -> str:
        return self._format(value, "month")

    def _format(self, value: dt.date, kind: str) -> str:
        from babel import dates
        locale = _locale(self.language)
        pattern = self.patterns.get(kind) or DATE_PATTERNS[kind]
        day = value.date() if isinstance(value, dt.datetime) else value
        if kind in ("datetime_long", "time") and isinstance(value, dt.datetime):
            if kind in self.patterns:
                return dates.format_datetime(value, pattern, tzinfo=value.tzinfo, locale=locale)
            # Babel's own: the long date and the short time, the zone added by the caller
            clock = dates.format_time(value, "short", tzinfo=value.tzinfo, locale=locale)
            return clock if kind == "time" else \
                f"{dates.format_date(day, 'long', locale=locale)}, {clock}"
        return dates.format_date(day, pattern, locale=locale)


@functools.lru_cache(maxsize=64)
def _locale(language: str) -> Any:
    """Babel's locale for a BCP 47 tag; `de-AT` falls back to `de`, unknown to English."""
    from babel import Locale, UnknownLocaleError
    tag = language
    while tag:
        try:
            return Locale.parse(tag, sep="-")
        except (UnknownLocaleError, ValueError):
            tag = tag.rpartition("-")[0]
    return Locale.parse(REFERENCE)


@dataclass(frozen=True, slots=True)
class CatalogueFile:
    """One catalogue as read: its messages, date patterns and the line of each key."""

    language: str
    rel: PurePosixPath
    messages: Mapping[str, Message]
    patterns: Mapping[str, str]
    lines: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Catalogues:
    """Every language's catalogue, theme and site layered, and what loading found."""

    by_language: Mapping[str, Mapping[str, Message]]
    patterns: Mapping[str, Mapping[str, str]]
    #: per language, the files it was layered from (theme first), for warnings
    files: Mapping[str, tuple[PurePosixPath, ...]] = field(default_factory=dict)
    warnings: tuple[ChronicleWarning, ...] = ()
    digest: str = ""  #: over every file's text: part of cache keys and page signatures

    def localizer(self, language: str) -> Localizer:
        """The strings for `language`: `pt-BR`, then `pt`, then English for what is missing."""
        chain = _chain(language)
        messages: dict[str, Message] = dict(self.by_language.get(REFERENCE, {}))
        patterns: dict[str, str] = {}
        for tag in reversed(chain):
            messages.update(self.by_language.get(tag, {}))
            patterns.update(self.patterns.get(tag, {}))
        return Localizer(language, messages, patterns)

    def missing(self, language: str) -> ChronicleWarning | None:
        """A warning naming the keys `language` takes from English, or None."""
        chain = _chain(language)
        english = self.by_language.get(REFERENCE, {})
        if chain[-1] == REFERENCE:
            return None
        known = [tag for tag in chain if tag in self.by_language]
        if not known:
            return ChronicleWarning(
                f"no catalogue for language {language!r}: the theme's words are in English",
                None, hint=f"add i18n/{chain[-1]}.toml to the site (keys as in the theme's "
                           "i18n/en.toml), or use one of: " + ", ".join(sorted(self.by_language)))
        have: set[str] = set()
        for tag in known:
            have.update(self.by_language[tag])
        lacking = sorted(set(english) - have)
        if not lacking:
            return None
        where = self.files[known[0]][-1]
        shown = ", ".join(lacking[:8]) + (f" and {len(lacking) - 8} more" if len(lacking) > 8 else "")
        return ChronicleWarning(f"{len(lacking)} message{'s' if len(lacking) != 1 else ''} "
                                f"missing for {language!r}, shown in English: {shown}",
                                SourceLocation(where), hint="add them to this catalogue")


def _chain(language: str) -> list[str]:
    """`pt-BR` -> [`pt-br`, `pt`]; lower case, since tags compare without case."""
    parts = language.lower().split("-")
    return ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]


def load_catalogues(theme_files: list[tuple[Path, PurePosixPath]],
                    site_files: list[tuple[Path, PurePosixPath]]) -> Catalogues:
    """Read the theme's catalogues, then the site's over them; errors are raised together."""
    errors: list[ChronicleError] = []
    warnings: list[ChronicleWarning] = []
    read = [(_read(path, rel, errors)) for path, rel in theme_files + site_files]
    files = [f for f in read if f is not None]
    english: dict[str, Message] = {}
    for catalogue in files:
        if catalogue.language == REFERENCE:
            english.update(catalogue.messages)
    by_language: dict[str, dict[str, Message]] = {}
    patterns: dict[str, dict[str, str]] = {}
    origins: dict[str, list[PurePosixPath]] = {}
    digest = hashlib.sha256()
    for catalogue in files:
        digest.update(str(catalogue.rel).encode() + b"\0" + repr(
            (sorted(catalogue.messages.items(), key=lambda kv: kv[0]),
             sorted(catalogue.patterns.items()))).encode())
        checked = _checked(catalogue, english, errors, warnings)
        by_language.setdefault(catalogue.language, {}).update(checked)
        patterns.setdefault(catalogue.language, {}).update(catalogue.patterns)
        origins.setdefault(catalogue.language, []).append(catalogue.rel)
    if errors:
        from chronicle_ssg.errors import raise_collected
        raise_collected(errors)
    return Catalogues(by_language, patterns, {k: tuple(v) for k, v in origins.items()},
                      tuple(warnings), digest.hexdigest()[:16])


def _read(path: Path, rel: PurePosixPath, errors: list[ChronicleError]) -> CatalogueFile | None:
    language = path.stem
    text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        errors.append(CatalogueError(f"invalid TOML: {exc}",
                                     SourceLocation(rel, int(line.group(1)) if line else None)))
        return None
    lines = _key_lines(text)
    messages: dict[str, Message] = {}
    patterns: dict[str, str] = {}
    for key, value in raw.items():
        where = SourceLocation(rel, lines.get(key))
        if key == "dates":
            patterns = _date_patterns(value, language, rel, lines, errors)
        elif isinstance(value, str):
            messages[key] = value
        elif isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
            unknown = sorted(set(value) - set(PLURAL_FORMS))
            if unknown:
                errors.append(CatalogueError(
                    f"{key!r}: {unknown[0]!r} is not a plural form", where,
                    hint="plural forms are " + ", ".join(PLURAL_FORMS) + " (Babel's names)"))
            elif "other" not in value:
                errors.append(CatalogueError(f"{key!r}: plural forms need 'other'", where,
                                             hint='write {one = "...", other = "..."}'))
            else:
                messages[key] = dict(value)
        else:
            errors.append(CatalogueError(
                f"{key!r} must be a string or a table of plural forms, got "
                f"{type(value).__name__}", where, hint='write key = "text" or '
                'key = {one = "...", other = "..."}'))
    return CatalogueFile(language, rel, messages, patterns, lines)


def _date_patterns(value: Any, language: str, rel: PurePosixPath, lines: Mapping[str, int],
                   errors: list[ChronicleError]) -> dict[str, str]:
    from babel import dates
    found: dict[str, str] = {}
    if not isinstance(value, dict):
        errors.append(CatalogueError("'dates' must be a table of CLDR patterns",
                                     SourceLocation(rel, lines.get("dates"))))
        return found
    for name, pattern in value.items():
        where = SourceLocation(rel, lines.get(f"dates.{name}"))
        if name not in DATE_PATTERNS:
            errors.append(CatalogueError(f"unknown date pattern {name!r}", where,
                                         hint=_did_you_mean(name, DATE_PATTERNS)))
            continue
        if not isinstance(pattern, str):
            errors.append(CatalogueError(f"date pattern {name!r} must be a string", where))
            continue
        try:
            dates.format_datetime(_SAMPLE, pattern, tzinfo=dt.timezone.utc,
                                  locale=_locale(language))
        except Exception as exc:  # Babel raises several kinds for a malformed pattern
            errors.append(CatalogueError(f"date pattern {name!r}: {exc}", where,
                                         hint="use a CLDR pattern such as 'd MMMM y'"))
            continue
        found[name] = pattern
    return found


def _checked(catalogue: CatalogueFile, english: Mapping[str, Message],
             errors: list[ChronicleError], warnings: list[ChronicleWarning]) -> dict[str, Message]:
    """The messages English also has, with the same placeholders; unknown keys warn."""
    if catalogue.language == REFERENCE and not english:
        return dict(catalogue.messages)
    kept: dict[str, Message] = {}
    for key, message in catalogue.messages.items():
        where = SourceLocation(catalogue.rel, catalogue.lines.get(key))
        reference = english.get(key)
        if reference is None:
            warnings.append(ChronicleWarning(f"unknown message {key!r}, ignored", where,
                                             hint=_did_you_mean(key, english)))
            continue
        if isinstance(reference, str) and not isinstance(message, str):
            errors.append(CatalogueError(f"{key!r} has no plural forms in English", where,
                                         hint="write it as one string"))
            continue
        allowed = _placeholders(reference)
        used = _placeholders(message)
        extra = sorted(used - allowed)
        if extra:
            errors.append(CatalogueError(
                f"{key!r} uses {{{extra[0]}}}, which English's message does not have", where,
                hint="placeholders: " + (", ".join(f"{{{p}}}" for p in sorted(allowed))
                                         or "none")))
            continue
        dropped = sorted(allowed - used - {"count"})
        if dropped:
            warnings.append(ChronicleWarning(f"{key!r} leaves out {{{dropped[0]}}}", where,
                                             hint="English's message shows it"))
        kept[key] = message
    return kept


def _placeholders(message: Message) -> set[str]:
    texts = [message] if isinstance(message, str) else list(message.values())
    return {name for text in texts for name in _PLACEHOLDER.findall(text)}


def _did_you_mean(name: str, known: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean {close[0]!r}?" if close else "see the theme's i18n/en.toml for the keys"


def _key_lines(text: str) -> dict[str, int]:
    """The line of each key (`dates.month` inside [dates]); tomllib keeps no positions."""
    lines: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), 1):
        header = _TABLE_LINE.match(line)
        if header:
            table = header.group(1) or header.group(2)
            lines.setdefault(table, number)
            continue
        match = _KEY_LINE.match(line)
        if match:
            key = match.group(1) or match.group(2)
            lines.setdefault(f"{table}.{key}" if table else key, number)
    return lines


def catalogue_files(folder: Path, rel_base: PurePosixPath) -> list[tuple[Path, PurePosixPath]]:
    """The `*.toml` catalogues in a folder, sorted, with the path shown in messages."""
    if not folder.is_dir():
        return []
    return [(path, rel_base / path.name) for path in sorted(folder.glob("*.toml"))
            if path.is_file() and not path.name.startswith(".")]


@functools.lru_cache(maxsize=1)
def builtin_catalogues() -> Catalogues:
    """The default theme's catalogues alone."""
    return load_catalogues(catalogue_files(BUILTIN_CATALOGUES, PurePosixPath("i18n")), [])
