"""STAGE 4: Site -> Routes: every URL the build writes, what it shows, and its template.

A route names exactly the entries whose data its page shows (`entries`, `neighbours`);
render.py reads them from there and incremental.py uses the same fields as the page's
inputs, so the two can never disagree.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any, Iterable, Mapping

from chronicle_ssg.discover import BUNDLE_INDEXES, SourceFile, SourceKind
from chronicle_ssg.errors import ChronicleError, RouteConflict, SourceLocation, raise_collected
from chronicle_ssg.model import Entry, Page, Site, Term
from chronicle_ssg.paths import output_for

#: route kind -> template name; kinds that share a layout share a template
TEMPLATES = {
    "entry": "entry.html", "page": "page.html", "home": "home.html",
    "archive_index": "archives.html", "year": "period.html", "month": "period.html",
    "day": "period.html", "terms": "terms.html", "term": "term.html",
    "source": "term.html", "series": "term.html", "corrections": "corrections.html",
    "feed": "atom.xml", "sitemap": "sitemap.xml", "robots": "robots.txt",
    "not_found": "404.html", "alias": "alias.html", "sitemap_index": "sitemapindex.xml",
    "search": "search.html",
}


@dataclass(frozen=True, slots=True)
class FeedFormat:
    """One feed format: the file it is written to in a feed's folder and its template."""

    name: str  #: as chronicle.toml's `feeds` lists it
    file: str
    template: str
    media_type: str  #: for <link rel="alternate" type=...>
    label: str  #: what a link to it says


FEED_FORMATS = {f.name: f for f in (
    FeedFormat("atom", "feed.xml", "atom.xml", "application/atom+xml", "Atom feed"),
    FeedFormat("rss", "rss.xml", "rss.xml", "application/rss+xml", "RSS feed"),
    FeedFormat("json", "feed.json", "feed.json", "application/feed+json", "JSON feed"),
)}
_FEED_BY_FILE = {f.file: f for f in FEED_FORMATS.values()}


def feed_format(route: Route) -> FeedFormat:
    """The format of a feed route, from its file name."""
    return _FEED_BY_FILE[route.path.rsplit("/", 1)[1]]


def feed_routes(formats: tuple[str, ...], folder: str, **fields: object) -> list[Route]:
    """A feed route in `folder` for each configured format (config `feeds`), same entries."""
    return [replace(_route("feed", folder + FEED_FORMATS[name].file, **fields),
                    template=FEED_FORMATS[name].template) for name in formats]


#: route kinds whose pages the sitemap lists: canonical HTML pages
SITEMAP_KINDS = frozenset({"entry", "page", "home", "archive_index", "year", "month", "day",
                           "terms", "term", "series", "source", "corrections"})
#: sitemaps.org allows at most 50,000 URLs in one sitemap file
SITEMAP_LIMIT = 50_000
#: term families: URL folder, index title, singular label
FAMILIES = {
    "tags": ("tags", "Tags", "Tag"),
    "categories": ("categories", "Categories", "Category"),
    "authors": ("authors", "Authors", "Author"),
    "series": ("series", "Series", "Series"),
    "sources": ("sources", "Sources", "Source"),
}


@dataclass(frozen=True, slots=True)
class Pager:
    number: int  #: 1-based
    count: int
    first_path: str  #: URL path of page 1; page n is first_path + "page/n/"

    def path_of(self, number: int) -> str:
        return self.first_path if number == 1 else f"{self.first_path}page/{number}/"

    @property
    def newer(self) -> str | None:
        return self.path_of(self.number - 1) if self.number > 1 else None

    @property
    def older(self) -> str | None:
        return self.path_of(self.number + 1) if self.number < self.count else None


@dataclass(frozen=True, slots=True)
class Route:
    kind: str
    path: str  #: URL path without the base path
    output: PurePosixPath  #: file under output/
    template: str
    subject: str = ""  #: what the page is about: entry id, term key, period, feed name
    title: str = ""
    entries: tuple[str, ...] = ()  #: ids of entries shown (cards or full content)
    neighbours: tuple[str, ...] = ()  #: ids of other entries linked with title/date
    pager: Pager | None = None
    family: str = ""  #: for term routes: tags, categories, authors, series, sources
    #: period routes: (previous period path, next period path) with entries
    period_links: tuple[str | None, str | None] = (None, None)
    full_content: bool = False  #: feeds and entry pages show whole bodies
    shape: str = ""  #: the role of each neighbour (entry pages), part of the signature


