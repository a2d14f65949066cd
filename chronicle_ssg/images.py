"""STAGE 3a: images in entry and page bodies -> sized, lazy, responsive pictures.

Runs after model.py and before assemble.py. The Markdown stage records which images a
body names (`RenderedBody.images`, cached with the body); this stage looks at the files
they name, which can change while the Markdown does not. It gives every local image its
`width` and `height`, `loading="lazy"` (except the first image of a page: it may be the largest
paint) and `decoding="async"`, and a `<picture>` with WebP and original-format
variants in `srcset`. It picks each entry's card thumbnail and social image, and takes the
images out of card summaries.

Variants are made once: `ImageStore` keeps them in `.chronicle-cache/images/`, named by a
hash of the original's bytes and the image settings, with a JSON index that is validated
(never unpickled) and a hash per variant checked before its bytes are used.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from dataclasses import dataclass, field, replace
from html import escape, unescape
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Mapping
from urllib.parse import unquote, urljoin, urlsplit

from chronicle_ssg.config import CONFIG_NAME, SiteConfig, key_line
from chronicle_ssg.discover import SourceFile
from chronicle_ssg.errors import ChronicleError, ContentError, SourceLocation
from chronicle_ssg.markdown import ImageRef
from chronicle_ssg.model import Entry, Page, Prepared
from chronicle_ssg.paths import join_url, output_for
from chronicle_ssg.slugs import slugify

#: bump when variants are made differently, so cached ones are not reused
IMAGE_VERSION = "1"
VARIANT_FOLDER = "_img"
INDEX_NAME = "index.json"
#: formats that get resized variants, with their file extension and MIME type
VARIANT_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"),
                   "WEBP": ("webp", "image/webp")}
#: larger originals are refused rather than decoded (decompression bombs)
MAX_PIXELS = 80_000_000
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([^\s"'=<>/`]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_PICTURE = re.compile(r"<picture\b[^>]*>.*?</picture>", re.IGNORECASE | re.DOTALL)
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>\n?")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


class ImageFailure(Exception):
    """An image file that cannot be read or decoded; the caller adds file and line."""


@dataclass(frozen=True, slots=True)
class Variant:
    path: str  #: site path under /_img/
    width: int
    height: int
    sha256: str  #: of the file's bytes: checked before a cached file is used


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """A measured image and its variants (both ascending by width)."""

    format: str  #: Pillow's name: JPEG, PNG, WEBP, GIF...
    width: int
    height: int
    same_format: tuple[Variant, ...] = ()  #: smaller than the original, in its format
    webp: tuple[Variant, ...] = ()  #: WebP at each width, the original's included


@dataclass(frozen=True, slots=True)
class Picture:
    """An image as a template shows it (card thumbnail, og:image).

    `src` is a site path (the template applies the base path) or an https URL; width and
    height are None for remote images, whose size is not known.
    """

    src: str
    width: int | None = None
    height: int | None = None
    webp: str = ""  #: a WebP version of `src` (site path), '' when none
    alt: str = ""


@dataclass(frozen=True, slots=True)
class ImageSettings:
    widths: tuple[int, ...]
    quality: int

    def key(self) -> str:
        return f"img{IMAGE_VERSION}|{self.widths}|{self.quality}"


def settings_of(config: SiteConfig) -> ImageSettings:
    return ImageSettings(config.image_widths, config.image_quality)


# -- making variants -------------------------------------------------------------------

def make_variants(data: bytes, stem: str, settings: ImageSettings,
                  ) -> tuple[ImageInfo, dict[str, bytes]]:
    """Measure an image and encode its variants: (info, site path -> bytes).

    Output is deterministic: no metadata but the colour profile is written, and the
    encoders are given fixed options. Animated images and formats without an encoder
    here are measured only.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as opened:
            fmt = opened.format or ""
            animated = getattr(opened, "is_animated", False)
            image = ImageOps.exif_transpose(opened)  # browsers show it turned, too
            image.load()
    except UnidentifiedImageError:
        raise ImageFailure("not an image chronicle can read (JPEG, PNG, WebP, GIF, SVG...)") \
            from None
    except Image.DecompressionBombError:
        raise ImageFailure(f"more than {MAX_PIXELS} pixels: too large to process") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageFailure(f"cannot read the image: {exc}") from None
    width, height = image.size
    if fmt not in VARIANT_FORMATS or animated:
        return ImageInfo(fmt, width, height), {}
    base = f"/{VARIANT_FOLDER}/{slugify(stem) or 'image'}-{content_digest(data, settings)}"
    profile = image.info.get("icc_profile")
    files: dict[str, bytes] = {}
    same, webp = [], []
    for target in [w for w in settings.widths if w < width] + [width]:
        size = (target, max(1, round(height * target / width)))
        resized = image if target == width else _resized(image, size)
        if target < width and fmt != "WEBP":
            path = f"{base}-{target}.{VARIANT_FORMATS[fmt][0]}"
            files[path] = _encode(resized, fmt, settings.quality, profile)
            same.append(Variant(path, *size, hashlib.sha256(files[path]).hexdigest()))
        if fmt != "WEBP" or target < width:
            path = f"{base}-{target}.webp"
            files[path] = _encode(resized, "WEBP", settings.quality, profile)
            webp.append(Variant(path, *size, hashlib.sha256(files[path]).hexdigest()))
    return ImageInfo(fmt, width, height, tuple(same), tuple(webp)), files


