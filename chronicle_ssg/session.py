"""A site kept in memory between rebuilds: serve and `build --watch` run on it.

`rebuild()` re-reads only changed sources, re-plans the site from per-entry memos
(build.SiteMemo: unchanged inputs are the very same objects, so reuse is checked by
identity), and re-renders only routes whose signature changed; outputs that no route
produces any more are deleted. Given the pages open in browsers, it renders those first
and leaves the other stale pages pending for render_pending(). Once nothing is pending,
output/ is byte-identical to a full build of the same sources, which
tests/e2e/test_incremental.py checks after random edit series. A failed rebuild raises and
leaves the session (and output/) as it was; a pending page that fails stays pending.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Collection, Mapping

from chronicle_ssg.build import (SEARCHABLE_KINDS, BuildOptions, BuildResult, LoadedSite,
                                 Preparer, SiteMemo, Stats, build_now, build_site,
                                 indexes_search, load_site, record_signatures, render_routes,
                                 signing_digest)
from chronicle_ssg.discover import restamped, updated_sources
from chronicle_ssg.incremental import Signed, route_signature, sign, signatures, site_facts
from chronicle_ssg.cache import BuildCache, load_cache, save_signatures
from chronicle_ssg.errors import BuildFailed, ChronicleError
from chronicle_ssg.write import apply_delta, content_hash, write_manifest


@dataclass(frozen=True, slots=True)
class Delta:
    """What one rebuild changed in output/."""

    writes: dict[PurePosixPath, bytes]
    deletes: frozenset[PurePosixPath]
    rendered: int  #: routes rendered (some may have produced identical bytes)
    seconds: float
    unfinished: bool = False  #: stale pages are left for render_pending (see SiteSession.rebuild)

    @property
    def css_only(self) -> bool:
        """Only stylesheets changed: browsers can swap styles without a reload."""
        return bool(self.writes) and not self.deletes and all(
            p.suffix == ".css" for p in self.writes)

    @property
    def empty(self) -> bool:
        return not self.writes and not self.deletes


@dataclass
class SiteSession:
    site_root: Path
    output_dir: Path
    options: BuildOptions
    cache: BuildCache = field(default_factory=lambda: BuildCache(""))
    result: BuildResult | None = None
    template_stamps: dict[str, tuple[int, int]] = field(default_factory=dict)
    defer_manifest: bool = False  #: serve writes the manifest after the reload signal
    _memo: SiteMemo = field(default_factory=SiteMemo)
    _index: dict = field(default_factory=dict)
    _index_for: object = None
    #: output paths whose file is older than the site: rendered by render_pending()
    pending: set[str] = field(default_factory=set)
    #: the last rebuild signed only the pages it rendered; which others are stale is
    #: found out after the reload (by _settle_plan), as the config digest says
    _unsigned: str | None = None
    #: held while the site or output/ changes: the server renders pending pages on request
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: paths of a failed rebuild: the next one must look at them again
    _unsettled: set[str] = field(default_factory=set)
    _manifest_due: bool = False
    _record_withdrawn: bool = False  #: see _write
    #: counts writes of HTML pages: the search index is stale when it moved (refresh_search)
    _page_writes: int = 0
    _indexed_at: int = 0

    @property
    def loaded(self) -> LoadedSite:
        assert self.result is not None
        return self.result.loaded

    def start(self) -> BuildResult:
        """The first, full build (atomic, like `chronicle build`)."""
        if self.options.use_cache:  # a warm start: unchanged sources are not parsed again
            self.cache = load_cache(self.site_root)
        self.result = build_site(self.site_root, self.output_dir, self.options, cache=self.cache,
                                 memo=self._memo)
        self.result.signatures = dict(self.result.signatures)  # on disk; the plan's may differ
        self.template_stamps = _stamps(self.result.loaded.sources.templates)
        _settle_memory()
        return self.result

    def rebuild(self, changed: set[str] | None = None, first: Collection[str] | None = None,
                ) -> Delta:
        """Bring output/ up to date with the sources; raises BuildFailed, keeping state.

        `changed` (paths from the watcher) allows two shortcuts: when only existing
        entries' bodies changed, nothing is re-read or re-planned but those entries; when
        only content files changed, the site is not walked again. Without it, everything
        is looked at (by stamp).

        `first` (serve: the output paths open in browsers) defers work: only those pages,
        the pages of the changed sources and pages that did not exist are rendered before
        this returns; the other stale pages wait in `pending` for render_pending(), so
        browsers can reload while a new entry re-paginates a thousand listing pages.
        """
        with self.lock:
            started = time.perf_counter()
            self._settle_plan()
            if changed is not None:
                changed = self._unsettled | set(changed)
            try:
                delta = None
                # once time alone changed the site, other entries change too: no fast path
                if changed and self.result is not None and self.overdue() is None:
                    delta = self._fast_rebuild(changed, started)
                if delta is None:
                    delta = self._general_rebuild(changed, started, first)
            except BaseException:
                if changed is not None:
                    self._unsettled = changed
                raise
            self._unsettled = set()
            if first is None and self.pending:  # pages deferred by an earlier rebuild
                count, writes = len(self.pending), self._render_pending(sorted(self.pending))
                delta = replace(delta, writes={**delta.writes, **writes},
                                rendered=delta.rendered + count)
            _settle_memory()
            return delta

    def render_pending(self, limit: int | None = None, only: Collection[str] | None = None,
                       ) -> int:
        """Render up to `limit` deferred pages (or those of `only`); returns how many files
        changed (`pending` says how many pages are left)."""
        with self.lock:
            self._settle_plan()
            names = sorted(self.pending if only is None else self.pending.intersection(only))
            return len(self._render_pending(names[:limit] if limit is not None else names))

    def overdue(self) -> dt.datetime | None:
        """The moment that passed since the last rebuild at which time alone changes the
        site (a scheduled entry is due, live coverage ends), or None. A rebuild without
        changed files publishes it."""
        due = self.result.loaded.site.next_due if self.result is not None else None
        return due if due is not None and build_now() >= due else None

    @property
    def behind(self) -> bool:
        """Some pages in output/ may be older than the site (render_pending catches up)."""
        return bool(self.pending) or self._unsigned is not None

    def _settle_plan(self) -> None:
        """Sign every route of the site the last rebuild left partly signed, and mark the
        stale pages pending. Signatures are relative to the last full signing, which
        records its own routes and entries, so this is right however late it comes."""
        result = self.result
        if self._unsigned is None or result is None:
            return
        signed = sign(result.loaded.site, result.loaded.routes, result.renderer.template_digests,
                      self._unsigned, result.signed, self._memo.routes.paths)
        result.signed = signed
        self.pending = {name for name, signature in signed.signatures.items()
                        if result.signatures.get(name) != signature}
        self._unsigned = None

    def _render_pending(self, names: list[str]) -> dict[PurePosixPath, bytes]:
        result = self.result
        if result is None or not names:
            return {}
        writes = self._render_into(result, result.loaded, [result.signed.routes[n] for n in names],
                                   result.signed.signatures)
        self._manifest_due = True
        return writes

    def _render_into(self, result: BuildResult, loaded: LoadedSite, routes: list,
                     plan: Mapping[str, str]) -> dict[PurePosixPath, bytes]:
        """Render routes of an unchanged route set and update the tables of `result` in
        place: the files on disk, their signatures (from `plan`) and what is pending."""
        collector = _Collector(result.files)
        render_routes(result.renderer, loaded, routes, collector, 1, Stats())
        self._write(collector.writes, frozenset())
        result.files.update(collector.files)
        result.signatures.update((name, plan[name]) for name in collector.files)
        self.pending.difference_update(collector.files)
        return collector.writes

    def _fast_rebuild(self, changed: set[str], started: float) -> Delta | None:
        from chronicle_ssg.build import build_now
        from chronicle_ssg.incremental import full_content_index
        from chronicle_ssg.assemble import refresh_entry, replace_entry
        from chronicle_ssg.model import build_entry, is_page
        previous = self.result
        assert previous is not None
        loaded = previous.loaded
        content_root = self.site_root / "content"
        rels = []
        for raw_path in sorted(changed):
            path = Path(raw_path)
            if not path.is_relative_to(content_root) or path.suffix != ".md" or not path.is_file():
                return None
            rel = path.relative_to(self.site_root).as_posix()
            if rel not in loaded.prepared or is_page(loaded.prepared[rel].document):
                return None
            rels.append((path, rel))
        if self._memo.preparer is None or self._memo.preparer.config is not loaded.config:
            self._memo.preparer = Preparer(loaded.config, loaded.catalogues)
        site = loaded.site
        errors: list[ChronicleError] = []
        stored = []
        for path, rel in rels:
            raw, info = path.read_bytes(), path.stat()
            try:
                item = self._memo.preparer.prepare(raw, PurePosixPath(rel))
            except ChronicleError as exc:
                raise BuildFailed([exc]) from None
            entry = build_entry(item, loaded.config, build_now(), loaded.threads.get(rel, ()), errors)
            if errors:
                raise BuildFailed(errors)
            if item.body.images or (entry and entry.image):
                return None  # images are sized against their files: the general path
            fresh = refresh_entry(site, entry) if entry and rel in site.by_id else None
            if fresh is None:
                return None
            site = replace_entry(site, fresh)
            stored.append((rel, path, info, raw, item))
        if self._index_for is not loaded.routes:
            self._index, self._index_for = full_content_index(loaded.routes), loaded.routes
        todo = list(dict.fromkeys(r for _, rel in rels for r in self._index.get(rel, ())))
        signed = previous.signed
        resigned = signatures(site, todo, previous.renderer.template_digests,
                              signed.config_digest, signed.facts)
        sources = loaded.sources
        for rel, path, info, raw, item in stored:  # stamps follow the edit: a later walk-free
            sources = restamped(sources, path, rel, info)  # rebuild compares them
        # this path touches only what changed: at ten thousand entries, copying the big
        # tables costs more than the rest of the rebuild (memory not in the CPU's caches)
        delta = self._render_in_place(replace(loaded, site=site, sources=sources), todo,
                                      replace(signed, by_id=site.by_id), resigned, started)
        for rel, path, info, raw, item in stored:
            loaded.prepared[rel] = item
            self.cache.store(rel, (info.st_mtime_ns, info.st_size), raw, item)
        return delta

    def _general_rebuild(self, changed: set[str] | None, started: float,
                         first: Collection[str] | None) -> Delta:
        from chronicle_ssg.render import make_environment
        previous = self.result
        if previous is None:
            self.start()
            return Delta({}, frozenset(), len(self.loaded.routes), time.perf_counter() - started)
        touched = {Path(p).relative_to(self.site_root).as_posix() for p in changed or ()
                   if Path(p).is_relative_to(self.site_root)}
        sources = updated_sources(previous.loaded.sources, self.site_root, changed) if changed else None
        discovered = (previous.loaded.config, sources) if sources is not None else None
        # content files only: the rest of the last site is taken over
        reuse = (previous.loaded, touched) if sources is not None else ()
        loaded = load_site(self.site_root, self.options, Stats(), self.cache, discovered,
                           self._memo, *reuse)
        stamps = _stamps(loaded.sources.templates)
        renderer = previous.renderer
        if stamps != self.template_stamps or loaded.sources.theme_dir != previous.loaded.sources.theme_dir \
                or loaded.catalogues.digest != renderer.catalogues.digest \
                or loaded.config.language != renderer.language:
            renderer = make_environment(loaded.sources, self.site_root, False,
                                        loaded.catalogues, loaded.config.language)
        config_digest = signing_digest(loaded, self.options)
        produced = set(self._memo.routes.outputs or ())
        if first is None:
            signed = sign(loaded.site, loaded.routes, renderer.template_digests, config_digest,
                          previous.signed, self._memo.routes.paths)
            new, on_disk = signed.signatures, previous.signatures
            # elsewhere the plan's signature is the last one, which is on disk (not pending)
            maybe = signed.recomputed if signed.recomputed is not None else new
            stale = {name for name in (*maybe, *self.pending)
                     if name in new and on_disk.get(name) != new[name]}
            delta = self._render(loaded, renderer, [signed.routes[name] for name in sorted(stale)],
                                 new, produced, signed, started)
            self.template_stamps = stamps  # not before: a failed render must try them again
            return delta
        # serve: sign and render now only what browsers wait for, the rest after the reload
        urgent = [r for r in loaded.routes if (out := str(r.output)) in first
                  or out not in previous.files or (r.kind in ("entry", "page") and r.subject in touched)]
        facts = site_facts(loaded.site, loaded.routes, self._memo.routes.paths)
        plan = {str(r.output): route_signature(r, loaded.site, facts, renderer.template_digests.get(
            r.template, ""), config_digest) for r in urgent}
        todo = [r for r in urgent if previous.signatures.get(str(r.output)) != plan[str(r.output)]]
        delta = self._render(loaded, renderer, todo, plan, produced, previous.signed, started)
        self.template_stamps = stamps
        self._unsigned = config_digest
        return replace(delta, unfinished=True)

    def _render(self, loaded: LoadedSite, renderer: object, todo: list, plan: Mapping[str, str],
                produced: set[str], signed: Signed, started: float) -> Delta:
        """Render `todo` (whose signatures are in `plan`), write what changed, delete what
        no route produces any more, remember the new state (`signed`: the last signing)."""
        previous = self.result
        assert previous is not None
        collector = _Collector(previous.files)
        render_routes(renderer, loaded, todo, collector, 1, Stats())
        on_disk = {p: v for p, v in previous.signatures.items() if p in produced}
        on_disk.update((name, plan[name]) for name in collector.files)  # what files show
        copied_before = {str(c.output): (c.source.path, c.source.stamp)
                         for c in previous.loaded.files}
        for copy in loaded.files:
            output = str(copy.output)
            if copied_before.get(output) != (copy.source.path, copy.source.stamp) \
                    or output not in previous.files:
                collector.put(copy.output, copy.source.path.read_bytes())
        produced |= {str(c.output) for c in loaded.files}
        if indexes_search(loaded.config, self.options):  # refresh_search replaces the index
            from chronicle_ssg.search import is_index_file
            produced |= {name for name in previous.files if is_index_file(name)}
        for name in loaded.image_outputs():  # named by content: a new name is new bytes
            if name not in previous.files:
                collector.put(PurePosixPath(name), loaded.images.variant_bytes(name))  # type: ignore[union-attr]
        produced |= set(loaded.image_outputs())
        if loaded.images:
            loaded.images.save()  # the index of variants made in this rebuild, if any
        deletes = frozenset(PurePosixPath(p) for p in previous.files if p not in produced)
        files = {p: v for p, v in previous.files.items() if p in produced}
        files.update(collector.files)
        self._write(collector.writes, deletes)
        self.pending.intersection_update(produced)
        self.pending.difference_update(collector.files)
        self.result = BuildResult(loaded, None, renderer, on_disk, files, signed)
        return self._written(collector.writes, deletes, len(todo), started)

    def _render_in_place(self, loaded: LoadedSite, todo: list, signed: Signed,
                         plan: dict[str, str], started: float) -> Delta:
        """The fast path's _render: the routes are the same, `plan` holds the new
        signatures of `todo`, and the session's tables are updated in place."""
        previous = self.result
        assert previous is not None
        writes = self._render_into(previous, loaded, todo, plan)
        signed.signatures.update(plan)
        self.result = BuildResult(loaded, None, previous.renderer, previous.signatures,
                                  previous.files, signed)
        return self._written(writes, frozenset(), len(todo), started)

    def _written(self, writes: dict[PurePosixPath, bytes], deletes: frozenset[PurePosixPath],
                 rendered: int, started: float) -> Delta:
        self._manifest_due = True
        if not self.defer_manifest:  # after self.result: the manifest lists the new files
            self.flush_manifest()
        return Delta(writes, deletes, rendered, time.perf_counter() - started, self.behind)

    def _write(self, writes: dict[PurePosixPath, bytes], deletes: frozenset[PurePosixPath]) -> None:
        """Update output/ in place. The recorded signatures (for a later `chronicle build`)
        are withdrawn first, until flush_manifest records the new ones: a serve that is
        killed in between leaves no record that would keep a stale page."""
        if (writes or deletes) and not self._record_withdrawn and self.options.use_cache:
            save_signatures(self.site_root, {})
            self._record_withdrawn = True
        apply_delta(self.output_dir, writes, deletes)
        if any(path.suffix == ".html" for path in (*writes, *deletes)):
            self._page_writes += 1

    @property
    def search_stale(self) -> bool:
        """Pages changed since the search index was made, and none is pending."""
        with self.lock:
            return self._page_writes != self._indexed_at and not self.behind \
                and self.result is not None and indexes_search(self.loaded.config, self.options)

    def refresh_search(self) -> int:
        """Index the searchable pages again if pages changed since the last index; returns
        the number of index files written or removed.

        Serve calls it after browsers were told to reload, once no page is pending.
        Pagefind runs without the lock on a snapshot of the pages (hard links), so the
        server stays responsive; a result overtaken by newer pages is dropped, and the
        next call indexes again.
        """
        from chronicle_ssg.search import build_index, is_index_file
        with self.lock:
            if not self.search_stale:
                return 0
            generation = self._page_writes
            pages = [str(r.output) for r in self.loaded.routes if r.kind in SEARCHABLE_KINDS]
        scratch = self.output_dir.parent / f".{self.output_dir.name}.staging-{os.getpid()}-search"
        index = build_index(self.output_dir, pages, scratch, self.lock)
        with self.lock:
            if self.result is None or self._page_writes != generation:
                return 0
            old = {name for name in self.result.files if is_index_file(name)}
            collector = _Collector(self.result.files)
            for rel in sorted(index):
                collector.put(rel, index[rel])
            deletes = frozenset(PurePosixPath(name) for name in old
                                if PurePosixPath(name) not in index)
            self._write(collector.writes, deletes)
            files = {name: v for name, v in self.result.files.items() if name not in old}
            files.update(collector.files)
            self.result.files = files
            self._indexed_at = generation
            self._manifest_due = True
            if not self.defer_manifest:
                self.flush_manifest()
            return len(collector.writes) + len(deletes)

    def flush_manifest(self) -> None:
        """Keep the manifest true after in-place updates, so the next build links right.

        Serve defers this until browsers have been told to reload: at ten thousand
        entries it is the slowest part of a one-entry rebuild.
        """
        with self.lock:
            if self._manifest_due and self.result is not None:
                manifest = write_manifest(self.output_dir, self.result.files)
                if self.options.use_cache:  # a later `chronicle build` must not trust stale pages
                    save_signatures(self.site_root, record_signatures(
                        self.output_dir, self.options, self.result.signatures, manifest))
                    self._record_withdrawn = False
                self._manifest_due = False


