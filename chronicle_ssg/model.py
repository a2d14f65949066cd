"""STAGE 3: Documents -> Entry and Page values; assemble_site() builds every index once."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Mapping

from chronicle_ssg import blocks
from chronicle_ssg.comments import Comment, count_comments
from chronicle_ssg.config import SiteConfig
from chronicle_ssg.dates import DATE_HINT, parse_datetime
from chronicle_ssg.errors import (ChronicleError, FrontMatterError, RouteConflict,
                                  SourceLocation, UnsafePathError, XrefError, raise_collected)
from chronicle_ssg.markdown import Heading, Ref, RenderedBody, plain_text
from chronicle_ssg.parse import Document
from chronicle_ssg.paths import check_url_path, normalise_url_path, rebase_relative_links
from chronicle_ssg.slugs import slugify, term_key

FILENAME_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
KNOWN_KEYS = {"title", "date", "updated", "tags", "categories", "author", "summary", "slug",
              "draft", "aliases", "series", "layout", "update_order", "description"}
PAGES_FOLDER = "content/pages/"


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
    title: str
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
    comments: tuple[Comment, ...]
    comment_count: int
    extra: Mapping[str, Any]
    card_digest: str = ""  #: what listings show; set by assemble
    full_digest: str = ""  #: everything the entry page shows

    @property
    def is_live(self) -> bool:
        return bool(self.updates)

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
    digest: str = ""

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
    #: the date of the earliest scheduled entry left out: a build after it publishes more
    next_due: dt.datetime | None = None

    def entry(self, entry_id: str) -> Entry:
        return self.by_id[entry_id]

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

    def names(self, key: str) -> tuple[str, ...]:
        value = self.doc.meta.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            items: list[Any] = value.split(",")
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

    def date(self, key: str, tz: dt.tzinfo, default: dt.datetime | None = None) -> dt.datetime | None:
        value = self.doc.meta.get(key)
        if value is None:
            return default
        try:
            return parse_datetime(value, tz).astimezone(tz)
        except (ValueError, OverflowError) as exc:
            self.fail(key, f"{key}: {exc}", DATE_HINT)
            return default

    def flag(self, key: str) -> bool:
        value = self.doc.meta.get(key, False)
        if not isinstance(value, bool):
            self.fail(key, f"{key!r} must be true or false")
            return False
        return value


def _slug_and_date(rel: PurePosixPath, tz: dt.tzinfo) -> tuple[str, dt.datetime | None]:
    match = FILENAME_DATE.match(rel.stem)
    if not match:
        return slugify(rel.stem), None
    year, month, day, rest = match.groups()
    try:
        return slugify(rest), dt.datetime(int(year), int(month), int(day), tzinfo=tz)
    except ValueError:
        return slugify(rest), None


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


def is_page(doc: Document) -> bool:
    return doc.meta.get("layout") == "page" or str(doc.rel).startswith(PAGES_FOLDER)


def build_entry(prepared: Prepared, config: SiteConfig, now: dt.datetime,
                comments: tuple[Comment, ...], errors: list[ChronicleError]) -> Entry | None:
    """Validate an entry's front matter and combine it with its rendered body."""
    doc, body = prepared.document, prepared.body
    fields = _Fields(doc, errors)
    before = len(errors)
    tz = config.tz
    file_slug, file_date = _slug_and_date(doc.rel, tz)
    title = fields.text("title", required=True)
    if "date" not in doc.meta and file_date is None:
        fields.fail("", "missing required field 'date'",
                    "add `date: 2025-03-18 09:00` or name the file YYYY-MM-DD-slug.md")
    date = fields.date("date", tz, file_date)
    slug = _check_slug(fields, fields.text("slug") or file_slug)
    if fields.doc.meta.get("layout") not in (None, "entry", "page"):
        fields.fail("layout", "layout must be 'entry' or 'page'")
    update_order = fields.text("update_order")
    if update_order and update_order not in ("newest", "oldest"):
        fields.fail("update_order", "update_order must be 'newest' or 'oldest'")
    updates = tuple(sorted(body.updates, key=lambda u: u.time, reverse=True))
    updated = fields.date("updated", tz) or (updates[0].time if updates else None)
    draft = fields.flag("draft")
    aliases = _aliases(fields)
    tags, categories = fields.names("tags"), fields.names("categories")
    authors = fields.names("author") or ((config.author,) if config.author else ())
    series = fields.text("series")
    summary = fields.text("summary")
    description = fields.text("description")
    if len(errors) > before or date is None:
        return None
    path = normalise_url_path(config.permalink.format(
        year=f"{date.year:04d}", month=f"{date.month:02d}", day=f"{date.day:02d}", slug=slug))
    summary_html = f"<p>{_escape(summary)}</p>" if summary else body.summary_html
    corrections = tuple(
        blocks.Correction(c.date or updated or date, c.text, c.id, c.line) for c in body.corrections)
    return Entry(
        id=str(doc.rel), location=SourceLocation(doc.rel, 1), title=title, date=date,
        updated=updated, slug=slug, path=path,
        tags=tuple(_term(n) for n in _unique(tags)), categories=tuple(_term(n) for n in _unique(categories)),
        authors=tuple(_term(n) for n in _unique(authors)), series=_term(series) if series else None,
        summary_html=summary_html, body_html=body.html,
        description=description or summary or plain_text(body.summary_html)[:300],
        headings=body.headings, updates=updates, quotes=body.quotes, corrections=corrections,
        refs=body.refs, ids=body.ids, has_more=body.has_more_marker,
        reading_minutes=max(1, round(body.words / config.words_per_minute)),
        aliases=aliases, draft=draft, scheduled=date > now, comments=comments,
        comment_count=count_comments(comments),
        extra={k: v for k, v in doc.meta.items() if k not in KNOWN_KEYS})


