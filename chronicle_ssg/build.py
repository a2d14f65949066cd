"""The pipeline: discover, parse, model, route, render, write; each stage timed."""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Mapping

from chronicle_ssg.comments import Comment, CommentFile, build_thread
from chronicle_ssg.config import SiteConfig, load_config
from chronicle_ssg.discover import (SourceFile, SourceKind, SourceSet, comments_owner,
                                    discover_sources, find_source, source_kind)
from chronicle_ssg.cache import (BuildCache, cache_key, load_cache, read_cache_file, save_cache,
                                 write_cache_file)
from chronicle_ssg.errors import (BuildFailed, ChronicleError, ChronicleWarning, ContentError,
                                  SourceLocation, raise_collected)
from chronicle_ssg.i18n import Catalogues, builtin_catalogues, catalogue_files, load_catalogues
from chronicle_ssg.markdown import MarkdownSettings, make_comment_markdown, make_markdown, render_markdown
from chronicle_ssg.assemble import AssemblyMemo, assemble_site
from chronicle_ssg.images import ImageMemo, ImageStore, settings_of, site_image, size_all
from chronicle_ssg.model import (Entry, Page, Prepared, Site, build_entry, build_page, is_page,
                                 entry_date, entry_language, entry_timezone, still_timely)
from chronicle_ssg.parse import parse_data_file, parse_document
from chronicle_ssg.route import (CopiedFile, Route, RouteMemo, check_file_conflicts, copied_files,
                                 plan_routes)


@dataclass(frozen=True, slots=True)
class BuildOptions:
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    jobs: int = 0  #: 0: all cores
    use_cache: bool = True
    serve_mode: bool = False
    search: bool = True  #: False: skip the search index (`serve --no-search`)


@dataclass
class Stats:
    """Per-stage timings and counts, for the summary line and --stats."""

    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    #: rendering time per template (in this process; worker processes are not counted)
    template_seconds: dict[str, float] = field(default_factory=dict)
    progress: Any = None  #: a progress.Progress for long builds on a terminal
    _last: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self._last
        self._last = now


def build_now() -> dt.datetime:
    """The build's notion of 'now' (future entries): SOURCE_DATE_EPOCH when set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc)


def load_site_config(site_root: Path, options: BuildOptions) -> SiteConfig:
    overrides = {"base_url": options.base_url} if options.base_url else None
    return load_config(site_root, overrides)


def markdown_settings(config: SiteConfig, catalogues: Catalogues | None = None) -> MarkdownSettings:
    return MarkdownSettings(config.tz, config.update_order, config.language,
                            catalogues or builtin_catalogues())


def load_site_catalogues(site_root: Path, theme_dir: Path) -> Catalogues:
    """The theme's catalogues (i18n/*.toml), with the site's own i18n/ folder over them."""
    return load_catalogues(catalogue_files(theme_dir / "i18n", PurePosixPath("theme/i18n")),
                           catalogue_files(site_root / "i18n", PurePosixPath("i18n")))


class Preparer:
    """Parse and render one Markdown source; holds the MarkdownIt instance."""

    def __init__(self, config: SiteConfig, catalogues: Catalogues | None = None) -> None:
        self.config = config
        self.settings = markdown_settings(config, catalogues)
        self.md = make_markdown()

    def prepare(self, raw: bytes, rel: PurePosixPath) -> Prepared:
        """Front matter and rendered body; the Markdown text itself is not kept (memory)."""
        document = parse_document(raw, rel)
        order = document.meta.get("update_order")
        date = None if is_page(document) else entry_date(document, self.settings.timezone)
        # the file's own `timezone` is part of its bytes, so per-file caching stays right
        body = render_markdown(self.md, document.body, rel, document.body_line, self.settings,
                               order if order in ("newest", "oldest") else None, date,
                               entry_timezone(document, self.settings.timezone),
                               entry_language(document))
        return Prepared(replace(document, body=""), body)


def prepare_all(sources: Iterable[SourceFile], preparer: Preparer, errors: list[ChronicleError],
                cache: BuildCache | None = None, jobs: int = 1,
                progress: Any = None) -> dict[str, Prepared]:
    """Parse and render every Markdown source; cached ones are reused, the rest in parallel."""
    from chronicle_ssg.parallel import map_items
    cache = cache or BuildCache("")
    prepared: dict[str, Prepared] = {}
    todo: list[tuple[SourceFile, bytes]] = []
    for source in sources:
        try:
            value, raw = cache.lookup(str(source.rel), source.stamp, source.path.read_bytes)
        except OSError as exc:
            errors.append(ContentError(f"cannot read: {exc.strerror}", SourceLocation(source.rel)))
            continue
        if value is not None:
            prepared[str(source.rel)] = value
        else:
            todo.append((source, raw))
    if progress:
        progress.start("parsing", len(todo))
    results = map_items(lambda item: preparer.prepare(item[1], item[0].rel), todo, jobs, errors,
                        progress)
    for (source, raw), result in zip(todo, results):
        if result is not None:
            prepared[str(source.rel)] = result
            cache.store(str(source.rel), source.stamp, raw, result)
    return {rel: prepared[rel] for rel in sorted(prepared)}


def load_comments(sources: Iterable[SourceFile], config: SiteConfig,
                  errors: list[ChronicleError], cache: BuildCache | None = None,
                  warnings: dict[str, tuple[ChronicleWarning, ...]] | None = None,
                  ) -> dict[str, tuple[Comment, ...]]:
    """Comments keyed by the id of the entry they belong to (same name, .md); each
    file's warnings go to `warnings` under the same key."""
    md = None
    cache = cache or BuildCache("")
    threads = {}
    for source in sources:
        entry_id = comments_owner(str(source.rel))
        try:
            loaded, raw = cache.lookup(str(source.rel), source.stamp, source.path.read_bytes)
            if loaded is None:
                md = md or make_comment_markdown()
                data = parse_data_file(raw, source.rel)
                loaded = build_thread(data.value, source.rel, data.key_lines, config.tz,
                                      md.render)
                if data.warnings:
                    loaded = CommentFile(loaded.comments, data.warnings + loaded.warnings)
                cache.store(str(source.rel), source.stamp, raw, loaded)
            threads[entry_id] = loaded.comments
            if warnings is not None and loaded.warnings:
                warnings[entry_id] = loaded.warnings
        except OSError as exc:
            errors.append(ContentError(f"cannot read: {exc.strerror}", SourceLocation(source.rel)))
        except ChronicleError as exc:
            errors.append(exc)
        except BuildFailed as exc:
            errors.extend(exc.errors)
    return threads