def _settle_memory() -> None:
    """Keep the cyclic garbage collector off the session's long-lived site.

    At ten thousand entries the site is millions of objects; a full collection pass over
    them takes most of a second and used to land in the middle of random rebuilds. Our
    values hold no reference cycles, so reference counting frees old versions, and young
    cycles (from templates) are collected before the rest is frozen.
    """
    gc.collect(1)
    gc.freeze()


def _stamps(sources: tuple) -> dict[str, tuple[int, int]]:
    return {s.name: s.stamp for s in sources}


class _Collector:
    """Stands in for Staging in a rebuild: keeps only bytes that really changed."""

    def __init__(self, files: dict[str, list]) -> None:
        self.previous = files
        self.files: dict[str, list] = {}
        self.writes: dict[PurePosixPath, bytes] = {}

    def stage(self, rel: PurePosixPath, data: bytes) -> tuple[PurePosixPath, bytes]:
        return rel, data

    def record(self, staged: tuple[PurePosixPath, bytes]) -> None:
        self.put(*staged)

    def put(self, rel: PurePosixPath, data: bytes) -> None:
        digest = content_hash(data)
        self.files[str(rel)] = [digest, len(data)]
        if self.previous.get(str(rel), [None])[0] != digest:
            self.writes[rel] = data
