"""STAGE 3: Documents -> Entry and Page values; assemble_site() builds every index once."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Mapping

from chronicle_ssg import blocks
from chronicle_ssg.comments import Comment, count_comments
from chronicle_ssg.config import SiteConfig, image_problem
from chronicle_ssg.dates import DATE_HINT, load_timezone, parse_datetime
from chronicle_ssg.discover import bundle_of
from chronicle_ssg.errors import (ChronicleError, ChronicleWarning, FrontMatterError, SourceLocation,
                                  UnsafePathError)
from chronicle_ssg.markdown import (Heading, Ref, RenderedBody, TocItem, plain_text, render_title,
                                    table_of_contents)
from chronicle_ssg.parse import Document
from chronicle_ssg.paths import check_url_path, normalise_url_path
from chronicle_ssg.slugs import language_problem, slugify, term_key

if TYPE_CHECKING:
    from chronicle_ssg.images import Picture

TERM_FAMILIES = ("tags", "categories", "authors", "series", "sources")
FILENAME_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
KNOWN_KEYS = {"title", "date", "updated", "tags", "categories", "author", "authors", "summary",
              "slug", "draft", "aliases", "series", "layout", "update_order", "description",
              "live", "live_until", "timezone", "lang", "image", "toc"}
TIMEZONE_HINT = "use an IANA name such as America/New_York, Europe/Kyiv or UTC"
PAGES_FOLDER = "content/pages/"
ENTRIES_FOLDER = ("content", "entries")
#: "A, B, and C", "A and B", "A & B" in author text: the words that join names
_AUTHOR_JOINS = re.compile(r"\s+(?:and|&)\s+|^(?:and|&)\s+", re.IGNORECASE)
#: a date further ahead than this is more likely a typo (2062 for 2026) than a schedule
FAR_FUTURE = dt.timedelta(days=365)


@dataclass(frozen=True, slots=True, order=True)
class Term:
    """A tag, category, author, series or quoted source: a display name and a URL slug."""

    key: str  #: case- and Unicode-folded identity
    name: str = field(compare=False)  #: display name: the first spelling met, by source path
    slug: str = field(compare=False)


@dataclass(frozen=True, slots=True)
class Entry:
    id: str  #: source path relative to the site root: stable, used by every index
    location: SourceLocation
    title: str  #: plain text: Markdown and entities of the front-matter title resolved
    date: dt.datetime  #: in the site timezone
    updated: dt.datetime | None  #: front matter, else the latest live update
    slug: str
    path: str  #: URL path without the base path
    tags: tuple[Term, ...]
    categories: tuple[Term, ...]
    authors: tuple[Term, ...]
    series: Term | None
    summary_html: str
    body_html: str
    description: str  #: plain text for meta tags
    headings: tuple[Heading, ...]
    updates: tuple[blocks.Update, ...]  #: newest first
    quotes: tuple[blocks.Quote, ...]
    corrections: tuple[blocks.Correction, ...]  #: dates resolved
    refs: tuple[Ref, ...]
    ids: tuple[str, ...]
    has_more: bool
    reading_minutes: int
    aliases: tuple[str, ...]
    draft: bool
    scheduled: bool
    #: a live entry: it has updates or says `live: true`, whether coverage goes on or ended
    live_blog: bool
    #: when live coverage ends (or ended) by time: `live_until`, else the last update plus
    #: the site's live_window_hours; None while open-ended, and after `live: false`
    coverage_end: dt.datetime | None
    coverage_ended: bool  #: at the build's now: `live: false`, or coverage_end has passed
    comments: tuple[Comment, ...]
    comment_count: int
    extra: Mapping[str, Any]
    title_html: str = ""  #: the title with its inline Markdown, for headings (safe HTML)
    lang: str = ""  #: BCP 47 tag: the entry's `lang`, else the site's `language`
    image: str = ""  #: front matter `image`: a site path or https URL, as written
    #: set by the images stage: the card's small picture (`image`, else the first body image)
    thumbnail: Picture | None = None
    social_image: Picture | None = None  #: og:image: `image`, else the first body image
    toc: tuple[TocItem, ...] = ()  #: the table of contents shown, () for none (see _toc)
    card_digest: str = ""  #: what listings show; set by assemble
    full_digest: str = ""  #: everything the entry page shows

    @property
    def is_live(self) -> bool:
        """Live coverage goes on: the "Live" badge. Ended coverage reads "Updated N times"."""
        return self.live_blog and not self.coverage_ended

    @property
    def last_modified(self) -> dt.datetime:
        return self.updated or self.date

    @property
    def status(self) -> str:
        return "draft" if self.draft else "scheduled" if self.scheduled else "published"


@dataclass(frozen=True, slots=True)
class Page:
    """A standalone page (About, Contact): not in the dated archive."""

    id: str
    location: SourceLocation
    title: str
    slug: str
    path: str
    body_html: str
    description: str
    date: dt.datetime | None
    updated: dt.datetime | None
    aliases: tuple[str, ...]
    draft: bool
    extra: Mapping[str, Any]
    ids: tuple[str, ...]
    refs: tuple[Ref, ...] = ()  #: cross-references, resolved by assemble_site
    title_html: str = ""  #: as Entry.title_html
    lang: str = ""  #: as Entry.lang
    image: str = ""  #: front matter `image`, as for entries
    social_image: Picture | None = None  #: set by the images stage
    toc: tuple[TocItem, ...] = ()  #: as Entry.toc

    @property
    def last_modified(self) -> dt.datetime | None:
        return self.updated or self.date


@dataclass(frozen=True, slots=True)
class Prepared:
    """A parsed and Markdown-rendered source: what the cache stores per file."""

    document: Document
    body: RenderedBody


@dataclass(frozen=True, slots=True)
class Site:
    config: SiteConfig
    entries: tuple[Entry, ...]  #: published entries, newest first (ties by id)
    pages: tuple[Page, ...]
    by_id: Mapping[str, Entry]
    position: Mapping[str, int]  #: index of each entry in `entries`
    tags: Mapping[Term, tuple[str, ...]]  #: ids, newest first; same for the others
    categories: Mapping[Term, tuple[str, ...]]
    authors: Mapping[Term, tuple[str, ...]]
    series: Mapping[Term, tuple[str, ...]]  #: oldest first: a series is read in order
    sources: Mapping[Term, tuple[tuple[str, str], ...]]  #: (entry id, quote anchor)
    years: Mapping[int, tuple[str, ...]]
    months: Mapping[tuple[int, int], tuple[str, ...]]
    days: Mapping[tuple[int, int, int], tuple[str, ...]]
    backlinks: Mapping[str, tuple[str, ...]]  #: entry id -> ids of entries that cite it
    related: Mapping[str, tuple[str, ...]]
    corrections: tuple[tuple[str, blocks.Correction], ...]  #: newest first
    recently_updated: tuple[str, ...]
    now: dt.datetime
    #: the next moment the site changes with time alone: the earliest scheduled entry left
    #: out is due, or live coverage ends. A build (or serve) after it publishes the change
    next_due: dt.datetime | None = None
    image: Picture | None = None  #: the default social image (`image` in chronicle.toml)

    def entry(self, entry_id: str) -> Entry:
        return self.by_id[entry_id]

    def family(self, name: str) -> Mapping[Term, Any]:
        """One term family (tags, categories, authors, series, sources) and its entries."""
        if name not in TERM_FAMILIES:
            raise KeyError(name)
        return getattr(self, name)

    def neighbours(self, entry_id: str) -> tuple[Entry | None, Entry | None]:
        """(newer, older) entry in the archive."""
        index = self.position[entry_id]
        newer = self.entries[index - 1] if index > 0 else None
        older = self.entries[index + 1] if index + 1 < len(self.entries) else None
        return newer, older

    def series_neighbours(self, entry_id: str) -> tuple[Entry | None, Entry | None]:
        """(previous, next) part of the entry's series in reading order; (None, None) outside one."""
        series = self.by_id[entry_id].series
        parts = self.series.get(series, ()) if series else ()
        if entry_id not in parts:
            return None, None
        at = parts.index(entry_id)
        previous = self.by_id[parts[at - 1]] if at > 0 else None
        following = self.by_id[parts[at + 1]] if at + 1 < len(parts) else None
        return previous, following


