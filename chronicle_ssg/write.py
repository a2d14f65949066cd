"""STAGE 6: write outputs atomically; unchanged files keep their inode and mtime.

A build stages the new site beside output/ (hard links for unchanged files, new bytes
for changed ones), then swaps the two folders in one step. A build killed at any moment
leaves either the old site or the new one, never a mix. The manifest inside output/
lists every file with its hash; `.chronicle-changes.json` says what this build changed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Mapping

from chronicle_ssg.errors import ChronicleError, SourceLocation, UnsafePathError

MANIFEST = ".chronicle-manifest.json"
CHANGES = ".chronicle-changes.json"
MANIFEST_VERSION = 1


@dataclass(frozen=True, slots=True)
class WriteReport:
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0
    swapped: bool = False  #: False when nothing changed and output/ was left untouched

    @property
    def written(self) -> int:
        return len(self.added) + len(self.changed)


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def read_manifest(output_dir: Path) -> dict[str, list]:
    """The previous build's files {path: [hash, size]}; anything odd means 'no manifest'."""
    try:
        data = json.loads((output_dir / MANIFEST).read_text("utf-8"))
        files = data["files"]
        if data.get("version") != MANIFEST_VERSION or not isinstance(files, dict):
            return {}
        return {str(k): list(v) for k, v in files.items() if isinstance(v, list) and len(v) == 2}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def check_output_dir(output_dir: Path, site_root: Path) -> None:
    """Refuse an output folder that holds the sources or that chronicle did not make."""
    out, root = output_dir.resolve(), site_root.resolve()
    if out == root or root.is_relative_to(out) or out in (Path("/"), Path.home()):
        raise UnsafePathError(f"output folder {output_dir} contains the site's sources",
                              hint="use a separate folder such as output/")
    for protected in ("content", "templates", "static", "themes"):
        if out.is_relative_to(root / protected):
            raise UnsafePathError(f"output folder {output_dir} is inside {protected}/",
                                  hint="use a separate folder such as output/")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise UnsafePathError(
            f"output folder {output_dir} is not empty and was not written by chronicle",
            hint="empty or remove it, or choose another folder with --output")


def recover_interrupted(output_dir: Path) -> None:
    """Undo what a killed build left: stale staging folders, or a half-done fallback swap."""
    parent = output_dir.parent
    if not parent.is_dir():
        return
    for item in parent.iterdir():
        if item.name.startswith(f".{output_dir.name}.staging-"):
            shutil.rmtree(item, ignore_errors=True)
    old = parent / f".{output_dir.name}.old"
    if old.exists():
        if output_dir.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.rename(output_dir)


def _safe_target(root: Path, rel: PurePosixPath) -> Path:
    parts = rel.parts
    if rel.is_absolute() or ".." in parts or not parts or any("\x00" in p for p in parts):
        raise UnsafePathError(f"refusing to write {str(rel)!r} outside the output folder")
    return root.joinpath(*parts)


def write_site(outputs: Mapping[PurePosixPath, bytes], output_dir: Path,
               site_root: Path) -> WriteReport:
    """Stage the new site with hard links to unchanged files, then swap it in."""
    check_output_dir(output_dir, site_root)
    recover_interrupted(output_dir)
    old = read_manifest(output_dir) if output_dir.is_dir() else {}
    new = {str(path): content_hash(data) for path, data in outputs.items()}
    added, changed, same = [], [], []
    for name in sorted(new):
        if name not in old:
            added.append(name)
        elif old[name][0] != new[name] or not _intact(output_dir / name, old[name][1]):
            changed.append(name)
        else:
            same.append(name)
    removed = sorted(set(old) - set(new))
    report = WriteReport(tuple(added), tuple(changed), tuple(removed), len(same))
    if output_dir.is_dir() and not (added or changed or removed) and old:
        return report
    staging = output_dir.parent / f".{output_dir.name}.staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        made: set[Path] = {staging}
        for name in same:
            target = _prepare(staging, PurePosixPath(name), made)
            _link_or_copy(output_dir / name, target)
        for name in added + changed:
            target = _prepare(staging, PurePosixPath(name), made)
            target.write_bytes(outputs[PurePosixPath(name)])
        manifest = {"version": MANIFEST_VERSION, "generator": "chronicle",
                    "files": {n: [new[n], len(outputs[PurePosixPath(n)])] for n in sorted(new)}}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        (staging / CHANGES).write_text(json.dumps(
            {"added": added, "changed": changed, "removed": removed}, indent=1) + "\n")
        _swap(staging, output_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return WriteReport(report.added, report.changed, report.removed, report.unchanged, True)


def _intact(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def _prepare(root: Path, rel: PurePosixPath, made: set[Path]) -> Path:
    target = _safe_target(root, rel)
    parent = target.parent
    if parent not in made:
        parent.mkdir(parents=True, exist_ok=True)
        made.add(parent)
    return target


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


_RENAME_EXCHANGE = 2


def _renameat2() -> object | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.renameat2
    except (OSError, AttributeError):
        return None


def _swap(staging: Path, output_dir: Path) -> None:
    """Exchange staging and output/ atomically (Linux), else with two quick renames."""
    if output_dir.exists():
        renameat2 = _renameat2()
        if renameat2 is not None:
            at_fdcwd = -100
            result = renameat2(at_fdcwd, os.fsencode(staging), at_fdcwd,  # type: ignore[operator]
                               os.fsencode(output_dir), _RENAME_EXCHANGE)
            if result == 0:
                return  # staging now holds the old site; the caller removes it
            if ctypes.get_errno() not in (errno.EINVAL, errno.ENOSYS, errno.EXDEV):
                raise OSError(ctypes.get_errno(), "renameat2 failed", str(output_dir))
        old = output_dir.parent / f".{output_dir.name}.old"
        output_dir.rename(old)
        staging.rename(output_dir)
        shutil.rmtree(old, ignore_errors=True)
        return
    staging.rename(output_dir)


def apply_delta(output_dir: Path, writes: Mapping[PurePosixPath, bytes],
                deletes: frozenset[PurePosixPath] | set[PurePosixPath]) -> None:
    """Serve mode: update files in place, each by write-then-rename, and prune deletions."""
    for rel, data in sorted(writes.items()):
        target = _safe_target(output_dir, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        temp.write_bytes(data)
        os.replace(temp, target)
    for rel in sorted(deletes):
        target = _safe_target(output_dir, rel)
        target.unlink(missing_ok=True)
        _prune_empty(target.parent, output_dir)


def _prune_empty(folder: Path, root: Path) -> None:
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
