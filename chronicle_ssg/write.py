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
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Mapping

from chronicle_ssg.errors import UnsafePathError

MANIFEST = ".chronicle-manifest.json"
CHANGES = ".chronicle-changes.json"
MANIFEST_VERSION = 1
#: above this many files the previous site is deleted in the background after a swap
BACKGROUND_DELETE = 5000


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


def write_manifest(folder: Path, files: Mapping[str, list]) -> None:
    """Write the manifest (sorted, one file per line) by write-then-rename."""
    lines = ",\n".join(f" {json.dumps(name)}: {json.dumps(files[name])}" for name in sorted(files))
    temp = folder / f"{MANIFEST}.tmp"
    temp.write_text(f'{{"version": {MANIFEST_VERSION}, "generator": "chronicle", "files": {{\n'
                    f"{lines}\n}}}}\n", "utf-8")
    os.replace(temp, folder / MANIFEST)


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


class Staging:
    """Stage a new site beside output/; unchanged files are hard links to the old ones.

    `put` decides per file: same hash as the previous manifest (and the old file is
    intact) means link, else write. `finish` swaps only when something changed.
    """

    def __init__(self, output_dir: Path, site_root: Path, trust_manifest: bool = True) -> None:
        check_output_dir(output_dir, site_root)
        recover_interrupted(output_dir)
        self.output_dir = output_dir
        self.old = read_manifest(output_dir) if output_dir.is_dir() else {}
        #: False (--no-cache): an old file is reused only if its bytes are really equal,
        #: so a file edited by hand in output/ is put right
        self.trust_manifest = trust_manifest
        self.files: dict[str, list] = {}
        self.added: list[str] = []
        self.changed: list[str] = []
        self.same = 0
        self.path = output_dir.parent / f".{output_dir.name}.staging-{os.getpid()}"
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        self._made: set[Path] = {self.path}
        self._made_names: set[str] = set()
        self._old_root, self._new_root = str(output_dir), str(self.path)

    def stage(self, rel: PurePosixPath, data: bytes) -> "StagedFile":
        """Place one output file in the staging folder (safe in worker processes)."""
        name, digest = str(rel), content_hash(data)
        target = _prepare(self.path, rel, self._made)
        previous = self.old.get(name)
        if previous and previous[0] == digest and self._same(name, previous[1], data):
            _link_or_copy(self.output_dir / name, target)
            status = "same"
        else:
            target.write_bytes(data)
            status = "changed" if previous else "added"
        return StagedFile(name, digest, len(data), status)

    def _same(self, name: str, size: int, data: bytes) -> bool:
        if self.trust_manifest:
            return _intact(self.output_dir / name, size)
        try:
            return (self.output_dir / name).read_bytes() == data
        except OSError:
            return False

    def record(self, staged: "StagedFile") -> None:
        """Account for a staged file in the manifest and the change summary."""
        self.files[staged.name] = [staged.digest, staged.size]
        if staged.status == "same":
            self.same += 1
        else:
            (self.changed if staged.status == "changed" else self.added).append(staged.name)

    def put(self, rel: PurePosixPath, data: bytes) -> None:
        """Stage and record one output file."""
        self.record(self.stage(rel, data))

    def keep(self, rel: PurePosixPath) -> bool:
        """Reuse the previous build's file unread; False when it is missing or damaged.

        Warm builds call this for nearly every page, so it works on plain strings.
        """
        name = str(rel)
        previous = self.old.get(name)
        if not previous or not self.trust_manifest:
            return False
        source = f"{self._old_root}/{name}"
        try:
            if os.stat(source).st_size != previous[1]:
                return False
        except OSError:
            return False
        _safe_target(self.path, rel)  # the same containment check as every write
        folder, _, _ = name.rpartition("/")
        if folder and folder not in self._made_names:
            os.makedirs(f"{self._new_root}/{folder}", exist_ok=True)
            self._made_names.add(folder)
        try:
            os.link(source, f"{self._new_root}/{name}")
        except OSError:
            shutil.copy2(source, f"{self._new_root}/{name}")
        self.files[name] = previous
        self.same += 1
        return True

    def finish(self) -> WriteReport:
        """Write the manifest and swap; leave output/ untouched when nothing changed."""
        try:
            removed = sorted(set(self.old) - set(self.files))
            added, changed = sorted(self.added), sorted(self.changed)
            if self.old and not (added or changed or removed):
                return WriteReport((), (), (), self.same, False)
            write_manifest(self.path, self.files)
            (self.path / CHANGES).write_text(json.dumps(
                {"added": added, "changed": changed, "removed": removed}, indent=1) + "\n")
            _swap(self.path, self.output_dir)
            return WriteReport(tuple(added), tuple(changed), tuple(removed), self.same, True)
        finally:
            self.discard(background=len(self.files) >= BACKGROUND_DELETE)

    def discard(self, background: bool = False) -> None:
        """Remove the staging folder (after a swap: the previous site)."""
        if background and _remove_in_background(self.path):
            return
        shutil.rmtree(self.path, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class StagedFile:
    name: str
    digest: str
    size: int
    status: str  #: added, changed or same


def write_site(outputs: Mapping[PurePosixPath, bytes], output_dir: Path,
               site_root: Path) -> WriteReport:
    """Stage every output (hard links for unchanged files), then swap it in."""
    staging = Staging(output_dir, site_root)
    try:
        for rel in sorted(outputs):
            staging.put(rel, outputs[rel])
    except BaseException:
        staging.discard()
        raise
    return staging.finish()


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


def _remove_in_background(folder: Path) -> bool:
    """Delete a large old tree in a detached process, so the build can return at once.

    A build that finds the folder still there (named like a stale staging folder)
    removes it itself; two removals at once are harmless.
    """
    if not hasattr(os, "fork"):
        return False
    try:
        pid = os.fork()
    except OSError:
        return False
    if pid:
        os.waitpid(pid, 0)  # the first child exits at once; its child does the work
        return True
    try:
        if os.fork() == 0:
            os.setsid()
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        os._exit(0)


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
