"""STAGE 1: find the site's sources: content, comments, templates, static files."""

from __future__ import annotations

import bisect
import os
import stat
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path, PurePosixPath

from chronicle_ssg.errors import (ChronicleError, ChronicleWarning, SourceLocation,
                                  UnsafePathError, raise_collected)

COMMENTS_SUFFIX = ".comments.yaml"  #: the documented name; `.comments.yml` is read too
COMMENTS_SUFFIXES = (COMMENTS_SUFFIX, ".comments.yml")
MARKDOWN_SUFFIXES = (".md", ".markdown")
#: other spellings of Markdown and plain text: a file named so was probably meant as an entry
TEXT_SUFFIXES = (".mdx", ".mkd", ".mkdn", ".mdown", ".markdn", ".mdwn", ".txt", ".text")
#: a folder holding one of these is an entry bundle: the entry and the files it publishes
BUNDLE_INDEXES = ("index.md", "index.markdown")
#: folders that organise content and are never a bundle, even with an index.md inside
NOT_BUNDLES = frozenset({("content",), ("content", "entries"), ("content", "pages")})
BUILTIN_THEMES = Path(__file__).parent / "themes"


class SourceKind(Enum):
    CONTENT = "content"  #: a Markdown entry or page
    COMMENTS = "comments"  #: reader comments beside an entry
    TEMPLATE = "template"  #: a Jinja template (site override or theme)
    STATIC = "static"  #: copied to output/ as-is (site or theme)
    BUNDLE = "bundle"  #: a file of an entry bundle, copied beside the entry's page


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path  #: absolute path on disk
    rel: PurePosixPath  #: path relative to the site root (or theme root for theme files)
    kind: SourceKind
    stamp: tuple[int, int]  #: (mtime_ns, size): a cheap change check
    #: for templates and static files, the name they are known by (relative to their folder)
    name: str = ""


@dataclass(frozen=True, slots=True)
class SourceSet:
    content: tuple[SourceFile, ...]
    comments: tuple[SourceFile, ...]
    templates: tuple[SourceFile, ...]  #: site overrides first, then theme; same name: first wins
    static: tuple[SourceFile, ...]  #: site files win over theme files of the same name
    theme_dir: Path
    #: files of entry bundles, in walk order; `name` is the path inside the bundle folder
    bundle: tuple[SourceFile, ...] = ()
    #: files under content/ that chronicle does not read: each looks like a mistake
    warnings: tuple[ChronicleWarning, ...] = ()


def comments_suffix(name: str) -> str | None:
    """The comments suffix a file name ends with (any case), or None."""
    lowered = name.lower()
    return next((suffix for suffix in COMMENTS_SUFFIXES if lowered.endswith(suffix)), None)


def source_kind(name: str) -> SourceKind | None:
    """What a file under content/ outside a bundle is, by its name; None: not read."""
    lowered = name.lower()
    if lowered.endswith(MARKDOWN_SUFFIXES):
        return SourceKind.CONTENT
    return SourceKind.COMMENTS if lowered.endswith(COMMENTS_SUFFIXES) else None


def comments_owner(rel: str) -> str:
    """The id of the entry a comments file belongs to: same folder and name, `.md`."""
    suffix = comments_suffix(rel)
    return (rel[: -len(suffix)] if suffix else rel) + ".md"


def is_ignored_name(name: str) -> bool:
    """Editor temporaries, hidden files and backups never count as sources."""
    return (name.startswith((".", "#", "~")) or name.endswith(("~", ".swp", ".swx", ".swo",
            ".tmp", ".bak", "___jb_tmp___", "___jb_old___", ".kate-swp", ".crdownload"))
            or name.startswith(".#") or (name.startswith("#") and name.endswith("#"))
            or name == "4913")


def find_theme(site_root: Path, name: str) -> Path | None:
    """A theme in the site's themes/ wins over the theme shipped with chronicle."""
    for base in (site_root / "themes", BUILTIN_THEMES):
        candidate = base / name
        if (candidate / "templates").is_dir():
            return candidate
    return None