class _Fields:
    """Read front-matter fields, collecting errors that point at the key's line."""

    def __init__(self, doc: Document, errors: list[ChronicleError]) -> None:
        self.doc, self.errors = doc, errors

    def where(self, key: str) -> SourceLocation:
        return SourceLocation(self.doc.rel, self.doc.key_lines.get(key, 1 if key else None))

    def fail(self, key: str, message: str, hint: str | None = None) -> None:
        self.errors.append(FrontMatterError(message, self.where(key), hint))

    def image(self) -> str:
        """`image`: a site path or an https URL (checked here; the file, by the images stage)."""
        value = self.text("image")
        problem = value and image_problem(value)
        if problem:
            self.fail("image", f"image {value!r} {problem}",
                      "use a site path such as /images/chart.png (a file in static/) or an "
                      "https:// URL")
            return ""
        return value

    def text(self, key: str, required: bool = False) -> str:
        value = self.doc.meta.get(key)
        if value is None or value == "":
            if required:
                self.fail(key, f"missing required field {key!r}", f"add `{key}: ...` to the front matter")
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.fail(key, f"{key!r} must be text, got {type(value).__name__}")
            return ""
        return str(value).strip()

    def names(self, key: str, people: bool = False) -> tuple[str, ...]:
        """A list, or comma-separated text; `people`: text also splits at 'and' and '&'
        ("A, B, and C"), while list items are names as written ("Simon & Schuster")."""
        value = self.doc.meta.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            items: list[Any] = split_people(value) if people else value.split(",")
        elif isinstance(value, list):
            items = value
        else:
            self.fail(key, f"{key!r} must be a list or comma-separated text")
            return ()
        names = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                self.fail(key, f"{key!r} items must be text, got {type(item).__name__}")
                continue
            name = " ".join(str(item).split())
            if name:
                names.append(name)
        return tuple(names)

    def date(self, key: str, tz: dt.tzinfo, default: dt.datetime | None = None,
             read_in: dt.tzinfo | None = None) -> dt.datetime | None:
        """A date in `tz`; written without an offset, it is read in `read_in` (else `tz`)."""
        value = self.doc.meta.get(key)
        if value is None:
            return default
        try:
            return parse_datetime(value, read_in or tz).astimezone(tz)
        except (ValueError, OverflowError) as exc:
            self.fail(key, f"{key}: {exc}", DATE_HINT)
            return default

    def flag(self, key: str, default: bool | None = False) -> bool | None:
        value = self.doc.meta.get(key, default)
        if value is not default and not isinstance(value, bool):
            self.fail(key, f"{key!r} must be true or false")
            return default
        return value

    def timezone(self, site_tz: dt.tzinfo) -> dt.tzinfo:
        """The entry's own `timezone` for times written without an offset, else the site's."""
        value = self.doc.meta.get("timezone")
        if value is None:
            return site_tz
        if not isinstance(value, str):
            self.fail("timezone", f"'timezone' must be text, got {type(value).__name__}",
                      TIMEZONE_HINT)
            return site_tz
        try:
            return load_timezone(value.strip())
        except ValueError as exc:
            self.fail("timezone", f"timezone: {exc}", TIMEZONE_HINT)
            return site_tz