@dataclass
class SiteMemo:
    """Work a serve session keeps between rebuilds; each part is checked against its inputs."""

    #: entry id -> (its prepared source, comments, config digest, the entry, its warnings)
    entries: dict[str, tuple[Prepared, tuple[Comment, ...], str, Entry,
                             tuple[ChronicleWarning, ...]]] = field(default_factory=dict)
    images: ImageMemo = field(default_factory=ImageMemo)
    assembly: AssemblyMemo = field(default_factory=AssemblyMemo)
    routes: RouteMemo = field(default_factory=RouteMemo)
    preparer: Preparer | None = None


def model_site(config: SiteConfig, prepared: dict[str, Prepared],
               threads: dict[str, tuple[Comment, ...]], options: BuildOptions,
               now: dt.datetime, errors: list[ChronicleError],
               memo: SiteMemo | None = None, images: ImageStore | None = None,
               warnings: list[ChronicleWarning] | None = None) -> Site:
    """Entries and pages from prepared sources, their images sized, then the assembled site;
    what looks like a mistake in the front matter goes to `warnings`.

    `memo` (kept by a serve session) remembers each entry built from the very same
    prepared source, comments and config, so a rebuild only rebuilds what changed.
    """
    memo = memo or SiteMemo()
    built = memo.entries
    config_key = config.digest()
    entries: list[Entry] = []
    pages: list[Page] = []
    found: list[ChronicleWarning] = []
    for entry_id in sorted(prepared):
        item = prepared[entry_id]
        hit = built.get(entry_id)
        if hit and hit[0] is item and hit[1] is threads.get(entry_id, ()) \
                and hit[2] == config_key and still_timely(hit[3], now):
            entries.append(hit[3])
            found.extend(hit[4])
        elif is_page(item.document):
            page = build_page(item, config, errors, found, now)
            if page:
                pages.append(page)
        else:
            thread = threads.get(entry_id, ())
            before = len(found)
            entry = build_entry(item, config, now, thread, errors, found)
            if entry:
                built[entry_id] = (item, thread, config_key, entry, tuple(found[before:]))
                entries.append(entry)
    images = images or ImageStore({}, settings_of(config))
    entries, pages = size_all(entries, pages, prepared, images, config, errors, memo.images)
    default_image = site_image(config, images, errors)
    if warnings is not None:
        warnings.extend(found)
    raise_collected(errors)
    if len(built) > len(prepared):  # it holds every entry built now: more are stale
        for stale in [entry_id for entry_id in built if entry_id not in prepared]:
            del built[stale]
    site = assemble_site(config, entries, pages, now, options.drafts, options.future,
                         memo.assembly)
    return replace(site, image=default_image) if default_image else site


