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


# --- anchor numbering: a counter per base id, same ids as the first-free scan (issue 10) ---

def first_free_ids(bases: list[str], taken: set[str]) -> list[str]:
    """The numbering as it was first written: scan base, base-2, base-3... every time."""
    ids, out = set(taken), []
    for base in bases:
        candidate, number = base or "section", 2
        while candidate in ids:
            candidate, number = f"{base}-{number}", number + 1
        ids.add(candidate)
        out.append(candidate)
    return out


@pytest.mark.parametrize("seed", range(10))
def test_unique_ids_match_the_first_free_scan(seed: int) -> None:
    import random

    from chronicle_ssg.markdown import RESERVED_IDS, _Walk
    rng = random.Random(seed)
    # bases that collide with each other's numbered forms: "a", "a-2", "a-2-2"...
    pool = ["a", "a-2", "a-3", "a-2-2", "b", "", "comments", "update-2025-03-18-1000"]
    bases = [rng.choice(pool) for _ in range(300)]
    walk = _Walk(REL, 1, dt.timezone.utc, None)
    assert [walk.unique_id(base) for base in bases] == first_free_ids(bases, set(RESERVED_IDS))


def test_updates_quotes_and_headings_repeated_keep_their_numbering() -> None:
    body = render("## Reaction\n\n## Reaction 2\n\n## Reaction\n\n## Reaction\n\n"
                  + "".join(f'::: quote source="Press Office"\nSaid {n}.\n:::\n\n' for n in range(3))
                  + "".join(f"::: update 2025-03-18 10:00\nU{n}.\n:::\n\n" for n in range(3)))
    assert [h.id for h in body.headings] == ["reaction", "reaction-2", "reaction-3", "reaction-4"]
    assert [q.id for q in body.quotes] == ["quote-press-office", "quote-press-office-2",
                                               "quote-press-office-3"]
    assert sorted(u.id for u in body.updates) == [
        "update-2025-03-18-1000", "update-2025-03-18-1000-2", "update-2025-03-18-1000-3"]
