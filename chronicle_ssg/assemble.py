"""STAGE 3b: entries and pages -> Site: canonical terms, cross-references, indexes, digests.

Every index is built once, in dicts, never by rescanning. `refresh_entry` and
`replace_entry` serve the fast path of a rebuild: one entry edited, the shape of the site
unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any, Mapping

from chronicle_ssg.config import SiteConfig
from chronicle_ssg.discover import bundle_of
from chronicle_ssg.errors import ChronicleError, SourceLocation, XrefError, raise_collected
from chronicle_ssg.markdown import Ref
from chronicle_ssg.model import Entry, Page, Site, Term, make_term
from chronicle_ssg.paths import prefix_root_srcset, rebase_relative_links

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
    return _digest(entry.title, entry.title_html, entry.lang, entry.path, entry.date, entry.updated, entry.summary_html,
                   entry.description, entry.tags, [t.name for t in entry.tags],
                   entry.categories, [t.name for t in entry.categories],
                   [a.name for a in entry.authors], entry.series and entry.series.name,
                   entry.reading_minutes, len(entry.updates), len(entry.corrections),
                   entry.comment_count, entry.has_more, entry.draft, entry.scheduled,
                   entry.live_blog, entry.coverage_ended, entry.thumbnail)


def full_digest(entry: Entry) -> str:
    """Everything the entry's own page (and full-content feeds) shows."""
    return _digest(card_digest(entry), entry.body_html, entry.headings, entry.updates,
                   entry.quotes, entry.corrections, entry.comments, sorted(entry.extra.items(), key=str),
                   entry.aliases, entry.ids, entry.coverage_end, entry.social_image,
                   entry.lang, entry.toc)


class _Terms:
    """Canonical terms: first spelling by source path wins; slugs are made unique."""

    def __init__(self) -> None:
        self.by_key: dict[str, Term] = {}
        self.slugs: set[str] = set()

    def canonical(self, term: Term) -> Term:
        found = self.by_key.get(term.key)
        if found is not None:
            return found
        slug, number = term.slug, 2
        while slug in self.slugs:
            slug, number = f"{term.slug}-{number}", number + 1
        self.slugs.add(slug)
        found = self.by_key[term.key] = term if slug == term.slug else Term(term.key, term.name, slug)
        return found


def _canonical_entries(entries: list[Entry], memo: dict[str, tuple[Entry, Entry]]) -> list[Entry]:
    families = (_Terms(), _Terms(), _Terms(), _Terms())  # tags, categories, authors, series
    out = []
    for entry in sorted(entries, key=lambda e: e.id):
        hit = memo.get(entry.id)
        base = hit[1] if hit is not None and hit[0] is entry else entry
        spelled = (entry.tags, entry.categories, entry.authors,
                   (entry.series,) if entry.series else ())
        shown = (base.tags, base.categories, base.authors, (base.series,) if base.series else ())
        same = True
        for registry, given, had in zip(families, spelled, shown):
            for term, before in zip(given, had):  # inlined: this runs for every entry
                now = registry.by_key.get(term.key) or registry.canonical(term)
                if now is not before and (now.name != before.name or now.slug != before.slug):
                    same = False
        if not same:  # spelled otherwise than the first spelling: a copy
            tags, categories, authors, series = (
                tuple(registry.by_key[t.key] for t in given)
                for registry, given in zip(families, spelled))
            base = replace(entry, tags=tags, categories=categories, authors=authors,
                           series=series[0] if series else None)
        memo[entry.id] = (entry, base)
        out.append(base)
    return out


def _ref_index(entries: list[Entry]) -> dict[str, list[Entry]]:
    """What a cross-reference may name: slug, source path, or path under content/."""
    index: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        under_content = entry.id.removeprefix("content/")
        keys = {entry.slug, entry.id, under_content, posixpath.splitext(under_content)[0]}
        if bundle_of(PurePosixPath(entry.id)) is not None:  # a bundle is named by its folder
            keys.add(posixpath.dirname(under_content))
        for key in keys:
            index[key].append(entry)
    return index