def file_slug(stem: str) -> str:
    """The slug a file name gives an entry without `slug:` (2025-03-18-the-call: the-call)."""
    match = FILENAME_DATE.match(stem)
    return slugify(match.group(4) if match else stem)


def split_people(text: str) -> list[str]:
    """Names in author text: "A, B, and C", "A and B" and "A & B" are lists of names."""
    return [name.strip() for item in text.split(",")
            for name in _AUTHOR_JOINS.split(item.strip()) if name.strip()]


def _slug_and_date(rel: PurePosixPath, tz: dt.tzinfo) -> tuple[str, dt.datetime | None]:
    """From the file name, or for a bundle's index file from its folder's name."""
    folder = bundle_of(rel)
    stem = folder.name if folder is not None else rel.stem
    match = FILENAME_DATE.match(stem)
    if not match:
        return file_slug(stem), None
    year, month, day, _ = match.groups()
    try:
        return file_slug(stem), parse_datetime(f"{year}-{month}-{day}", tz)
    except ValueError:
        return file_slug(stem), None


def _check_slug(fields: _Fields, slug: str) -> str:
    problem = check_url_path(slug) or ("contains '/'" if "/" in slug else None)
    if problem or not slug:
        fields.errors.append(UnsafePathError(
            f"slug {slug!r} {problem or 'is empty'}", fields.where("slug"),
            hint="a slug is one URL segment: letters, digits and '-'"))
        return ""
    return slug


