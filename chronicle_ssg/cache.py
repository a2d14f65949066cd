"""The persistent build cache in .chronicle-cache/: parsed sources and route signatures.

Entries are keyed by the source's content hash (checked cheaply through its mtime and
size first), the chronicle version and the Markdown settings.

The files are MessagePack data, decoded by msgspec into typed records and from those
into chronicle's own values: nothing in them can name a function or a class, so a file
restored from a CI cache can at worst be wrong, never run code. A file that is foreign,
truncated, corrupt, of another format version or that fails typed decoding is ignored
and the build runs cold. Only regular files are opened in the folder (a FIFO or a link to
a device there could hang the build or write elsewhere), and the folder itself is used
only when it is a real folder, not a link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Iterator
from zoneinfo import ZoneInfo

import msgspec

from chronicle_ssg import __version__
from chronicle_ssg.blocks import Correction, Quote, Update
from chronicle_ssg.comments import Comment, CommentFile
from chronicle_ssg.errors import ChronicleWarning
from chronicle_ssg.markdown import Heading, ImageRef, Ref, RenderedBody
from chronicle_ssg.model import Prepared
from chronicle_ssg.parse import Document

CACHE_DIR = ".chronicle-cache"
BUILD_FILE = "build.msgpack"
SIGNATURES_FILE = "signatures.msgpack"
#: files of the pickle format, removed unread when the cache is next written
RETIRED_FILES = ("build.pickle", "signatures.pickle")
RACY_NS = 2_000_000_000  #: stamps younger than this are checked by content hash
#: the first bytes of every cache file; a new format of the records gets a new version
MAGIC = b"chronicle-cache msgpack 1\n"
_CHECKSUM_SIZE = 4
_HEADER_SIZE = len(MAGIC) + _CHECKSUM_SIZE
MAX_CACHE_BYTES = 4 * 2**30  #: a larger file is not read: nothing chronicle writes gets near
MAX_SMALL_FILE_BYTES = 64 * 2**20  #: for the small JSON records kept beside the cache


@dataclass
class SourceCacheEntry:
    stamp: tuple[int, int]  #: (mtime_ns, size) when last read
    digest: str  #: sha256 of the bytes
    value: Any  #: Prepared, or a CommentFile


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
    return site_root / CACHE_DIR / BUILD_FILE


# -- the records: the file's schema, one per cached value type ------------------------
#
# A record mirrors its dataclass field for field (tests/unit/test_cache_format.py checks
# that they agree), except where msgspec cannot keep a value exactly: a datetime's zone
# (msgspec keeps only its offset) becomes a _Time, and front-matter values of type Any
# carry MessagePack extension tags for the YAML types MessagePack lacks. Heading, Ref,
# ImageRef, Quote and ChronicleWarning hold only plain types (and paths) and are decoded as they are.

class _Time(msgspec.Struct, array_like=True, gc=False):
    """A datetime exactly: its wall-clock time, fold and zone."""

    wall: Annotated[dt.datetime, msgspec.Meta(tz=False)]  #: naive
    fold: int
    zone: str | int | None  #: a ZoneInfo's key, a fixed offset in microseconds, or naive


class _Update(msgspec.Struct, array_like=True, gc=False):
    time: _Time
    id: str
    label: str
    line: int


class _Correction(msgspec.Struct, array_like=True, gc=False):
    date: _Time | None
    text: str
    id: str
    line: int


class _Body(msgspec.Struct, array_like=True, gc=False):
    html: str
    summary_html: str
    has_more_marker: bool
    headings: tuple[Heading, ...]
    refs: tuple[Ref, ...]
    updates: tuple[_Update, ...]
    quotes: tuple[Quote, ...]
    corrections: tuple[_Correction, ...]
    words: int
    ids: tuple[str, ...]
    images: tuple[ImageRef, ...]


class _Document(msgspec.Struct, array_like=True, gc=False):
    rel: str
    meta: dict[str, Any]  #: YAML values; the types MessagePack lacks are extension-tagged
    key_lines: dict[str, int]
    body: str
    body_line: int
    digest: str
    lines: tuple[str, ...]
    warnings: tuple[ChronicleWarning, ...]


class _Prepared(msgspec.Struct, array_like=True, gc=False, tag="prepared"):
    document: _Document
    body: _Body


class _Comment(msgspec.Struct, array_like=True, gc=False):
    id: str
    author: str
    date: _Time
    body_html: str
    parent: str | None
    edited: _Time | None
    role: str | None
    url: str
    depth: int
    replies: tuple[_Comment, ...]
    reply_to: str


class _CommentFile(msgspec.Struct, array_like=True, gc=False, tag="comments"):
    comments: tuple[_Comment, ...]
    warnings: tuple[ChronicleWarning, ...]


class _Source(msgspec.Struct, array_like=True, gc=False):
    stamp: tuple[int, int]
    digest: str
    value: _Prepared | _CommentFile


class _BuildFile(msgspec.Struct, array_like=True, gc=False):
    key: str
    sources: dict[str, _Source]


class _Unencodable(Exception):
    """A value the format cannot keep exactly: its source is left out of the cache."""


# MessagePack extension codes of the tagged front-matter values
_EXT_DATE, _EXT_DATETIME, _EXT_TUPLE, _EXT_SET, _EXT_FROZENSET, _EXT_DICT, _EXT_INT = range(1, 8)
_PLAIN = frozenset({str, bool, float, bytes, type(None)})
_INT_RANGE = range(-2**63, 2**64)  #: what MessagePack holds as an integer


def _encode_path(value: Any) -> Any:
    if type(value) is PurePosixPath:  # in a warning's SourceLocation
        return str(value)
    raise _Unencodable(type(value).__name__)


def _decode_path(kind: type, value: Any) -> Any:
    if kind is PurePosixPath and isinstance(value, str):
        return PurePosixPath(value)
    raise NotImplementedError(kind)


_ENCODER = msgspec.msgpack.Encoder(enc_hook=_encode_path)
#: what encoding can raise for a value out of the format's reach: a string with a lone
#: surrogate (YAML's "\ud800"), a nesting deeper than the recursion limit...
_ENCODE_ERRORS = (_Unencodable, msgspec.EncodeError, TypeError, ValueError, OverflowError,
                  RecursionError)


def _tagged(value: Any) -> Any:
    """A front-matter value as MessagePack can carry it and _untag_extension restores it:
    dates, datetimes, tuples, sets, huge integers and non-string keys are tagged."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is int:
        return value if value in _INT_RANGE else msgspec.msgpack.Ext(_EXT_INT, b"%d" % value)
    if kind is list:
        return [_tagged(item) for item in value]
    if kind is dict:
        if all(type(key) is str for key in value):
            return {key: _tagged(item) for key, item in value.items()}
        pairs = [[_tagged(key), _tagged(item)] for key, item in value.items()]
        return msgspec.msgpack.Ext(_EXT_DICT, _ENCODER.encode(pairs))
    if kind is dt.datetime:
        return msgspec.msgpack.Ext(_EXT_DATETIME, _ENCODER.encode(_time_record(value)))
    if kind is dt.date:
        return msgspec.msgpack.Ext(_EXT_DATE, value.isoformat().encode())
    codes = {tuple: _EXT_TUPLE, set: _EXT_SET, frozenset: _EXT_FROZENSET}
    if kind in codes:
        return msgspec.msgpack.Ext(codes[kind], _ENCODER.encode([_tagged(v) for v in value]))
    raise _Unencodable(kind.__name__)


