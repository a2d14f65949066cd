"""Route signatures: a page is re-rendered only when something it shows has changed.

A signature hashes exactly the inputs a route declares (route.entries and
route.neighbours, the same fields its context is built from), the digests of its
template closure and the config, and the few site-wide facts some pages show (the
navigation, term counts, sources, corrections, the set of URLs). Equal signature,
equal bytes: that is the contract the incremental tests check against full builds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Mapping

from chronicle_ssg.model import TERM_FAMILIES, Entry, Site
from chronicle_ssg.route import Route, paths_digest


def _hash(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


@dataclass(frozen=True, slots=True)
class SiteFacts:
    """Site-wide digests that some pages show besides their own entries."""

    nav: str  #: pages, menu and which indexes exist: every HTML page shows the nav
    families: Mapping[str, str]  #: term family -> digest of (term, count) pairs
    sources: Mapping[str, str]  #: source key -> digest of its (entry, anchor) places
    corrections: str
    paths: str  #: every route path: the sitemap lists them
    pages: Mapping[str, str]  #: page id -> digest of the page


def site_facts(site: Site, routes: tuple[Route, ...], paths: str | None = None) -> SiteFacts:
    """Compute the site-wide digests once per site (`paths`: paths_digest(routes), known)."""
    nav = _hash([(p.title, p.path, p.extra.get("hide_from_nav")) for p in site.pages],
                bool(site.tags), bool(site.categories), bool(site.sources),
                bool(site.corrections), site.image)  # the default og:image is on every page
    families = {name: _hash([(t.key, t.name, t.slug, len(ids))
                             for t, ids in site.family(name).items()])
                for name in TERM_FAMILIES}
    return SiteFacts(
        nav=nav, families=families,
        sources={t.key: _hash(t.name, t.slug, places) for t, places in site.sources.items()},
        corrections=_hash(site.corrections),
        paths=paths or paths_digest(routes),
        pages={p.id: _hash(p) for p in site.pages})


def route_signature(route: Route, site: Site, facts: SiteFacts, template_digest: str,
                    config_digest: str) -> str:
    """The hash of everything this route's page shows."""
    by_id = site.by_id
    shown = [by_id[i].full_digest if route.full_content else by_id[i].card_digest
             for i in route.entries]
    linked = [by_id[i].card_digest if i in by_id else i for i in route.neighbours]
    return _hash(template_digest, config_digest, _facts_shown(route, facts), _fields(route),
                 shown, linked)


def _fields(route: Route) -> tuple[object, ...]:
    """The route's own fields as plain values: their repr is much cheaper than a dataclass's."""
    pager = route.pager
    return (route.kind, route.path, route.template, route.subject, route.title, route.entries,
            route.neighbours, pager and (pager.number, pager.count, pager.first_path),
            route.family, route.period_links, route.full_content, route.shape)


def _facts_shown(route: Route, facts: SiteFacts) -> tuple[str, object]:
    """The site-wide facts this route's page shows: the nav, and one more for some kinds."""
    extra: object = None
    if route.kind == "terms":  # an index shows every term with its count
        extra = facts.families.get(route.family)
    elif route.kind == "source":
        extra = facts.sources.get(route.subject)
    elif route.kind in ("corrections", "feed"):
        extra = facts.corrections if route.subject == "corrections" or route.kind == "corrections" else None
    elif route.kind in ("sitemap", "sitemap_index"):
        extra = facts.paths
    elif route.kind in ("page", "alias"):
        extra = facts.pages.get(route.subject)
    return facts.nav, extra


def signatures(site: Site, routes: tuple[Route, ...] | list[Route],
               template_digests: Mapping[str, str], config_digest: str,
               facts: SiteFacts | None = None) -> dict[str, str]:
    """Signature of each route, keyed by output path (facts: of the whole site's routes)."""
    facts = facts or site_facts(site, tuple(routes))
    return {str(r.output): route_signature(r, site, facts, template_digests.get(r.template, ""),
                                           config_digest)
            for r in routes}


@dataclass(frozen=True, slots=True)
class Signed:
    """A site's route signatures and what they were computed from."""

    signatures: dict[str, str]  #: output path -> signature
    routes: dict[str, Route]  #: output path -> route
    by_id: Mapping[str, Entry]
    facts: SiteFacts
    template_digests: Mapping[str, str]
    config_digest: str
    #: outputs whose signature was computed afresh; None: all of them
    recomputed: frozenset[str] | None = None


def sign(site: Site, routes: tuple[Route, ...], template_digests: Mapping[str, str],
         config_digest: str, previous: Signed | None = None, paths: str | None = None,
         ) -> Signed:
    """Every route's signature; those whose inputs are the same objects as in `previous`
    (route, entries, facts, template, config) keep their previous signature unhashed.
    `paths`: the routes' paths_digest, when the planner knows it."""
    facts = site_facts(site, routes, paths)
    if previous is None or previous.config_digest != config_digest:
        return Signed(signatures(site, routes, template_digests, config_digest, facts),
                      {str(r.output): r for r in routes}, site.by_id, facts, template_digests,
                      config_digest)
    before = previous.by_id
    changed = {i for i, e in site.by_id.items() if before.get(i) is not e}
    changed.update(i for i in before if i not in site.by_id)
    same_templates = {name for name, digest in template_digests.items()
                      if previous.template_digests.get(name) == digest}
    # besides the nav (on every HTML page), only these kinds show site-wide facts
    same_facts = facts == previous.facts
    fact_kinds = () if same_facts else (
        ("terms", "source", "corrections", "feed", "sitemap", "sitemap_index", "page", "alias")
        if facts.nav == previous.facts.nav else None)
    result: dict[str, str] = {}
    by_output: dict[str, Route] = {}
    recomputed = []
    for route in routes:
        output = str(route.output)
        by_output[output] = route
        old = previous.routes.get(output)
        if old is route and route.template in same_templates \
                and changed.isdisjoint(route.entries) and changed.isdisjoint(route.neighbours) \
                and (fact_kinds is not None and route.kind not in fact_kinds
                     or _facts_shown(route, facts) == _facts_shown(route, previous.facts)):
            result[output] = previous.signatures[output]
        else:
            result[output] = route_signature(route, site, facts,
                                             template_digests.get(route.template, ""), config_digest)
            recomputed.append(output)
    return Signed(result, by_output, site.by_id, facts, template_digests, config_digest,
                  frozenset(recomputed))


def full_content_index(routes: tuple[Route, ...]) -> dict[str, tuple[Route, ...]]:
    """Entry id -> the routes that show its whole body (its page, feeds)."""
    index: dict[str, list[Route]] = {}
    for route in routes:
        if route.full_content:
            for entry_id in route.entries:
                index.setdefault(entry_id, []).append(route)
    return {k: tuple(v) for k, v in index.items()}