def _aliases(fields: _Fields) -> tuple[str, ...]:
    paths = []
    for alias in fields.names("aliases"):
        problem = check_url_path(alias)
        if problem:
            fields.errors.append(UnsafePathError(f"alias {alias!r} {problem}", fields.where("aliases"),
                                                 hint="an alias is a site path like /2019/old-url/"))
            continue
        paths.append(normalise_url_path(alias))
    return tuple(paths)


def entry_language(doc: Document) -> str:
    """The entry's own `lang`, leniently ('' when absent or malformed: build_entry reports it)."""
    value = doc.meta.get("lang")
    return value.strip() if isinstance(value, str) and not language_problem(value.strip()) else ""


def entry_timezone(doc: Document, site_tz: dt.tzinfo) -> dt.tzinfo:
    """The zone the entry's times without an offset are written in, leniently (build_entry
    reports a bad name)."""
    return _Fields(doc, []).timezone(site_tz)


def _language(fields: _Fields, default: str) -> str:
    lang = fields.text("lang")
    problem = language_problem(lang) if lang else None
    if problem:
        fields.fail("lang", problem, "write a BCP 47 tag such as `lang: en` or `lang: pt-BR`")
    return lang or default


def section_of(rel: PurePosixPath) -> str:
    """The first folder under content/entries/ (or under content/, for files elsewhere),
    not counting a bundle's own folder: '' when the file sits directly in that folder."""
    inside = rel.parts[2:] if rel.parts[:2] == ENTRIES_FOLDER else rel.parts[1:]
    folders = len(inside) - (2 if bundle_of(rel) is not None else 1)
    return slugify(inside[0]) if folders > 0 else ""


def entry_date(doc: Document, tz: dt.tzinfo) -> dt.datetime | None:
    """The date from front matter or the file name, leniently (build_entry reports errors)."""
    fields = _Fields(doc, [])
    written_in = fields.timezone(tz)
    _, file_date = _slug_and_date(doc.rel, written_in)
    return fields.date("date", tz, file_date and file_date.astimezone(tz), written_in)


def _coverage(fields: _Fields, updates: tuple[blocks.Update, ...], date: dt.datetime | None,
              config: SiteConfig, now: dt.datetime, written_in: dt.tzinfo,
              ) -> tuple[bool, dt.datetime | None, bool]:
    """(live_blog, coverage_end, coverage_ended) from `live`, `live_until`, the updates and
    the site's live window."""
    live = fields.flag("live", None)
    until = fields.date("live_until", config.tz, None, written_in)
    if until is not None and date is not None and until < date:
        fields.fail("live_until", f"live_until ({until.isoformat()}) is before the entry's date "
                    f"({date.isoformat()})", "fix live_until or the entry's date")
    if not (updates or live is True or until is not None):
        return False, None, False
    if live is False:
        return True, None, True
    end, last = until, updates[0].time if updates else date
    if end is None and config.live_window_hours and last is not None:
        end = last + dt.timedelta(hours=config.live_window_hours)
    return True, end, end is not None and now >= end


def _toc(fields: _Fields, body: RenderedBody, config: SiteConfig) -> tuple[TocItem, ...]:
    """The table of contents: `toc: true` or `false` in the front matter decides, else the
    site's `toc` setting for bodies with at least `toc_min_headings` h2/h3 headings."""
    wanted = fields.flag("toc", None)
    items = table_of_contents(body.headings)
    count = sum(1 + len(item.children) for item in items)
    if wanted is None:
        wanted = config.toc and count >= config.toc_min_headings
    return items if wanted else ()