def content_digest(data: bytes, settings: ImageSettings) -> str:
    """What variants are keyed by: the original's bytes and the image settings."""
    return hashlib.blake2b(data + settings.key().encode(), digest_size=6).hexdigest()


def _resized(image: Any, size: tuple[int, int]) -> Any:
    from PIL import Image
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "transparency" in image.info or "A" in image.mode
                              else "RGB")
    return image.resize(size, Image.Resampling.LANCZOS)


def _encode(image: Any, fmt: str, quality: int, profile: bytes | None) -> bytes:
    out = io.BytesIO()
    extra = {"icc_profile": profile} if profile else {}
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=quality, optimize=True, **extra)
    elif fmt == "PNG":
        image.save(out, "PNG", optimize=False, compress_level=9, **extra)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.mode or "transparency" in image.info
                                  else "RGB")
        image.save(out, "WEBP", quality=quality, method=4, exact=False, **extra)
    return out.getvalue()


def measure_svg(data: bytes) -> tuple[int, int] | None:
    """An SVG's width and height in pixels when it states them plainly, else None."""
    head = data[:4096].decode("utf-8", "replace")
    tag = re.search(r"<svg\b[^>]*>", head)
    if not tag:
        return None
    attrs = _attributes(tag.group(0))
    sizes = [re.fullmatch(r"\s*(\d+(?:\.\d+)?)(?:px)?\s*", attrs.get(k) or "") for k in ("width", "height")]
    if all(sizes):
        return tuple(max(1, round(float(m.group(1)))) for m in sizes)  # type: ignore[union-attr, return-value]
    return None


# -- the store -------------------------------------------------------------------------