def walk_files(root: Path, site_root: Path, errors: list[ChronicleError]) -> list[Path]:
    """Every regular file under root, sorted; symlinks may not leave the site or loop."""
    found: list[Path] = []
    if not root.is_dir():
        return found
    real_site = site_root.resolve()
    seen_dirs: set[str] = set()

    def visit(folder: Path) -> None:
        real = os.path.realpath(folder)
        if real in seen_dirs:
            errors.append(UnsafePathError("symlink loop", _loc(folder, site_root),
                                          hint="remove the symlink that points back up"))
            return
        seen_dirs.add(real)
        try:
            items = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            errors.append(ChronicleError(f"cannot read folder: {exc.strerror}",
                                         _loc(folder, site_root)))
            return
        for item in items:
            if is_ignored_name(item.name):
                continue
            path = Path(item.path)
            if item.is_symlink() and not _inside(path, real_site):
                errors.append(UnsafePathError(
                    "symlink points outside the site", _loc(path, site_root),
                    hint="copy the file into the site instead of linking to it"))
                continue
            try:
                if item.is_dir():
                    visit(path)
                elif item.is_file():
                    found.append(path)
                elif item.is_symlink():  # dangling: is_dir and is_file say no rather than raise
                    raise OSError
            except OSError:  # a dangling or looping link
                errors.append(UnsafePathError("broken or looping symlink", _loc(path, site_root)))

    visit(root)
    return found


def _inside(path: Path, real_root: Path) -> bool:
    try:
        return Path(os.path.realpath(path)).is_relative_to(real_root)
    except (OSError, RuntimeError):
        return False


def _loc(path: Path, site_root: Path) -> SourceLocation:
    try:
        return SourceLocation(PurePosixPath(path.relative_to(site_root).as_posix()))
    except ValueError:
        return SourceLocation(PurePosixPath(path.as_posix()))


def source_file(path: Path, rel_to: Path, kind: SourceKind, name: str = "") -> SourceFile:
    info = path.stat()
    rel = PurePosixPath(path.relative_to(rel_to).as_posix())
    return SourceFile(path, rel, kind, (info.st_mtime_ns, info.st_size), name)


def discover_sources(site_root: Path, theme_name: str) -> SourceSet:
    """Walk content/, templates/, static/ and the theme; sorted, so builds are deterministic."""
    errors: list[ChronicleError] = []
    theme_dir = find_theme(site_root, theme_name)
    if theme_dir is None:
        raise_collected([ChronicleError(
            f"theme {theme_name!r} not found", SourceLocation(PurePosixPath("chronicle.toml")),
            hint=f"put it in themes/{theme_name}/templates/ or use theme = \"default\"")])
    content, comments, bundle, ignored = [], [], [], []
    found = walk_files(site_root / "content", site_root, errors)
    rels = [PurePosixPath(path.relative_to(site_root).as_posix()) for path in found]
    bundles = {rel.parent.parts for rel in rels if bundle_of(rel) is not None}
    for path, rel in zip(found, rels):
        kind = content_kind(rel, bundles)
        if kind is SourceKind.BUNDLE:
            folder = _outermost_bundle(rel, bundles)
            bundle.append(source_file(path, site_root, kind, rel.relative_to(folder).as_posix()))
        elif kind is not None:
            (comments if kind is SourceKind.COMMENTS else content).append(
                source_file(path, site_root, kind))
        else:
            ignored.append(rel)
    templates = _layered(site_root, [site_root / "templates", theme_dir / "templates"],
                         SourceKind.TEMPLATE, errors)
    static = _layered(site_root, [site_root / "static", theme_dir / "static"],
                      SourceKind.STATIC, errors)
    check_case_collisions(static, errors)
    raise_collected(errors)
    warnings = ignored_file_warnings(ignored, [source.rel for source in content]) if ignored else ()
    return SourceSet(tuple(content), tuple(comments), templates, static, theme_dir,
                     tuple(bundle), warnings)


def bundle_of(rel: PurePosixPath) -> PurePosixPath | None:
    """The bundle folder whose entry file `rel` would be (`content/x/index.md` -> `content/x`).

    Only the file decides; discover_sources also makes sure it is not inside another bundle.
    """
    if rel.name in BUNDLE_INDEXES and rel.parent.parts not in NOT_BUNDLES:
        return rel.parent
    return None


def _outermost_bundle(rel: PurePosixPath, bundles: set[tuple[str, ...]]) -> PurePosixPath | None:
    for depth in range(2, len(rel.parts)):
        if rel.parts[:depth] in bundles:
            return PurePosixPath(*rel.parts[:depth])
    return None


