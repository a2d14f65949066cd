"""A full disk, a read-only file system or an unwritable staging folder: a one-line error
naming the path and what to do, exit 1, the previous output intact, never a traceback
(issue 10, "No tracebacks, ever", the output side).

Tests run as root, where chmod cannot make a folder unwritable, and no small tmpfs is
at hand: faults are injected in-process instead, into the very calls the build makes
(open, os.open, mkdir, link, rename), for paths the test chooses, and the command runs
through chronicle_ssg.cli.main as from the shell.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
from pathlib import Path
from typing import Any, Callable

import pytest

from chronicle_ssg import parallel
from chronicle_ssg.cli import main
from tests.conftest import entry, make_site, read_tree


class Faults:
    """Make writes to the paths `where` picks fail with `code`, as the kernel would."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, code: int,
                 where: Callable[[str], bool]) -> None:
        self.code, self.where, self.hits = code, where, 0
        real_open, real_os_open = io.open, os.open
        real_mkdir, real_link, real_replace, real_rename = os.mkdir, os.link, os.replace, os.rename

        def fail(path: Any) -> None:
            name = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else ""
            if name and self.where(name):
                self.hits += 1
                raise OSError(self.code, os.strerror(self.code), name)

        def opened(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            if any(flag in mode for flag in "wax+"):
                fail(file)
            return real_open(file, mode, *args, **kwargs)

        def os_opened(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                fail(path)
            return real_os_open(path, flags, *args, **kwargs)

        def made(path: Any, *args: Any, **kwargs: Any) -> None:
            fail(path)
            real_mkdir(path, *args, **kwargs)

        def linked(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
            fail(target)
            real_link(source, target, *args, **kwargs)

        def replaced(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
            fail(target)
            real_replace(source, target, *args, **kwargs)

        def renamed(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
            fail(target)
            real_rename(source, target, *args, **kwargs)

        monkeypatch.setattr(io, "open", opened)
        monkeypatch.setattr(builtins, "open", opened)
        monkeypatch.setattr(os, "open", os_opened)
        monkeypatch.setattr(os, "mkdir", made)
        monkeypatch.setattr(os, "link", linked)
        monkeypatch.setattr(os, "replace", replaced)
        monkeypatch.setattr(os, "rename", renamed)


def site(tmp_path: Path, count: int = 4) -> Path:
    return make_site(tmp_path, {f"content/2025-03-{day:02d}-e{day}.md":
                                entry(f"Entry {day}", f"2025-03-{day:02d} 09:00", tags=["alpha"])
                                for day in range(1, count + 1)})


def edit(root: Path) -> None:
    (root / "content/2025-03-01-e1.md").write_text(entry("Entry 1, edited", "2025-03-01 09:00"))


def run_build(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["build", "--source", str(root), *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def assert_failed(code: int, text: str, first_line: str, hint: str) -> None:
    assert code == 1, text
    assert "Traceback" not in text
    lines = text.splitlines()
    assert lines[0].startswith(first_line), text
    assert any(line.startswith("  hint: ") and hint in line for line in lines), text


def in_staging(root: Path) -> Callable[[str], bool]:
    return lambda path: path.startswith(str(root / ".output.staging-"))


def test_disk_full_while_staging(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    root = site(tmp_path)
    run_build(root, capsys)
    before = read_tree(root / "output")
    edit(root)
    Faults(monkeypatch, errno.ENOSPC, in_staging(root))
    code, text = run_build(root, capsys)
    assert_failed(code, text, f"error: cannot write {root}/.output.staging-",
                  f"free some space on the disk that holds {root}")
    assert f"No space left on device; {root / 'output'} was left as it was" in text
    monkeypatch.undo()
    assert read_tree(root / "output") == before
    assert not list(root.glob(".output.staging-*"))


def test_disk_full_when_writing_the_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    root = site(tmp_path)
    run_build(root, capsys)
    before = read_tree(root / "output")
    edit(root)
    Faults(monkeypatch, errno.ENOSPC,
           lambda path: in_staging(root)(path) and path.endswith(".chronicle-manifest.json.tmp"))
    code, text = run_build(root, capsys)
    assert_failed(code, text, f"error: cannot write {root}/.output.staging-",
                  "free some space")
    monkeypatch.undo()
    assert read_tree(root / "output") == before


def test_disk_full_in_worker_processes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker's OSError comes back through the pool and is reported the same way."""
    root = site(tmp_path, 8)
    run_build(root, capsys)
    before = read_tree(root / "output")
    edit(root)
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 1)
    Faults(monkeypatch, errno.ENOSPC, in_staging(root))
    code, text = run_build(root, capsys, "--jobs", "2", "--no-cache")
    assert_failed(code, text, f"error: cannot write {root}/.output.staging-", "free some space")
    monkeypatch.undo()
    assert read_tree(root / "output") == before


def test_read_only_file_system_under_the_output(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    root = site(tmp_path)
    run_build(root, capsys)
    before = read_tree(root / "output")
    edit(root)
    faults = Faults(monkeypatch, errno.EROFS, lambda path: path.startswith(str(root)))
    code, text = run_build(root, capsys)
    assert_failed(code, text, f"error: cannot write {root}/.output.lock: Read-only file system",
                  f"{root} is on a read-only file system: build into a writable folder "
                  "with --output")
    assert faults.hits
    monkeypatch.undo()
    assert read_tree(root / "output") == before


def test_read_only_site_root_with_the_output_elsewhere(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Sources on a read-only file system build fine into a writable folder: the cache
    is not written, which is not an error."""
    root = site(tmp_path)
    Faults(monkeypatch, errno.EROFS, lambda path: path.startswith(str(root)))
    code, text = run_build(root, capsys, "--output", str(tmp_path / "public"))
    assert code == 0, text
    assert "Traceback" not in text and "4 entries built; " in text
    assert (tmp_path / "public/2025/03/01/e1/index.html").is_file()
    assert not (root / ".chronicle-cache").exists()


def test_unwritable_staging_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = site(tmp_path)
    run_build(root, capsys)
    before = read_tree(root / "output")
    edit(root)
    Faults(monkeypatch, errno.EACCES, in_staging(root))
    code, text = run_build(root, capsys)
    assert_failed(code, text, f"error: cannot write {root}/.output.staging-",
                  f"you may not write in {root}: check its permissions, or build into another "
                  "folder with --output")
    assert "Permission denied" in text
    monkeypatch.undo()
    assert read_tree(root / "output") == before


def test_the_exchange_itself_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Where renameat2 is missing, the swap is two renames; when the second fails the
    previous site is put back."""
    from chronicle_ssg import write
    root = site(tmp_path)
    run_build(root, capsys)
    before = read_tree(root / "output")
    edit(root)
    monkeypatch.setattr(write, "_renameat2", lambda: None)
    renames: list[str] = []

    def first_into_place(path: str) -> bool:  # the old site moved aside, the new one refused
        if path != str(root / "output"):
            return False
        renames.append(path)
        return len(renames) == 1

    Faults(monkeypatch, errno.EIO, first_into_place)
    code, text = run_build(root, capsys)
    assert_failed(code, text, f"error: cannot write {root / 'output'}: Input/output error",
                  "then build again")
    monkeypatch.undo()
    assert read_tree(root / "output") == before
    assert not (root / ".output.old").exists()


def test_serve_rebuild_on_a_full_disk_is_an_error_not_a_crash(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from chronicle_ssg.build import BuildOptions
    from chronicle_ssg.errors import OutputError
    from chronicle_ssg.session import SiteSession
    root = site(tmp_path)
    session = SiteSession(root, root / "output", BuildOptions())
    session.start()
    edit(root)
    Faults(monkeypatch, errno.ENOSPC, lambda path: path.startswith(str(root / "output")))
    with pytest.raises(OutputError) as failure:
        session.rebuild({str(root / "content/2025-03-01-e1.md")})
    assert failure.value.message.startswith(f"cannot write {root / 'output'}/")
    assert "was left as it was" not in failure.value.message  # serve updates in place