def _route(kind: str, path: str, **fields: object) -> Route:
    return Route(kind=kind, path=path, output=output_for(path), template=TEMPLATES[kind],
                 **fields)  # type: ignore[arg-type]


@dataclass
class RouteMemo:
    """Routes kept between plans by a serve session, reused while their inputs are equal.

    Reused routes are the very same objects, which lets signatures skip them cheaply.
    """

    entries: dict[str, tuple[tuple[object, ...], list[Route]]] = field(default_factory=dict)
    listings: dict[tuple[str, str], tuple[tuple[object, ...], list[Route]]] = field(
        default_factory=dict)
    used: set[object] = field(default_factory=set)
    folded: dict[str, str] | None = None  #: case-folded output -> output, of the last plan
    outputs: frozenset[str] | None = None  #: the outputs of the last plan
    #: case-folded folders the last plan's outputs lie in (and perhaps some that went
    #: away: a new output found here is checked in full, never refused on this alone)
    folders: set[str] | None = None
    paths: str | None = None  #: paths_digest() of the last plan

    def keep(self, table: dict, name: object, key: tuple[object, ...], make: Any) -> list[Route]:
        """table[name]'s routes when made from an equal key, else freshly made ones."""
        self.used.add(name)
        hit = table.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        routes = make()
        table[name] = (key, routes)
        return routes

    def prune(self) -> None:
        for table in (self.entries, self.listings):
            for stale in set(table) - self.used:
                del table[stale]
        self.used = set()


def paginate(kind: str, first_path: str, ids: tuple[str, ...], per_page: int,
             memo: RouteMemo | None = None, **fields: object) -> list[Route]:
    """Split a listing into pages: first_path, first_path/page/2/, ..."""
    def make() -> list[Route]:
        count = max(1, math.ceil(len(ids) / per_page))
        return [_route(kind, Pager(n, count, first_path).path_of(n),
                       entries=ids[(n - 1) * per_page: n * per_page],
                       pager=Pager(n, count, first_path), **fields)
                for n in range(1, count + 1)]

    if memo is None:
        return make()
    return memo.keep(memo.listings, (kind, first_path), (ids, per_page, fields), make)


@functools.lru_cache(maxsize=65536)
def period_path(key: tuple[int, ...]) -> str:
    return "/" + "/".join(f"{part:02d}" if i else f"{part:04d}" for i, part in enumerate(key)) + "/"


def term_path(family: str, term: Term) -> str:
    return f"/{FAMILIES[family][0]}/{term.slug}/"


def entry_routes(site: Site, memo: RouteMemo) -> list[Route]:
    routes = []
    for entry in site.entries:
        newer, older = site.neighbours(entry.id)
        roles = {"newer": (newer.id,) if newer else (), "older": (older.id,) if older else (),
                 "backlinks": site.backlinks.get(entry.id, ()),
                 "related": site.related.get(entry.id, ()),
                 "series": site.series[entry.series] if entry.series else ()}
        routes += memo.keep(memo.entries, entry.id, (entry, *roles.values()),
                            lambda: _entry_routes(entry, roles))
    return routes


def _entry_routes(entry: Entry, roles: dict[str, tuple[str, ...]]) -> list[Route]:
    linked = [i for ids in roles.values() for i in ids]
    # the same entry may appear in several roles; `shape` keeps which is which, so
    # the signature changes when, say, a related entry starts citing this one
    shape = ";".join(f"{role}={','.join(ids)}" for role, ids in roles.items() if ids)
    return [_route("entry", entry.path, subject=entry.id, title=entry.title,
                   entries=(entry.id,), neighbours=tuple(dict.fromkeys(linked)),
                   full_content=True, shape=shape),
            *(_route("alias", alias, subject=entry.id, title=entry.title,
                     neighbours=(entry.id,)) for alias in entry.aliases)]


def page_routes(site: Site) -> list[Route]:
    routes = []
    for page in site.pages:
        routes.append(_route("page", page.path, subject=page.id, title=page.title))
        routes += [_route("alias", alias, subject=page.id, title=page.title) for alias in page.aliases]
    return routes


