"""highlight.py: fence options and the HTML of a code block."""

from __future__ import annotations

import pytest

from chronicle_ssg.highlight import CodeOptions, FenceOptionError, check_marked, parse_info, render_code


@pytest.mark.parametrize(("info", "expected"), [
    ("", CodeOptions("")),
    ("Python", CodeOptions("python")),
    ("c++ linenos", CodeOptions("c++", True)),
    ("python{linenos=table}", CodeOptions("python", True)),
    ("python linenos=10,hl_lines=2", CodeOptions("python", True, 10, frozenset({2}))),
    ("python hl_lines=2,4-5 linenos=false", CodeOptions("python", False, 1, frozenset({2, 4, 5}))),
    ('python hl_lines="1 3"', CodeOptions("python", False, 1, frozenset({1, 3}))),
])
def test_parse_info(info: str, expected: CodeOptions) -> None:
    assert parse_info(info) == expected


@pytest.mark.parametrize("info", ["python ???", "python linenos=x", "python hl_lines=a",
                                  "python {hl_lines=1", "python colour=red"])
def test_parse_info_refuses_what_it_cannot_read(info: str) -> None:
    with pytest.raises(FenceOptionError):
        parse_info(info)


def test_check_marked_counts_the_block_lines() -> None:
    check_marked(CodeOptions("python", marked=frozenset({1, 2})), "a\nb\n")
    check_marked(CodeOptions("python", marked=frozenset({2})), "a\nb")  # no final newline
    with pytest.raises(FenceOptionError, match="names line 3, but the block has 2 lines"):
        check_marked(CodeOptions("python", marked=frozenset({3})), "a\nb\n")


def test_render_code_escapes_everything_it_does_not_highlight() -> None:
    html = render_code("<script>alert(1)</script>\n", CodeOptions("nosuchlanguage", True))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.startswith('<pre class="highlight numbered"><code class="language-nosuchlanguage">')


def test_multi_line_tokens_are_split_into_closed_lines() -> None:
    html = render_code('"""one\ntwo"""\n', CodeOptions("python", True))
    lines = html.split('<span class="line">')[1:]
    assert len(lines) == 2
    # each piece lost its own opening tag to the split: one close more than opens
    assert all(line.count("<span") + 1 == line.count("</span>") for line in lines)