def content_kind(rel: PurePosixPath, bundles: set[tuple[str, ...]]) -> SourceKind | None:
    """What a file under content/ is, given the folders that are bundles.

    Inside a bundle, only the index file (and its comments) is content: every other file,
    Markdown too, is published beside the entry's page, as Hugo treats page resources.
    A bundle inside a bundle is a folder of files like any other.
    """
    folder = _outermost_bundle(rel, bundles)
    if folder is not None and not (rel.parent == folder and (
            rel.name in BUNDLE_INDEXES or comments_suffix(rel.name) and
            rel.name[: -len(comments_suffix(rel.name) or "")] == "index")):
        return SourceKind.BUNDLE
    return source_kind(rel.name)


def ignored_file_warnings(ignored: list[PurePosixPath], markdown: list[PurePosixPath],
                          ) -> tuple[ChronicleWarning, ...]:
    """Say what becomes of each file under content/ that chronicle does not read.

    Hidden files and editor temporaries never get here (is_ignored_name). A name that
    looks like a comments file gets the name it should have; other text files were
    probably meant as entries; anything else belongs in a bundle or in static/.
    """
    warnings = []
    for rel in ignored:
        name, lowered = rel.name, rel.name.lower()
        where = SourceLocation(rel)
        if "comment" in lowered and lowered.endswith((".yaml", ".yml", ".json")):
            stems = [m.name.rsplit(".", 1)[0] for m in markdown if m.parent == rel.parent]
            expected = _expected_comments_name(name, stems)
            warnings.append(ChronicleWarning(
                f"{name} looks like a comments file, but chronicle reads comments only from "
                f"files named NAME{COMMENTS_SUFFIX} beside NAME.md: these are not published",
                where, f"rename it to {expected}" if expected else
                f"name it after its entry: NAME{COMMENTS_SUFFIX} beside NAME.md, in the same "
                "folder", "comments-file-name"))
        elif lowered.endswith(TEXT_SUFFIXES):
            warnings.append(ChronicleWarning(
                f"{name} is not published: chronicle reads entries and pages only from "
                ".md and .markdown files", where,
                f"rename it to {name.rsplit('.', 1)[0]}.md to publish it, or keep notes "
                "outside content/", "ignored-file"))
        else:
            warnings.append(ChronicleWarning(
                f"{name} is not published: only the files of an entry bundle (a folder with "
                "index.md) are copied from content/", where,
                "make its entry a bundle (FOLDER/index.md with its files beside it), or put "
                f"the file in static/ and link it as /{name}", "ignored-file"))
    return tuple(warnings)


def _expected_comments_name(name: str, entry_stems: list[str]) -> str | None:
    """The comments file name of the entry `name` seems to belong to: the entry whose
    name it starts with, or the folder's only entry."""
    owners = [stem for stem in entry_stems if name.startswith(stem)] or (
        entry_stems if len(entry_stems) == 1 else [])
    return max(owners, key=len) + COMMENTS_SUFFIX if owners else None


def check_case_collisions(files: tuple[SourceFile, ...], errors: list[ChronicleError]) -> None:
    """Static names that differ only by case overwrite each other on case-insensitive hosts."""
    by_key: dict[str, list[SourceFile]] = {}
    for item in files:
        by_key.setdefault(item.name.casefold(), []).append(item)
    for clashing in by_key.values():
        if len(clashing) > 1:
            names = ", ".join(str(f.rel) for f in clashing)
            errors.append(UnsafePathError(
                f"file names differ only by case and collide on case-insensitive hosts: {names}",
                SourceLocation(clashing[0].rel), hint="rename one of them"))


def _layered(site_root: Path, folders: list[Path], kind: SourceKind,
             errors: list[ChronicleError]) -> tuple[SourceFile, ...]:
    """Files from several folders by name; an earlier folder overrides a later one."""
    chosen: dict[str, SourceFile] = {}
    for folder in folders:
        base = site_root if folder.resolve().is_relative_to(site_root.resolve()) else folder.parent
        for path in walk_files(folder, site_root if base == site_root else folder, errors):
            name = path.relative_to(folder).as_posix()
            if name not in chosen:
                chosen[name] = source_file(path, base, kind, name)
    return tuple(chosen[name] for name in sorted(chosen))


