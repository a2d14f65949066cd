"""Template contexts, one builder per route kind. Each theme template documents its context.

Every context has: `site` (SiteView), `route`, `url(path)` (base path applied),
`abs_url(path)` (absolute), `page_title`, `description`, `canonical`, `json_ld` (dict or
None), `nav` (list of NavItem), `site_feeds` and `page_feeds` (lists of FeedLink: the
site's feeds and the page's own, one per format in `feeds`), `feed_path` (the page's own
first feed, or the site's), `lang` (the page's language: the entry's or page's `lang`,
else the site's `language`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Callable

from chronicle_ssg.blocks import Update
from chronicle_ssg.i18n import Localizer, builtin_catalogues
from chronicle_ssg.model import Entry, Site, Term
from chronicle_ssg.dates import rfc3339
from chronicle_ssg.paths import absolutize_links, join_url
from chronicle_ssg.route import (FEED_FORMATS, SITEMAP_KINDS, Route, feed_format,
                                 period_path, term_path)

#: the `updated` of a feed with no entries: fixed, so output stays reproducible
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
#: the catalogue keys of each family's index title and of one term's label
FAMILY_KEYS = {"tags": ("tags", "tag"), "categories": ("categories", "category"),
               "authors": ("authors", "author"), "series": ("series", "series_one"),
               "sources": ("sources", "source")}
#: the region a bare language code most likely means (CLDR likely subtags), for og:locale
LIKELY_REGIONS = {
    "ar": "EG", "be": "BY", "bg": "BG", "bn": "BD", "ca": "ES", "cs": "CZ", "cy": "GB",
    "da": "DK", "de": "DE", "el": "GR", "en": "US", "es": "ES", "et": "EE", "eu": "ES",
    "fa": "IR", "fi": "FI", "fr": "FR", "ga": "IE", "gl": "ES", "he": "IL", "hi": "IN",
    "hr": "HR", "hu": "HU", "hy": "AM", "id": "ID", "is": "IS", "it": "IT", "ja": "JP",
    "ka": "GE", "kk": "KZ", "ko": "KR", "lt": "LT", "lv": "LV", "mk": "MK", "ms": "MY",
    "nb": "NO", "nl": "NL", "nn": "NO", "no": "NO", "pl": "PL", "pt": "BR", "ro": "RO",
    "ru": "RU", "sk": "SK", "sl": "SI", "sq": "AL", "sr": "RS", "sv": "SE", "sw": "TZ",
    "ta": "IN", "th": "TH", "tr": "TR", "uk": "UA", "ur": "PK", "vi": "VN", "zh": "CN",
}


def og_locale(language: str) -> str | None:
    """Open Graph's `language_TERRITORY` form of a BCP 47 code: `en-GB` -> `en_GB`,
    `zh-Hant-TW` -> `zh_TW`, bare `en` -> `en_US` (its likely region); None when the
    region cannot be told (the tag is then left out: readers assume en_US)."""
    subtags = language.replace("_", "-").split("-")
    base = subtags[0].lower()
    if not (2 <= len(base) <= 3 and base.isalpha()):
        return None
    region = next((tag for tag in subtags[1:] if (len(tag) == 2 and tag.isalpha())
                   or (len(tag) == 3 and tag.isdigit())), None)
    region = region.upper() if region else LIKELY_REGIONS.get(base)
    return f"{base}_{region}" if region else None


@dataclass(frozen=True, slots=True)
class NavItem:
    name: str
    path: str


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed to link to: <link rel="alternate" type="{media_type}" href="{url(path)}">."""

    path: str
    media_type: str
    label: str  #: "Atom feed", "RSS feed", "JSON feed"
    format: str  #: atom, rss or json


def feed_links(formats: tuple[str, ...], folder: str) -> list[FeedLink]:
    return [FeedLink(folder + FEED_FORMATS[f].file, FEED_FORMATS[f].media_type,
                     FEED_FORMATS[f].label, f) for f in formats]


@dataclass(frozen=True, slots=True)
class TermCount:
    term: Term
    count: int
    path: str


@dataclass(frozen=True, slots=True)
class PeriodCount:
    label: str
    path: str
    count: int
    children: tuple["PeriodCount", ...] = ()


def period_label(key: tuple[int, ...], i18n: Localizer) -> str:
    if len(key) == 1:
        return str(key[0])
    if len(key) == 2:
        return i18n.month_year(dt.date(key[0], key[1], 1))
    return i18n.date_long(dt.date(*key))


