"""Markdown in entries: the extensions authors rely on, heading ids and summary rules."""

from __future__ import annotations

from pathlib import Path

import lxml.html

from tests.conftest import Built, build_site, entry, make_site, texts

RICH = '''\
Intro paragraph with "quotes" -- and an ellipsis...

| Country | Gas (TWh) |
|---------|----------:|
| Avalon  | 12        |

This is ~~wrong~~ right.[^1]

Term
: Its definition.

## Background
## Background
## Über uns

<div class="raw" data-x="1">raw <em>HTML</em></div>

[^1]: The footnote text.
'''


def body(built: Built, path: str) -> lxml.html.HtmlElement:
    return built.html(path).xpath("//div[contains(@class,'entry-body')]")[0]


def build_rich(tmp_path: Path) -> Built:
    return build_site(make_site(tmp_path, {"content/a.md": entry("Rich", "2025-01-01", body=RICH)}))


def test_tables_strikethrough_footnotes_and_definition_lists_render(tmp_path: Path) -> None:
    doc = body(build_rich(tmp_path), "2025/01/01/a/")
    assert texts(doc, ".//table//th") == ["Country", "Gas (TWh)"]
    assert texts(doc, ".//table//td") == ["Avalon", "12"]
    assert texts(doc, ".//s | .//del") == ["wrong"]
    assert texts(doc, ".//dl/dt") == ["Term"] and texts(doc, ".//dl/dd") == ["Its definition."]
    ref = doc.xpath(".//sup//a/@href")
    assert ref and ref[0].startswith("#fn")
    assert "The footnote text." in " ".join(texts(doc, ".//*[@id=substring-after('%s', '#')]" % ref[0]))


def test_smart_typography_turns_quotes_and_dashes_curly(tmp_path: Path) -> None:
    doc = body(build_rich(tmp_path), "2025/01/01/a/")
    first = texts(doc, ".//p")[0]
    assert "“quotes”" in first and "–" in first and "…" in first


def test_raw_html_from_the_author_passes_through(tmp_path: Path) -> None:
    doc = body(build_rich(tmp_path), "2025/01/01/a/")
    raw = doc.xpath(".//div[@class='raw']")
    assert raw and raw[0].get("data-x") == "1" and texts(raw[0], ".//em") == ["HTML"]


def test_heading_ids_are_unique_and_stable_across_builds(tmp_path: Path) -> None:
    first = body(build_rich(tmp_path), "2025/01/01/a/").xpath(".//h2/@id")
    assert first == ["background", "background-2", "uber-uns"]
    again = body(build_site(tmp_path / "site"), "2025/01/01/a/").xpath(".//h2/@id")
    assert again == first


def test_heading_ids_never_take_ids_the_theme_uses(tmp_path: Path) -> None:
    built = build_site(make_site(tmp_path, {"content/a.md": entry(
        "A", "2025-01-01", body="## Comments\n\n## Main\n\ntext")}))
    ids = built.html("2025/01/01/a/").xpath("//@id")
    assert len(ids) == len(set(ids))


def summary_of(tmp_path: Path, text: str, **meta: object) -> str:
    built = build_site(make_site(tmp_path, {"content/a.md": entry("A", "2025-01-01", body=text, **meta)}))
    return " ".join(texts(built.html("index.html"), "//div[contains(@class,'summary')]"))


def test_summary_from_front_matter_wins(tmp_path: Path) -> None:
    assert summary_of(tmp_path, "First.\n\n<!--more-->\n\nRest.", summary="Given <summary>") == \
        "Given <summary>"


def test_summary_is_text_before_more_marker(tmp_path: Path) -> None:
    assert summary_of(tmp_path, "One.\n\nTwo.\n\n<!--more-->\n\nThree.") == "One. Two."


def test_summary_defaults_to_first_paragraph(tmp_path: Path) -> None:
    assert summary_of(tmp_path, "# Heading\n\nFirst para.\n\nSecond para.") == "First para."
