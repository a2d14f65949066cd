"""STAGE 6: write outputs atomically; unchanged files keep their inode and mtime.

A build stages the new site beside output/ (hard links for unchanged files, new bytes
for changed ones), then swaps the two folders in one step. A build killed at any moment
leaves either the old site or the new one, never a mix. The manifest inside output/
lists every file with its hash; `.chronicle-changes.json` says what this build changed.

One process at a time writes an output folder: it holds `.NAME.lock` beside it
(`lock_output`). Each staging folder is locked by its owner too, so a folder that is
still being filled (or deleted in the background) is never mistaken for a leftover.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import json
import os
import shutil
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator, Mapping

from chronicle_ssg.errors import OutputError, UnsafePathError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no locking, as before
    fcntl = None  # type: ignore[assignment]

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


_ADVICE = {
    errno.ENOSPC: "free some space on the disk that holds {folder}, then build again",
    errno.EDQUOT: "your disk quota is used up: free some space, then build again",
    errno.EROFS: "{folder} is on a read-only file system: build into a writable folder "
                 "with --output",
    errno.EACCES: "you may not write in {folder}: check its permissions, or build into "
                  "another folder with --output",
    errno.EPERM: "you may not write in {folder}: check its permissions, or build into "
                 "another folder with --output",
}


def output_error(exc: OSError, output_dir: Path, intact: bool = True) -> OutputError:
    """A failed write as a one-line error naming the file and what to do about it.

    `intact`: the previous output is still in place (true of everything but serve's
    in-place updates), which the message says, so nobody wonders what is left.
    """
    where = exc.filename or output_dir
    reason = (exc.strerror or os.strerror(exc.errno)) if exc.errno else str(exc)
    kept = f"; {output_dir} was left as it was" if intact else ""
    advice = _ADVICE.get(exc.errno or 0, "fix that, then build again")
    return OutputError(f"cannot write {where}: {reason}{kept}",
                       hint=advice.format(folder=output_dir.parent))


def write_manifest(folder: Path, files: Mapping[str, list]) -> str:
    """Write the manifest (sorted, one file per line) by write-then-rename; returns its
    content hash (see manifest_digest)."""
    lines = ",\n".join(f" {json.dumps(name)}: {json.dumps(files[name])}" for name in sorted(files))
    data = (f'{{"version": {MANIFEST_VERSION}, "generator": "chronicle", "files": {{\n'
            f"{lines}\n}}}}\n").encode("utf-8")
    temp = folder / f"{MANIFEST}.tmp"
    try:
        temp.write_bytes(data)
        os.replace(temp, folder / MANIFEST)
    except OSError as exc:
        raise output_error(exc, folder) from None
    return content_hash(data)


def manifest_digest(output_dir: Path) -> str | None:
    """The content hash of the manifest in output/: what a record about output/ names,
    so that it is not believed once another build (or anything) has replaced it."""
    try:
        return content_hash((output_dir / MANIFEST).read_bytes())
    except OSError:
        return None


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
    """Refuse an output folder that holds the sources or that chronicle did not make.

    The output is replaced as a whole, so a path that names a file, a device or a link
    is refused: `--output chronicle.toml` must not replace the site's configuration.
    """
    if output_dir.is_symlink():
        raise UnsafePathError(f"output folder {output_dir} is a symbolic link",
                              hint=f"pass the folder it points to: --output {output_dir.resolve()}")
    if output_dir.exists() and not output_dir.is_dir():
        what = "a file" if output_dir.is_file() else "not a folder"
        raise UnsafePathError(f"output folder {output_dir} is {what}",
                              hint="name a folder (new, or written by chronicle) with --output; "
                                   "chronicle replaces the output folder as a whole")
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


def is_output_path(path: str, output_dir: Path) -> bool:
    """Whether a path is the output folder, in it, or one of chronicle's files beside it."""
    inside = str(output_dir)
    beside = str(output_dir.parent / f".{output_dir.name}.")
    return path == inside or path.startswith((inside + os.sep, beside))


def lock_file(output_dir: Path) -> Path:
    return output_dir.parent / f".{output_dir.name}.lock"