def _resolve_refs(entries: list[Entry], pages: list[Page], config: SiteConfig,
                  errors: list[ChronicleError], memo: dict[str, tuple[Any, Entry]],
                  ) -> tuple[list[Entry], list[Page], dict[str, set[str]]]:
    """Turn `entry:` links into URLs and prefix root links with the base path.

    Entries and standalone pages both may cite entries; only entries count as backlinks,
    because "Referenced in" lists entries. An entry's result depends on itself, the base
    path and what its references point at; `memo` keeps it while those stay the same.
    """
    index: dict[str, list[Entry]] | None = None
    cited_by: dict[str, set[str]] = defaultdict(set)
    out = []
    for entry in entries:
        targets: tuple[object, ...] = ()
        if entry.refs:
            index = index if index is not None else _ref_index(entries)
            targets = tuple((ref.target, tuple((e.id, e.path, e.ids) for e in index.get(ref.target, ())))
                            for ref in entry.refs)
            for _, found in targets:
                if len(found) == 1 and found[0][0] != entry.id:  # type: ignore[index]
                    cited_by[found[0][0]].add(entry.id)  # type: ignore[index]
        hit = memo.get(entry.id)
        if hit and hit[0][0] is entry and hit[0][1:] == (config.base_path, targets):
            out.append(hit[1])
            continue
        summary = rebase_relative_links(entry.summary_html, entry.path)
        before = len(errors)
        body, summary = _link_html(entry.id, entry.refs, (entry.body_html, summary),
                                   index or {}, config.base_path, errors, None)
        linked = (replace(entry, body_html=body, summary_html=summary)
                  if (body, summary) != (entry.body_html, entry.summary_html) else entry)
        if len(errors) == before:  # a broken reference must be reported again next time
            memo[entry.id] = ((entry, config.base_path, targets), linked)
        out.append(linked)
    out_pages = []
    for page in pages:
        if page.refs:
            index = index if index is not None else _ref_index(entries)
        (body,) = _link_html(page.id, page.refs, (page.body_html,), index or {}, config.base_path,
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
            html = prefix_root_srcset(_ROOT_LINK_RE.sub(rf"\1{base}/", html), base)
        if refs:
            html = _XREF_RE.sub(link, html)
        out.append(html)
    return tuple(out)


def _groups(ordered: tuple[Entry, ...], kept: dict[tuple[str, object], tuple[str, ...]],
            ) -> dict[str, dict[Any, tuple[str, ...]]]:
    """Entry ids per term and per period, newest first, in one pass over the entries.

    A group equal to the one `kept` from the last assembly is that very tuple, so later
    stages can tell an unchanged group by identity.
    """
    families = ("tags", "categories", "authors", "series")
    lists: dict[str, dict[Any, list[str]]] = {
        name: defaultdict(list) for name in (*families, "years", "months", "days")}
    terms: dict[str, dict[str, Term]] = {name: {} for name in families}
    tags, categories, authors, series = (lists[name] for name in families)
    years, months, days = lists["years"], lists["months"], lists["days"]
    for entry in ordered:
        entry_id, date = entry.id, entry.date
        for name, group, given in (("tags", tags, entry.tags),
                                   ("categories", categories, entry.categories),
                                   ("authors", authors, entry.authors)):
            for term in given:
                group[term.key].append(entry_id)
                terms[name].setdefault(term.key, term)
        if entry.series:
            series[entry.series.key].append(entry_id)
            terms["series"].setdefault(entry.series.key, entry.series)
        years[date.year].append(entry_id)
        months[(date.year, date.month)].append(entry_id)
        days[(date.year, date.month, date.day)].append(entry_id)
    fresh: dict[tuple[str, object], tuple[str, ...]] = {}
    result: dict[str, dict[Any, tuple[str, ...]]] = {}
    for name, groups in lists.items():
        result[name] = {}
        for key in sorted(groups):  # terms by folded key, periods by date
            ids = tuple(reversed(groups[key])) if name == "series" else tuple(groups[key])
            before = kept.get((name, key))
            fresh[(name, key)] = ids = before if before == ids else ids
            result[name][terms[name][key] if name in terms else key] = ids
    kept.clear()
    kept.update(fresh)
    return result


def _unchanged_ends(before: tuple[str, ...], after: tuple[str, ...]) -> tuple[int, int]:
    """Lengths of the common prefix and suffix of two id lists (slices compare in C)."""
    def common(size: int, same: Any) -> int:
        low, high = 0, size
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if same(middle) else (low, middle - 1)
        return low

    limit = min(len(before), len(after))
    prefix = common(limit, lambda n: before[:n] == after[:n])
    suffix = common(limit - prefix, lambda n: before[len(before) - n:] == after[len(after) - n:])
    return prefix, suffix


def _related(entries: tuple[Entry, ...], tags: Mapping[Term, tuple[str, ...]], count: int,
             memo: dict[str, tuple[Entry, tuple[str, ...]]], changed: set[str] | None,
             previous_tags: Mapping[str, tuple[str, ...]], window: int = 12,
             ) -> dict[str, tuple[str, ...]]:
    """Entries sharing the most tags; ties go to the nearest in time, then id.

    Only the `window` entries nearest in time per tag are candidates, which keeps this
    linear in the archive size while still finding the closest companions. An entry's
    result depends only on itself and those windows (their ids and dates), so after an
    edit only entries whose windows reach a changed entry or a changed stretch of a tag's
    list are ranked again; the others keep the result in `memo`. `changed` None (no
    previous assembly) ranks all; `previous_tags` are the tag lists it ranked with.
    """
    by_id = {e.id: e for e in entries}
    half = window // 2
    again: set[str] | None = None
    if changed is not None:
        again = set(changed)
        for term, ids in tags.items():
            before = previous_tags.get(term.key, ())
            if ids is before and changed.isdisjoint(ids):
                continue
            spans = []
            if ids is not before:  # entries whose window reaches the stretch that differs
                prefix, suffix = _unchanged_ends(before, ids)
                spans.append((prefix - half, len(ids) - suffix + half))
            if not changed.isdisjoint(ids):  # entries whose window shows a changed entry
                spans += [(at - half, at + half + 1) for at, i in enumerate(ids) if i in changed]
            for start, stop in spans:
                again.update(ids[max(0, start): max(0, stop)])
    positions: dict[Term, dict[str, int]] = {}
    related: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        hit = memo.get(entry.id)
        if again is not None and entry.id not in again and hit is not None and hit[0] is entry:
            related[entry.id] = hit[1]
            continue
        scores: Counter[str] = Counter()
        for term in entry.tags:
            ids = tags[term]
            at = (positions.get(term) or positions.setdefault(
                term, {i: n for n, i in enumerate(ids)}))[entry.id]
            scores.update(ids[max(0, at - half): at + half + 1])
        del scores[entry.id]
        best = sorted(scores.items(), key=lambda kv: (
            -kv[1], abs((by_id[kv[0]].date - entry.date).total_seconds()), kv[0]))[:count]
        related[entry.id] = tuple(i for i, _ in best)
        memo[entry.id] = (entry, related[entry.id])
    return related


def _with_digests(entry: Entry, memo: dict[str, tuple[Entry, Entry]]) -> Entry:
    """The entry with its digests, kept per unchanged entry."""
    hit = memo.get(entry.id)
    if hit and hit[0] is entry:
        return hit[1]
    done = replace(entry, card_digest=card_digest(entry), full_digest=full_digest(entry))
    memo[entry.id] = (entry, done)
    return done


@dataclass
class AssemblyMemo:
    """Per-entry work kept between assemblies by a serve session.

    model_site hands over the very same Entry object for an unchanged source, so each
    step's result is kept by entry id and reused while its inputs are the same objects.
    A fresh memo (a plain build) simply computes everything.
    """

    canonical: dict[str, tuple[Entry, Entry]] = field(default_factory=dict)
    linked: dict[str, tuple[Any, Entry]] = field(default_factory=dict)
    finished: dict[str, tuple[Entry, Entry]] = field(default_factory=dict)
    related: dict[str, tuple[Entry, tuple[str, ...]]] = field(default_factory=dict)
    #: (family, key) -> ids of the last assembled site's groups
    groups: dict[tuple[str, object], tuple[str, ...]] = field(default_factory=dict)
    by_id: Mapping[str, Entry] | None = None  #: the entries of the last assembled site

    def prune(self, ids: Mapping[str, object]) -> None:
        """Forget entries that are gone (they would only hold memory). Each table holds
        every current entry, so only a table larger than `ids` holds stale ones."""
        for table in (self.canonical, self.linked, self.finished, self.related):
            if len(table) > len(ids):
                for stale in [key for key in table if key not in ids]:
                    del table[stale]


def assemble_site(config: SiteConfig, entries: list[Entry], pages: list[Page],
                  now: dt.datetime, include_drafts: bool = False,
                  include_future: bool = False, memo: AssemblyMemo | None = None) -> Site:
    """Filter, sort and index the entries; resolve cross-references. Raises BuildFailed."""
    memo = memo or AssemblyMemo()
    errors: list[ChronicleError] = []
    visible = [e for e in entries if (include_drafts or not e.draft)
               and (include_future or not e.scheduled)]
    visible = _canonical_entries(visible, memo.canonical)
    pages = [p for p in pages if include_drafts or not p.draft]
    visible, pages, cited_by = _resolve_refs(visible, pages, config, errors, memo.linked)
    raise_collected(errors)
    visible = [_with_digests(e, memo.finished) for e in visible]
    ordered = tuple(sorted(visible, key=lambda e: (e.date, e.id), reverse=True))
    position = {e.id: i for i, e in enumerate(ordered)}
    by_id = {e.id: e for e in ordered}
    changed = None
    if memo.by_id is not None:
        before = memo.by_id
        changed = {i for i, e in by_id.items() if before.get(i) is not e}
        changed.update(i for i in before if i not in by_id)
    memo.prune(by_id)
    memo.by_id = by_id
    previous_tags = {key: ids for (family, key), ids in memo.groups.items() if family == "tags"}
    groups = _groups(ordered, memo.groups)
    sources: dict[Term, list[tuple[str, str]]] = defaultdict(list)
    terms = _Terms()
    quoting = [e for e in ordered if e.quotes]
    for entry in sorted(quoting, key=lambda e: e.id):  # first spelling by path, like tags
        for quote in entry.quotes:
            terms.canonical(make_term(quote.source))
    for entry in quoting:
        for quote in entry.quotes:
            sources[terms.canonical(make_term(quote.source))].append((entry.id, quote.id))
    corrections = sorted(((e.id, c) for e in ordered for c in e.corrections),
                         key=lambda item: (item[1].date, item[0], item[1].id), reverse=True)
    updated = sorted((e for e in ordered if e.updated and e.updated > e.date),
                     key=lambda e: (e.updated, e.id), reverse=True)
    kept_pages = tuple(sorted(pages, key=lambda p: p.id))
    return Site(
        config=config, entries=ordered, pages=kept_pages, by_id=by_id, position=position,
        tags=groups["tags"], categories=groups["categories"], authors=groups["authors"],
        series=groups["series"],
        sources={k: tuple(v) for k, v in sorted(sources.items())},
        years=groups["years"], months=groups["months"], days=groups["days"],
        backlinks={k: tuple(sorted(v, key=lambda i: position[i])) for k, v in sorted(cited_by.items())
                   if k in by_id},
        related=_related(ordered, groups["tags"], config.related_entries, memo.related, changed,
                         previous_tags),
        corrections=tuple(corrections),
        recently_updated=tuple(e.id for e in updated[:config.recently_updated]),
        now=now, next_due=_next_due(entries, ordered, include_future))


def _next_due(entries: list[Entry], published: tuple[Entry, ...],
              include_future: bool) -> dt.datetime | None:
    """When time alone next changes the site: a scheduled entry is due, or the live
    coverage of a published entry ends (its page and listings then read "Updated N times")."""
    due = [e.date for e in entries if e.scheduled and not e.draft and not include_future]
    due += [e.coverage_end for e in published if e.is_live and e.coverage_end is not None]
    return min(due, default=None)


def refresh_entry(site: Site, entry: Entry) -> Entry | None:
    """Finish an edited entry against the current site, or None when the edit changes
    anything beyond its own page: what listings show (card digest), its terms, links to
    other entries, quoted sources, corrections, aliases, or anchors others link to."""
    old = site.by_id.get(entry.id)
    if old is None or entry.draft != old.draft or entry.scheduled != old.scheduled \
            or entry.coverage_end != old.coverage_end:  # Site.next_due would change
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
    # the entry may cite itself (#anchors of its own new body): index its new version
    index = _ref_index([entry if e.id == entry.id else e for e in site.entries]) if entry.refs else {}
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
    entries = list(site.entries)
    entries[site.position[entry.id]] = entry
    by_id = dict(site.by_id)
    by_id[entry.id] = entry
    return replace(site, entries=tuple(entries), by_id=by_id)