@dataclass
class LoadedSite:
    """Everything between sources and rendered bytes; serve keeps it in memory."""

    site_root: Path
    config: SiteConfig
    sources: SourceSet
    prepared: dict[str, Prepared]
    threads: dict[str, tuple[Comment, ...]]
    site: Site
    routes: tuple[Route, ...]
    #: per entry id, the warnings of its comments file
    comment_warnings: dict[str, tuple[ChronicleWarning, ...]] = field(default_factory=dict)
    files: tuple[CopiedFile, ...] = ()  #: static and bundle files, copied as they are
    images: ImageStore | None = None  #: the body images' variants, written beside the pages
    catalogues: Catalogues = field(default_factory=builtin_catalogues)
    #: the site's own: files under content/ not read, unknown front-matter keys, far dates
    site_warnings: tuple[ChronicleWarning, ...] = ()
    #: entries this build leaves out: (drafts, scheduled); --drafts, --future include them
    left_out: tuple[int, int] = (0, 0)

    def image_outputs(self) -> list[str]:
        """Output names of the image variants the site uses."""
        return self.images.outputs() if self.images else []

    def warnings(self) -> list[ChronicleWarning]:
        """What the build repaired or ignored, from every source, sorted by file and line."""
        found = list(self.config.warnings) + list(self.catalogues.warnings)
        found += self.site_warnings
        languages = {self.config.language} | {e.lang for e in self.site.entries if e.lang}
        found.extend(w for w in map(self.catalogues.missing, sorted(languages)) if w)
        for prepared in self.prepared.values():
            found.extend(prepared.document.warnings)
        for warnings in self.comment_warnings.values():
            found.extend(warnings)
        return sorted(found, key=ChronicleWarning.sort_key)


def load_site(site_root: Path, options: BuildOptions, stats: Stats | None = None,
              cache: BuildCache | None = None,
              discovered: tuple[SiteConfig, SourceSet] | None = None,
              memo: SiteMemo | None = None, kept: LoadedSite | None = None,
              touched: set[str] | None = None) -> LoadedSite:
    """Stages 1-4: sources to routes. Raises BuildFailed with every problem found.

    A serve session passes its `memo` and, when it knows which content files changed
    (`touched`, paths relative to the site), the previous site as `kept`: every other
    source is taken over from it without being looked at.
    """
    stats = stats or Stats()
    memo = memo or SiteMemo()
    if discovered is None:
        config = load_site_config(site_root, options)
        sources = discover_sources(site_root, config.theme)
    else:
        config, sources = discovered
    catalogues = load_site_catalogues(site_root, sources.theme_dir)
    stats.lap("discover")
    errors: list[ChronicleError] = []
    if memo.preparer is None or memo.preparer.config is not config or \
            memo.preparer.settings.catalogues.digest != catalogues.digest:
        memo.preparer = Preparer(config, catalogues)
    preparer = memo.preparer
    if cache is not None and cache.key != cache_key(preparer.settings.key()):
        cache.sources.clear()
        cache.key = cache_key(preparer.settings.key())
        cache.dirty = True
    comment_warnings: dict[str, tuple[ChronicleWarning, ...]] = {}
    if kept is not None and touched is not None:
        prepared, threads = _carried_over(kept, sources, touched, preparer, errors, cache,
                                          comment_warnings)
    else:
        prepared = prepare_all(sources.content, preparer, errors, cache, options.jobs,
                               stats.progress)
        threads = load_comments(sources.comments, config, errors, cache, comment_warnings)
        if cache is not None:
            every = sources.content + sources.comments
            if len(cache.sources) > len(every):  # it holds every source now: more are stale
                cache.prune({str(s.rel) for s in every})
    if cache is not None:
        stats.counts["cache_hits"], stats.counts["cache_misses"] = cache.hits, cache.misses
    stats.lap("parse")
    images = ImageStore.open(site_root, sources.static, settings_of(config), cache is not None,
                             sources.bundle)
    errors += comments_file_errors(sources.comments, prepared)
    warnings = list(sources.warnings)
    site = model_site(config, prepared, threads, options, build_now(), errors, memo, images,
                      warnings)
    stats.counts["images_made"] = images.made
    stats.lap("model")
    routes = plan_routes(site, memo.routes)
    files = copied_files(site, sources.static, sources.bundle)
    check_file_conflicts(routes, files, memo.routes.folded, memo.routes.folders)
    stats.lap("route")
    return LoadedSite(site_root, config, sources, prepared, threads, site, routes,
                      comment_warnings, files, images, catalogues, tuple(warnings),
                      left_out(memo.entries, prepared, options))


