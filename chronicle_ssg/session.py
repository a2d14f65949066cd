"""A site kept in memory between rebuilds: serve and `build --watch` run on it.

`rebuild()` re-reads only changed sources (the in-memory cache is keyed by file stamps),
re-plans the site, and re-renders only routes whose signature changed; outputs that no
route produces any more are deleted. The result is byte-identical to a full build of
the same sources, which tests/e2e/test_incremental.py checks after random edit series.
A failed rebuild raises and leaves the session (and output/) as it was.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from chronicle_ssg.build import (BuildOptions, BuildResult, LoadedSite, Stats, build_site,
                                 load_site, render_routes)
from chronicle_ssg.cache import BuildCache
from chronicle_ssg.errors import BuildFailed, ChronicleError
from chronicle_ssg.write import MANIFEST, MANIFEST_VERSION, apply_delta, content_hash


@dataclass(frozen=True, slots=True)
class Delta:
    """What one rebuild changed in output/."""

    writes: dict[PurePosixPath, bytes]
    deletes: frozenset[PurePosixPath]
    rendered: int  #: routes rendered (some may have produced identical bytes)
    seconds: float

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

    @property
    def loaded(self) -> LoadedSite:
        assert self.result is not None
        return self.result.loaded

    def start(self) -> BuildResult:
        """The first, full build (atomic, like `chronicle build`)."""
        self.result = build_site(self.site_root, self.output_dir, self.options, cache=self.cache)
        self.template_stamps = _stamps(self.result.loaded.sources.templates)
        return self.result

    def rebuild(self) -> Delta:
        """Bring output/ up to date with the sources; raises BuildFailed, keeping state."""
        from chronicle_ssg import __version__
        from chronicle_ssg.incremental import signatures
        from chronicle_ssg.render import make_environment
        started = time.perf_counter()
        previous = self.result
        if previous is None:
            self.start()
            return Delta({}, frozenset(), len(self.loaded.routes), time.perf_counter() - started)
        stats = Stats()
        loaded = load_site(self.site_root, self.options, stats, self.cache)
        stamps = _stamps(loaded.sources.templates)
        renderer = previous.renderer
        if stamps != self.template_stamps or loaded.sources.theme_dir != previous.loaded.sources.theme_dir:
            renderer = make_environment(loaded.sources, self.site_root)
        config_digest = f"{__version__}|{loaded.config.digest()}"
        new_signatures = signatures(loaded.site, loaded.routes, renderer.template_digests, config_digest)
        todo = [r for r in loaded.routes
                if previous.signatures.get(str(r.output)) != new_signatures[str(r.output)]]
        collector = _Collector(previous.files)
        render_routes(renderer, loaded, todo, collector, 1, stats)
        for static in loaded.sources.static:
            rel = PurePosixPath(static.name)
            old = previous.files.get(str(rel))
            if old is None or old[1] != static.stamp[1] or static.stamp != _static_stamp(previous, static.name):
                collector.put(rel, static.path.read_bytes())
        produced = {str(r.output) for r in loaded.routes} | {s.name for s in loaded.sources.static}
        deletes = frozenset(PurePosixPath(p) for p in previous.files if p not in produced)
        files = {p: v for p, v in previous.files.items() if p in produced}
        files.update(collector.files)
        apply_delta(self.output_dir, collector.writes, deletes)
        _write_manifest(self.output_dir, files)
        self.result = BuildResult(loaded, None, renderer, new_signatures, files)
        self.template_stamps = stamps
        return Delta(collector.writes, deletes, len(todo), time.perf_counter() - started)


def _stamps(sources: tuple) -> dict[str, tuple[int, int]]:
    return {s.name: s.stamp for s in sources}


def _static_stamp(result: BuildResult, name: str) -> tuple[int, int] | None:
    for static in result.loaded.sources.static:
        if static.name == name:
            return static.stamp
    return None


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


def _write_manifest(output_dir: Path, files: dict[str, list]) -> None:
    """Keep the manifest true after in-place updates, so the next build links correctly."""
    manifest = {"version": MANIFEST_VERSION, "generator": "chronicle",
                "files": {n: files[n] for n in sorted(files)}}
    temp = output_dir / f"{MANIFEST}.tmp"
    temp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    temp.replace(output_dir / MANIFEST)
