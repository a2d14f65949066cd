"""Run `chronicle import` in-process on a fixture and build the result."""

from __future__ import annotations

from pathlib import Path

from chronicle_ssg.importers.common import import_command


def run_import(kind: str, source: Path, site: Path, capsys, **options) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    into = options.pop("into", False)
    code = import_command(kind, source, site, into, **options)
    return code, capsys.readouterr().out


def report_of(site: Path) -> str:
    return (site / "import-report.txt").read_text("utf-8")