def comments_file_errors(comments: Iterable[SourceFile], prepared: Mapping[str, Prepared],
                         ) -> list[ChronicleError]:
    """A comments file needs its entry beside it, and an entry has one comments file."""
    errors: list[ChronicleError] = []
    owners: dict[str, SourceFile] = {}
    for source in comments:
        owner = comments_owner(str(source.rel))
        if owner in owners:
            errors.append(ContentError(
                f"{owners[owner].rel.name} and {source.rel.name} are both comments of "
                f"{PurePosixPath(owner).name}", SourceLocation(source.rel),
                hint="keep the comments of an entry in one file"))
        owners.setdefault(owner, source)
        if owner not in prepared:
            errors.append(ContentError(
                "comments file has no entry beside it", SourceLocation(source.rel),
                hint="name it after its entry: the entry's file name with .md replaced by "
                     ".comments.yaml, in the same folder"))
    return errors


def left_out(built: Mapping[str, tuple[Any, ...]], prepared: Mapping[str, Prepared],
             options: BuildOptions) -> tuple[int, int]:
    """How many drafts and scheduled entries the options leave out (a scheduled draft
    counts as a draft). `built` is SiteMemo.entries: every entry of the site, and maybe
    some of files that are gone or are pages now."""
    drafts = scheduled = 0
    for entry_id, (item, _, _, entry, _) in built.items():
        if prepared.get(entry_id) is not item:
            continue
        if entry.draft and not options.drafts:
            drafts += 1
        elif entry.scheduled and not options.future:
            scheduled += 1
    return drafts, scheduled


def _carried_over(previous: LoadedSite, sources: SourceSet, touched: set[str],
                  preparer: Preparer, errors: list[ChronicleError], cache: BuildCache | None,
                  comment_warnings: dict[str, tuple[ChronicleWarning, ...]],
                  ) -> tuple[dict[str, Prepared], dict[str, tuple[Comment, ...]]]:
    """`previous`'s prepared sources and comments, with the `touched` files read again
    (or dropped, when they are no longer sources); comment warnings are carried over
    into `comment_warnings` the same way."""
    prepared, threads = dict(previous.prepared), dict(previous.threads)
    comment_warnings.update(previous.comment_warnings)
    content, comments = [], []
    for rel in sorted(touched):
        is_comments = source_kind(rel) is SourceKind.COMMENTS
        source = find_source(sources.comments if is_comments else sources.content, rel)
        if is_comments:
            threads.pop(comments_owner(rel), None)
            comment_warnings.pop(comments_owner(rel), None)
        else:
            prepared.pop(rel, None)
        if source is not None:
            (comments if is_comments else content).append(source)
        elif cache is not None:
            cache.sources.pop(rel, None)
    prepared.update(prepare_all(content, preparer, errors, cache))
    threads.update(load_comments(comments, preparer.config, errors, cache, comment_warnings))
    return prepared, threads


def render_site(loaded: LoadedSite, serve_mode: bool = False,
                stats: Stats | None = None) -> dict[PurePosixPath, bytes]:
    """Stage 5 in memory: every route plus the copied files, keyed by output path."""
    from chronicle_ssg.render import make_environment, render_route
    stats = stats or Stats()
    renderer = make_environment(loaded.sources, loaded.site_root, serve_mode,
                                loaded.catalogues, loaded.config.language)
    outputs: dict[PurePosixPath, bytes] = {}
    errors: list[ChronicleError] = []
    for copy in loaded.files:
        outputs[copy.output] = copy.source.path.read_bytes()
    for name in loaded.image_outputs():
        outputs[PurePosixPath(name)] = loaded.images.variant_bytes(name)  # type: ignore[union-attr]
    for route in loaded.routes:
        try:
            outputs[route.output] = render_route(renderer, loaded.site, route, loaded.routes)
        except ChronicleError as exc:
            errors.append(exc)
            if len(errors) >= 20:  # one broken template fails every page: say it once
                break
    raise_collected(_dedupe(errors))
    stats.lap("render")
    stats.counts["pages"] = len(loaded.routes)
    stats.counts["entries"] = len(loaded.site.entries)
    return outputs