def archive_routes(site: Site, memo: RouteMemo | None = None) -> list[Route]:
    """The archive index, then year, month and day pages with prev/next period links."""
    per_page = site.config.entries_per_page
    routes = [_route("archive_index", "/archives/", title="Archives",
                     neighbours=tuple(e.id for e in site.entries))]
    newest_first = sorted(site.years, reverse=True)
    for kind, groups in (("year", site.years), ("month", site.months), ("day", site.days)):
        keys = list(groups)
        for index, key in enumerate(keys):
            key_tuple = key if isinstance(key, tuple) else (key,)
            links = (period_path(_as_tuple(keys[index - 1])) if index > 0 else None,
                     period_path(_as_tuple(keys[index + 1])) if index + 1 < len(keys) else None)
            extra: tuple[str, ...] = ()
            if kind == "day":  # "on this day" in earlier years, the latest year first
                extra = tuple(i for year in newest_first if year < key_tuple[0]
                              for i in site.days.get((year,) + key_tuple[1:], ()))
            routes += paginate(kind, period_path(key_tuple), groups[key], per_page, memo,
                               subject="-".join(map(str, key_tuple)), period_links=links,
                               neighbours=extra)
    return routes


def _as_tuple(key: int | tuple[int, ...]) -> tuple[int, ...]:
    return key if isinstance(key, tuple) else (key,)


def term_routes(site: Site, memo: RouteMemo | None = None) -> list[Route]:
    per_page = site.config.entries_per_page
    routes: list[Route] = []
    families: dict[str, Mapping[Term, tuple[str, ...]]] = {
        "tags": site.tags, "categories": site.categories, "authors": site.authors,
        "series": site.series}
    for family, groups in families.items():
        if not groups:
            continue
        routes.append(_route("terms", f"/{FAMILIES[family][0]}/", title=FAMILIES[family][1],
                             family=family, subject=family))
        for term, ids in groups.items():
            size = len(ids) if family == "series" else per_page
            routes += paginate("series" if family == "series" else "term", term_path(family, term),
                               ids, max(size, 1), memo, subject=term.key, title=term.name, family=family)
            if family == "tags":
                routes += feed_routes(site.config.feeds, term_path(family, term), subject=term.key,
                                      title=term.name, family=family,
                                      entries=ids[:site.config.feed_entries], full_content=True)
    if site.sources:
        routes.append(_route("terms", "/sources/", title="Sources", family="sources",
                             subject="sources"))
        for term, places in site.sources.items():
            ids = tuple(dict.fromkeys(entry_id for entry_id, _ in places))
            routes.append(_route("source", term_path("sources", term), subject=term.key,
                                 title=term.name, family="sources", entries=ids))
    return routes


def site_routes(site: Site, memo: RouteMemo | None = None) -> list[Route]:
    """Home pages, feeds, corrections, search, sitemap, robots.txt and 404."""
    ids = tuple(e.id for e in site.entries)
    routes = list(paginate("home", "/", ids, site.config.entries_per_page, memo))
    # the "recently updated" box is on the first home page only
    routes[0] = replace(routes[0], neighbours=site.recently_updated)
    routes += feed_routes(site.config.feeds, "/", subject="site", title=site.config.title,
                          entries=ids[:site.config.feed_entries], full_content=True)
    correction_ids = tuple(dict.fromkeys(entry_id for entry_id, _ in site.corrections))
    if site.corrections:
        routes.append(_route("corrections", "/corrections/", title="Corrections",
                             entries=correction_ids))
        routes += feed_routes(site.config.feeds, "/corrections/", subject="corrections",
                              title="Corrections", entries=correction_ids)
    routes.append(_route("not_found", "/404.html", title="Page not found"))
    if site.config.search:
        routes.append(_route("search", "/search/", title="Search"))
    routes.append(_route("robots", "/robots.txt"))
    return routes


def sitemap_routes(site: Site, listed: int) -> list[Route]:
    """/sitemap.xml; past SITEMAP_LIMIT URLs, a sitemap index at /sitemap.xml and the
    URLs split evenly over /sitemaps/1.xml, /sitemaps/2.xml, ... (sorted by path)."""
    ids = tuple(e.id for e in site.entries)  # lastmod comes from the entries' dates
    if listed <= SITEMAP_LIMIT:
        return [_route("sitemap", "/sitemap.xml", entries=ids)]
    count = math.ceil(listed / SITEMAP_LIMIT)
    parts = [Pager(n, count, "/sitemaps/") for n in range(1, count + 1)]
    return [_route("sitemap_index", "/sitemap.xml", entries=ids, pager=parts[0]),
            *(_route("sitemap", f"/sitemaps/{part.number}.xml", entries=ids, pager=part)
              for part in parts)]


