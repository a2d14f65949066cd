"""Issue 12, end to end: commentary fences that cannot misfire, and what they print.

A bare `:::` closes the innermost open block, so nesting written with `:::` everywhere
renders exactly like the documented `::::`/`:::` style; every fence mistake is an error
naming the file and its line, never a silently rearranged page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chronicle_ssg.cli import main
from tests.conftest import build_site, entry, make_site, parse_html, texts

ENTRY = "content/entries/2025-03-18-live.md"

#: the issue's live entry, written as a new user would: `:::` everywhere
ALL_THREE = '''\
Intro.

::: update 2025-03-18 16:45
Moscow has published its readout.

::: quote source="Kremlin" url="https://kremlin.example/" date=2025-03-18
The presidents discussed the situation.
:::

::: note
Compare the two readouts.
:::
:::

::: update 2025-03-18 18:00
Evening reactions.

::: correction 2025-03-19
The readout came out at 16:30.
:::
:::

Closing words.
'''

#: the same entry in the documented style: outer blocks with more colons
DECREASING = ALL_THREE.replace("::: update", ":::: update").replace(
    ":::\n:::\n", ":::\n::::\n")


def site_with(tmp_path: Path, name: str, body: str) -> Path:
    (tmp_path / name).mkdir()
    return make_site(tmp_path / name, {ENTRY: entry("Live", "2025-03-18 09:00", body=body)})


def file_line(root: Path, text: str, occurrence: int = 1) -> int:
    """The 1-based line of the n-th line of the entry's file equal to text."""
    lines = (root / ENTRY).read_text("utf-8").splitlines()
    found = [number for number, line in enumerate(lines, 1) if line == text]
    return found[occurrence - 1]