def still_timely(entry: Entry, now: dt.datetime) -> bool:
    """Whether an entry built at another moment is the same at `now` (time alone publishes
    a scheduled entry and ends live coverage)."""
    end = entry.coverage_end
    return entry.scheduled == (entry.date > now) and (
        end is None or entry.coverage_ended == (now >= end))


def is_page(doc: Document) -> bool:
    return doc.meta.get("layout") == "page" or str(doc.rel).startswith(PAGES_FOLDER)


def build_entry(prepared: Prepared, config: SiteConfig, now: dt.datetime,
                comments: tuple[Comment, ...], errors: list[ChronicleError],
                warnings: list[ChronicleWarning] | None = None) -> Entry | None:
    """Validate an entry's front matter and combine it with its rendered body; what
    looks like a mistake but can be built goes to `warnings`."""
    doc, body = prepared.document, prepared.body
    fields = _Fields(doc, errors)
    before = len(errors)
    tz = config.tz
    written_in = fields.timezone(tz)  # times without an offset; shown in the site's zone
    file_slug, file_date = _slug_and_date(doc.rel, written_in)
    title = fields.text("title", required=True)
    title_html, title = render_title(title)
    lang = _language(fields, config.language)
    if "date" not in doc.meta and file_date is None:
        fields.fail("", "missing required field 'date'",
                    "add `date: 2025-03-18 09:00` or name the file YYYY-MM-DD-slug.md")
    date = fields.date("date", tz, file_date and file_date.astimezone(tz), written_in)
    slug = _check_slug(fields, fields.text("slug") or file_slug)
    if fields.doc.meta.get("layout") not in (None, "entry", "page"):
        fields.fail("layout", "layout must be 'entry' or 'page'")
    update_order = fields.text("update_order")
    if update_order and update_order not in ("newest", "oldest"):
        fields.fail("update_order", "update_order must be 'newest' or 'oldest'")
    updates = tuple(sorted(body.updates, key=lambda u: u.time, reverse=True))
    updated = fields.date("updated", tz, None, written_in) or (
        updates[0].time.astimezone(tz) if updates else None)
    live_blog, coverage_end, coverage_ended = _coverage(fields, updates, date, config, now,
                                                        written_in)
    draft = bool(fields.flag("draft"))
    aliases = _aliases(fields)
    tags, categories = fields.names("tags"), fields.names("categories")
    authors = (fields.names("author", people=True) + fields.names("authors", people=True)
               or ((config.author,) if config.author else ()))
    series = fields.text("series")
    summary = fields.text("summary")
    description = fields.text("description")
    image = fields.image()
    lang = _language(fields, config.language)
    toc = _toc(fields, body, config)
    if len(errors) > before or date is None:
        return None
    if warnings is not None:
        warnings += front_matter_warnings(fields, config, now, {"date": date, "updated": updated})
    path = normalise_url_path(config.permalink.format(
        year=f"{date.year:04d}", month=f"{date.month:02d}", day=f"{date.day:02d}", slug=slug,
        lang=lang.lower(), section=section_of(doc.rel)))
    summary_html = f"<p>{_escape(summary)}</p>" if summary else body.summary_html
    corrections = tuple(
        blocks.Correction(c.date or updated or date, c.text, c.id, c.line) for c in body.corrections)
    return Entry(
        id=str(doc.rel), location=SourceLocation(doc.rel, 1), title=title, date=date,
        updated=updated, slug=slug, path=path,
        tags=tuple(make_term(n) for n in _unique(tags)), categories=tuple(make_term(n) for n in _unique(categories)),
        authors=tuple(make_term(n) for n in _unique(authors)), series=make_term(series) if series else None,
        summary_html=summary_html, body_html=body.html,
        description=description or summary or plain_text(body.summary_html)[:300],
        headings=body.headings, updates=updates, quotes=body.quotes, corrections=corrections,
        refs=body.refs, ids=body.ids, has_more=body.has_more_marker,
        reading_minutes=max(1, round(body.words / config.words_per_minute)),
        aliases=aliases, draft=draft, scheduled=date > now, live_blog=live_blog,
        coverage_end=coverage_end, coverage_ended=coverage_ended, comments=comments,
        comment_count=count_comments(comments), image=image,
        extra={k: v for k, v in doc.meta.items() if k not in KNOWN_KEYS},
        title_html=title_html, lang=lang, toc=toc)