def plan_routes(site: Site, memo: RouteMemo | None = None) -> tuple[Route, ...]:
    """Every route of the site, sorted by output; URL clashes are errors listing every file."""
    memo = memo or RouteMemo()
    routes = (entry_routes(site, memo) + page_routes(site) + archive_routes(site, memo)
              + term_routes(site, memo) + site_routes(site, memo))
    routes += sitemap_routes(site, sum(1 for r in routes if r.kind in SITEMAP_KINDS))
    memo.prune()
    outputs = [str(r.output) for r in routes]
    same_urls = _check_outputs(routes, outputs, memo)
    ordered = tuple(routes[i] for i in sorted(range(len(routes)), key=outputs.__getitem__))
    if not same_urls or memo.paths is None:
        memo.paths = paths_digest(ordered)
    return ordered


def paths_digest(routes: tuple[Route, ...]) -> str:
    """A digest of every route's URL path (the sitemap lists them)."""
    return hashlib.blake2b(repr([r.path for r in routes]).encode("utf-8", "surrogatepass"),
                           digest_size=12).hexdigest()


def _check_outputs(routes: list[Route], outputs: list[str], memo: RouteMemo) -> bool:
    """Check the routes for clashes; True when the outputs are those of the last plan.

    Against the last plan's outputs (in `memo`), only outputs that are new are checked:
    after one edit nearly all URLs are the same, and those cannot clash anew. Two routes
    on the very same output show as fewer outputs than routes: then all are checked.
    """
    current = set(outputs)
    if memo.folded is not None and memo.outputs is not None and len(current) == len(outputs):
        fresh, gone = current - memo.outputs, memo.outputs - current
        if not fresh and not gone:
            return True
        kept = {k: v for k, v in memo.folded.items() if v in current} if gone else dict(memo.folded)
        folders = memo.folders if memo.folders is not None else set()
        for output in sorted(fresh):
            folded = output.casefold()
            parents = folders_of(folded)
            if folded in kept or folded in folders or any(p in kept for p in parents):
                break
            kept[folded] = output
            folders.update(parents)
        else:
            memo.folded, memo.outputs, memo.folders = kept, frozenset(current), folders
            return False
    check_conflicts(routes)
    memo.folded = {output.casefold(): output for output in outputs}
    memo.outputs = frozenset(current)
    memo.folders = {folder for output in memo.folded for folder in folders_of(output)}
    return False


def folders_of(output: str) -> list[str]:
    """The folders an output file lies in: `a/b/index.html` -> [`a`, `a/b`]."""
    parts = output.split("/")[:-1]
    return ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]


def check_conflicts(routes: Iterable[Route]) -> None:
    """Two routes on one output, or outputs differing only by case, cannot both be written."""
    by_output: dict[str, list[Route]] = defaultdict(list)
    for route in routes:
        by_output[str(route.output).casefold()].append(route)
    errors: list[ChronicleError] = []
    for output, clashing in sorted(item for item in by_output.items() if len(item[1]) > 1):
        sources = sorted({_describe(r) for r in clashing})
        location = next((SourceLocation(PurePosixPath(r.subject)) for r in clashing
                         if r.kind in ("entry", "page", "alias")), None)
        same_case = len({str(r.output) for r in clashing}) == 1
        message = (f"{len(clashing)} sources would be written to {clashing[0].path}: "
                   if same_case else
                   f"URLs differ only by case and collide on case-insensitive hosts "
                   f"({', '.join(sorted({r.path for r in clashing}))}): ")
        errors.append(RouteConflict(message + "; ".join(sources), location,
                                    hint="change a slug, title or alias so each URL is unique"))
    errors += _file_folder_conflicts({output: clashing[0] for output, clashing in by_output.items()})
    raise_collected(errors)


def _file_folder_conflicts(files: Mapping[str, Route]) -> list[ChronicleError]:
    """Outputs that lie in a folder another route writes as a file (/x.html and
    /x.html/y/): one of them cannot be written. One error per such file."""
    errors: list[ChronicleError] = []
    reported: set[str] = set()
    for output in sorted(files):
        for folder in folders_of(output):
            owner = files.get(folder)
            if owner is None or folder in reported:
                continue
            reported.add(folder)
            inner = files[output]
            location = next((SourceLocation(PurePosixPath(r.subject)) for r in (owner, inner)
                             if r.kind in ("entry", "page", "alias")), None)
            errors.append(RouteConflict(
                f"{owner.path} is written as a file, but {inner.path} needs a folder at the "
                f"same path: {_describe(owner)}; {_describe(inner)}", location,
                hint="a URL cannot be both a page and a folder: change one of the aliases, "
                     "slugs or the permalink (end page URLs with /)"))
    return errors