def build_error(root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run `chronicle build` on a broken site: exit 1, one located error, no output."""
    assert main(["build", "--source", str(root)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "build failed: 1 error" in err
    assert not (root / "output").exists()
    return err


def test_all_three_colon_nesting_renders_like_the_documented_style(tmp_path: Path) -> None:
    assert DECREASING.count("::::") == 4  # the fixture really differs
    natural = build_site(site_with(tmp_path, "natural", ALL_THREE))
    documented = build_site(site_with(tmp_path, "documented", DECREASING))
    assert natural.files == documented.files
    doc = natural.html("2025/03/18/live/")
    (first,) = doc.xpath("//section[@id='update-2025-03-18-1645']")
    # the quote and the note stay inside their update; nothing is left over as text
    assert first.xpath(".//figure[@class='source-quote']//cite") and first.xpath(
        ".//aside[contains(@class, 'callout-note')]")
    assert ":::" not in natural.text("2025/03/18/live/")
    body = " ".join(texts(doc, "//div[@class='entry-body']"))
    assert body.index("Intro.") < body.index("Evening reactions.") < body.index(
        "Moscow has published") < body.index("Closing words.")


def test_unclosed_block_is_an_error_at_its_line(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = site_with(tmp_path, "site", "Intro.\n\n::: note\nNever closed.\n")
    err = build_error(root, capsys)
    assert f"{ENTRY}:{file_line(root, '::: note')}: error: ::: note is not closed" in err
    assert "hint: add a line ':::' where the note ends" in err


def test_stray_closing_fence_is_an_error_at_its_line(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = site_with(tmp_path, "site", "::: note\nA note.\n:::\nText.\n:::\n")
    err = build_error(root, capsys)
    line = file_line(root, ":::", occurrence=2)
    assert f"{ENTRY}:{line}: error: closing fence ':::' has no open block to close" in err
    assert "each bare ':::' closes the innermost open block" in err


@pytest.mark.parametrize(("fence", "message", "hint"), [
    ("::: tip", "unknown block kind 'tip'",
     "the kinds are update, quote, note, warning, background, correction; tip, important "
     "and caution exist only as GitHub alerts (> [!TIP])"),
    ("::: Note", "unknown block kind 'Note'", "kinds are lower case: write ::: note"),
])
def test_unknown_block_kind_lists_the_known_kinds(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   fence: str, message: str, hint: str) -> None:
    root = site_with(tmp_path, "site", f"Intro.\n\n{fence}\nText.\n:::\n")
    err = build_error(root, capsys)
    assert f"{ENTRY}:{file_line(root, fence)}: error: {message}" in err
    assert f"hint: {hint}" in err


@pytest.mark.parametrize(("marker", "message"), [
    ("> [!TIPS]", "unknown alert [!TIPS]"),
    ("> [!note]", "alert [!note] must be in capitals"),
    ("> [!Warning]", "alert [!Warning] must be in capitals"),
])
def test_unknown_or_lower_case_alert_lists_the_alerts(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      marker: str, message: str) -> None:
    root = site_with(tmp_path, "site", f"Intro.\n\n{marker}\n> Text.\n")
    err = build_error(root, capsys)
    assert f"{ENTRY}:{file_line(root, marker)}: error: {message}" in err
    assert "hint: the alerts are [!NOTE], [!TIP], [!IMPORTANT], [!WARNING], [!CAUTION]" in err


def test_alert_marker_with_text_on_its_line_is_an_error(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    root = site_with(tmp_path, "site", "> [!NOTE] Times are local.\n")
    err = build_error(root, capsys)
    assert f"{ENTRY}:{file_line(root, '> [!NOTE] Times are local.')}: error: alert marker " \
           "[!NOTE] must be alone on its line" in err


def test_update_inside_update_names_the_unclosed_update(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # the closing fence of the first update was deleted: it must not swallow the second
    body = ALL_THREE.replace("Compare the two readouts.\n:::\n:::\n",
                             "Compare the two readouts.\n:::\n")
    root = site_with(tmp_path, "site", body)
    err = build_error(root, capsys)
    first = file_line(root, "::: update 2025-03-18 16:45")
    second = file_line(root, "::: update 2025-03-18 18:00")
    assert (f"{ENTRY}:{second}: error: ::: update inside the update of line {first}, "
            "which is not closed") in err
    assert f"hint: updates do not nest: close the update of line {first}" in err


def test_update_inside_a_quote_inside_an_update_is_caught_too(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    body = ("::: update 2025-03-18 10:00\nA.\n\n::: quote source=\"X\"\nQ.\n\n"
            "::: update 2025-03-18 11:00\nB.\n:::\n:::\n:::\n")
    root = site_with(tmp_path, "site", body)
    err = build_error(root, capsys)
    assert f"{ENTRY}:{file_line(root, '::: update 2025-03-18 11:00')}: error: ::: update " \
           f"inside the update of line {file_line(root, '::: update 2025-03-18 10:00')}" in err


def test_fences_inside_code_are_text(tmp_path: Path) -> None:
    body = ('::: note\nHow to write a note:\n\n```markdown\n::: note\nText.\n:::\n```\n\n'
            '~~~\n:::\n::: tip\n~~~\n\n    :::\n    ::: quote\n:::\n\n'
            '- ```\n  :::\n  ```\n')
    built = build_site(site_with(tmp_path, "site", body))
    doc = built.html("2025/03/18/live/")
    (note,) = doc.xpath("//aside[contains(@class, 'callout-note')]")
    codes = [c.text_content() for c in note.xpath(".//pre/code")]
    assert codes == ["::: note\nText.\n:::\n", ":::\n::: tip\n", ":::\n::: quote\n"]
    # the list after the note holds its own code block, outside the note
    assert doc.xpath("//main//ul/li/pre/code")[0].text_content() == ":::\n"


def test_blocks_in_list_items_and_blockquotes(tmp_path: Path) -> None:
    body = ("::: note\n- ::: warning\n  Careful.\n  :::\n\n> ::: background\n> Context.\n"
            "> :::\n:::\n")
    doc = build_site(site_with(tmp_path, "site", body)).html("2025/03/18/live/")
    (note,) = doc.xpath("//aside[contains(@class, 'callout-note')]")
    assert note.xpath("./ul/li/aside[contains(@class, 'callout-warning')]")
    assert note.xpath("./blockquote/aside[contains(@class, 'callout-background')]")


def test_correction_with_a_title_still_says_correction(tmp_path: Path) -> None:
    body = "Text.\n\n::: correction 2025-03-19 Vote count\nThe count was 212, not 221.\n:::\n"
    doc = build_site(site_with(tmp_path, "site", body)).html("2025/03/18/live/")
    (aside,) = doc.xpath("//aside[@id='correction-2025-03-19']")
    assert aside.get("aria-label") == "Correction: Vote count"
    assert texts(aside, "./p[@class='callout-title']") == ["Correction 19 March 2025: Vote count"]


def test_undated_correction_title_follows_correction(tmp_path: Path) -> None:
    body = "Text.\n\n::: correction Vote count\nFixed.\n:::\n"
    doc = build_site(site_with(tmp_path, "site", body)).html("2025/03/18/live/")
    assert texts(doc, "//aside[@id='correction']/p[@class='callout-title']") == [
        "Correction: Vote count"]


@pytest.mark.parametrize(("param", "shown"), [
    ("translated=true", ["(translated)"]),
    ('translated="true"', ["(translated)"]),
    ("translated=false", []),
    ('translated="from Russian"', ["(translated from Russian)"]),
    ('translated="translated by Jonas Ferrand"', ["(translated by Jonas Ferrand)"]),
])
def test_translated_flag_and_note(tmp_path: Path, param: str, shown: list[str]) -> None:
    body = f'::: quote source="Kremlin" {param}\nThe presidents spoke.\n:::\n'
    page = build_site(site_with(tmp_path, "site", body)).text("2025/03/18/live/")
    assert texts(parse_html(page), "//figcaption/span[@class='translated']") == shown
    assert "translated true" not in page
