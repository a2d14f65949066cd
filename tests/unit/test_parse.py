"""Front matter splitting and YAML loading with line numbers."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from chronicle_ssg.errors import ContentError, FrontMatterError
from chronicle_ssg.parse import parse_document

REL = PurePosixPath("content/a.md")


def test_document_keeps_key_lines_and_body_line() -> None:
    doc = parse_document(b"---\ntitle: A\n\ntags:\n  - x\n  - y\n---\nBody\n", REL)
    assert doc.meta == {"title": "A", "tags": ["x", "y"]}
    assert doc.key_lines["title"] == 2 and doc.key_lines["tags"] == 4
    assert doc.key_lines["tags.1"] == 6
    assert doc.body == "Body\n" and doc.body_line == 8


def test_bom_and_crlf_are_normalised() -> None:
    doc = parse_document(b"\xef\xbb\xbf---\r\ntitle: A\r\n---\r\nBody\r\n", REL)
    assert doc.meta == {"title": "A"} and doc.body == "Body\n"


def test_empty_front_matter_is_an_empty_mapping() -> None:
    assert parse_document(b"---\n---\nBody\n", REL).meta == {}


@pytest.mark.parametrize(("raw", "error", "line", "message"), [
    (b"", ContentError, 1, "file is empty"),
    (b"  \n\n", ContentError, 1, "file is empty"),
    (b"Body only\n", ContentError, 1, "no front matter"),
    (b"---\ntitle: A\n", ContentError, 1, "never closed"),
    (b"---\ntitle: A\ndate: 2025\n\xff\n---\n", ContentError, 4, "not valid UTF-8"),
    (b"---\ntitle: [a\n---\n", FrontMatterError, 3, "invalid YAML"),
    (b"---\n- a\n- b\n---\n", FrontMatterError, 2, "must be a mapping"),
    (b"---\na: &x [1]\nb: *x\n---\n", FrontMatterError, 3, "aliases"),
    (b"---\nx: !!python/object:os.system {}\n---\n", FrontMatterError, 2, "invalid YAML"),
    (b"---\n1: one\n---\n", FrontMatterError, 2, "not a string"),
])
def test_bad_sources_raise_with_line(raw: bytes, error: type, line: int, message: str) -> None:
    with pytest.raises(error) as failure:
        parse_document(raw, REL)
    assert failure.value.location.line == line
    assert message in failure.value.message


# --- characters HTML and XML forbid: removed with a warning per line (issues 10, 13) ---

@pytest.mark.parametrize(("raw", "clean_title", "body", "lines", "shown"), [
    (b"---\ntitle: A\x00B\n---\nBody\n", "AB", "Body\n", [2], "U+0000"),
    ("---\ntitle: A\ufffeB\uffff\n---\nx\x1by\n".encode(), "AB", "xy\n", [2, 4],
     "U+FFFE, U+FFFF"),
    ("---\ntitle: A\n---\n\ufdd0one\r\ntwo\x0c\n".encode(), "A", "one\ntwo\n", [4, 5],
     "U+FDD0"),
    ("---\ntitle: A\U0010ffff\x85\n---\n".encode(), "A", "", [2], "U+10FFFF, U+0085"),
    # escapes in double-quoted YAML write them too (libyaml refuses lone surrogates)
    (b'---\ntitle: "A\\x01\\uFFFEB"\n---\n', "AB", "", [2], "U+0001, U+FFFE"),
])
def test_forbidden_characters_are_removed_with_a_warning_naming_the_line(
        raw: bytes, clean_title: str, body: str, lines: list[int], shown: str) -> None:
    doc = parse_document(raw, REL)
    assert doc.meta["title"] == clean_title and doc.body == body
    assert [w.location.line for w in doc.warnings] == lines
    assert all(str(w.location.path) == "content/a.md" for w in doc.warnings)
    assert shown in doc.warnings[0].message
    assert doc.warnings[0].format().startswith(f"content/a.md:{lines[0]}: warning: removed")


def test_tab_and_ordinary_text_are_kept_without_warning() -> None:
    doc = parse_document("---\ntitle: \"A\\tB – ü 😀\"\n---\nx\ty\n".encode(), REL)
    assert doc.meta["title"] == "A\tB – ü 😀" and doc.body == "x\ty\n" and doc.warnings == ()


def test_a_file_full_of_forbidden_characters_gets_a_bounded_number_of_warnings() -> None:
    from chronicle_ssg.parse import MAX_LINE_WARNINGS
    doc = parse_document(b"---\ntitle: A\n---\n" + b"\x01\n" * 100, REL)
    assert len(doc.warnings) == MAX_LINE_WARNINGS + 1
    assert doc.warnings[-1].message == f"{100 - MAX_LINE_WARNINGS} more lines had such characters removed"