def route_language(route: Route, site: Site) -> str:
    """The language of a route's page: its entry's or page's `lang`, else the site's."""
    if route.kind in ("entry", "page"):
        subject = site.by_id.get(route.subject) or next(
            (p for p in site.pages if p.id == route.subject), None)
        if subject is not None and subject.lang:
            return subject.lang
    return site.config.language


class SiteView:
    """What templates see of the site: config values, lookups and URL helpers."""

    def __init__(self, site: Site) -> None:
        self._site = site
        self.config = site.config
        self.title = site.config.title
        self.description = site.config.description
        self.language = site.config.language
        self.locale = og_locale(site.config.language)  #: `en_US` style, or None
        self.settings = site.config.theme_settings
        self.entry_count = len(site.entries)
        #: when the build ran (SOURCE_DATE_EPOCH when set); shown only if build_timestamp
        self.built = site.now if site.config.build_timestamp else None

    def entry(self, entry_id: str) -> Entry:
        return self._site.by_id[entry_id]

    def tag_path(self, term: Term) -> str:
        return term_path("tags", term)

    def term_path(self, family: str, term: Term) -> str:
        return term_path(family, term)

    def date_paths(self, when: dt.datetime) -> tuple[str, str, str]:
        """Year, month and day archive paths of a date."""
        return (period_path((when.year,)), period_path((when.year, when.month)),
                period_path((when.year, when.month, when.day)))

    def series_of(self, entry: Entry) -> tuple[Entry, ...]:
        if not entry.series:
            return ()
        return tuple(self._site.by_id[i] for i in self._site.series[entry.series])

    def has(self, family: str) -> bool:
        return bool(getattr(self._site, family))

    def local(self, when: dt.datetime) -> dt.datetime:
        """A time in the site timezone (authors may write explicit offsets)."""
        return when.astimezone(self.config.tz)

    @staticmethod
    def og_locale(language: str) -> str | None:
        """Open Graph's `en_US` form of a BCP 47 code (a page's own `lang`), or None."""
        return og_locale(language)


@dataclass(frozen=True, slots=True)
class UpdateDay:
    """A day of a live entry's updates, for the jump list."""

    label: str
    date: dt.date
    updates: tuple[Update, ...]


def update_days(entry: Entry, tz: dt.tzinfo, i18n: Localizer | None = None) -> list[UpdateDay]:
    """Group a live entry's updates by local day, keeping their order (newest first)."""
    i18n = i18n or builtin_catalogues().localizer("en")
    days: list[UpdateDay] = []
    for update in entry.updates:
        day = update.time.astimezone(tz).date()
        if days and days[-1].date == day:
            days[-1] = UpdateDay(days[-1].label, day, days[-1].updates + (update,))
        else:
            days.append(UpdateDay(i18n.day_heading(day), day, (update,)))
    return days


def _nav(site: Site, i18n: Localizer) -> list[NavItem]:
    items = [NavItem(i18n.t("nav_home"), "/"), NavItem(i18n.t("archives"), "/archives/")]
    if site.tags:  # /tags/ is written only when some entry has a tag
        items.append(NavItem(i18n.t("tags"), "/tags/"))
    if site.categories:
        items.append(NavItem(i18n.t("categories"), "/categories/"))
    if site.sources:
        items.append(NavItem(i18n.t("sources"), "/sources/"))
    items += [NavItem(p.title, p.path) for p in site.pages if not p.extra.get("hide_from_nav")]
    items += [NavItem(name, path) for name, path in site.config.menu
              if path not in {i.path for i in items}]
    return items


def _base(route: Route, site: Site, i18n: Localizer) -> dict[str, Any]:
    config = site.config
    base = config.base_path
    origin = config.origin

    def url(path: str) -> str:
        return path if "://" in path else join_url(base, path)

    def abs_url(path: str) -> str:
        return path if "://" in path else origin + join_url(base, path)

    site_feeds = feed_links(config.feeds, "/")
    return {
        "site": SiteView(site), "config": config, "route": route, "url": url, "abs_url": abs_url,
        "nav": _nav(site, i18n), "page_title": route.title or config.title, "i18n": i18n,
        "description": config.description, "canonical": abs_url(route.path), "json_ld": None,
        "site_feeds": site_feeds, "page_feeds": [], "feed_path": site_feeds[0].path,
        "og_type": "website", "noindex": False,
        "lang": config.language,
        "og_image": site.image,
    }