def _dedupe(errors: list[ChronicleError]) -> list[ChronicleError]:
    seen, out = set(), []
    for error in errors:
        key = (str(error.location), error.message.split(" (while rendering")[0])
        if key not in seen:
            seen.add(key)
            out.append(error)
    return out


def output_key(output_dir: Path, options: BuildOptions) -> str:
    """Signatures are kept per output folder and per option set."""
    return f"{output_dir}|{options.drafts}|{options.future}|{options.base_url}"


def recorded_signatures(cache: BuildCache | None, output_dir: Path,
                        options: BuildOptions) -> dict[str, str]:
    """The signatures of the pages in output/, as the build that wrote them recorded;
    empty when output/ was replaced since (a --no-cache build or anything else): they
    are kept with the hash of the manifest they describe."""
    from chronicle_ssg.write import MANIFEST, manifest_digest
    recorded = cache.signatures.get(output_key(output_dir, options), {}) if cache else {}
    if not recorded or recorded.get(MANIFEST) != manifest_digest(output_dir):
        return {}
    return recorded


def record_signatures(output_dir: Path, options: BuildOptions, signatures: dict[str, str],
                      manifest: str | None) -> dict[str, dict[str, str]]:
    """What the cache keeps about the pages in output/ (see recorded_signatures)."""
    from chronicle_ssg.write import MANIFEST
    if manifest is None:
        return {}
    return {output_key(output_dir, options): {**signatures, MANIFEST: manifest}}


def signing_digest(loaded: LoadedSite, options: BuildOptions) -> str:
    """What every page's signature shares: chronicle's version, the config and each
    option that changes output, so a page rendered with other options never passes for
    a current one, whatever record it is found under. `jobs` and `use_cache` change
    no byte; the build time does only when the footer shows it (build_timestamp)."""
    from chronicle_ssg import __version__
    built = loaded.site.now.isoformat() if loaded.config.build_timestamp else ""
    return (f"{__version__}|{loaded.config.digest()}|drafts={options.drafts}|"
            f"future={options.future}|base_url={options.base_url}|"
            f"serve_mode={options.serve_mode}|{built}")


@dataclass
class BuildResult:
    """A finished build and what a watcher needs to go on from it."""

    loaded: LoadedSite | None  #: None when nothing changed and nothing was loaded
    report: Any  #: write.WriteReport
    renderer: Any  #: render.Renderer
    signatures: dict[str, str]  #: output path -> route signature
    files: dict[str, list]  #: output path -> [hash, size], as in the manifest
    signed: Any = None  #: incremental.Signed: the signatures with what they were made from
    #: every warning, the base_url's too (the last build's, when nothing was loaded)
    warnings: tuple[ChronicleWarning, ...] = ()
    left_out: tuple[int, int] = (0, 0)  #: drafts and scheduled entries left out


def build(site_root: Path, output_dir: Path, options: BuildOptions,
          stats: Stats | None = None) -> tuple[LoadedSite, Any]:
    """The whole pipeline; returns the site and the write report."""
    result = build_site(site_root, output_dir, options, stats)
    return result.loaded, result.report


