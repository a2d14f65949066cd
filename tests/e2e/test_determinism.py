"""Reproducible output: same sources, same bytes, whatever the folder, time or hash seed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import UNSTABLE_SEARCH_FILE, build_site, entry, make_site

REPO = Path(__file__).resolve().parents[2]


def copy_example_site(target: Path) -> Path:
    """The repo's example site (config and content) in a fresh folder."""
    target.mkdir(parents=True)
    shutil.copy(REPO / "chronicle.toml", target)
    shutil.copytree(REPO / "content", target / "content")
    for optional in ("static", "templates"):
        if (REPO / optional).is_dir():
            shutil.copytree(REPO / optional, target / optional)
    return target


def every_file(folder: Path) -> dict[str, bytes]:
    """All files, chronicle's manifest included: it is output too.

    Pagefind's unstable files are left out, and so are the manifest lines naming them.
    """
    files = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and not UNSTABLE_SEARCH_FILE.fullmatch(name):
            files[name] = path.read_bytes()
    for listing in (".chronicle-manifest.json", ".chronicle-changes.json"):
        if listing in files:
            files[listing] = b"\n".join(line for line in files[listing].split(b"\n")
                                        if not UNSTABLE_SEARCH_FILE.search(line.decode()))
    return files


def unstable_search_files(folder: Path) -> list[str]:
    return sorted(re.sub(r"_[0-9a-f]+\.", "_HASH.", p.relative_to(folder).as_posix())
                  for p in folder.rglob("*") if p.is_file()
                  and UNSTABLE_SEARCH_FILE.fullmatch(p.relative_to(folder).as_posix()))


def build_in_subprocess(site: Path, seed: str, site_env: dict[str, str], *args: str) -> None:
    env = {**site_env, "PYTHONHASHSEED": seed}
    subprocess.run([sys.executable, "-m", "chronicle_ssg", "build", "--source", str(site),
                    "--quiet", *args], env=env, check=True, cwd=site.parent)


def test_two_builds_in_different_folders_are_byte_identical(tmp_path: Path,
                                                            site_env: dict[str, str]) -> None:
    first = copy_example_site(tmp_path / "one" / "site")
    second = copy_example_site(tmp_path / "elsewhere" / "deeper" / "site")
    # "a different time": every source looks edited a day later in the second copy
    for path in second.rglob("*"):
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns + 86_400 * 10**9, stat.st_mtime_ns + 86_400 * 10**9))
    build_in_subprocess(first, "1", site_env, "--jobs", "1")
    build_in_subprocess(second, "4242", site_env)  # parallel workers, other hash seed
    one, two = every_file(first / "output"), every_file(second / "output")
    assert sorted(one) == sorted(two)
    differing = [name for name in one if one[name] != two[name]]
    assert differing == []
    assert len(one) > 100
    assert sum(name.startswith("pagefind/fragment/") for name in one) > 20  # compared
    # the files left out: as many, of the same kinds, in both
    assert unstable_search_files(first / "output") == unstable_search_files(second / "output")
    assert len(unstable_search_files(first / "output")) == 5


def test_outputs_name_no_build_folder(tmp_path: Path, site_env: dict[str, str]) -> None:
    site = copy_example_site(tmp_path / "unusual-folder-name" / "site")
    build_in_subprocess(site, "7", site_env)
    leaks = [name for name, data in every_file(site / "output").items()
             if b"unusual-folder-name" in data]
    assert leaks == []


@pytest.mark.parametrize("epoch, published", [("1767225600", False), ("1782864000", True)])
def test_source_date_epoch_decides_what_is_future(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  epoch: str, published: bool) -> None:
    root = make_site(tmp_path, {
        "content/2025-03-18-past.md": entry("Past"),
        "content/2026-06-01-later.md": entry("Later", date="2026-06-01 09:00"),
    })
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)  # 2026-01-01 or 2026-07-01, UTC
    out = build_site(root)
    assert ("2026/06/01/later/" in out) is published
    assert ("Later" in out.text("feed.xml")) is published
