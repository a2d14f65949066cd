"""render_markdown: headings, refs, summary, word count; comment Markdown is untrusted."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath

import pytest

from chronicle_ssg.errors import ContentError
from chronicle_ssg.markdown import (MarkdownSettings, make_comment_markdown, make_markdown,
                                    plain_text, render_markdown)

REL = PurePosixPath("content/a.md")
SETTINGS = MarkdownSettings(dt.timezone.utc)


def render(text: str, body_line: int = 5):  # type: ignore[no-untyped-def]
    return render_markdown(make_markdown(), text, REL, body_line, SETTINGS)


def test_headings_get_unique_slug_ids_and_make_a_toc() -> None:
    body = render("# Intro\n\n## Intro\n\n## Звонок\n\n## Comments\n")
    assert [(h.level, h.id) for h in body.headings] == [(1, "intro"), (2, "intro-2"),
                                                        (2, "zvonok"), (2, "comments-2")]
    assert 'id="intro-2"' in body.html


def test_cross_references_are_collected_with_their_file_line() -> None:
    body = render("Text.\n\nSee [a](entry:the-call#update-1) and [b](entry:x.md).\n", body_line=5)
    assert [(r.target, r.fragment, r.line) for r in body.refs] == [
        ("the-call", "update-1", 7), ("x.md", "", 7)]


def test_empty_cross_reference_is_an_error_with_line() -> None:
    with pytest.raises(ContentError) as failure:
        render("One.\n\n[a](entry:)\n", body_line=5)
    assert failure.value.location.line == 7


def test_summary_rules() -> None:
    assert render("A.\n\nB.\n\n<!--more-->\n\nC.").summary_html == "<p>A.</p>\n<p>B.</p>"
    assert render("# T\n\nFirst.\n\nSecond.").summary_html == "<p>First.</p>"
    assert render("# Only a heading").summary_html == ""


def test_word_count_and_plain_text() -> None:
    assert render("one two three\n\nfour").words == 4
    assert plain_text("<p>A &amp; <b>B</b></p>") == "A & B"


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>", "[x](javascript:alert(1))", "[x](JAVASCRIPT:alert(1))",
    "[x](&#106;avascript:alert(1))", "[x](data:text/html,hi)", "[x](vbscript:x)",
    "![x](https://img.example/x.png)", "<b onclick=x>hi</b>", "[x](/relative/path)",
])
def test_comment_markdown_drops_html_unsafe_links_and_images(text: str) -> None:
    html = make_comment_markdown().render(text)
    lowered = html.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<b" not in lowered
    assert 'href="javascript' not in lowered and 'href="data' not in lowered
    assert 'href="vbscript' not in lowered and 'href="/' not in lowered


def test_comment_links_get_nofollow_ugc() -> None:
    html = make_comment_markdown().render("[x](https://example.net/) <https://example.org/>")
    assert html.count('rel="nofollow ugc"') == 2
