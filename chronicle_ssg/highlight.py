"""Fenced code blocks: the fence's options, and syntax highlighting with Pygments.

A fence's info string names the language and, optionally, display options, in either of
the two spellings authors bring from other generators:

    ```python linenos hl_lines=2,4-5            (Zola, comma or space separated)
    ```python {linenos=true hl_lines=[2,"4-5"]} (Hugo, in braces)

Highlighting happens when the Markdown is rendered, so its HTML is cached with the rest
of the body and no JavaScript is needed. Pygments is imported on the first fence that
names a language, never at start-up. A language Pygments does not know is shown plain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Any

#: fence options and what each takes
OPTIONS = {"linenos": "true, false or the first line's number",
           "linenostart": "the first line's number",
           "hl_lines": "line numbers and ranges, such as 2,4-5"}
#: languages that mean "no highlighting"
PLAIN = frozenset({"", "text", "plain", "plaintext", "txt", "none"})
#: a value is quoted, a [list], numbers and ranges (hl_lines=2,4-5 or 1 3-5), or a word
_OPTION_RE = re.compile(
    r'([A-Za-z_][\w-]*)(?:\s*=\s*("[^"]*"|\[[^\]]*\]|\d[\d,-]*(?:\s+\d[\d,-]*)*|[^\s,]+))?')
_LANGUAGE_RE = re.compile(r"[^\s,{]*")
_RANGE_RE = re.compile(r"^(\d+)(?:-(\d+))?$")


class FenceOptionError(ValueError):
    """An option the fence cannot take; the message says what to write instead."""


@dataclass(frozen=True, slots=True)
class CodeOptions:
    language: str  #: as written, lower-cased; '' when none
    line_numbers: bool = False
    first_line: int = 1
    marked: frozenset[int] = frozenset()  #: line numbers to highlight, counted from 1

    @property
    def plain(self) -> bool:
        return self.language in PLAIN


def parse_info(info: str) -> CodeOptions:
    """The options of a fence from its info string; raises FenceOptionError."""
    info = info.strip()
    language = _LANGUAGE_RE.match(info).group(0)  # type: ignore[union-attr]
    rest = info[len(language):].lstrip(" ,\t")
    if rest.startswith("{"):
        if not rest.endswith("}"):
            raise FenceOptionError("the options' opening brace is not closed")
        rest = rest[1:-1]
    values: dict[str, str] = {}
    position = 0
    for match in _OPTION_RE.finditer(rest):
        skipped = rest[position:match.start()].strip(" ,\t")
        if skipped:
            raise FenceOptionError(f"cannot read {skipped!r} in the fence's options")
        position = match.end()
        name = match.group(1).lower().replace("-", "_")
        if name not in OPTIONS:
            known = ", ".join(OPTIONS)
            raise FenceOptionError(f"unknown fence option {match.group(1)!r} (known: {known})")
        values[name] = (match.group(2) or "true").rstrip(",").strip('"')
    leftover = rest[position:].strip(" ,\t")
    if leftover:
        raise FenceOptionError(f"cannot read {leftover!r} in the fence's options")
    line_numbers, first_line = _line_numbers(values)
    return CodeOptions(language.lower(), line_numbers, first_line,
                       _marked(values.get("hl_lines", "")))


def _line_numbers(values: dict[str, str]) -> tuple[bool, int]:
    shown = values.get("linenos", "false").lower()
    start = values.get("linenostart")
    if shown.isdigit():
        start, shown = start or shown, "true"
    if shown not in ("true", "false", "table", "inline"):
        raise FenceOptionError(f"linenos takes {OPTIONS['linenos']}, not {shown!r}")
    if start is not None and not start.isdigit():
        raise FenceOptionError(f"linenostart takes {OPTIONS['linenostart']}, not {start!r}")
    return shown != "false", int(start or 1)


def _marked(text: str) -> frozenset[int]:
    lines: set[int] = set()
    for part in re.split(r"[\s,]+", text.strip("[] ")):
        part = part.strip('"\'')
        if not part:
            continue
        match = _RANGE_RE.match(part)
        if not match:
            raise FenceOptionError(f"hl_lines takes {OPTIONS['hl_lines']}, not {part!r}")
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if high < low or high - low > 100_000:
            raise FenceOptionError(f"hl_lines: {part!r} is not a range from low to high")
        lines.update(range(low, high + 1))
    return frozenset(lines)


def check_marked(options: CodeOptions, code: str) -> None:
    """Marked lines must exist: a typo'd number would otherwise mark nothing, silently."""
    count = code.count("\n") + (0 if code.endswith("\n") or not code else 1)
    beyond = sorted(n for n in options.marked if n < 1 or n > count)
    if beyond:
        raise FenceOptionError(
            f"hl_lines names line {beyond[0]}, but the block has {count} "
            f"line{'' if count == 1 else 's'} (count from 1, in the block)")


def render_code(code: str, options: CodeOptions) -> str:
    """The block's HTML: highlighted when Pygments knows the language, else escaped."""
    lexer = None if options.plain else lexer_for(options.language)
    language_class = f' class="language-{escape(options.language)}"' if options.language else ""
    if lexer is None and not options.line_numbers and not options.marked:
        return f"<pre><code{language_class}>{escape(code)}</code></pre>\n"
    lines = _highlighted_lines(code, lexer)
    if options.line_numbers or options.marked:
        lines = [_line(text, number, options)
                 for number, text in enumerate(lines, start=1)]
        body = "".join(lines)
    else:
        body = "\n".join(lines) + "\n"
    classes = "highlight numbered" if options.line_numbers else "highlight"
    return f'<pre class="{classes}"><code{language_class}>{body}</code></pre>\n'


def _line(text: str, number: int, options: CodeOptions) -> str:
    marked = " marked" if number in options.marked else ""
    shown = (f'<span class="ln" aria-hidden="true">{number + options.first_line - 1}</span>'
             if options.line_numbers else "")
    return f'<span class="line{marked}">{shown}<span class="cl">{text}\n</span></span>'


def _highlighted_lines(code: str, lexer: Any) -> list[str]:
    """One HTML string per source line, each with its spans closed."""
    code = code[:-1] if code.endswith("\n") else code
    if lexer is None:
        return [escape(line) for line in code.split("\n")]
    from pygments import highlight
    from pygments.formatters.html import HtmlFormatter
    # nowrap: Pygments closes its spans at every line end, so the lines split cleanly
    html = highlight(code, lexer, HtmlFormatter(nowrap=True))
    html = html[:-1] if html.endswith("\n") else html
    return html.split("\n")


@lru_cache(maxsize=None)
def lexer_for(language: str) -> Any:
    """Pygments's lexer for a language name or alias, or None when it knows none."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None
