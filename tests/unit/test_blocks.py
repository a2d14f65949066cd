"""Commentary blocks: parameters, anchors and errors of update, quote and callout containers."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chronicle_ssg.errors import ContentError
from chronicle_ssg.markdown import MarkdownSettings, make_markdown, render_markdown

REL = PurePosixPath("content/a.md")
BERLIN = ZoneInfo("Europe/Berlin")


def render(text: str, entry_date: dt.datetime | None = None, order: str | None = None):  # type: ignore[no-untyped-def]
    return render_markdown(make_markdown(), text, REL, 5, MarkdownSettings(BERLIN), order,
                           entry_date)


def test_update_time_is_naive_in_site_timezone_with_anchor_and_label() -> None:
    body = render(":::: update 2025-03-18 16:45\nThe **call** is on, say officials.\n::::\n")
    (update,) = body.updates
    assert update.time == dt.datetime(2025, 3, 18, 16, 45, tzinfo=BERLIN)
    assert update.id == "update-2025-03-18-1645" and update.line == 5
    assert update.label.startswith("The") and "call" in update.label


def test_two_updates_in_the_same_minute_get_distinct_anchors() -> None:
    body = render(":::: update 2025-03-18 16:45\nA\n::::\n\n:::: update 2025-03-18 16:45\nB\n::::\n")
    assert [u.id for u in body.updates] == ["update-2025-03-18-1645", "update-2025-03-18-1645-2"]


def test_update_sections_are_ordered_newest_first_or_oldest_first() -> None:
    text = "Intro\n\n:::: update 2025-03-18 09:00\nA\n::::\n\n:::: update 2025-03-18 10:00\nB\n::::\n"
    newest = render(text).html
    oldest = render(text, order="oldest").html
    assert newest.index("1000") < newest.index("0900")
    assert oldest.index("0900") < oldest.index("1000")
    assert newest.index("Intro") < newest.index("update-")


@pytest.mark.parametrize(("text", "line", "message"), [
    ("Intro\n\n:::: update tomorrow\nx\n::::\n", 7, "cannot parse"),
    ("Intro\n\n:::: update 2025-03-17 08:00\nx\n::::\n", 7, "before the entry's date"),
    ('::: quote url="https://x.example/"\nq\n:::\n', 5, "quote without a source"),
    ('::: quote source="A" url="javascript:alert(1)"\nq\n:::\n', 5, "must be http(s)"),
    ('::: quote source="A" colour=red\nq\n:::\n', 5, "cannot read"),
    ('::: quote source="A" date=someday\nq\n:::\n', 5, "quote date"),
])
def test_block_errors_point_at_the_block_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ContentError) as failure:
        render(text, entry_date=dt.datetime(2025, 3, 18, 9, tzinfo=BERLIN))
    assert failure.value.location.line == line and message in failure.value.message


def test_quote_records_source_url_date_and_translation() -> None:
    body = render('::: quote source="Press Office" url="https://p.example/1" date=2025-03-18 '
                  'translated="from French"\nText.\n:::\n')
    (quote,) = body.quotes
    assert (quote.source, quote.url, quote.date, quote.translated) == (
        "Press Office", "https://p.example/1", dt.date(2025, 3, 18), "from French")
    assert '<blockquote cite="https://p.example/1">' in body.html and "<figcaption>" in body.html


def test_quote_source_is_escaped() -> None:
    body = render('::: quote source="<script>x</script>"\nText.\n:::\n')
    assert "<script>" not in body.html and "&lt;script&gt;" in body.html


@pytest.mark.parametrize(("text", "kind", "label"), [
    ("::: note\nMine.\n:::\n", "note", "Note"),
    ("::: background How we got here\nHistory.\n:::\n", "background", "How we got here"),
    ("::: warning\nCareful.\n:::\n", "warning", "Warning"),
    ("> [!NOTE]\n> Alert body.\n", "note", "Note"),
    ("> [!CAUTION]\n> Alert body.\n", "caution", "Caution"),
])
def test_callouts_render_as_labelled_asides(text: str, kind: str, label: str) -> None:
    html = render(text).html
    assert f'<aside class="callout callout-{kind}"' in html and f'aria-label="{label}"' in html
    assert "[!" not in html


def test_plain_blockquote_stays_a_blockquote() -> None:
    html = render("> Just text [!NOTE] inside.\n").html
    assert "<blockquote>" in html and "<aside" not in html


@pytest.mark.parametrize(("text", "message"), [
    ("> [!UNKNOWN] just text\n", "unknown alert [!UNKNOWN]"),
    ("> [!tip]\n> text\n", "alert [!tip] must be in capitals"),
    ("> [!TIP] text\n", "alert marker [!TIP] must be alone on its line"),
])
def test_alert_mistakes_are_errors(text: str, message: str) -> None:
    with pytest.raises(ContentError) as failure:
        render(text)
    assert failure.value.message == message and failure.value.location.line == 5


def test_correction_gets_date_and_anchor() -> None:
    body = render("::: correction 2025-03-19\nFixed the figure.\n:::\n")
    (correction,) = body.corrections
    assert correction.id == "correction-2025-03-19"
    assert correction.date == dt.datetime(2025, 3, 19, tzinfo=BERLIN)
    assert "Fixed the figure." in correction.text
    assert 'id="correction-2025-03-19"' in body.html


# -- fences: a bare fence closes the innermost open block --------------------------------

@pytest.mark.parametrize(("text", "line", "message"), [
    ("A\n\n::: note\nB\n", 7, "::: note is not closed"),
    ("::: note\n```\n:::\n", 5, "::: note is not closed"),  # the open code block hides it
    ("A\n:::\n", 6, "closing fence ':::' has no open block to close"),
    ("::: note\nA\n::::\n:::::\n", 8, "closing fence ':::::' has no open block to close"),
    ("::: tip\nA\n:::\n", 5, "unknown block kind 'tip'"),
    ("A\n::: foo bar\nB\n:::\n", 6, "unknown block kind 'foo'"),
    ("::: update 2025-03-18 10:00\nA\n\n::: update 2025-03-18 11:00\nB\n:::\n", 8,
     "::: update inside the update of line 5, which is not closed"),
])
def test_fence_errors_point_at_the_fence_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ContentError) as failure:
        render(text)
    assert failure.value.location.line == line and failure.value.message == message


def test_update_inside_a_note_is_allowed_and_stays_in_place() -> None:
    body = render("::: note\n::: update 2025-03-18 10:00\nA\n:::\n:::\n")
    assert [u.id for u in body.updates] == ["update-2025-03-18-1000"]
    assert body.html.index("callout-note") < body.html.index('class="update"')


def test_fence_without_space_and_tab_separated_title() -> None:
    html = render(":::note\nA\n:::\n\n::: background\tHow we got here\nB\n:::\n").html
    assert 'class="callout callout-note"' in html and 'aria-label="How we got here"' in html


#: one block of the property test: a kind with its parameters, and the blocks inside it
_KINDS = st.sampled_from(["note", "warning", "background", "correction 2025-03-19",
                          'quote source="Press Office"', "update 2025-03-18 10:00"])


def _tree(depth: int = 0) -> st.SearchStrategy[list]:
    leaf = st.tuples(_KINDS, st.just([]))
    if depth >= 3:
        return st.lists(leaf, max_size=3)
    return st.lists(st.tuples(_KINDS, st.deferred(lambda: _tree(depth + 1))), max_size=3)


def _height(blocks: list) -> int:
    return max((1 + _height(inner) for _, inner in blocks), default=0)


def _write(blocks: list, decreasing: bool, number: list[int], inside_update: bool = False) -> str:
    """Markdown for a block tree: ':::' everywhere, or outer fences with more colons."""
    parts = []
    for kind, inner in blocks:
        if kind.startswith("update") and inside_update:
            kind = "note"  # updates do not nest
        number[0] += 1
        colons = ":" * (2 + _height([(kind, inner)]) if decreasing else 3)
        text = _write(inner, decreasing, number, inside_update or kind.startswith("update"))
        parts.append(f"{colons} {kind}\nParagraph {number[0]}.\n\n{text}{colons}\n\n")
    return "".join(parts)


@settings(max_examples=60, deadline=None)
@given(_tree())
def test_three_colons_everywhere_renders_like_decreasing_colons(blocks: list) -> None:
    natural = render(_write(blocks, decreasing=False, number=[0]))
    documented = render(_write(blocks, decreasing=True, number=[0]))
    assert natural == documented
    assert ":::" not in natural.html