def updated_sources(previous: SourceSet, site_root: Path, changed: set[str]) -> SourceSet | None:
    """The source set after the watcher reported `changed` paths, without a new walk.

    Only plain content files are handled here (Markdown and comments under content/);
    anything a walk would judge differently (folders, symlinks, templates, static files,
    chronicle.toml) returns None, and the caller walks the whole site as a build does.
    Unchanged files keep their SourceFile objects, so later stages can skip them by
    identity; files are found by bisection (the set is in walk order), so the cost
    follows the number of changed paths, not the size of the site.
    """
    content_root = site_root / "content"
    real_content = os.path.realpath(content_root)
    if len({raw.casefold() for raw in changed}) < len(changed):
        return None  # a rename in case only: on a case-insensitive disk both names exist
    sources = previous
    for raw in sorted(changed):
        path = Path(raw)
        if not path.is_relative_to(content_root):
            return None
        rel = PurePosixPath(path.relative_to(site_root).as_posix())
        if any(is_ignored_name(part) for part in rel.parts):
            continue  # a walk skips ignored names and everything under ignored folders
        if rel.name in BUNDLE_INDEXES or _in_bundle_on_disk(site_root, rel):
            return None  # bundle files, and folders becoming or ceasing to be bundles
        kind = source_kind(rel.name)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            if _holds(sources.content, rel) or _holds(sources.comments, rel):
                return None  # a folder went away: let a walk say what is left
            if kind is not None:
                sources = _with_file(sources, kind, rel, None)
            continue
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode) or os.path.realpath(path.parent) != os.path.join(
                real_content, *rel.parts[1:-1]):
            return None  # a folder, a symlink or a file reached through one
        if kind is not None:
            sources = _with_file(sources, kind, rel, SourceFile(
                path, rel, kind, (info.st_mtime_ns, info.st_size)))
    return sources


def _in_bundle_on_disk(site_root: Path, rel: PurePosixPath) -> bool:
    """Some folder above `rel` holds an index file, so `rel` may belong to a bundle."""
    for depth in range(2, len(rel.parts)):
        folder = rel.parts[:depth]
        if folder not in NOT_BUNDLES and any(
                os.path.lexists(os.path.join(site_root, *folder, name)) for name in BUNDLE_INDEXES):
            return True
    return False


def restamped(sources: SourceSet, path: Path, rel: str, info: os.stat_result) -> SourceSet:
    """`sources` with one content file's stamp brought up to date."""
    where = PurePosixPath(rel)
    return _with_file(sources, SourceKind.CONTENT, where, SourceFile(
        path, where, SourceKind.CONTENT, (info.st_mtime_ns, info.st_size)))


def _walk_key(source: SourceFile) -> tuple[str, ...]:
    return source.rel.parts  # a sorted walk visits paths in the order of their parts


def _with_file(sources: SourceSet, kind: SourceKind, rel: PurePosixPath,
               source: SourceFile | None) -> SourceSet:
    """`sources` with the file at `rel` added, replaced, or (source None) removed."""
    name = "comments" if kind is SourceKind.COMMENTS else "content"
    files: tuple[SourceFile, ...] = getattr(sources, name)
    at, present = _position(files, rel.parts)
    if source is None and not present:
        return sources
    files = files[:at] + ((source,) if source is not None else ()) + files[at + present:]
    return replace(sources, **{name: files})


def _position(files: tuple[SourceFile, ...], parts: tuple[str, ...]) -> tuple[int, bool]:
    """Where the file with these path parts is, or would go, and whether it is there."""
    at = bisect.bisect_left(files, parts, key=_walk_key)
    return at, at < len(files) and files[at].rel.parts == parts


def _holds(files: tuple[SourceFile, ...], folder: PurePosixPath) -> bool:
    """Some file lies under `folder` (a file's own path is not under itself)."""
    at = bisect.bisect_right(files, folder.parts, key=_walk_key)
    return at < len(files) and files[at].rel.parts[:len(folder.parts)] == folder.parts


def find_source(files: tuple[SourceFile, ...], rel: str) -> SourceFile | None:
    """The file at `rel` (relative to the site) in a walk-ordered tuple, by bisection."""
    at, present = _position(files, PurePosixPath(rel).parts)
    return files[at] if present else None
