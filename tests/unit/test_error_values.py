"""Error values and their compiler-style formatting."""

from __future__ import annotations

from pathlib import PurePosixPath

from chronicle_ssg.errors import BuildFailed, ContentError, FrontMatterError, SourceLocation


def test_location_formats_path_line_column() -> None:
    path = PurePosixPath("content/a.md")
    assert str(SourceLocation(path)) == "content/a.md"
    assert str(SourceLocation(path, 4)) == "content/a.md:4"
    assert str(SourceLocation(path, 4, 7)) == "content/a.md:4:7"


def test_error_format_has_message_context_caret_and_hint() -> None:
    error = FrontMatterError("date: cannot parse", SourceLocation(PurePosixPath("a.md"), 3, 7),
                             hint="use YYYY-MM-DD", context="date: 18 March")
    assert error.format().splitlines() == [
        "a.md:3:7: error: date: cannot parse", "    date: 18 March", "          ^",
        "  hint: use YYYY-MM-DD"]
    assert error.to_dict() == {"kind": "FrontMatterError", "message": "date: cannot parse",
                               "file": "a.md", "line": 3, "column": 7, "hint": "use YYYY-MM-DD"}


def test_build_failed_sorts_by_file_and_line_and_counts() -> None:
    failed = BuildFailed([ContentError("b", SourceLocation(PurePosixPath("b.md"), 1)),
                          ContentError("a2", SourceLocation(PurePosixPath("a.md"), 10)),
                          ContentError("a1", SourceLocation(PurePosixPath("a.md"), 2))])
    assert [e.message for e in failed.errors] == ["a1", "a2", "b"]
    assert failed.format().endswith("build failed: 3 errors")