def _entries(site: Site, ids: tuple[str, ...]) -> list[Entry]:
    return [site.by_id[i] for i in ids]


def _person(name: str) -> dict[str, str]:
    return {"@type": "Person", "name": name}


def entry_json_ld(entry: Entry, site: Site, abs_url: Callable[[str], str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting" if entry.live_blog else "BlogPosting",
        "headline": entry.title[:110], "url": abs_url(entry.path), "inLanguage": entry.lang,
        "mainEntityOfPage": abs_url(entry.path),
        "datePublished": entry.date.isoformat(), "dateModified": entry.last_modified.isoformat(),
        "author": [_person(a.name) for a in entry.authors] or [_person(site.config.title)],
        "description": entry.description,
        "publisher": {"@type": "Organization", "name": site.config.title, "url": abs_url("/")},
        "keywords": [t.name for t in entry.tags],
    }
    if entry.live_blog:
        data["coverageStartTime"] = entry.date.isoformat()
        if entry.coverage_ended:  # while coverage goes on, its end is not known
            data["coverageEndTime"] = coverage_end(entry).isoformat()
        data["liveBlogUpdate"] = [{
            "@type": "BlogPosting", "headline": u.label or entry.title[:110],
            "datePublished": u.time.isoformat(), "url": abs_url(entry.path) + "#" + u.id}
            for u in entry.updates]
    return data


def coverage_end(entry: Entry) -> dt.datetime:
    """When an ended live entry's coverage ended: `live_until` or the end of the site's live
    window, else (`live: false`) its last update."""
    return entry.coverage_end or (entry.updates[0].time if entry.updates else entry.last_modified)


def entry_context(route: Route, site: Site, ctx: dict[str, Any]) -> None:
    entry = site.by_id[route.subject]
    newer, older = site.neighbours(entry.id)
    ctx.update(
        entry=entry, newer=newer, older=older,
        backlinks=_entries(site, site.backlinks.get(entry.id, ())),
        related=_entries(site, site.related.get(entry.id, ())),
        series_entries=SiteView(site).series_of(entry),
        series_prev=site.series_neighbours(entry.id)[0],
        series_next=site.series_neighbours(entry.id)[1],
        update_days=update_days(entry, site.config.tz, ctx["i18n"]),
        description=entry.description or site.config.description, og_type="article",
        lang=entry.lang,
        og_image=entry.social_image or site.image,
        json_ld=entry_json_ld(entry, site, ctx["abs_url"]))


def page_context(route: Route, site: Site, ctx: dict[str, Any]) -> None:
    page = next(p for p in site.pages if p.id == route.subject)
    ctx.update(page=page, description=page.description or site.config.description, lang=page.lang,
               og_image=page.social_image or site.image,
               json_ld={"@context": "https://schema.org", "@type": "WebPage",
                        "name": page.title, "url": ctx["canonical"]})


def _collection_ld(route: Route, site: Site, ctx: dict[str, Any], kind: str = "CollectionPage") -> dict[str, Any]:
    return {"@context": "https://schema.org", "@type": kind,
            "name": ctx["page_title"], "url": ctx["canonical"],
            "hasPart": [{"@type": "BlogPosting", "headline": e.title, "url": ctx["abs_url"](e.path),
                         "datePublished": e.date.isoformat()} for e in _entries(site, route.entries)]}


def listing_context(route: Route, site: Site, ctx: dict[str, Any]) -> None:
    """Home, period, term, series and source pages: a list of entry cards."""
    i18n: Localizer = ctx["i18n"]
    ctx["entries"] = _entries(site, route.entries)
    ctx["pager"] = route.pager

    def numbered(title: str) -> str:
        if route.pager and route.pager.number > 1:
            return i18n.t("page_title_numbered", title=title, number=route.pager.number)
        return title

    ctx["page_title"] = numbered(ctx["page_title"])
    if route.kind == "home":
        ctx.update(page_title=numbered(site.config.title),
                   recently_updated=_entries(site, route.neighbours))
        blog = _collection_ld(route, site, ctx, "Blog")
        blog["description"] = site.config.description
        ctx["json_ld"] = blog
        return
    ctx["json_ld"] = _collection_ld(route, site, ctx)
    if route.kind in ("year", "month", "day"):
        key = tuple(int(p) for p in route.subject.split("-"))
        label = period_label(key, i18n)
        prev_path, next_path = route.period_links
        ctx.update(period_kind=route.kind, period_label=label,
                   page_title=numbered(i18n.t("archive_title", period=label)),
                   description=i18n.t("period_description", period=label),
                   prev_period=_period_link(prev_path, i18n),
                   next_period=_period_link(next_path, i18n),
                   on_this_day=_entries(site, route.neighbours))
        return
    family = route.family
    term = _find_term(site, family, route.subject)
    family_label = i18n.t(FAMILY_KEYS[family][1])
    ctx.update(family=family, family_label=family_label, term=term,
               description=i18n.t("term_description", family=family_label, name=term.name))
    if family == "tags":
        _page_feeds(ctx, feed_links(site.config.feeds, term_path("tags", term)))
    if family == "sources":
        ctx["places"] = {entry_id: [a for e, a in site.sources[term] if e == entry_id]
                         for entry_id in route.entries}


def _period_link(path: str | None, i18n: Localizer) -> dict[str, str] | None:
    if not path:
        return None
    key = tuple(int(p) for p in path.strip("/").split("/"))
    return {"path": path, "label": period_label(key, i18n)}


def _find_term(site: Site, family: str, key: str) -> Term:
    return next(t for t in site.family(family) if t.key == key)


def terms_context(route: Route, site: Site, ctx: dict[str, Any]) -> None:
    family = route.family
    terms = [TermCount(t, len(ids), term_path(family, t)) for t, ids in site.family(family).items()]
    terms.sort(key=lambda tc: (tc.term.name.casefold(), tc.term.key))
    i18n: Localizer = ctx["i18n"]
    title_key, label_key = FAMILY_KEYS[family]
    ctx.update(family=family, family_label=i18n.t(label_key), terms=terms,
               page_title=i18n.t(title_key),
               description=i18n.t(f"{title_key}_description", site=site.config.title))
    ctx["json_ld"] = {"@context": "https://schema.org", "@type": "CollectionPage",
                      "name": ctx["page_title"], "url": ctx["canonical"]}


def archive_index_context(route: Route, site: Site, ctx: dict[str, Any]) -> None:
    years = []
    for year, ids in sorted(site.years.items(), reverse=True):
        months = tuple(PeriodCount(ctx["i18n"].month(dt.date(y, m, 1)), period_path((y, m)),
                                   len(site.months[(y, m)]))
                       for (y, m) in sorted(site.months, reverse=True) if y == year)
        years.append(PeriodCount(str(year), period_path((year,)), len(ids), months))
    ctx.update(years=years, page_title=ctx["i18n"].t("archives"),
               description=ctx["i18n"].t("archives_description", site=site.config.title))
    ctx["json_ld"] = {"@context": "https://schema.org", "@type": "CollectionPage",
                      "name": ctx["page_title"], "url": ctx["canonical"]}


def _page_feeds(ctx: dict[str, Any], feeds: list[FeedLink]) -> None:
    ctx.update(page_feeds=feeds, feed_path=feeds[0].path)


def corrections_context(route: Route, site: Site, ctx: dict[str, Any]) -> None:
    _page_feeds(ctx, feed_links(site.config.feeds, "/corrections/"))
    ctx.update(corrections=[(site.by_id[i], c) for i, c in site.corrections],
               page_title=ctx["i18n"].t("corrections"),
               description=ctx["i18n"].t("corrections_description", site=site.config.title))
    ctx["json_ld"] = {"@context": "https://schema.org", "@type": "CollectionPage",
                      "name": ctx["page_title"], "url": ctx["canonical"]}


def feed_context(route: Route, site: Site, ctx: dict[str, Any]) -> None:
    entries = _entries(site, route.entries)
    if route.subject == "corrections":
        items = [(site.by_id[i], c) for i, c in site.corrections][:site.config.feed_entries]
        updated = max((c.date for _, c in items), default=None)
    else:
        items = [(e, None) for e in entries]
        updated = max((e.last_modified for e in entries), default=None)
    home = route.path.rsplit("/", 1)[0] + "/"  # the feed's folder: /, a tag, /corrections/
    ctx.update(items=items, updated=updated or EPOCH, feed_home=home,
               feed_title=site.config.title if route.subject == "site"
               else f"{site.config.title}: {route.title}")
    if feed_format(route).name == "json":
        ctx["json_feed"] = json_feed(site, ctx)


def json_feed(site: Site, ctx: dict[str, Any]) -> dict[str, Any]:
    """A JSON Feed 1.1 document (https://jsonfeed.org/version/1.1) of a feed context."""
    abs_url = ctx["abs_url"]
    config = site.config
    feed: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1", "title": ctx["feed_title"],
        "home_page_url": abs_url(ctx["feed_home"]), "feed_url": abs_url(ctx["route"].path),
        "language": config.language,
        "authors": [{"name": config.author or config.title}], "items": []}
    if config.description:
        feed["description"] = config.description
    for entry, correction in ctx["items"]:
        link = abs_url(entry.path)
        if correction:
            item: dict[str, Any] = {
                "id": f"{link}#{correction.id}", "url": f"{link}#{correction.id}",
                "title": f"Correction: {entry.title}", "content_text": correction.text,
                "date_published": rfc3339(correction.date),
                "date_modified": rfc3339(correction.date)}
        else:
            item = {
                "id": link, "url": link,
                "title": entry.title + (" [corrected]" if entry.corrections else ""),
                "content_html": absolutize_links(entry.body_html, link),
                "summary": entry.description,
                "date_published": rfc3339(entry.date),
                "date_modified": rfc3339(entry.last_modified),
                "tags": [t.name for t in (*entry.categories, *entry.tags)]}
            if entry.authors:
                item["authors"] = [{"name": a.name} for a in entry.authors]
        if entry.lang != config.language:
            item["language"] = entry.lang
        feed["items"].append(item)
    return feed