def build_site(site_root: Path, output_dir: Path, options: BuildOptions,
               stats: Stats | None = None, cache: BuildCache | None = None,
               memo: SiteMemo | None = None) -> BuildResult:
    """The whole pipeline; output/ is replaced only when every stage succeeded.

    With the cache, sources whose bytes did not change are not parsed again, and pages
    whose signature did not change are not rendered again: their previous files are
    linked into the new output unread, unless their size or modification time says
    they were changed or removed since the last build.
    """
    from chronicle_ssg.incremental import sign
    from chronicle_ssg.render import make_environment
    from chronicle_ssg.write import Staging, check_output_dir, read_manifest, recover_interrupted
    stats = stats or Stats()
    check_output_dir(output_dir, site_root)
    config = load_site_config(site_root, options)
    sources = discover_sources(site_root, config.theme)
    fingerprint = input_fingerprint(site_root, sources, output_dir, options, config)
    recover_interrupted(output_dir)  # even a no-op build clears what a killed build left
    if options.use_cache and cache is None:
        unchanged = unchanged_build(site_root, output_dir, fingerprint)
        if unchanged is not None:
            stats.lap("discover")
            return unchanged
    if cache is None and options.use_cache:
        cache = load_cache(site_root)
    loaded = load_site(site_root, options, stats, cache, (config, sources), memo)
    warnings = tuple(loaded.warnings())
    renderer = make_environment(loaded.sources, site_root, False, loaded.catalogues,
                                loaded.config.language)
    signed = sign(loaded.site, loaded.routes, renderer.template_digests,
                  signing_digest(loaded, options))
    new_signatures = signed.signatures
    old_signatures = recorded_signatures(cache, output_dir, options)
    mtimes = recorded_mtimes(site_root, output_dir) if options.use_cache else {}
    stats.lap("plan")
    stale = [route for route in loaded.routes
             if old_signatures.get(str(route.output)) != new_signatures[str(route.output)]]
    if not stale and options.use_cache:
        current = output_unchanged(loaded, output_dir, mtimes, options)
        if current is not None:
            stats.lap("write")
            files = read_manifest(output_dir)
            # remembered like any build, or a touched source would end the no-op
            # shortcut for good (its stamp is new, the record's is old)
            _remember(site_root, output_dir, options, cache, new_signatures, fingerprint,
                      loaded, files, mtimes, stats)  # output_unchanged saw these times
            return BuildResult(loaded, current, renderer, new_signatures, files, signed,
                               warnings, loaded.left_out)
    staging = None
    try:
        staging = Staging(output_dir, site_root, trust_manifest=options.use_cache, mtimes=mtimes)
        for copy in loaded.files:
            staging.put(copy.output, _read_static(copy.source))
        for name in loaded.image_outputs():
            staging.put(PurePosixPath(name), loaded.images.variant_bytes(name))  # type: ignore[union-attr]
        stale_outputs = {route.output for route in stale}
        todo = stale + [route for route in loaded.routes
                        if route.output not in stale_outputs and not staging.keep(route.output)]
        stats.counts["pages_kept"] = len(loaded.routes) - len(todo)
        render_routes(renderer, loaded, todo, staging, options.jobs, stats)
        if indexes_search(loaded.config, options):
            from chronicle_ssg.search import index_staging
            searchable = (str(route.output) for route in loaded.routes
                          if route.kind in SEARCHABLE_KINDS)
            stats.counts["search_files"] = index_staging(staging, searchable).files
            stats.lap("search")
        report = staging.finish()
    except OSError as exc:  # writing the staging folder (here or in a worker) failed
        from chronicle_ssg.write import is_output_path, output_error
        if exc.filename is not None and not is_output_path(str(exc.filename), output_dir):
            raise
        raise output_error(exc, output_dir) from None
    finally:
        if staging is not None:
            staging.discard()
    stats.lap("write")
    _remember(site_root, output_dir, options, cache, new_signatures, fingerprint, loaded,
              staging.files, staging.mtimes, stats)
    return BuildResult(loaded, report, renderer, new_signatures, dict(staging.files), signed,
                       warnings, loaded.left_out)


def _read_static(static: SourceFile) -> bytes:
    try:
        return static.path.read_bytes()
    except OSError as exc:
        raise ContentError(f"cannot read: {exc.strerror}", SourceLocation(static.rel)) from None


def _remember(site_root: Path, output_dir: Path, options: BuildOptions, cache: BuildCache | None,
              signatures: dict[str, str], fingerprint: str, loaded: LoadedSite,
              files: dict[str, list], mtimes: dict[str, int], stats: Stats) -> None:
    """Save the cache, the signatures of the files in output/ and the no-op record.

    `mtimes`: modification times of files in output/ seen during this build (a kept
    file keeps its own); the others are read for the record.
    """
    from chronicle_ssg.write import manifest_digest
    if cache is None:
        return
    cache.signatures = record_signatures(output_dir, options, signatures,
                                         manifest_digest(output_dir))
    if options.use_cache:
        save_cache(site_root, cache)
        if loaded.images:
            loaded.images.save()
        record_build(site_root, output_dir, fingerprint, loaded, files, mtimes)
    stats.lap("cache")