def _untag_extension(code: int, data: memoryview) -> Any:
    """The ext_hook of the decoders: the value _tagged made, checked as it is decoded."""
    if code == _EXT_DATE:
        return dt.date.fromisoformat(bytes(data).decode("ascii"))
    if code == _EXT_DATETIME:
        return _datetime(_TIME_DECODER.decode(data))
    if code == _EXT_INT:
        return int(bytes(data).decode("ascii"))
    if code == _EXT_DICT:
        return {key: item for key, item in _PAIRS_DECODER.decode(data)}
    makers = {_EXT_TUPLE: tuple, _EXT_SET: set, _EXT_FROZENSET: frozenset}
    if code in makers:
        return makers[code](_ANY_DECODER.decode(data))
    raise ValueError(f"unknown extension {code}")


_ANY_DECODER = msgspec.msgpack.Decoder(list, ext_hook=_untag_extension)
_PAIRS_DECODER = msgspec.msgpack.Decoder(list[tuple[Any, Any]], ext_hook=_untag_extension)
_TIME_DECODER = msgspec.msgpack.Decoder(_Time)
_BUILD_DECODER = msgspec.msgpack.Decoder(_BuildFile, ext_hook=_untag_extension,
                                         dec_hook=_decode_path)
_SIGNATURES_DECODER = msgspec.msgpack.Decoder(dict[str, dict[str, str]])