@contextmanager
def lock_output(output_dir: Path, site_root: Path, command: str, wait: bool = True,
                say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the output folder's lock: build, serve and `build --watch` take it, so two of
    them never stage, swap or update the same output at once.

    When another process holds it, say who and wait for it (like Cargo's "Blocking
    waiting for file lock"), or with `wait=False` fail at once. The lock is an flock(2)
    on `.NAME.lock` beside the output: the kernel releases it when its holder dies, so a
    killed build never leaves a stale lock behind.
    """
    check_output_dir(output_dir, site_root)
    path = lock_file(output_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise output_error(exc, output_dir) from None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _lock_holder(fd)
                if not wait:
                    raise OutputError(f"{output_dir} is in use by {holder}",
                                      hint="wait for it to finish, stop it, or build into "
                                           "another folder with --output") from None
                (say or _say)(f"waiting for {holder} to finish with {output_dir} "
                              "(Ctrl-C to stop waiting)...")
                fcntl.flock(fd, fcntl.LOCK_EX)
        try:  # who holds it, for the message of the next one to come
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {command}\n".encode(), 0)
        except OSError:
            pass
        yield
    finally:
        os.close(fd)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _lock_holder(fd: int) -> str:
    try:
        pid, _, command = os.pread(fd, 200, 0).decode("utf-8", "replace").strip().partition(" ")
    except OSError:
        pid = command = ""
    if pid.isdigit() and command:
        return f"chronicle {command} (PID {pid})"
    return "another chronicle process"


def _lock_folder(folder: Path) -> int | None:
    """Lock a folder (an fd held open); None when a live process holds it already."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
    return fd


def _remove_abandoned(path: Path) -> None:
    """Remove a staging folder whose owner is gone; one a live process holds is left alone."""
    try:
        if path.is_symlink() or not path.is_dir():
            path.unlink()
            return
        fd = _lock_folder(path)
    except OSError:
        return
    if fd is None:
        return
    try:
        shutil.rmtree(path, ignore_errors=True)
    finally:
        os.close(fd)


def recover_interrupted(output_dir: Path) -> None:
    """Undo what a killed build left: stale staging folders, or a half-done fallback swap."""
    parent = output_dir.parent
    if not parent.is_dir():
        return
    for item in parent.iterdir():
        if item.name.startswith(f".{output_dir.name}.staging-"):
            _remove_abandoned(item)
    old = parent / f".{output_dir.name}.old"
    try:
        if old.exists():
            if output_dir.exists():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.rename(output_dir)
    except OSError as exc:
        raise output_error(exc, output_dir) from None


def _new_staging_folder(output_dir: Path) -> tuple[Path, int]:
    """Make and lock `.NAME.staging-PID` beside the output (with a suffix when that name
    is still held, by the background removal of an earlier build of this process)."""
    base = f".{output_dir.name}.staging-{os.getpid()}"
    for attempt in range(100):
        path = output_dir.parent / (base if attempt == 0 else f"{base}-{attempt}")
        if os.path.lexists(path):
            _remove_abandoned(path)
        try:
            path.mkdir(parents=True)
        except FileExistsError:
            continue
        fd = _lock_folder(path)
        if fd is not None and os.path.isdir(path) and os.stat(path).st_ino == os.fstat(fd).st_ino:
            return path, fd
        if fd is not None:  # removed and made again by someone else meanwhile: not ours
            os.close(fd)
    raise OutputError(f"cannot make a staging folder beside {output_dir}",
                      hint=f"remove the folders named {base}* there, then build again")


def _safe_target(root: Path, rel: PurePosixPath) -> Path:
    parts = rel.parts
    if rel.is_absolute() or ".." in parts or not parts or any("\x00" in p for p in parts):
        raise UnsafePathError(f"refusing to write {str(rel)!r} outside the output folder")
    return root.joinpath(*parts)


class Staging:
    """Stage a new site beside output/; unchanged files are hard links to the old ones.

    `put` decides per file: same hash as the previous manifest (and the old file is
    intact) means link, else write. `finish` swaps only when something changed.

    `mtimes` (the modification times recorded after the last build, when they belong to
    the manifest in output/) makes "intact" stricter: an old file whose size or time
    differs was changed by hand and is not linked unread.
    """

    def __init__(self, output_dir: Path, site_root: Path, trust_manifest: bool = True,
                 mtimes: Mapping[str, int] | None = None) -> None:
        check_output_dir(output_dir, site_root)
        recover_interrupted(output_dir)
        self.output_dir = output_dir
        self.old = read_manifest(output_dir) if output_dir.is_dir() else {}
        #: False (--no-cache): an old file is reused only if its bytes are really equal,
        #: so a file edited by hand in output/ is put right
        self.trust_manifest = trust_manifest
        self.old_mtimes = mtimes or {}
        self.files: dict[str, list] = {}
        #: modification times of files as they are in output/ after finish (kept files
        #: keep theirs), for the record of the no-op build
        self.mtimes: dict[str, int] = {}
        self.added: list[str] = []
        self.changed: list[str] = []
        self.same = 0
        try:
            self.path, self._lock = _new_staging_folder(output_dir)
        except OSError as exc:
            raise output_error(exc, output_dir) from None
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
        if self.trust_manifest and _intact(f"{self._old_root}/{name}", size,
                                           self.old_mtimes.get(name)):
            return True
        try:  # not trusted, or touched since: the bytes decide
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
        """Reuse the previous build's file unread; False when it is missing or altered.

        Warm builds call this for nearly every page, so it works on plain strings.
        """
        name = str(rel)
        previous = self.old.get(name)
        if not previous or not self.trust_manifest:
            return False
        source = f"{self._old_root}/{name}"
        try:
            info = os.stat(source)
        except OSError:
            return False
        recorded = self.old_mtimes.get(name)
        if info.st_size != previous[1] or (recorded is not None and info.st_mtime_ns != recorded):
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
        self.mtimes[name] = info.st_mtime_ns
        self.same += 1
        return True

    def finish(self) -> WriteReport:
        """Write the manifest and swap; leave output/ untouched when nothing changed.

        The manifest is written last: it is the mark of a complete staging folder, and
        every file it lists is checked before the exchange, so a folder that lost files
        (to anything at all) is never published.
        """
        try:
            removed = sorted(set(self.old) - set(self.files))
            added, changed = sorted(self.added), sorted(self.changed)
            if self.old and not (added or changed or removed):
                return WriteReport((), (), (), self.same, False)
            try:
                (self.path / CHANGES).write_text(json.dumps(
                    {"added": added, "changed": changed, "removed": removed}, indent=1) + "\n")
            except OSError as exc:
                raise output_error(exc, self.output_dir) from None
            write_manifest(self.path, self.files)
            self._check_complete()
            try:
                _swap(self.path, self.output_dir)
            except OSError as exc:
                raise output_error(exc, self.output_dir) from None
            return WriteReport(tuple(added), tuple(changed), tuple(removed), self.same, True)
        finally:
            self.discard(background=len(self.files) >= BACKGROUND_DELETE)

    def _check_complete(self) -> None:
        """Every file of the manifest is in the staging folder with its size; their
        modification times are noted on the way (the files keep them once swapped in)."""
        root, mtimes = self._new_root, self.mtimes
        for name in (MANIFEST, *self.files):
            try:
                info = os.stat(f"{root}/{name}")
                size = info.st_size
                mtimes[name] = info.st_mtime_ns
            except OSError:
                size = -1
            if size < 0 or (name != MANIFEST and size != self.files[name][1]):
                raise OutputError(
                    f"the staging folder {self.path} lost {name} before it was published; "
                    f"{self.output_dir} was left as it was",
                    hint="another program changed that folder while chronicle built: "
                         "build again")

    def discard(self, background: bool = False) -> None:
        """Remove the staging folder (after a swap: the previous site), then unlock it."""
        if self._lock is None:
            return
        try:
            if not (background and _remove_in_background(self.path)):
                shutil.rmtree(self.path, ignore_errors=True)
        finally:
            # forgotten before it is closed: a Ctrl-C between the two would otherwise
            # make the next discard() close a descriptor that is gone (EBADF)
            lock, self._lock = self._lock, None
            os.close(lock)


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
    except OSError as exc:
        staging.discard()
        raise output_error(exc, output_dir) from None
    except BaseException:
        staging.discard()
        raise
    return staging.finish()


def _intact(path: str, size: int, mtime: int | None = None) -> bool:
    """The file has the size (and, when known, the modification time) recorded."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    return info.st_size == size and (mtime is None or info.st_mtime_ns == mtime)


def _prepare(root: Path, rel: PurePosixPath, made: set[Path]) -> Path:
    target = _safe_target(root, rel)
    parent = target.parent
    if parent not in made:
        parent.mkdir(parents=True, exist_ok=True)
        made.add(parent)
    return target


def _remove_in_background(folder: Path) -> bool:
    """Delete a large old tree in a detached process, so the build can return at once.

    The process holds the folder's lock while it works (taken here, before the fork),
    so a later build leaves the folder to it instead of taking it for a leftover; it
    closes every other descriptor it inherited, the output lock among them.
    """
    if not hasattr(os, "fork"):
        return False
    try:
        held = _lock_folder(folder)
    except OSError:
        return False
    if held is None:
        return True  # another process is removing it already
    try:
        pid = os.fork()
    except OSError:
        os.close(held)
        return False
    if pid:
        os.close(held)  # the lock stays with the child's copy of the descriptor
        os.waitpid(pid, 0)  # the first child exits at once; its child does the work
        return True
    try:
        if os.fork() == 0:
            os.setsid()
            os.closerange(3, held)
            os.closerange(held + 1, 1 << 16)
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
                code = ctypes.get_errno()
                raise OSError(code, os.strerror(code), str(output_dir))
        old = output_dir.parent / f".{output_dir.name}.old"
        output_dir.rename(old)
        try:
            staging.rename(output_dir)
        except OSError:
            old.rename(output_dir)  # put the previous site back
            raise
        shutil.rmtree(old, ignore_errors=True)
        return
    staging.rename(output_dir)


def apply_delta(output_dir: Path, writes: Mapping[PurePosixPath, bytes],
                deletes: frozenset[PurePosixPath] | set[PurePosixPath]) -> None:
    """Serve mode: update files in place, each by write-then-rename, and prune deletions."""
    try:
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
    except OSError as exc:
        raise output_error(exc, output_dir, intact=False) from None


def _prune_empty(folder: Path, root: Path) -> None:
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
