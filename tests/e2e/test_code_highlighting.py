"""Fenced code blocks: highlighted at build time, with line numbers and marked lines on request."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chronicle_ssg.errors import BuildFailed
from tests.conftest import build_site, build_to_disk, entry, make_site, read_tree

CODE = '''\
Some code:

```python
def f(x):
    return "<b>" if x else None  # tag
```

```python linenos hl_lines=2
import os
path = os.sep
```

```nosuchlanguage
a <b> c
```

```
no language <i>
```
'''


def code_blocks(tmp_path: Path, body: str = CODE) -> list:
    built = build_site(make_site(tmp_path, {"content/a.md": entry("A", "2025-01-01", body=body)}))
    return built.html("2025/01/01/a/").xpath("//div[contains(@class,'entry-body')]//pre")


def test_known_language_is_highlighted_without_javascript(tmp_path: Path) -> None:
    first = code_blocks(tmp_path)[0]
    assert first.get("class") == "highlight"
    code = first.xpath("code")[0]
    assert code.get("class") == "language-python"
    assert code.xpath(".//span[@class='k']/text()") == ["def", "return", "if", "else"]
    assert code.xpath(".//span[@class='c1']/text()") == ["# tag"]
    # the code reads exactly as written: highlighting adds markup, never text
    assert code.text_content() == 'def f(x):\n    return "<b>" if x else None  # tag\n'


def test_line_numbers_and_marked_lines(tmp_path: Path) -> None:
    block = code_blocks(tmp_path)[1]
    assert block.get("class") == "highlight numbered"
    lines = block.xpath(".//span[starts-with(@class,'line')]")
    assert [line.get("class") for line in lines] == ["line", "line marked"]
    numbers = block.xpath(".//span[@class='ln']")
    assert [n.text for n in numbers] == ["1", "2"]
    assert all(n.get("aria-hidden") == "true" for n in numbers)  # not read as part of the code
    assert "".join(line.xpath("string(span[@class='cl'])") for line in lines) == \
        "import os\npath = os.sep\n"


def test_unknown_language_and_no_language_are_shown_plain(tmp_path: Path) -> None:
    unknown, bare = code_blocks(tmp_path)[2:]
    assert unknown.get("class") is None and bare.get("class") is None
    assert unknown.xpath("code/@class") == ["language-nosuchlanguage"]
    assert unknown.xpath("code//span") == [] and bare.xpath("code//span") == []
    assert unknown.text_content() == "a <b> c\n"
    assert bare.text_content() == "no language <i>\n"


@pytest.mark.parametrize(("info", "options"), [
    ("python {linenos=true hl_lines=[1,\"3-4\"]}", (True, 1, {1, 3, 4})),  # Hugo's spelling
    ("python,linenos,hl_lines=1 3-4", (True, 1, {1, 3, 4})),  # Zola's spelling
    ("python linenos=10", (True, 10, set())),
    ("python linenostart=5 linenos", (True, 5, set())),
])
def test_option_spellings_from_other_generators(tmp_path: Path, info: str, options: tuple) -> None:
    body = f"```{info}\na = 1\nb = 2\nc = 3\nd = 4\n```\n"
    block = code_blocks(tmp_path, body)[0]
    numbered, first, marked = options
    numbers = [int(n.text) for n in block.xpath(".//span[@class='ln']")]
    assert numbers == (list(range(first, first + 4)) if numbered else [])
    lines = block.xpath(".//span[starts-with(@class,'line')]")
    assert {i for i, line in enumerate(lines, 1) if "marked" in line.get("class")} == marked


@pytest.mark.parametrize(("info", "message"), [
    ("python linenumbers", "unknown fence option 'linenumbers' (known: linenos, linenostart, hl_lines)"),
    ("python hl_lines=7", "hl_lines names line 7, but the block has 2 lines"),
    ("python linenos=sometimes", "linenos takes true, false or the first line's number, not 'sometimes'"),
    ("python hl_lines=3-1", "hl_lines: '3-1' is not a range from low to high"),
    ("python {linenos=true", "the options' opening brace is not closed"),
])
def test_a_mistyped_option_is_an_error_at_the_fence_line(tmp_path: Path, info: str,
                                                        message: str) -> None:
    body = f"Intro.\n\n```{info}\nx = 1\ny = 2\n```\n"
    root = make_site(tmp_path, {"content/a.md": entry("A", "2025-01-01", body=body)})
    with pytest.raises(BuildFailed) as failure:
        build_site(root)
    (error,) = failure.value.errors
    # front matter is 4 lines, then a blank line, the intro and a blank line: the fence is line 8
    assert error.format().startswith(f"content/a.md:8: error: {message}")


def test_the_cli_reports_a_bad_fence_without_a_traceback(tmp_path: Path) -> None:
    body = "```python hl_line=2\nx = 1\n```\n"
    root = make_site(tmp_path, {"content/a.md": entry("A", "2025-01-01", body=body)})
    result = subprocess.run([sys.executable, "-m", "chronicle_ssg", "build", "--source", str(root)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "content/a.md:6: error: unknown fence option 'hl_line'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_highlighted_bodies_are_cached_and_warm_builds_match(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/a.md": entry("A", "2025-01-01", body=CODE),
                                "content/b.md": entry("B", "2025-01-02")})
    cold = read_tree(build_to_disk(root))
    (root / "content/b.md").write_text(entry("B", "2025-01-02", body="Changed."), "utf-8")
    warm = read_tree(build_to_disk(root))
    fresh = read_tree(build_to_disk(root, tmp_path / "fresh", use_cache=False))
    assert warm == fresh
    assert warm["2025/01/01/a/index.html"] == cold["2025/01/01/a/index.html"]
    assert b'<span class="k">def</span>' in warm["2025/01/01/a/index.html"]


def test_the_theme_colours_code_in_light_and_dark_mode() -> None:
    css = (Path(__file__).resolve().parents[2] / "chronicle_ssg/themes/default/static/style.css"
           ).read_text("utf-8")
    light, dark = css.split("@media (prefers-color-scheme: dark)", 1)
    for name in ("--code-keyword", "--code-string", "--code-comment", "--code-mark"):
        assert f"{name}:" in light and f"{name}:" in dark.split("}", 2)[0] + dark.split("}", 2)[1]
    assert ".highlight .k," in css and "user-select: none" in css