def _time_record(value: dt.datetime) -> _Time:
    zone = value.tzinfo
    if zone is None:
        key: str | int | None = None
    elif type(zone) is ZoneInfo and zone.key and ZoneInfo(zone.key) is zone:
        key = zone.key
    elif type(zone) is dt.timezone and zone == dt.timezone(zone.utcoffset(None)) \
            and zone.tzname(None) == dt.timezone(zone.utcoffset(None)).tzname(None):
        key = zone.utcoffset(None) // dt.timedelta(microseconds=1)
    else:  # a zone of another kind, or a named fixed offset
        raise _Unencodable(repr(zone))
    return _Time(value.replace(tzinfo=None, fold=0), value.fold, key)


def _datetime(record: _Time) -> dt.datetime:
    if record.zone is None:
        zone = None
    elif isinstance(record.zone, str):
        zone = ZoneInfo(record.zone)
    else:
        zone = dt.timezone(dt.timedelta(microseconds=record.zone))
    return record.wall.replace(tzinfo=zone, fold=record.fold)


def _optional_time(value: dt.datetime | None) -> _Time | None:
    return None if value is None else _time_record(value)


def _optional_datetime(record: _Time | None) -> dt.datetime | None:
    return None if record is None else _datetime(record)


def _prepared_record(prepared: Prepared) -> _Prepared:
    doc, body = prepared.document, prepared.body
    return _Prepared(
        _Document(str(doc.rel), {key: _tagged(item) for key, item in doc.meta.items()},
                  doc.key_lines, doc.body, doc.body_line, doc.digest, doc.lines,
                  doc.warnings),
        _Body(body.html, body.summary_html, body.has_more_marker, body.headings, body.refs,
              tuple(_Update(_time_record(u.time), u.id, u.label, u.line) for u in body.updates),
              body.quotes,
              tuple(_Correction(_optional_time(c.date), c.text, c.id, c.line)
                    for c in body.corrections),
              body.words, body.ids, body.images))


def _prepared(record: _Prepared) -> Prepared:
    doc, body = record.document, record.body
    return Prepared(
        Document(PurePosixPath(doc.rel), doc.meta, doc.key_lines, doc.body, doc.body_line,
                 doc.digest, doc.lines, doc.warnings),
        RenderedBody(body.html, body.summary_html, body.has_more_marker, body.headings,
                     body.refs,
                     tuple(Update(_datetime(u.time), u.id, u.label, u.line) for u in body.updates),
                     body.quotes,
                     tuple(Correction(_optional_datetime(c.date), c.text, c.id, c.line)
                           for c in body.corrections),
                     body.words, body.ids, images=body.images))


def _comment_record(comment: Comment) -> _Comment:
    return _Comment(comment.id, comment.author, _time_record(comment.date), comment.body_html,
                    comment.parent, _optional_time(comment.edited), comment.role, comment.url,
                    comment.depth, tuple(_comment_record(reply) for reply in comment.replies),
                    comment.reply_to)


def _comment(record: _Comment) -> Comment:
    return Comment(record.id, record.author, _datetime(record.date), record.body_html,
                   record.parent, _optional_datetime(record.edited), record.role, record.url,
                   record.depth, tuple(_comment(reply) for reply in record.replies),
                   record.reply_to)


def _source_record(entry: SourceCacheEntry) -> _Source:
    value = entry.value
    if isinstance(value, Prepared):
        record: _Prepared | _CommentFile = _prepared_record(value)
    elif isinstance(value, CommentFile):
        record = _CommentFile(tuple(_comment_record(comment) for comment in value.comments),
                              value.warnings)
    else:
        raise _Unencodable(type(value).__name__)
    return _Source(entry.stamp, entry.digest, record)