@dataclass
class ImageStore:
    """Measured images and their variants, made at most once per content and settings.

    `folder` None keeps everything in memory (a --no-cache build). A file's stamp that
    matches the index is trusted for its measurements; its variants are checked by hash
    when their bytes are taken (`variant_bytes`).
    """

    static: dict[str, SourceFile]  #: by site path (/images/chart.png); bundle files join
    settings: ImageSettings
    folder: Path | None = None
    index: dict[str, dict[str, Any]] = field(default_factory=dict)
    memory: dict[str, bytes] = field(default_factory=dict)
    used: dict[str, tuple[str, str]] = field(default_factory=dict)  #: path -> (sha, source)
    dirty: bool = False
    made: int = 0  #: images encoded by this store (for --stats and benchmarks)
    #: files of entry bundles by the bundle folder they are in (content/.../trip)
    bundles: dict[str, list[SourceFile]] = field(default_factory=dict)

    def add_bundle(self, owner_id: str, page_path: str) -> None:
        """Make the files of the bundle whose index is `owner_id` findable at the site
        paths they are copied to: beside the page at `page_path` (route.copied_files)."""
        folder = str(PurePosixPath(owner_id).parent)
        for source in self.bundles.get(folder, ()):
            self.static["/" + str(output_for(page_path).parent / source.name)] = source

    @classmethod
    def open(cls, site_root: Path, static: Iterable[SourceFile], settings: ImageSettings,
             use_cache: bool, bundle: Iterable[SourceFile] = ()) -> "ImageStore":
        from chronicle_ssg.cache import CACHE_DIR
        by_path = {"/" + s.name: s for s in static}
        bundles: dict[str, list[SourceFile]] = {}
        for source in bundle:  # `name` is the path inside the bundle folder
            folder = str(source.rel)[: -len(source.name) - 1]
            bundles.setdefault(folder, []).append(source)
        if not use_cache:
            return cls(by_path, settings, bundles=bundles)
        store = cls(by_path, settings, site_root / CACHE_DIR / "images", bundles=bundles)
        store.index = _read_index(store.folder / INDEX_NAME, settings)  # type: ignore[operator]
        return store

    def find(self, site_path: str) -> SourceFile | None:
        return self.static.get(site_path)

    def info(self, source: SourceFile) -> ImageInfo | None:
        """The measurements and variants of a static file; None for an SVG without a size.
        Raises ImageFailure when it cannot be read."""
        key = "/" + source.name
        record = self.index.get(key)
        if record is not None and tuple(record["stamp"]) == tuple(source.stamp):
            info = _info_from(record)
            if self.folder is None or all((self.folder / v.path.lstrip("/")).is_file()
                                          for v in (*info.same_format, *info.webp)):
                return self._using(info, source)
        try:
            data = source.path.read_bytes()
        except OSError as exc:
            raise ImageFailure(f"cannot read the image: {exc.strerror}") from None
        if source.name.lower().endswith(".svg"):
            size = measure_svg(data)
            return ImageInfo("SVG", *size) if size else None
        if record is not None and record["digest"] == content_digest(data, self.settings):
            record["stamp"] = list(source.stamp)  # touched, not changed
            self.dirty = True
            return self.info(source)
        info, files = make_variants(data, PurePosixPath(source.name).stem, self.settings)
        self.made += 1
        for path, content in files.items():
            if self.folder is None:
                self.memory[path] = content
            else:
                _write_atomic(self.folder / path.lstrip("/"), content)
        self.index[key] = _record_of(info, source.stamp, content_digest(data, self.settings))
        self.dirty = True
        return self._using(info, source)

    def _using(self, info: ImageInfo, source: SourceFile) -> ImageInfo:
        for variant in (*info.same_format, *info.webp):
            self.used[variant.path] = (variant.sha256, "/" + source.name)
        return info

    def outputs(self) -> list[str]:
        """Output names (under output/) of every variant the site uses, sorted."""
        return sorted(path.lstrip("/") for path in self.used)

    def variant_bytes(self, name: str) -> bytes:
        """A variant's bytes, checked against its hash; made again when the cached file is
        missing or not what the index says."""
        path = "/" + name
        sha, origin = self.used[path]
        if path in self.memory:
            return self.memory[path]
        if self.folder is not None:
            try:
                data = (self.folder / name).read_bytes()
                if hashlib.sha256(data).hexdigest() == sha:
                    return data
            except OSError:
                pass
        source = self.static[origin]
        _, files = make_variants(source.path.read_bytes(), PurePosixPath(source.name).stem,
                                 self.settings)
        if path not in files or hashlib.sha256(files[path]).hexdigest() != sha:
            raise ImageFailure(f"{origin} changed during the build")
        if self.folder is not None:
            _write_atomic(self.folder / name, files[path])
        return files[path]

    def save(self) -> None:
        """Write the index (atomically) and drop cached variants no image uses any more."""
        if self.folder is None or not self.dirty:
            return
        keep = {k: v for k, v in self.index.items() if k in self.static}
        try:
            _write_atomic(self.folder / INDEX_NAME, json.dumps(
                {"key": self.settings.key(), "images": keep}, sort_keys=True).encode())
            wanted = {v[0].lstrip("/") for r in keep.values() for v in r["variants"]}
            variants = self.folder / VARIANT_FOLDER
            for stale in sorted(variants.iterdir()) if variants.is_dir() else ():
                if f"{VARIANT_FOLDER}/{stale.name}" not in wanted:
                    stale.unlink()
        except OSError:
            pass  # a cache that cannot be written only makes the next build slower


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _record_of(info: ImageInfo, stamp: tuple[int, int], digest: str) -> dict[str, Any]:
    return {"stamp": list(stamp), "digest": digest, "format": info.format, "width": info.width,
            "height": info.height,
            "variants": [[v.path, v.width, v.height, v.sha256, kind]
                         for kind, group in (("same", info.same_format), ("webp", info.webp))
                         for v in group]}


