"""The persistent build cache in .chronicle-cache/: parsed sources and route signatures.

Entries are keyed by the source's content hash (checked cheaply through its mtime and
size first), the chronicle version and the Markdown settings. The file is a pickle
with a checksum, read by an unpickler that only builds chronicle's own value types: a
corrupt, foreign or tampered cache is ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from chronicle_ssg import __version__
from chronicle_ssg.dates import load_timezone

CACHE_DIR = ".chronicle-cache"
RACY_NS = 2_000_000_000  #: stamps younger than this are checked by content hash
MAGIC = b"chronicle-cache\n"
_ALLOWED_MODULES = ("chronicle_ssg.", "datetime", "pathlib")
_ALLOWED_BUILTINS = {"set", "frozenset", "tuple", "list", "dict", "int", "str", "float", "bool",
                     "bytes", "complex", "slice", "range", "object"}


class _SafeUnpickler(pickle.Unpickler):
    """Only chronicle's dataclasses and plain value types may be constructed."""

    def find_class(self, module: str, name: str) -> Any:
        allowed = (module == "builtins" and name in _ALLOWED_BUILTINS) or (
            module.startswith(_ALLOWED_MODULES) and not name.startswith("_"))
        if not allowed:
            raise pickle.UnpicklingError(f"refusing {module}.{name}")
        return super().find_class(module, name)


def _dumps(value: Any) -> bytes:
    """Pickle with time zones reduced to their names: ZoneInfo's own reduction needs
    getattr, which the safe unpickler refuses."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {ZoneInfo: lambda zone: (load_timezone, (zone.key,))}
    pickler.dump(value)
    return buffer.getvalue()


@dataclass
class SourceCacheEntry:
    stamp: tuple[int, int]  #: (mtime_ns, size) when last read
    digest: str  #: sha256 of the bytes
    value: Any  #: Prepared, or a comment thread


@dataclass
class BuildCache:
    """What one build leaves for the next."""

    key: str  #: version + Markdown settings: a different key means an empty cache
    sources: dict[str, SourceCacheEntry] = field(default_factory=dict)
    #: per output folder and options: output path -> route signature
    signatures: dict[str, dict[str, str]] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0
    dirty: bool = True  #: sources changed since loading: the big file must be written

    def lookup(self, rel: str, stamp: tuple[int, int], read: Any) -> tuple[Any, bytes | None]:
        """The cached value when the stamp or content hash matches; else (None, bytes)."""
        hit = self.sources.get(rel)
        if hit and hit.stamp == stamp:
            self.hits += 1
            return hit.value, None
        raw = read()
        if hit and hit.digest == hashlib.sha256(raw).hexdigest():
            if not _racy(stamp):
                hit.stamp = stamp
                self.dirty = True
            self.hits += 1
            return hit.value, None
        self.misses += 1
        return None, raw

    def store(self, rel: str, stamp: tuple[int, int], raw: bytes, value: Any) -> None:
        # A file changed again within the file system's timestamp granularity can keep
        # its stamp ("racy git"): a stamp this fresh is not trusted, the hash decides.
        if _racy(stamp):
            stamp = (0, -1)
        self.sources[rel] = SourceCacheEntry(stamp, hashlib.sha256(raw).hexdigest(), value)
        self.dirty = True

    def prune(self, keep: set[str]) -> None:
        for rel in set(self.sources) - keep:
            del self.sources[rel]
            self.dirty = True


def _racy(stamp: tuple[int, int]) -> bool:
    return time.time_ns() - stamp[0] < RACY_NS


def cache_key(markdown_key: str) -> str:
    return f"{__version__}|{markdown_key}"


def cache_file(site_root: Path) -> Path:
    return site_root / CACHE_DIR / "build.pickle"


def _read(path: Path) -> Any:
    """A checked, safely unpickled value, or None for anything missing or damaged."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 32:
        return None
    checksum, payload = data[len(MAGIC):len(MAGIC) + 32], data[len(MAGIC) + 32:]
    if hashlib.blake2b(payload, digest_size=32).digest() != checksum:
        return None
    try:
        return _SafeUnpickler(io.BytesIO(payload)).load()
    except Exception:  # any damage at all means: start afresh
        return None


def _write(path: Path, value: Any) -> None:
    payload = _dumps(value)
    temp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    temp.write_bytes(MAGIC + hashlib.blake2b(payload, digest_size=32).digest() + payload)
    os.replace(temp, path)


def load_cache(site_root: Path, key: str | None = None) -> BuildCache:
    """The cache (for this key, when given), or an empty one when missing, stale,
    corrupt or foreign."""
    cache = _read(cache_file(site_root))
    if not isinstance(cache, BuildCache) or (key is not None and cache.key != key):
        return BuildCache(key or "")
    signatures = _read(_signatures_file(site_root))
    cache.signatures = signatures if isinstance(signatures, dict) else {}
    cache.hits = cache.misses = 0
    cache.dirty = False
    return cache


def _signatures_file(site_root: Path) -> Path:
    return site_root / CACHE_DIR / "signatures.pickle"


def save_cache(site_root: Path, cache: BuildCache) -> None:
    """Write atomically; a cache that cannot be written is not an error (read-only CI).

    The parsed sources are rewritten only when some changed: at ten thousand entries
    that file is large, while the signatures change with every build.
    """
    path = cache_file(site_root)
    try:
        path.parent.mkdir(exist_ok=True)
        ignore = path.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n")
        if cache.dirty or not path.exists():
            _write(path, BuildCache(cache.key, cache.sources))
    except OSError:
        return
    save_signatures(site_root, cache.signatures)


def save_signatures(site_root: Path, signatures: dict[str, dict[str, str]]) -> None:
    """Record what the pages in an output folder were rendered from (a warm build
    keeps a page whose signature it finds here, so this must stay true to the files)."""
    try:
        (site_root / CACHE_DIR).mkdir(exist_ok=True)
        _write(_signatures_file(site_root), signatures)
    except OSError:
        pass