def build_page(prepared: Prepared, config: SiteConfig, errors: list[ChronicleError]) -> Page | None:
    """A standalone page: title required, date optional, URL /slug/."""
    doc, body = prepared.document, prepared.body
    fields = _Fields(doc, errors)
    before = len(errors)
    title = fields.text("title", required=True)
    slug = _check_slug(fields, fields.text("slug") or _slug_and_date(doc.rel, config.tz)[0])
    date = fields.date("date", config.tz)
    updated = fields.date("updated", config.tz)
    aliases = _aliases(fields)
    draft = fields.flag("draft")
    description = fields.text("description") or fields.text("summary")
    if len(errors) > before:
        return None
    return Page(id=str(doc.rel), location=SourceLocation(doc.rel, 1), title=title, slug=slug,
                path=normalise_url_path(slug), body_html=body.html,
                description=description or plain_text(body.summary_html)[:300],
                date=date, updated=updated, aliases=aliases, draft=draft,
                extra={k: v for k, v in doc.meta.items() if k not in KNOWN_KEYS}, ids=body.ids,
                refs=body.refs)


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


def _term(name: str) -> Term:
    return Term(term_key(name), name, slugify(name) or "term")


# --- assembling the site: every index is built once, in dicts, never by rescanning ---

_XREF_RE = re.compile(r'href="entry:([^"#]*)(#[^"]*)?"')
_ROOT_LINK_RE = re.compile(r'((?:href|src)=")/(?!/)')


def _digest(*parts: object) -> str:
    """Hash parts; strings go in as they are (repr of a long body would copy it twice)."""
    digest = hashlib.blake2b(digest_size=12)
    for part in parts:
        text = part if isinstance(part, str) else repr(part)
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def card_digest(entry: Entry) -> str:
    """Everything a listing, feed card or neighbour link shows of an entry."""
    return _digest(entry.title, entry.path, entry.date, entry.updated, entry.summary_html,
                   entry.description, entry.tags, [t.name for t in entry.tags],
                   entry.categories, [t.name for t in entry.categories],
                   [a.name for a in entry.authors], entry.series and entry.series.name,
                   entry.reading_minutes, len(entry.updates), len(entry.corrections),
                   entry.comment_count, entry.has_more, entry.draft, entry.scheduled)