def sitemap_urls(site: Site, routes: tuple[Route, ...]) -> list[tuple[str, dt.datetime | None]]:
    """Every canonical HTML page with its last modification, sorted by path."""
    pages = {p.id: p for p in site.pages}
    urls = []
    for route in routes:
        if route.kind not in SITEMAP_KINDS:
            continue
        if route.kind == "page":
            lastmod = pages[route.subject].last_modified
        else:
            lastmod = max((site.by_id[i].last_modified for i in route.entries), default=None)
        urls.append((route.path, lastmod))
    return sorted(urls)


def sitemap_parts(site: Site, route: Route, routes: tuple[Route, ...],
                  ) -> list[list[tuple[str, dt.datetime | None]]]:
    """The sitemap's URLs split evenly into as many parts as the route's pager counts."""
    urls = sitemap_urls(site, routes)
    count = route.pager.count if route.pager else 1
    size = max(1, math.ceil(len(urls) / count))
    return [urls[n * size: (n + 1) * size] for n in range(count)]


def sitemap_context(route: Route, site: Site, ctx: dict[str, Any]) -> None:
    ctx["urls"] = sitemap_parts(site, route, ctx["all_routes"])[
        route.pager.number - 1 if route.pager else 0]


def sitemap_index_context(route: Route, site: Site, ctx: dict[str, Any]) -> None:
    assert route.pager is not None
    ctx["sitemaps"] = [(f"{route.pager.first_path}{n}.xml",
                        max((lastmod for _, lastmod in part if lastmod), default=None))
                       for n, part in enumerate(sitemap_parts(site, route, ctx["all_routes"]), 1)]