def _source_entry(record: _Source) -> SourceCacheEntry:
    value = record.value
    if isinstance(value, _Prepared):
        return SourceCacheEntry(record.stamp, record.digest, _prepared(value))
    return SourceCacheEntry(record.stamp, record.digest, CommentFile(
        tuple(_comment(comment) for comment in value.comments), value.warnings))


def _build_file(cache: BuildCache) -> bytearray:
    """The framed build file; a source the format cannot keep exactly is left out (the
    next build parses that one source again)."""
    sources = {}
    for rel, entry in cache.sources.items():
        try:
            sources[rel] = _source_record(entry)
        except (_Unencodable, RecursionError):
            continue
    record = _BuildFile(cache.key, sources)
    try:
        return _framed(record)
    except _ENCODE_ERRORS:  # rare, and only found by encoding: sift the sources one by one
        record.sources = {rel: source for rel, source in sources.items() if _encodes(source)}
        return _framed(record)


def _encodes(record: _Source) -> bool:
    try:
        _ENCODER.encode(record)
        return True
    except _ENCODE_ERRORS:
        return False


# -- files: only regular files in a real folder --------------------------------------

@contextmanager
def _cache_folder(path: Path, create: bool) -> Iterator[int | None]:
    """A descriptor of the folder (.chronicle-cache/), or None when it is not a real
    folder: a link (it could lead anywhere) or a file in its place is left alone, and the
    build runs without a cache."""
    if create:
        try:
            path.mkdir()
        except OSError:
            pass  # it exists (checked below), or the site is read-only: no cache then
    try:
        folder = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK
                         | os.O_CLOEXEC)
    except OSError:
        yield None
        return
    try:
        yield folder
    finally:
        os.close(folder)


def _read_regular(folder: int, name: str, limit: int) -> bytearray | None:
    """The bytes of a regular file in the folder, or None for anything else: a missing
    file, a FIFO, a device, a link, or a file over `limit` bytes."""
    try:
        if not stat.S_ISREG(os.lstat(name, dir_fd=folder).st_mode):
            return None
        # O_NONBLOCK: should a FIFO take the file's place after the lstat, opening it
        # must not wait for a writer; fstat below then refuses it
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     dir_fd=folder)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        data = bytearray(info.st_size)
        view, done = memoryview(data), 0
        while done < len(data):
            count = os.readv(fd, [view[done:]])
            if count == 0:
                return None  # it shrank while being read
            done += count
        return data
    except OSError:
        return None
    finally:
        os.close(fd)


def _replace_regular(folder: int, name: str, data: bytes | bytearray) -> None:
    """Write a new file and rename it over `name`: whatever was there (a link, a FIFO) is
    replaced, never written through. Raises OSError."""
    temp = f"{name}.tmp-{os.getpid()}"
    try:
        os.unlink(temp, dir_fd=folder)  # left by a killed build of the same process id
    except FileNotFoundError:
        pass
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                 0o666, dir_fd=folder)
    try:
        try:
            view, done = memoryview(data), 0
            while done < len(data):
                done += os.write(fd, view[done:])
        finally:
            os.close(fd)
        os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        try:
            os.unlink(temp, dir_fd=folder)
        except OSError:
            pass
        raise


def _checksum(payload: memoryview) -> bytes:
    """Against damage (a torn copy, a flipped bit), not against tampering: what a file
    can do is bounded by its types, and an attacker can recompute any checksum. CRC-32
    is four times as fast as BLAKE2b here, and damage is not an adversary."""
    return zlib.crc32(payload).to_bytes(_CHECKSUM_SIZE, "big")


def _read_data(folder: int, name: str, decoder: msgspec.msgpack.Decoder) -> Any:
    """A checked, typed value from a cache file, or None for anything missing or damaged."""
    data = _read_regular(folder, name, MAX_CACHE_BYTES)
    if data is None or len(data) < _HEADER_SIZE or not data.startswith(MAGIC):
        return None
    with memoryview(data) as view:
        payload = view[_HEADER_SIZE:]
        if _checksum(payload) != view[len(MAGIC):_HEADER_SIZE]:
            return None
        try:
            return decoder.decode(payload)
        except Exception:  # a failed validation, a bad extension, a zone out of range
            return None
        finally:
            payload.release()


