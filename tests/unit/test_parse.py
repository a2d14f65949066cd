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
    (b"---\ntitle: A\x00\n---\n", ContentError, 2, "NUL"),
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