def alias_context(route: Route, site: Site, ctx: dict[str, Any]) -> None:
    target = site.by_id[route.subject].path if route.subject in site.by_id else next(
        p.path for p in site.pages if p.id == route.subject)
    ctx.update(target=target, canonical=ctx["abs_url"](target), noindex=True)


def nothing(route: Route, site: Site, ctx: dict[str, Any]) -> None:
    ctx["noindex"] = route.kind in ("not_found", "search")  # nothing for search engines


BUILDERS: dict[str, Callable[[Route, Site, dict[str, Any]], None]] = {
    "entry": entry_context, "page": page_context, "home": listing_context,
    "year": listing_context, "month": listing_context, "day": listing_context,
    "term": listing_context, "series": listing_context, "source": listing_context,
    "terms": terms_context, "archive_index": archive_index_context,
    "corrections": corrections_context, "feed": feed_context, "sitemap": sitemap_context,
    "sitemap_index": sitemap_index_context,
    "alias": alias_context, "not_found": nothing, "robots": nothing, "search": nothing,
}


def build_context(route: Route, site: Site, all_routes: tuple[Route, ...] = (),
                  i18n: Localizer | None = None) -> dict[str, Any]:
    """The context of one route, in `i18n`'s language; the sitemap alone needs every route."""
    ctx = _base(route, site, i18n or builtin_catalogues().localizer(route_language(route, site)))
    ctx["all_routes"] = all_routes
    BUILDERS[route.kind](route, site, ctx)
    return ctx