def _framed(record: Any) -> bytearray:
    """The header and the encoded record in one buffer: the payload is never copied."""
    buffer = bytearray(_HEADER_SIZE)
    _ENCODER.encode_into(record, buffer, _HEADER_SIZE)
    with memoryview(buffer) as view:
        view[:len(MAGIC)] = MAGIC
        with view[_HEADER_SIZE:] as payload:
            view[len(MAGIC):_HEADER_SIZE] = _checksum(payload)
    return buffer


def _signatures_file(signatures: dict[str, dict[str, str]]) -> bytearray:
    try:
        return _framed(signatures)
    except _ENCODE_ERRORS:  # stale signatures must not survive: record none at all
        return _framed({})


def read_cache_file(path: Path) -> bytes | None:
    """A small file kept in .chronicle-cache/ (a JSON record), or None unless it is a
    regular file in a real folder."""
    with _cache_folder(path.parent, create=False) as folder:
        data = None if folder is None else _read_regular(folder, path.name, MAX_SMALL_FILE_BYTES)
        return None if data is None else bytes(data)


def write_cache_file(path: Path, data: bytes) -> None:
    """Replace a small file in .chronicle-cache/; a failure is not an error (read-only CI)."""
    with _cache_folder(path.parent, create=True) as folder:
        if folder is not None:
            try:
                _replace_regular(folder, path.name, data)
            except OSError:
                pass


def _prepare_folder(folder: int) -> None:
    """Keep the folder out of git, and remove the pickle files of older versions unread."""
    try:
        os.lstat(".gitignore", dir_fd=folder)
    except FileNotFoundError:
        _replace_regular(folder, ".gitignore", b"*\n")
    for retired in RETIRED_FILES:
        try:
            os.unlink(retired, dir_fd=folder)
        except OSError:
            pass


def load_cache(site_root: Path, key: str | None = None) -> BuildCache:
    """The cache (for this key, when given), or an empty one when missing, stale,
    corrupt or foreign."""
    with _cache_folder(site_root / CACHE_DIR, create=False) as folder:
        record = None if folder is None else _read_data(folder, BUILD_FILE, _BUILD_DECODER)
        if record is None or (key is not None and record.key != key):
            return BuildCache(key or "")
        try:
            sources = {rel: _source_entry(source) for rel, source in record.sources.items()}
        except Exception:  # well-typed but out of range: an unknown zone, a bad offset...
            return BuildCache(key or "")
        signatures = _read_data(folder, SIGNATURES_FILE, _SIGNATURES_DECODER)
    return BuildCache(record.key, sources, signatures or {}, dirty=False)


def save_cache(site_root: Path, cache: BuildCache) -> None:
    """Write atomically; a cache that cannot be written is not an error (read-only CI).

    The parsed sources are rewritten only when some changed: at ten thousand entries
    that file is large, while the signatures change with every build.
    """
    with _cache_folder(site_root / CACHE_DIR, create=True) as folder:
        if folder is None:
            return
        try:
            _prepare_folder(folder)
            if cache.dirty or not _is_regular(folder, BUILD_FILE):
                _replace_regular(folder, BUILD_FILE, _build_file(cache))
            _replace_regular(folder, SIGNATURES_FILE, _signatures_file(cache.signatures))
        except OSError:
            pass


def save_signatures(site_root: Path, signatures: dict[str, dict[str, str]]) -> None:
    """Record what the pages in an output folder were rendered from (a warm build
    keeps a page whose signature it finds here, so this must stay true to the files)."""
    with _cache_folder(site_root / CACHE_DIR, create=True) as folder:
        if folder is None:
            return
        try:
            _prepare_folder(folder)
            _replace_regular(folder, SIGNATURES_FILE, _signatures_file(signatures))
        except OSError:
            pass


def _is_regular(folder: int, name: str) -> bool:
    try:
        return stat.S_ISREG(os.lstat(name, dir_fd=folder).st_mode)
    except OSError:
        return False