#: route kinds whose pages the search index covers (the theme marks their text)
SEARCHABLE_KINDS = frozenset({"entry", "page"})


def indexes_search(config: SiteConfig, options: BuildOptions) -> bool:
    return config.search and options.search


def output_unchanged(loaded: LoadedSite, output_dir: Path,
                     mtimes: dict[str, int] | None = None,
                     options: BuildOptions = BuildOptions()) -> Any:
    """A WriteReport when output/ already holds exactly this site (no staging needed):
    every file of the manifest is there with its recorded size (and modification time,
    when `mtimes` has it)."""
    from chronicle_ssg.write import WriteReport, content_hash, read_manifest
    old = read_manifest(output_dir)
    expected = {str(r.output) for r in loaded.routes} | {str(c.output) for c in loaded.files} \
        | set(loaded.image_outputs())
    if indexes_search(loaded.config, options):  # the search index of these very pages
        from chronicle_ssg.search import is_index_file
        index = {name for name in old if is_index_file(name)}
        expected |= index or {"(no search index yet)"}
    if set(old) != expected:
        return None
    for copy in loaded.files:
        if content_hash(_read_static(copy.source)) != old[str(copy.output)][0]:
            return None
    if altered_outputs(output_dir, old, mtimes or {}):
        return None
    return WriteReport(unchanged=len(old))


def altered_outputs(output_dir: Path, files: dict[str, list], mtimes: dict[str, int]) -> list[str]:
    """Files of the manifest that are missing, or whose size (or recorded modification
    time) differs: someone changed output/ by hand since."""
    altered = []
    root = str(output_dir)
    for name, value in files.items():
        try:
            info = os.stat(f"{root}/{name}")
        except OSError:
            altered.append(name)
            continue
        recorded = mtimes.get(name)
        if info.st_size != value[1] or (recorded is not None and info.st_mtime_ns != recorded):
            altered.append(name)
    return altered


def input_fingerprint(site_root: Path, sources: SourceSet, output_dir: Path,
                      options: BuildOptions, config: SiteConfig | None = None) -> str:
    """A hash over every input's stamp, the config file, the options and the version.

    SOURCE_DATE_EPOCH is an input too: it decides which entries are published (and,
    with build_timestamp, the footer; without the variable the time then changes on
    every build, so such a build is never a no-op).
    """
    import hashlib
    from chronicle_ssg import __version__
    config_file = site_root / "chronicle.toml"
    now = build_now().isoformat() if config is not None and config.build_timestamp else ""
    parts = [__version__, str(output_dir), repr(options), str(sources.theme_dir),
             config_file.read_bytes().hex(), os.environ.get("SOURCE_DATE_EPOCH", ""), now]
    for group in (sources.content, sources.comments, sources.templates, sources.static,
                  sources.bundle):
        parts.extend(f"{s.rel}\x1f{s.stamp}" for s in group)
    for path, rel in (catalogue_files(sources.theme_dir / "i18n", PurePosixPath("theme/i18n"))
                      + catalogue_files(site_root / "i18n", PurePosixPath("i18n"))):
        info = path.stat()
        parts.append(f"{rel}\x1f{(info.st_mtime_ns, info.st_size)}")
    return hashlib.blake2b("\x1e".join(parts).encode("utf-8", "surrogateescape"),
                           digest_size=16).hexdigest()


def _last_build_file(site_root: Path) -> Path:
    from chronicle_ssg.cache import CACHE_DIR
    return site_root / CACHE_DIR / "last-build.json"


def _read_record(site_root: Path, output_dir: Path) -> tuple[dict, bytes] | None:
    """The last build's record and the manifest in output/, when the record is about
    this very manifest."""
    import json
    from chronicle_ssg.write import MANIFEST, content_hash
    try:
        record = json.loads(read_cache_file(_last_build_file(site_root)) or b"null")
        manifest = (output_dir / MANIFEST).read_bytes()
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("manifest") != content_hash(manifest):
        return None
    return record, manifest


def _mtimes_of(record: dict, files: dict[str, list]) -> dict[str, int]:
    """The record's modification times, listed in the manifest's (sorted) order."""
    mtimes = record.get("mtimes")
    if not isinstance(mtimes, list) or len(mtimes) != len(files) \
            or not all(type(m) is int for m in mtimes):
        return {}
    return dict(zip(files, mtimes))