def build_page(prepared: Prepared, config: SiteConfig, errors: list[ChronicleError],
               warnings: list[ChronicleWarning] | None = None,
               now: dt.datetime | None = None) -> Page | None:
    """A standalone page: title required, date optional, URL /slug/."""
    doc, body = prepared.document, prepared.body
    fields = _Fields(doc, errors)
    before = len(errors)
    title_html, title = render_title(fields.text("title", required=True))
    lang = _language(fields, config.language)
    slug = _check_slug(fields, fields.text("slug") or _slug_and_date(doc.rel, config.tz)[0])
    written_in = fields.timezone(config.tz)
    date = fields.date("date", config.tz, None, written_in)
    updated = fields.date("updated", config.tz, None, written_in)
    aliases = _aliases(fields)
    draft = bool(fields.flag("draft"))
    description = fields.text("description") or fields.text("summary")
    image = fields.image()
    lang = _language(fields, config.language)
    toc = _toc(fields, body, config)
    if len(errors) > before:
        return None
    if warnings is not None:
        warnings += front_matter_warnings(fields, config, now, {"date": date, "updated": updated})
    return Page(id=str(doc.rel), location=SourceLocation(doc.rel, 1), title=title, slug=slug,
                path=normalise_url_path(slug), body_html=body.html,
                description=description or plain_text(body.summary_html)[:300],
                date=date, updated=updated, aliases=aliases, draft=draft,
                extra={k: v for k, v in doc.meta.items() if k not in KNOWN_KEYS}, ids=body.ids,
                refs=body.refs, title_html=title_html, lang=lang, image=image, toc=toc)


def front_matter_warnings(fields: _Fields, config: SiteConfig, now: dt.datetime | None,
                          dates: Mapping[str, dt.datetime | None]) -> list[ChronicleWarning]:
    """Keys chronicle does not know (unless the site declares them in `extra_keys`) and
    dates so far ahead that they are more likely typos than schedules."""
    warnings = []
    declared = config.extra_keys
    for key in fields.doc.meta:
        if key in KNOWN_KEYS or key in declared:
            continue
        close = difflib.get_close_matches(key.lower(), sorted(KNOWN_KEYS), n=1, cutoff=0.7)
        guess = f": did you mean `{close[0]}`?" if close else ""
        warnings.append(ChronicleWarning(
            f"unknown front-matter key {key!r}{guess}", fields.where(key),
            "chronicle itself does not use it (templates still get it in `extra`); if "
            "your theme uses it, list it in extra_keys in chronicle.toml", "unknown-key"))
    if now is None:
        return warnings
    for key, value in dates.items():
        written = key in fields.doc.meta
        if value is None or value <= now + FAR_FUTURE or not (written or key == "date"):
            continue  # only dates written in the front matter, or in the file name
        scheduling = key == "date" and not is_page(fields.doc)
        warnings.append(ChronicleWarning(
            f"{key if written else 'the date in the file name'} {value:%Y-%m-%d} is more than "
            f"a year ahead of now ({now:%Y-%m-%d})",
            fields.where(key) if written else SourceLocation(fields.doc.rel),
            "check the year; " + ("an entry dated in the future is scheduled: left out until "
                                  "then" if scheduling else "the date is shown as written"),
            "far-future-date"))
    return warnings


def _escape(text: str) -> str:
    from html import escape
    return escape(text)


def _unique(names: tuple[str, ...]) -> list[str]:
    seen, out = set(), []
    for name in names:
        if term_key(name) not in seen:
            seen.add(term_key(name))
            out.append(name)
    return out


def make_term(name: str) -> Term:
    """A term from a name as written: its folded key and its URL slug."""
    return Term(term_key(name), name, slugify(name) or "term")