def full_digest(entry: Entry) -> str:
    """Everything the entry's own page (and full-content feeds) shows."""
    return _digest(card_digest(entry), entry.body_html, entry.headings, entry.updates,
                   entry.quotes, entry.corrections, entry.comments, sorted(entry.extra.items(), key=str),
                   entry.aliases, entry.ids)


class _Terms:
    """Canonical terms: first spelling by source path wins; slugs are made unique."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], Term] = {}
        self.slugs: dict[tuple[str, str], str] = {}

    def canonical(self, family: str, term: Term) -> Term:
        found = self.by_key.get((family, term.key))
        if found:
            return found
        slug, number = term.slug, 2
        while (family, slug) in self.slugs:
            slug, number = f"{term.slug}-{number}", number + 1
        self.slugs[(family, slug)] = term.key
        found = self.by_key[(family, term.key)] = Term(term.key, term.name, slug)
        return found


def _canonical_entries(entries: list[Entry]) -> list[Entry]:
    from dataclasses import replace
    terms = _Terms()
    out = []
    for entry in sorted(entries, key=lambda e: e.id):
        tags = tuple(terms.canonical("tag", t) for t in entry.tags)
        categories = tuple(terms.canonical("category", t) for t in entry.categories)
        authors = tuple(terms.canonical("author", t) for t in entry.authors)
        series = terms.canonical("series", entry.series) if entry.series else None
        same = _same_terms(tags, entry.tags) and _same_terms(categories, entry.categories) \
            and _same_terms(authors, entry.authors) and _same_terms((series,), (entry.series,))
        # most entries already spell their terms canonically: skip the costly copy
        out.append(entry if same else replace(entry, tags=tags, categories=categories,
                                              authors=authors, series=series))
    return out


def _same_terms(canonical: tuple[Term | None, ...], given: tuple[Term | None, ...]) -> bool:
    return all(c is g or (c is not None and g is not None and c.name == g.name and c.slug == g.slug)
               for c, g in zip(canonical, given))


def _ref_index(entries: list[Entry]) -> dict[str, list[Entry]]:
    """What a cross-reference may name: slug, source path, or path under content/."""
    index: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        keys = {entry.slug, entry.id, entry.id.removeprefix("content/"),
                str(PurePosixPath(entry.id).with_suffix("")).removeprefix("content/")}
        for key in keys:
            index[key].append(entry)
    return index


def _resolve_refs(entries: list[Entry], pages: list[Page], config: SiteConfig,
                  errors: list[ChronicleError]) -> tuple[list[Entry], list[Page], dict[str, set[str]]]:
    """Turn `entry:` links into URLs and prefix root links with the base path.

    Entries and standalone pages both may cite entries; only entries count as backlinks,
    because "Referenced in" lists entries.
    """
    from dataclasses import replace
    index = _ref_index(entries)
    cited_by: dict[str, set[str]] = defaultdict(set)
    out = []
    for entry in entries:
        summary = rebase_relative_links(entry.summary_html, entry.path)
        body, summary = _link_html(entry.id, entry.refs, (entry.body_html, summary),
                                   index, config.base_path, errors, cited_by)
        out.append(replace(entry, body_html=body, summary_html=summary)
                   if (body, summary) != (entry.body_html, entry.summary_html) else entry)
    out_pages = []
    for page in pages:
        (body,) = _link_html(page.id, page.refs, (page.body_html,), index, config.base_path,
                             errors, None)
        out_pages.append(replace(page, body_html=body) if body != page.body_html else page)
    return out, out_pages, cited_by


def _link_html(owner: str, refs: tuple[Ref, ...], htmls: tuple[str, ...],
               index: dict[str, list[Entry]], base: str, errors: list[ChronicleError],
               cited_by: dict[str, set[str]] | None) -> tuple[str, ...]:
    """Resolve one source's references in each HTML fragment; errors point at the ref's line."""
    targets: dict[str, Entry] = {}
    for ref in refs:
        found = index.get(ref.target, [])
        where = SourceLocation(PurePosixPath(owner), ref.line)
        if len(found) != 1:
            problem = "names no entry" if not found else "is ambiguous: " + ", ".join(
                sorted(e.id for e in found))
            errors.append(XrefError(f"cross-reference entry:{ref.target} {problem}", where,
                                    hint="use the entry's slug, or its path under content/"))
            continue
        target = found[0]
        if ref.fragment and ref.fragment not in target.ids:
            errors.append(XrefError(
                f"cross-reference entry:{ref.target}#{ref.fragment}: no such anchor", where))
        targets[ref.target] = target
        if cited_by is not None and target.id != owner:
            cited_by[target.id].add(owner)

    def link(match: re.Match[str]) -> str:
        target = targets.get(match.group(1))
        url = base + target.path if target else "#"
        return f'href="{url}{match.group(2) or ""}"'

    out = []
    for html in htmls:
        if base:  # root links written by the author follow the site to its sub-path
            html = _ROOT_LINK_RE.sub(rf"\1{base}/", html)
        if refs:
            html = _XREF_RE.sub(link, html)
        out.append(html)
    return tuple(out)


def _group(entries: tuple[Entry, ...], key: Any) -> dict[Any, tuple[str, ...]]:
    groups: dict[Any, list[str]] = defaultdict(list)
    for entry in entries:
        for item in key(entry):
            groups[item].append(entry.id)
    # Terms sort by their folded key; plain str() is much cheaper than dataclass ordering
    order = sorted(groups, key=lambda k: k.key if isinstance(k, Term) else k)
    return {k: tuple(groups[k]) for k in order}


def _related(entries: tuple[Entry, ...], tags: Mapping[Term, tuple[str, ...]],
             position: Mapping[str, int], count: int, window: int = 12) -> dict[str, tuple[str, ...]]:
    """Entries sharing the most tags; ties go to the nearest in time, then id.

    Only the `window` entries nearest in time per tag are candidates, which keeps this
    linear in the archive size while still finding the closest companions.
    """
    import bisect
    positions = {term: [position[i] for i in ids] for term, ids in tags.items()}
    related: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        me = position[entry.id]
        scores: Counter[int] = Counter()
        for tag in entry.tags:
            ranks = positions[tag]  # ascending: newest first means ascending position
            at = bisect.bisect_left(ranks, me)
            for other in ranks[max(0, at - window // 2): at + window // 2 + 1]:
                if other != me:
                    scores[other] += 1
        best = sorted(scores.items(), key=lambda kv: (-kv[1], abs(kv[0] - me), kv[0]))[:count]
        related[entry.id] = tuple(entries[i].id for i, _ in best)
    return related


def _with_digests(entry: Entry, finished: dict[str, tuple[Entry, Entry]] | None) -> Entry:
    """The entry with its digests; a serve session remembers them per unchanged entry."""
    from dataclasses import replace
    if finished is not None:
        hit = finished.get(entry.id)
        if hit and hit[0] is entry:
            return hit[1]
    done = replace(entry, card_digest=card_digest(entry), full_digest=full_digest(entry))
    if finished is not None:
        finished[entry.id] = (entry, done)
    return done


def assemble_site(config: SiteConfig, entries: list[Entry], pages: list[Page],
                  now: dt.datetime, include_drafts: bool = False,
                  include_future: bool = False,
                  finished: dict[str, tuple[Entry, Entry]] | None = None) -> Site:
    """Filter, sort and index the entries; resolve cross-references. Raises BuildFailed."""
    from dataclasses import replace
    errors: list[ChronicleError] = []
    visible = [e for e in entries if (include_drafts or not e.draft)
               and (include_future or not e.scheduled)]
    visible = _canonical_entries(visible)
    pages = [p for p in pages if include_drafts or not p.draft]
    visible, pages, cited_by = _resolve_refs(visible, pages, config, errors)
    raise_collected(errors)
    visible = [_with_digests(e, finished) for e in visible]
    ordered = tuple(sorted(visible, key=lambda e: (e.date, e.id), reverse=True))
    position = {e.id: i for i, e in enumerate(ordered)}
    by_id = {e.id: e for e in ordered}
    tags = _group(ordered, lambda e: e.tags)
    sources: dict[Term, list[tuple[str, str]]] = defaultdict(list)
    terms = _Terms()
    for entry in sorted(ordered, key=lambda e: e.id):  # first spelling by path, like tags
        for quote in entry.quotes:
            terms.canonical("source", _term(quote.source))
    for entry in ordered:
        for quote in entry.quotes:
            sources[terms.canonical("source", _term(quote.source))].append((entry.id, quote.id))
    corrections = sorted(((e.id, c) for e in ordered for c in e.corrections),
                         key=lambda item: (item[1].date, item[0], item[1].id), reverse=True)
    updated = sorted((e for e in ordered if e.updated and e.updated > e.date),
                     key=lambda e: (e.updated, e.id), reverse=True)
    kept_pages = tuple(sorted(pages, key=lambda p: p.id))
    return Site(
        config=config, entries=ordered, pages=kept_pages, by_id=by_id, position=position,
        tags=tags, categories=_group(ordered, lambda e: e.categories),
        authors=_group(ordered, lambda e: e.authors),
        series={k: tuple(reversed(v)) for k, v in
                _group(ordered, lambda e: (e.series,) if e.series else ()).items()},
        sources={k: tuple(v) for k, v in sorted(sources.items())},
        years=_group(ordered, lambda e: (e.date.year,)),
        months=_group(ordered, lambda e: ((e.date.year, e.date.month),)),
        days=_group(ordered, lambda e: ((e.date.year, e.date.month, e.date.day),)),
        backlinks={k: tuple(sorted(v, key=lambda i: position[i])) for k, v in sorted(cited_by.items())
                   if k in by_id},
        related=_related(ordered, tags, position, config.related_entries),
        corrections=tuple(corrections),
        recently_updated=tuple(e.id for e in updated[:config.recently_updated]),
        now=now,
        next_due=min((e.date for e in entries if e.scheduled and not e.draft and not include_future),
                     default=None))


# --- the fast path of a rebuild: one entry edited, the shape of the site unchanged ---

def refresh_entry(site: Site, entry: Entry) -> Entry | None:
    """Finish an edited entry against the current site, or None when the edit changes
    anything beyond its own page: what listings show (card digest), its terms, links to
    other entries, quoted sources, corrections, aliases, or anchors others link to."""
    from dataclasses import replace
    old = site.by_id.get(entry.id)
    if old is None or entry.draft != old.draft or entry.scheduled != old.scheduled:
        return None
    def spelled(e: Entry) -> list[object]:  # names too: a respelling may rename a term
        terms = (*e.tags, *e.categories, *e.authors, *((e.series,) if e.series else ()))
        return [(t.key, t.name) for t in terms]

    if spelled(entry) != spelled(old):
        return None
    if [r.target for r in entry.refs] != [r.target for r in old.refs] or entry.aliases != old.aliases:
        return None
    if [(q.source, q.id) for q in entry.quotes] != [(q.source, q.id) for q in old.quotes]:
        return None
    cited_ids = {r.fragment for i in site.backlinks.get(entry.id, ())
                 for r in site.by_id[i].refs if r.fragment}
    if not cited_ids <= set(entry.ids):
        return None
    errors: list[ChronicleError] = []
    index = _ref_index(list(site.entries)) if entry.refs else {}
    summary = rebase_relative_links(entry.summary_html, entry.path)
    body, summary = _link_html(entry.id, entry.refs, (entry.body_html, summary), index,
                               site.config.base_path, errors, None)
    raise_collected(errors)
    fresh = replace(entry, tags=old.tags, categories=old.categories, authors=old.authors,
                    series=old.series, body_html=body, summary_html=summary)
    fresh = replace(fresh, card_digest=card_digest(fresh), full_digest=full_digest(fresh))
    if fresh.card_digest != old.card_digest or fresh.corrections != old.corrections:
        return None
    return fresh


def replace_entry(site: Site, entry: Entry) -> Site:
    """The same site with one entry's page content swapped (see refresh_entry)."""
    from dataclasses import replace
    entries = list(site.entries)
    entries[site.position[entry.id]] = entry
    by_id = dict(site.by_id)
    by_id[entry.id] = entry
    return replace(site, entries=tuple(entries), by_id=by_id)
