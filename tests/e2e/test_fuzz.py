"""Property: any front matter and Markdown either builds safe pages or fails naming a file.

Markdown may carry raw HTML by design (the author is trusted), so generated bodies use a
fixed set of benign HTML snippets; script-carrying payloads go into front matter and into
Markdown link targets, where they must come out inert.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chronicle_ssg.errors import BuildFailed
from conftest import build_site, make_site
from test_hostile import PAYLOAD, assert_safe_output

KNOWN_KEYS = ["title", "date", "updated", "tags", "categories", "author", "summary", "slug",
              "draft", "aliases", "series", "layout", "description", "update_order"]
HOSTILE = [PAYLOAD, "javascript:alert(1)", "<b>bold</b>", "../../x", "/abs/", "A & B", "\u202e",
           "Café", "Cafe\u0301", "ЖУРНАЛ", "   ", ""]
#: no '<' in generated Markdown text: inline raw HTML is trusted author input, not our concern;
#: control characters have their own test below
plain = st.text(st.characters(blacklist_characters="<", blacklist_categories=("Cs", "Cc")),
                max_size=40)
scalars = st.one_of(
    plain, st.sampled_from(HOSTILE), st.integers(-10**6, 10**20), st.floats(allow_nan=True),
    st.booleans(), st.none(), st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1)))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(plain, inner, max_size=3)), max_leaves=8)
words = st.one_of(plain, st.sampled_from(HOSTILE))
#: mostly well-typed fields, so that most examples build and the output gets checked
sane = st.fixed_dictionaries(
    {"title": words, "date": st.one_of(st.dates(dt.date(1970, 1, 1), dt.date(2030, 12, 31)),
                                       st.datetimes(dt.datetime(1970, 1, 1), dt.datetime(2030, 1, 1)))},
    optional={"tags": st.lists(words, max_size=3), "categories": st.lists(words, max_size=2),
              "author": st.one_of(words, st.lists(words, max_size=2)), "summary": words,
              "description": words, "series": words, "draft": st.booleans(),
              "slug": words, "aliases": st.lists(words, max_size=2),
              "updated": st.dates(dt.date(1970, 1, 1), dt.date(2030, 12, 31))})
#: and sometimes anything at all, under known or unknown keys
odd = st.dictionaries(st.one_of(st.sampled_from(KNOWN_KEYS), plain), values, max_size=3)
front_matter = st.builds(lambda base, extra: {**base, **extra}, sane,
                         st.one_of(st.just({}), st.just({}), odd))

BLOCKS = st.one_of(
    plain.map(lambda t: t + "\n"),
    plain.map(lambda t: f"## {t}\n"),
    plain.map(lambda t: f"> [!NOTE]\n> {t}\n"),
    plain.map(lambda t: f"::: note\n{t}\n:::\n"),
    plain.map(lambda t: f"::: update 2025-03-18 16:45\n{t}\n:::\n"),
    plain.map(lambda t: f'::: quote source="{t}" date=2025-03-18\n{t}\n:::\n'),
    st.sampled_from(["e0", "e1", "e2", "e3", "missing", "e1#nope", ""]).map(
        lambda t: f"See [it](entry:{t}).\n"),
    st.sampled_from(['<div class="x">text</div>\n', "<span>inline</span>\n", "<!--more-->\n",
                     "[x](javascript:alert(1))\n", "![i](javascript:alert(2))\n",
                     "| a | b |\n|---|---|\n| 1 | 2 |\n", "Note[^1].\n\n[^1]: foot\n",
                     "- a\n  - b\n", "```\n<script>alert(3)</script>\n```\n", ":::\n", "::: bogus\n"]),
)
bodies = st.lists(BLOCKS, max_size=6).map("\n".join)


def source_text(meta: dict, body: str) -> str:
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body


@settings(max_examples=60, deadline=None, derandomize=True,  # the same examples in every CI run
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(front_matter, bodies), min_size=1, max_size=4))
def test_build_succeeds_safely_or_fails_naming_a_file(documents: list[tuple[dict, str]]) -> None:
    check_documents(documents)


@pytest.mark.parametrize("title", ["\x08", "bell\x07", "esc\x1b[31m"])
def test_control_characters_in_front_matter(title: str) -> None:
    check_documents([({"title": title, "date": dt.date(2000, 1, 1)}, "Text.")])


def check_documents(documents: list[tuple[dict, str]]) -> None:
    """Build the documents as entries; success must be safe, failure must name files."""
    with tempfile.TemporaryDirectory() as temp:
        files = {f"content/2025-03-1{i}-e{i}.md": source_text(meta, body)
                 for i, (meta, body) in enumerate(documents)}
        root = make_site(Path(temp), files)
        try:
            built = build_site(root)
        except BuildFailed as failure:
            names = set(files) | {"chronicle.toml"}
            for error in failure.errors:
                assert error.location is not None, error.format()
                assert str(error.location.path) in names, error.format()
            return
        assert_safe_output(built.files)