def _info_from(record: dict[str, Any]) -> ImageInfo:
    groups: dict[str, list[Variant]] = {"same": [], "webp": []}
    for path, width, height, sha, kind in record["variants"]:
        groups[kind].append(Variant(path, width, height, sha))
    return ImageInfo(record["format"], record["width"], record["height"],
                     tuple(groups["same"]), tuple(groups["webp"]))


_VARIANT_PATH = re.compile(rf"/{VARIANT_FOLDER}/[a-z0-9-]+-[0-9a-f]{{12}}-\d+\.(?:jpg|png|webp)")


def _valid_record(record: Any) -> bool:
    """Whether an index record has exactly the shape this module writes."""
    def whole(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 1 << 31

    try:
        return (isinstance(record, dict) and set(record) == {"stamp", "digest", "format",
                                                             "width", "height", "variants"}
                and isinstance(record["digest"], str)
                and isinstance(record["stamp"], list) and len(record["stamp"]) == 2
                and all(isinstance(n, int) for n in record["stamp"])
                and isinstance(record["format"], str) and whole(record["width"])
                and whole(record["height"]) and isinstance(record["variants"], list)
                and all(isinstance(v, list) and len(v) == 5 and isinstance(v[0], str)
                        and _VARIANT_PATH.fullmatch(v[0]) and whole(v[1]) and whole(v[2])
                        and isinstance(v[3], str) and re.fullmatch(r"[0-9a-f]{64}", v[3])
                        and v[4] in ("same", "webp") for v in record["variants"]))
    except (TypeError, KeyError):
        return False


def _read_index(path: Path, settings: ImageSettings) -> dict[str, dict[str, Any]]:
    """The cached index; anything malformed, foreign or for other settings is dropped."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("key") != settings.key() \
            or not isinstance(data.get("images"), dict):
        return {}
    return {k: v for k, v in data["images"].items() if isinstance(k, str) and _valid_record(v)}


# -- rewriting bodies ------------------------------------------------------------------

def _attributes(tag: str) -> dict[str, str | None]:
    inner = tag[tag.index(" "):].rstrip(">").rstrip("/") if " " in tag else ""
    found: dict[str, str | None] = {}
    for match in _ATTRIBUTE.finditer(inner):
        name = match.group(1).lower()
        value = next((g for g in match.groups()[1:] if g is not None), None)
        found.setdefault(name, None if value is None else unescape(value))
    return found


def _tag(name: str, attributes: Iterable[tuple[str, str | None]]) -> str:
    parts = [name] + [key if value is None else f'{key}="{escape(value)}"'
                      for key, value in attributes]
    return "<" + " ".join(parts) + ">"


def site_path_of(src: str, page_path: str) -> str | None:
    """The site path an image `src` names on the page at `page_path`; None when remote."""
    if _SCHEME.match(src) or src.startswith("//"):
        return None
    path = urlsplit(src).path
    if not path:
        return None
    return unquote(urljoin(page_path, path))


def srcset(variants: Iterable[Variant]) -> str:
    return ", ".join(f"{v.path} {v.width}w" for v in variants)


@dataclass(frozen=True, slots=True)
class SizedBody:
    html: str
    first: Picture | None  #: the first local image, full size (for og:image and cards)
    thumbnail: Picture | None  #: the smallest variant of that image


def size_body(html: str, refs: tuple[ImageRef, ...], owner: PurePosixPath, page_path: str,
              store: ImageStore, sizes: str, errors: list[ChronicleError]) -> SizedBody:
    """`html` with every local <img> sized, lazy (but the first) and responsive."""
    lines: dict[str, int] = {}
    for ref in refs:
        lines.setdefault(ref.src, ref.line)
    state: dict[str, Any] = {"first": None, "thumbnail": None, "count": 0}
    reported: set[str] = set()  # an image used twice is one problem

    def rewrite(match: re.Match[str]) -> str:
        attributes = _attributes(match.group(0))
        src = attributes.get("src") or ""
        site_path = site_path_of(src, page_path)
        if site_path is None:
            return match.group(0)
        eager = state["count"] == 0
        state["count"] += 1
        source = store.find(site_path)
        where = SourceLocation(owner, lines.get(src))
        if source is None:
            if src.startswith("/") and src not in reported:
                reported.add(src)
                errors.append(ContentError(
                    f"image {src} not found: no file static{site_path}", where,
                    hint="put the image in the site's static/ folder, or fix the path"))
            return match.group(0)  # a relative path may be a file another stage copies
        try:
            info = store.info(source)
        except ImageFailure as exc:
            if src not in reported:
                reported.add(src)
                errors.append(ContentError(f"image {src}: {exc}", where,
                                           hint="replace the file with a valid JPEG, PNG, "
                                                "WebP, GIF or SVG image"))
            return match.group(0)
        return _picture(attributes, site_path, info, eager, sizes, state)

    out = _IMG_TAG.sub(rewrite, html)
    return SizedBody(out, state["first"], state["thumbnail"])


def _picture(attributes: dict[str, str | None], site_path: str, info: ImageInfo | None,
             eager: bool, sizes: str, state: dict[str, Any]) -> str:
    attributes = dict(attributes)  # src stays as written: relative paths keep working
    given = "srcset" in attributes or "width" in attributes or "height" in attributes
    if info is not None and not given:
        attributes["width"], attributes["height"] = str(info.width), str(info.height)
    if not eager:  # no fetchpriority: the Nu Html Checker chronicle is held to rejects it
        attributes.setdefault("loading", "lazy")
    attributes.setdefault("decoding", "async")
    if info is not None and state["first"] is None:
        alt = attributes.get("alt") or ""
        state["first"] = Picture(site_path, info.width, info.height, alt=alt)
        state["thumbnail"] = thumbnail_of(info, site_path)
    if info is None or given or not info.webp:
        return _tag("img", attributes.items())
    if info.format == "WEBP":  # the original is the widest candidate
        attributes["srcset"] = srcset(info.webp) + f", {join_url('', site_path)} {info.width}w"
        attributes["sizes"] = sizes
        return _tag("img", attributes.items())
    original = Variant(join_url("", site_path), info.width, info.height, "")
    attributes["srcset"] = srcset((*info.same_format, original))
    attributes["sizes"] = sizes
    source = _tag("source", [("type", "image/webp"), ("srcset", srcset(info.webp)),
                             ("sizes", sizes)])
    return f"<picture>{source}{_tag('img', attributes.items())}</picture>"


def thumbnail_of(info: ImageInfo, site_path: str) -> Picture:
    """The smallest version of an image, with a WebP alternative when there is one."""
    smaller = info.same_format or (info.webp if info.format == "WEBP" else ())
    small = smaller[0] if smaller else Variant(site_path, info.width, info.height, "")
    webp = info.webp[0].path if info.webp and info.format != "WEBP" else ""
    return Picture(small.path, small.width, small.height, webp)


def without_images(html: str) -> str:
    """A summary for cards: no <picture> or <img>, and no paragraph they leave empty."""
    html = _IMG_TAG.sub("", _PICTURE.sub("", html))
    return _EMPTY_PARAGRAPH.sub("", html).strip()


# -- the stage -------------------------------------------------------------------------

def named_image(value: str, owner: PurePosixPath, line: int | None, page_path: str,
                store: ImageStore, errors: list[ChronicleError]) -> tuple[Picture, Picture] | None:
    """The front matter (or config) `image`: (full size, thumbnail), or None."""
    if value.startswith("https://"):
        return Picture(value), Picture(value)
    where = SourceLocation(owner, line)
    site_path = site_path_of(value, page_path) or ""
    source = store.find(site_path)
    if source is None:
        errors.append(ContentError(f"image {value} not found: no file static{site_path}", where,
                                   hint="put the image in the site's static/ folder, or fix "
                                        "the path"))
        return None
    try:
        info = store.info(source)
    except ImageFailure as exc:
        errors.append(ContentError(f"image {value}: {exc}", where))
        return None
    if info is None:
        return Picture(site_path), Picture(site_path)
    return Picture(site_path, info.width, info.height), thumbnail_of(info, site_path)


@dataclass
class ImageMemo:
    """A serve session's sized entries and pages, kept while the entry object and the
    stamps of the images it names are the same."""

    done: dict[str, tuple[object, tuple[object, ...], object]] = field(default_factory=dict)


def _stamps(store: ImageStore, paths: Iterable[str | None]) -> tuple[object, ...]:
    found = []
    for path in paths:
        source = store.find(path) if path else None
        found.append(source.stamp if source else None)
    return tuple(found)


def size_entry(entry: Entry, refs: tuple[ImageRef, ...], image_line: int | None,
               store: ImageStore, config: SiteConfig, errors: list[ChronicleError]) -> Entry:
    """The entry with sized body images, a card summary without images, its thumbnail
    and its social image."""
    owner = PurePosixPath(entry.id)
    sized = size_body(entry.body_html, refs, owner, entry.path, store, config.image_sizes,
                      errors)
    named = named_image(entry.image, owner, image_line, entry.path, store, errors) \
        if entry.image else None
    social, thumbnail = named or (sized.first, sized.thumbnail)
    if thumbnail is not None:
        thumbnail = replace(thumbnail, alt="")  # beside the linked title it would repeat it
    return replace(entry, body_html=sized.html, summary_html=without_images(entry.summary_html),
                   thumbnail=thumbnail, social_image=social)


def size_page(page: Page, refs: tuple[ImageRef, ...], image_line: int | None,
              store: ImageStore, config: SiteConfig, errors: list[ChronicleError]) -> Page:
    owner = PurePosixPath(page.id)
    sized = size_body(page.body_html, refs, owner, page.path, store, config.image_sizes, errors)
    named = named_image(page.image, owner, image_line, page.path, store, errors) \
        if page.image else None
    return replace(page, body_html=sized.html,
                   social_image=named[0] if named else sized.first)


def size_all(entries: list[Entry], pages: list[Page], prepared: Mapping[str, Prepared],
             store: ImageStore, config: SiteConfig, errors: list[ChronicleError],
             memo: ImageMemo | None = None) -> tuple[list[Entry], list[Page]]:
    """Every entry and page that names an image through size_entry or size_page."""
    memo = memo or ImageMemo()
    out_entries: list[Entry] = []
    out_pages: list[Page] = []
    for items, out, size in ((entries, out_entries, size_entry), (pages, out_pages, size_page)):
        for item in items:
            source_item = prepared[item.id]
            images = source_item.body.images
            line = source_item.document.key_lines.get("image")
            store.add_bundle(item.id, item.path)
            if not images and not item.image:
                out.append(item)  # type: ignore[arg-type]
                continue
            paths = [site_path_of(r.src, item.path) for r in images] + [
                site_path_of(item.image, item.path) if item.image else None]
            stamps = _stamps(store, paths)
            hit = memo.done.get(item.id)
            if hit and hit[0] is item and hit[1] == stamps:
                for source in (store.find(p) for p in paths if p):
                    if source is not None:
                        store.info(source)  # from the index: marks its variants as used
                out.append(hit[2])  # type: ignore[arg-type]
                continue
            before = len(errors)
            done = size(item, images, line, store, config, errors)  # type: ignore[operator]
            if len(errors) == before:
                memo.done[item.id] = (item, stamps, done)
            out.append(done)
    return out_entries, out_pages


def site_image(config: SiteConfig, store: ImageStore,
               errors: list[ChronicleError]) -> Picture | None:
    """The site's default social image (`image` in chronicle.toml)."""
    if not config.image:
        return None
    text = config.source.read_text("utf-8", "replace") if config.source else ""
    found = named_image(config.image, PurePosixPath(CONFIG_NAME), key_line(text, "image"),
                        "/", store, errors)
    return found[0] if found else None
