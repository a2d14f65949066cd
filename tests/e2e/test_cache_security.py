"""The build cache is data that cannot execute, and only regular files in it are read.

Every case here builds a small site whose .chronicle-cache/ was tampered with: by an
attacker who can write the CI cache (a pickle that runs a command, a MessagePack file of
the wrong shape), by damage (truncated, random bytes), or by accident (a FIFO, a link to
/dev/zero, a link or a file in the folder's place). The build must succeed, run nothing,
hang on nothing, print no traceback and produce what a cold build produces.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zlib
from pathlib import Path

import msgspec
import pytest

from chronicle_ssg.cache import CACHE_DIR, MAGIC, load_cache
from tests.conftest import entry, make_site, read_tree

#: the header of the pickle format that chronicle wrote before (checksum: 32-byte BLAKE2b)
OLD_MAGIC = b"chronicle-cache\n"
TIMEOUT = 60  #: a build of this site takes a second or two: hitting this means it hung


def small_site(tmp_path: Path) -> Path:
    files = {f"content/2025-03-{day:02d}-e{day}.md":
             entry(f"Entry {day}", f"2025-03-{day:02d} 09:00", f"Body of entry {day}.",
                   tags=["alpha"], mood={"level": day, "since": "2025-01-01"})
             for day in range(1, 5)}
    files["content/2025-03-01-e1.comments.yaml"] = """\
        comments:
          - id: c1
            author: Ann
            date: 2025-03-01 10:00
            body: First.
          - id: c2
            author: Bo
            date: 2025-03-01T11:00:00+05:30
            body: A reply.
            parent: c1
        """
    return make_site(tmp_path, files)


def run_build(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chronicle_ssg", "build", "--quiet",
                           "--source", str(root), *extra],
                          capture_output=True, text=True, timeout=TIMEOUT)


def cold_tree(root: Path, tmp_path: Path) -> dict[str, bytes]:
    """What a build without any cache writes (into a separate folder)."""
    out = tmp_path / "cold-output"
    result = run_build(root, "--no-cache", "--output", str(out))
    assert result.returncode == 0, result.stderr
    return read_tree(out)


def assert_clean_build(root: Path, tmp_path: Path) -> None:
    result = run_build(root)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert read_tree(root / "output") == cold_tree(root, tmp_path)


def attacking_pickle(command: str) -> bytes:
    """A pickle (protocol 4) whose STACK_GLOBAL finds os.system through chronicle_ssg.cache,
    a module the old allow-list accepted, and calls it with `command`."""
    def short_text(value: str) -> bytes:
        data = value.encode()
        return b"\x8c" + bytes([len(data)]) + data  # SHORT_BINUNICODE
    return (b"\x80\x04" + short_text("chronicle_ssg.cache") + short_text("os.system")
            + b"\x93" + short_text(command) + b"\x85R.")  # STACK_GLOBAL, TUPLE1, REDUCE, STOP


def old_format(payload: bytes) -> bytes:
    """Framed as the pickle cache was: magic line, then an unkeyed BLAKE2b checksum."""
    return OLD_MAGIC + hashlib.blake2b(payload, digest_size=32).digest() + payload


def new_format(payload: bytes, magic: bytes = MAGIC) -> bytes:
    """Framed as the MessagePack cache is: anyone can compute this checksum too."""
    return magic + zlib.crc32(payload).to_bytes(4, "big") + payload


@pytest.mark.parametrize("name", ["build.pickle", "signatures.pickle", "build.msgpack",
                                  "signatures.msgpack"])
@pytest.mark.parametrize("frame", [old_format, new_format])
def test_attacking_pickle_in_the_cache_runs_nothing(tmp_path: Path, name: str, frame) -> None:
    root = small_site(tmp_path)
    assert run_build(root).returncode == 0
    marker = tmp_path / "marker"
    (root / CACHE_DIR / name).write_bytes(frame(attacking_pickle(f"touch {marker}")))
    (root / "content/2025-03-02-e2.md").write_text(entry("Changed", "2025-03-02 09:00"))
    assert_clean_build(root, tmp_path)
    assert not marker.exists()
    assert not list((root / CACHE_DIR).glob("*.pickle"))  # removed, unread


def test_old_pickle_cache_is_removed_unread_and_the_build_runs_cold(tmp_path: Path) -> None:
    root = small_site(tmp_path)
    cache = root / CACHE_DIR
    cache.mkdir()
    marker = tmp_path / "marker"
    for name in ("build.pickle", "signatures.pickle"):
        (cache / name).write_bytes(old_format(attacking_pickle(f"touch {marker}")))
    assert_clean_build(root, tmp_path)
    assert not marker.exists()
    assert sorted(p.name for p in cache.iterdir()) == [
        ".gitignore", "build.msgpack", "last-build.json", "signatures.msgpack"]


def _valid_payload(root: Path) -> bytes:
    return (root / CACHE_DIR / "build.msgpack").read_bytes()[len(MAGIC) + 4:]


DAMAGE = {
    "random bytes": lambda root: os.urandom(5000),
    "empty": lambda root: b"",
    "header only": lambda root: MAGIC,
    "truncated": lambda root: (root / CACHE_DIR / "build.msgpack").read_bytes()[:-700],
    "a flipped byte": lambda root: _flip((root / CACHE_DIR / "build.msgpack").read_bytes()),
    "another format version": lambda root: new_format(
        _valid_payload(root), MAGIC.replace(b" 1\n", b" 2\n")),
    "wrong types": lambda root: new_format(msgspec.msgpack.encode(
        ["key", {"content/2025-03-01-e1.md": [[1, 2], "digest", ["prepared", 5, None]]}])),
    "a list for a record": lambda root: new_format(msgspec.msgpack.encode([1, 2, 3])),
    "an unknown extension": lambda root: new_format(msgspec.msgpack.encode(
        msgspec.msgpack.Ext(99, b"x"))),
    "trailing data": lambda root: new_format(_valid_payload(root) + b"\x00"),
    "truncated, checksum recomputed": lambda root: new_format(_valid_payload(root)[:-700]),
    "an unknown time zone": lambda root: new_format(_valid_payload(root).replace(
        b"Europe/Berlin", b"Europe/Berlix")),
}


def _flip(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x20]) + data[middle + 1:]


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_or_foreign_msgpack_cache_is_ignored(tmp_path: Path, damage: str) -> None:
    root = small_site(tmp_path)
    (root / "chronicle.toml").write_text((root / "chronicle.toml").read_text().replace(
        'timezone = "UTC"', 'timezone = "Europe/Berlin"'))
    assert run_build(root).returncode == 0
    assert len(load_cache(root).sources) == 5
    (root / CACHE_DIR / "build.msgpack").write_bytes(DAMAGE[damage](root))
    assert load_cache(root).sources == {}
    (root / "content/2025-03-02-e2.md").write_text(entry("Changed", "2025-03-02 09:00"))
    assert_clean_build(root, tmp_path)
    assert len(load_cache(root).sources) == 5  # and a good cache was written again


def test_damaged_signatures_file_is_ignored(tmp_path: Path) -> None:
    root = small_site(tmp_path)
    assert run_build(root).returncode == 0
    (root / CACHE_DIR / "signatures.msgpack").write_bytes(
        new_format(msgspec.msgpack.encode({"x": {"index.html": 5}})))
    assert load_cache(root).signatures == {}
    (root / "content/2025-03-02-e2.md").write_text(entry("Changed", "2025-03-02 09:00"))
    assert_clean_build(root, tmp_path)


# -- only regular files: FIFOs, devices, links ------------------------------------------

def _fifo(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def _link_to_dev_zero(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to("/dev/zero")


@pytest.mark.parametrize("name", ["build.msgpack", "signatures.msgpack", "last-build.json"])
@pytest.mark.parametrize("make", [_fifo, _link_to_dev_zero], ids=["fifo", "link-to-dev-zero"])
def test_cache_file_that_is_not_a_regular_file_is_not_opened(tmp_path: Path, name: str,
                                                             make) -> None:
    root = small_site(tmp_path)
    assert run_build(root).returncode == 0
    make(root / CACHE_DIR / name)
    (root / "content/2025-03-02-e2.md").write_text(entry("Changed", "2025-03-02 09:00"))
    assert_clean_build(root, tmp_path)  # within TIMEOUT: before, it waited forever
    assert (root / CACHE_DIR / name).is_file() and not (root / CACHE_DIR / name).is_symlink()


def test_cache_file_linked_elsewhere_is_replaced_not_written_through(tmp_path: Path) -> None:
    root = small_site(tmp_path)
    assert run_build(root).returncode == 0
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me\n")
    for name in ("build.msgpack", "signatures.msgpack", "last-build.json"):
        (root / CACHE_DIR / name).unlink()
        (root / CACHE_DIR / name).symlink_to(outside)
    (root / "content/2025-03-02-e2.md").write_text(entry("Changed", "2025-03-02 09:00"))
    assert_clean_build(root, tmp_path)
    assert outside.read_text() == "keep me\n"


def test_cache_folder_that_is_a_link_is_not_used(tmp_path: Path) -> None:
    root = small_site(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / CACHE_DIR).symlink_to(elsewhere)
    assert_clean_build(root, tmp_path)
    assert_clean_build(root, tmp_path)
    assert list(elsewhere.iterdir()) == []  # nothing was written through the link
    assert (root / CACHE_DIR).is_symlink()
    result = subprocess.run([sys.executable, "-m", "chronicle_ssg", "clean", "--source",
                             str(root)], capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert not os.path.lexists(root / CACHE_DIR) and elsewhere.is_dir()


def test_cache_folder_that_is_a_file_is_left_alone(tmp_path: Path) -> None:
    root = small_site(tmp_path)
    (root / CACHE_DIR).write_text("not a folder\n")
    assert_clean_build(root, tmp_path)
    assert (root / CACHE_DIR).read_text() == "not a folder\n"


def test_cache_folder_that_is_a_fifo_hangs_nothing(tmp_path: Path) -> None:
    root = small_site(tmp_path)
    os.mkfifo(root / CACHE_DIR)
    assert_clean_build(root, tmp_path)


def test_external_link_record_that_is_a_fifo_is_not_opened(tmp_path: Path) -> None:
    from chronicle_ssg.check import check_external, load_cache as load_link_cache
    record = tmp_path / CACHE_DIR / "external-links.json"
    record.parent.mkdir()
    os.mkfifo(record)
    assert load_link_cache(record) == {}  # before: open() waited for a writer forever
    assert check_external({}, record) == []
    assert record.is_file() and record.read_text() == "{}\n"