def _describe(route: Route) -> str:
    if route.kind in ("entry", "page"):
        return route.subject
    if route.kind == "alias":
        return f"alias in {route.subject}"
    return f"the {route.kind} page {route.path}"


@dataclass(frozen=True, slots=True)
class CopiedFile:
    """A file copied to output/ as it is: a static file, or a file of an entry bundle."""

    output: PurePosixPath  #: file under output/
    source: SourceFile

    @property
    def shown_as(self) -> PurePosixPath:
        """The file as the site's author knows it, for messages."""
        if self.source.kind is SourceKind.BUNDLE:
            return self.source.rel
        return PurePosixPath("static") / self.source.name

    @property
    def described(self) -> str:
        if self.source.kind is SourceKind.BUNDLE:
            return f"bundle file {self.source.rel}"
        return f"static file {self.source.name}"


def copied_files(site: Site, static: tuple[SourceFile, ...],
                 bundle: tuple[SourceFile, ...]) -> tuple[CopiedFile, ...]:
    """Static files at their names; each bundle file beside the page of its entry (or
    standalone page), in the folder its URL names, so links relative to the page find it.
    Files of bundles whose entry is not published (a draft) are not copied."""
    copies = [CopiedFile(PurePosixPath(s.name), s) for s in static]
    if bundle:
        owners: dict[str, Entry | Page] = {**{p.id: p for p in site.pages}, **site.by_id}
        for source in bundle:
            folder = source.rel.parts[:-len(PurePosixPath(source.name).parts)]
            owner = next((owners[i] for i in (str(PurePosixPath(*folder, name))
                                              for name in BUNDLE_INDEXES) if i in owners), None)
            if owner is not None:
                copies.append(CopiedFile(output_for(owner.path).parent / source.name, source))
    return tuple(sorted(copies, key=lambda c: str(c.output)))


def check_file_conflicts(routes: Iterable[Route], files: tuple[CopiedFile, ...],
                         folded: Mapping[str, str] | None = None,
                         folders: set[str] | None = None) -> None:
    """A copied file (static or bundle) at a path the build writes would be silently
    replaced, and one where the build needs a folder (or in a folder the build writes as a
    file) cannot be written; two copied files at one path (case aside) would replace one
    another: refuse them all, naming every file.

    `folded` and `folders` (from RouteMemo) save folding every route.
    """
    errors: list[ChronicleError] = []
    by_output: dict[str, list[CopiedFile]] = defaultdict(list)
    for copy in files:
        by_output[str(copy.output).casefold()].append(copy)
    for clashing in by_output.values():
        if len(clashing) > 1:
            names = ", ".join(str(c.shown_as) for c in clashing)
            errors.append(RouteConflict(
                f"{len(clashing)} files would be written to /{clashing[0].output}: {names}",
                SourceLocation(clashing[0].shown_as),
                hint="rename one of them (file names that differ only by case collide on "
                     "case-insensitive hosts)"))
    if folded is not None and folders is not None and not any(
            name in folded or name in folders or any(p in folded for p in folders_of(name))
            for name in by_output):
        raise_collected(errors)
        return
    written = {str(r.output).casefold(): r for r in routes}
    inside = {folder: route for output, route in written.items() for folder in folders_of(output)}
    hint = ("rename or move the file; generated pages cannot be overridden by copied "
            "files (override the template instead)")
    for copy in files:
        name = str(copy.output).casefold()
        where = SourceLocation(copy.shown_as)
        route = written.get(name)
        if route is not None:
            errors.append(RouteConflict(
                f"{copy.described} is at the same path as the {route.kind} page {route.path}",
                where, hint=hint))
        elif name in inside:
            route = inside[name]
            errors.append(RouteConflict(
                f"{copy.described} is where the {route.kind} page {route.path} needs a "
                f"folder ({_describe(route)})", where, hint=hint))
        else:
            owner = next((written[p] for p in folders_of(name) if p in written), None)
            if owner is not None:
                errors.append(RouteConflict(
                    f"{copy.described} lies in a folder that the {owner.kind} page "
                    f"{owner.path} is written as a file ({_describe(owner)})", where, hint=hint))
    raise_collected(errors)