def recorded_mtimes(site_root: Path, output_dir: Path) -> dict[str, int]:
    """The modification time of each file in output/ as the last build left it; empty
    when output/ changed since (serve updates it in place) or nothing was recorded."""
    import json
    found = _read_record(site_root, output_dir)
    if found is None:
        return {}
    try:
        files = json.loads(found[1]).get("files", {})
    except (ValueError, AttributeError):
        return {}
    return _mtimes_of(found[0], files) if isinstance(files, dict) else {}


def unchanged_build(site_root: Path, output_dir: Path, fingerprint: str) -> BuildResult | None:
    """The no-op build: same inputs as last time, output/ as the last build left it,
    nothing due.

    Returns a result without a loaded site, having read two small files and the stamps
    of the sources and of the output files: a file removed or changed in output/ since
    (by size or modification time) sends the build down the normal path, which puts it
    right.
    """
    import json
    from chronicle_ssg.write import WriteReport
    found = _read_record(site_root, output_dir)
    if found is None or found[0].get("fingerprint") != fingerprint:
        return None
    record, manifest = found
    due = record.get("next_due")
    if due is not None and build_now().timestamp() >= due:
        return None  # a scheduled entry is due: it must be published now
    try:
        files = json.loads(manifest).get("files", {})
    except (ValueError, AttributeError):
        return None
    mtimes = _mtimes_of(record, files) if isinstance(files, dict) else {}
    if not mtimes or altered_outputs(output_dir, files, mtimes):
        return None
    try:  # said again: a warning is not fixed by building twice
        warnings = tuple(ChronicleWarning.from_dict(w) for w in record.get("warnings", ()))
        drafts, scheduled = record.get("left_out", (0, 0))
    except (KeyError, TypeError, ValueError):
        return None
    return BuildResult(None, WriteReport(unchanged=len(files)), None, {}, files,
                       warnings=warnings, left_out=(int(drafts), int(scheduled)))


def record_build(site_root: Path, output_dir: Path, fingerprint: str, loaded: LoadedSite,
                 files: dict[str, list], known: dict[str, int]) -> None:
    """Remember this build's inputs, and the modification time of each output file, so
    the next identical build can stop early once it has seen output/ is as it was.

    `known`: modification times already known (files linked unread keep theirs); the
    others are read from output/.
    """
    import json
    from chronicle_ssg.write import MANIFEST, content_hash
    due = loaded.site.next_due
    root = str(output_dir)
    try:
        manifest = (output_dir / MANIFEST).read_bytes()
        names = json.loads(manifest).get("files", {})
        if names.keys() != files.keys():
            return  # output/ is not what this build made: record nothing
        mtimes = [known.get(name) or os.stat(f"{root}/{name}").st_mtime_ns for name in names]
        write_cache_file(_last_build_file(site_root), json.dumps({
            "fingerprint": fingerprint, "manifest": content_hash(manifest),
            "next_due": due.timestamp() if due else None,
            "entries": len(loaded.site.entries), "pages": len(loaded.routes),
            "mtimes": mtimes, "left_out": loaded.left_out,
            "warnings": [w.to_dict() for w in loaded.warnings()]}).encode())
    except (OSError, ValueError, AttributeError):
        pass


def render_routes(renderer: Any, loaded: LoadedSite, routes: list[Route], staging: Any,
                  jobs: int, stats: Stats) -> None:
    """Render routes into the staging folder, in worker processes when there are many."""
    from chronicle_ssg.parallel import map_items
    from chronicle_ssg.render import render_route
    errors: list[ChronicleError] = []

    def work(route: Route) -> Any:
        started = time.perf_counter()
        data = render_route(renderer, loaded.site, route, loaded.routes)
        seconds = stats.template_seconds
        seconds[route.template] = seconds.get(route.template, 0.0) + time.perf_counter() - started
        return staging.stage(route.output, data)

    if stats.progress:
        stats.progress.start("rendering", len(routes))
    for staged in map_items(work, routes, jobs, errors, stats.progress):
        if staged is not None:
            staging.record(staged)
    raise_collected(_dedupe(errors))
    stats.counts["pages_rendered"] = len(routes)
    stats.counts["pages"] = len(loaded.routes)
    stats.counts["entries"] = len(loaded.site.entries)
    stats.lap("render")
