"""The commentary blocks: timestamped updates, attributed quotes, callouts, alerts.

Syntax (Pandoc's fenced divs): a line of three or more colons with the block's kind and
parameters opens a block; a line of colons alone closes the innermost open block,
whatever the number of colons, so nested blocks may all use `:::`:

    ::: update 2025-03-18 16:45
    ::: quote source="Press Office" url="https://..." date=2025-03-18 translated="from French" lang=fr
    Quoted text.
    :::
    ::: note
    The author's comment.
    :::
    :::

Callouts: note, warning, background, correction [DATE]; an optional title may follow the
kind. GitHub alerts (`> [!NOTE]`) become the same callouts. Fences inside code are text;
an unknown kind, an unclosed block, a stray closing fence and an update inside an update
are errors (`FenceError`, located by markdown.py).

Words and dates the blocks print (callout titles, update times, quote dates) come from the
`Localizer` markdown.py puts in the renderer's env under "i18n": the entry's language.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token

from chronicle_ssg.dates import DATE_HINT, parse_datetime
from chronicle_ssg.errors import ContentError
from chronicle_ssg.i18n import Localizer
from chronicle_ssg.slugs import language_problem, slugify

if TYPE_CHECKING:
    from chronicle_ssg.markdown import _Walk

#: the callout kinds; each title is the catalogue's `callout_KIND`
CALLOUTS = ("note", "warning", "background", "correction", "tip", "important", "caution")
#: GitHub alert names and the callout each becomes
ALERTS = {"NOTE": "note", "TIP": "tip", "IMPORTANT": "important", "WARNING": "warning",
          "CAUTION": "caution"}
#: the block kinds a `:::` fence may open, in the order the docs list them
KINDS = ("update", "quote", "note", "warning", "background", "correction")
QUOTE_PARAMS = {"source", "url", "date", "translated", "lang"}
_PARAM_RE = re.compile(r'(\w+)=(?:"([^"]*)"|(\S+))')
_SAFE_URL = re.compile(r"^(https?://|/|#|mailto:)", re.IGNORECASE)
_LOOKS_LIKE_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_ALERT_RE = re.compile(r"^\[!([A-Z]+)\][ \t]*(?:\n|$)")
#: anything that looks like an alert marker at the start of a blockquote
_ALERT_LIKE_RE = re.compile(r"^\[!([A-Za-z]+)\]")
#: a fence: colons, then the kind and parameters of an opening fence (empty: closing)
_FENCE_RE = re.compile(r"(:{3,})[ \t]*(.*?)[ \t]*$")
_TRANSLATED_RE = re.compile(r"translated\b", re.IGNORECASE)
_CODE_FENCE_RE = re.compile(r"(`{3,}|~{3,})(.*)$")
#: list markers before a fence (`- ::: note`): the block then lives in the list item
_LIST_MARKERS_RE = re.compile(r"(?:(?:[-+*]|\d{1,9}[.)])[ \t]+)+")


@dataclass(frozen=True, slots=True)
class Update:
    """A timestamped update inside a live entry."""

    time: dt.datetime
    id: str  #: stable anchor, from the time: update-2025-03-18-1645
    label: str  #: first words of the update, for the jump list
    line: int


@dataclass(frozen=True, slots=True)
class Quote:
    """A quotation credited to a named source."""

    source: str
    url: str
    date: dt.date | None
    translated: str
    id: str  #: anchor of the <figure>
    line: int
    lang: str = ""  #: BCP 47 language of the quoted words, when not the entry's


@dataclass(frozen=True, slots=True)
class Correction:
    """A correction callout; the date defaults to the entry's date at model time."""

    date: dt.datetime | None
    text: str
    id: str
    line: int


#: env key set while rendering a summary: listings show many, so it carries no ids
SUMMARY = "summary"


class FenceError(Exception):
    """A misplaced or unknown fence, found while parsing; markdown.py adds the file."""

    def __init__(self, message: str, line: int, hint: str) -> None:
        super().__init__(message)
        self.message, self.line, self.hint = message, line, hint  #: line: in the file


def install(md: MarkdownIt) -> None:
    """Register the fence rule and the renderers of every block kind on a MarkdownIt."""
    # one rule for every kind, cheap on lines that do not start with ':'; a fence ends a
    # paragraph, list or blockquote written right above it
    md.block.ruler.before("fence", "commentary_block", _block_rule,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
    renderers = {"update": _render_update, "quote": _render_quote}
    for kind in KINDS:
        render = renderers.get(kind, _render_callout)
        md.add_render_rule(f"container_{kind}_open", render)
        md.add_render_rule(f"container_{kind}_close", render)
    md.add_render_rule("blockquote_open", _render_blockquote_open)
    md.add_render_rule("blockquote_close", _render_blockquote_close)


def _block_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """`::: kind params` opens a block; it ends at the bare fence that closes it."""
    fence = _fence_at(state, start)
    if fence is None:
        return False
    if silent:
        return True
    markup, info = fence
    line_in_file = state.env.get("body_line", 1) + start
    if not info:
        raise FenceError(f"closing fence {markup!r} has no open block to close", line_in_file,
                         hint="delete this line, or open a block above it (::: note); each "
                              "bare ':::' closes the innermost open block")
    kind = info.split(None, 1)[0]
    if kind not in KINDS:
        raise FenceError(f"unknown block kind {kind!r}", line_in_file, hint=_kinds_hint(kind))
    close = _closing_line(state, start, end, kind)
    old_parent, old_line_max = state.parentType, state.lineMax
    # the block's Markdown ends at its closing fence, even a paragraph or HTML block
    state.parentType, state.lineMax = "container", close
    token = state.push(f"container_{kind}_open", "div", 1)
    token.markup, token.block, token.info, token.map = markup, True, info, [start, close]
    state.md.block.tokenize(state, start + 1, close)
    token = state.push(f"container_{kind}_close", "div", -1)
    token.markup, token.block = _fence_at(state, close)[0], True  # type: ignore[index]
    state.parentType, state.lineMax = old_parent, old_line_max
    state.line = close + 1
    return True


def _kinds_hint(kind: str) -> str:
    known = ", ".join(KINDS)
    if kind.lower() in KINDS:
        return f"kinds are lower case: write ::: {kind.lower()} (the kinds are {known})"
    alerts = [name for name, callout in ALERTS.items() if callout not in KINDS]
    names = [a.lower() for a in alerts]
    return (f"the kinds are {known}; {', '.join(names[:-1])} and {names[-1]} exist only as "
            f"GitHub alerts (> [!{alerts[0]}])")


def _fence_at(state: StateBlock, line: int) -> tuple[str, str] | None:
    """The colons and the kind with parameters of a fence line; None for any other line."""
    first = state.bMarks[line] + state.tShift[line]
    if state.src[first:first + 3] != ":::" or state.is_code_block(line):
        return None
    match = _FENCE_RE.match(state.src, first, state.eMarks[line])
    return (match.group(1), match.group(2)) if match else None


def _closing_line(state: StateBlock, start: int, end: int, kind: str) -> int:
    """The line of the bare fence closing the block opened at start: nested blocks count,
    fences inside code do not, and an update met inside an update is an error."""
    offset = state.env.get("body_line", 1)
    depth, code_fence = 1, ""
    for line in range(start + 1, end):
        first, last = state.bMarks[line] + state.tShift[line], state.eMarks[line]
        indent = state.sCount[line] - state.blkIndent
        if first < last and indent < 0:
            break  # the list item holding the block ends here
        if indent >= 4:
            continue  # indented code, or list content nested deeper (its own blocks)
        text = state.src[first:last].rstrip()
        if code_fence:
            if text.startswith(code_fence) and not text.strip(code_fence[0]):
                code_fence = ""
            continue
        markers = _LIST_MARKERS_RE.match(text)
        if markers:
            if indent + markers.end() >= 4:
                continue
            text = text[markers.end():]
        code = _CODE_FENCE_RE.match(text)
        if code:
            if not (code.group(1)[0] == "`" and "`" in code.group(2)):
                code_fence = code.group(1)
            continue
        fence = _FENCE_RE.match(text) if text.startswith(":::") else None
        if fence is None:
            continue
        if not fence.group(2):
            depth -= 1
            if depth == 0:
                return line
        else:
            depth += 1
            if kind == "update" and fence.group(2).split(None, 1)[0] == "update":
                raise FenceError(
                    f"::: update inside the update of line {offset + start}, "
                    "which is not closed", offset + line,
                    hint=f"updates do not nest: close the update of line {offset + start} "
                         "with a line ':::' before this one")
    raise FenceError(f"::: {kind} is not closed", offset + start,
                     hint=f"add a line ':::' where the {kind} ends (a ``` code block left open "
                          "inside it hides the closing line too)")


def _params(info: str) -> tuple[str, str]:
    """Split `kind rest of line` from a block's info string."""
    kind, *rest = info.split(None, 1)
    return kind, rest[0].strip() if rest else ""


def open_block(token: Token, tokens: list[Token], index: int, walk: "_Walk") -> None:
    """Validate a container's parameters and store what its renderer needs in meta."""
    kind, rest = _params(token.info)
    if kind == "update":
        token.meta = {"update": _make_update(rest, tokens, index, walk)}
        walk.updates.append(token.meta["update"])
    elif kind == "quote":
        token.meta = {"quote": _make_quote(rest, token, walk)}
        walk.quotes.append(token.meta["quote"])
    elif kind == "correction":
        token.meta = {"kind": kind, "title": "", "subtitle": rest}
        _add_correction(token, rest, tokens, index, walk)
    else:
        token.meta = {"kind": kind, "title": rest}


def _make_update(rest: str, tokens: list[Token], index: int, walk: "_Walk") -> Update:
    token = tokens[index]
    if not rest:
        raise ContentError("update without a time", walk.location(token),
                           hint="write ::: update 2025-03-18 16:45")
    try:
        when = parse_datetime(rest, walk.tz)
    except ValueError as exc:
        raise ContentError(f"update time: {_reason(exc, rest)}", walk.location(token),
                           hint=DATE_HINT) from None
    if walk.entry_date is not None and when < walk.entry_date:
        raise ContentError(
            f"update at {rest} is before the entry's date ({walk.entry_date.isoformat()})",
            walk.location(token), hint="fix the update's time or the entry's date")
    base = "update-" + when.strftime("%Y-%m-%d-%H%M")
    return Update(when, walk.unique_id(base), _label(tokens, index), walk.line_of(token))


def _reason(exc: ValueError, text: str) -> str:
    """parse_datetime's reason, or "cannot parse" for what is no date at all."""
    reason = str(exc)
    return reason if "calendar" in reason else f"cannot parse {text!r}"


def _label(tokens: list[Token], index: int, words: int = 12) -> str:
    """The first words of a block's first paragraph."""
    for position in range(index + 1, len(tokens)):  # a slice would copy the rest: quadratic
        token = tokens[position]
        if token.type == "inline":
            text = "".join(c.content for c in token.children or () if c.type in ("text", "code_inline"))
            parts = text.split()
            return " ".join(parts[:words]) + (" …" if len(parts) > words else "")
        if token.nesting == -1 and token.level == tokens[index].level:
            break
    return ""


def _make_quote(rest: str, token: Token, walk: "_Walk") -> Quote:
    params: dict[str, str] = {}
    for match in _PARAM_RE.finditer(rest):
        params[match.group(1)] = match.group(2) if match.group(2) is not None else match.group(3)
    leftover = _PARAM_RE.sub("", rest).strip()
    unknown = set(params) - QUOTE_PARAMS
    if unknown or leftover:
        raise ContentError(f"quote: cannot read {(leftover or sorted(unknown)[0])!r}",
                           walk.location(token),
                           hint='write ::: quote source="Name" url="https://..." date=2025-03-18 '
                                'translated="from French" lang=fr')
    source = params.get("source", "").strip()
    if not source:
        raise ContentError("quote without a source", walk.location(token),
                           hint='add source="Who said it"')
    url = params.get("url", "")
    if url and not _SAFE_URL.match(url):
        raise ContentError(f"quote url {url!r} must be http(s)", walk.location(token))
    date = None
    if "date" in params:
        try:
            date = parse_datetime(params["date"], walk.tz).date()
        except ValueError as exc:
            raise ContentError(f"quote date: {_reason(exc, params['date'])}",
                               walk.location(token), hint="use YYYY-MM-DD") from None
    lang = params.get("lang", "").strip()
    problem = language_problem(lang) if lang else None
    if problem:
        raise ContentError(f"quote {problem}", walk.location(token),
                           hint="write the quoted words' language as lang=ru or lang=pt-BR")
    anchor = walk.unique_id("quote-" + (slugify(source) or "source"))
    return Quote(source, url, date, _translation(params.get("translated", "")), anchor,
                 walk.line_of(token), lang)


def _translation(value: str) -> str:
    """A `translated` note: `true` is the bare word "translated", `false` no note."""
    note = value.strip()
    if note.lower() in ("true", "false"):
        return "translated" if note.lower() == "true" else ""
    return note


def _add_correction(token: Token, rest: str, tokens: list[Token], index: int,
                    walk: "_Walk") -> None:
    date = None
    if rest:
        first = rest.split(" ", 1)[0]
        try:
            date = parse_datetime(first, walk.tz)
            token.meta["subtitle"] = rest[len(first):].strip()
        except ValueError as exc:
            if _LOOKS_LIKE_DATE.match(first):  # a date that is wrong, not a title
                raise ContentError(f"correction date: {_reason(exc, first)}",
                                   walk.location(token), hint=DATE_HINT) from None
            date = None
    token.meta["date"] = date
    anchor = walk.unique_id("correction-" + date.strftime("%Y-%m-%d") if date else "correction")
    token.meta["id"] = anchor
    walk.corrections.append(Correction(date, _label(tokens, index, 40), anchor, walk.line_of(token)))


def mark_alert(token: Token, tokens: list[Token], index: int, walk: "_Walk") -> None:
    """`> [!NOTE]` as the first line of a blockquote turns it into a callout."""
    if index + 2 >= len(tokens) or tokens[index + 1].type != "paragraph_open":
        return
    inline = tokens[index + 2]
    marker = _ALERT_LIKE_RE.match(inline.content)
    if not marker:
        return
    known = ", ".join(f"[!{name}]" for name in ALERTS)
    if marker.group(1) not in ALERTS:
        upper = marker.group(1).upper()
        message = (f"alert [!{marker.group(1)}] must be in capitals" if upper in ALERTS
                   else f"unknown alert [!{marker.group(1)}]")
        raise ContentError(message, walk.location(token),
                           hint=f"the alerts are {known}, in capitals")
    if not _ALERT_RE.match(inline.content):
        raise ContentError(f"alert marker [!{marker.group(1)}] must be alone on its line",
                           walk.location(token),
                           hint=f"write the text on the next line: > [!{marker.group(1)}] "
                                "then > text")
    kind = ALERTS[marker.group(1)]
    token.meta = {"kind": kind, "title": ""}
    children = inline.children or []
    # drop the marker text and the line break after it
    if children and children[0].type == "text":
        children[0].content = _ALERT_RE.sub("", children[0].content, count=1)
        if len(children) > 1 and children[1].type in ("softbreak", "hardbreak") and not children[0].content:
            del children[:2]
    _close_of(tokens, index).meta = token.meta


def _close_of(tokens: list[Token], index: int) -> Token:
    depth = 0
    for token in tokens[index:]:
        if token.type in ("blockquote_open", "blockquote_close"):
            depth += token.nesting
            if depth == 0:
                return token
    return tokens[-1]


def _localizer(env: Any) -> Localizer:
    return env["i18n"]


def _aside_open(meta: dict[str, Any], env: dict) -> str:
    """A callout's title; a correction's own title follows "Correction" and its date."""
    kind, subtitle = meta["kind"], meta.get("subtitle", "")
    title = meta["title"] or _localizer(env).t(f"callout_{kind}")
    anchor = f' id="{escape(meta["id"])}"' if meta.get("id") and not env.get(SUMMARY) else ""
    when = ""
    if meta.get("date"):
        date = meta["date"]
        when = (f' <time datetime="{date.date().isoformat()}">'
                f'{escape(_localizer(env).date_long(date))}</time>')
    label = f"{title}: {subtitle}" if subtitle else title
    after = f": {escape(subtitle)}" if subtitle else ""
    return (f'<aside class="callout callout-{kind}"{anchor} aria-label="{escape(label)}">\n'
            f'<p class="callout-title">{escape(title)}{when}{after}</p>\n')


def _render_callout(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    return _aside_open(token.meta, env) if token.nesting == 1 else "</aside>\n"


def _render_blockquote_open(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    return _aside_open(token.meta, env) if token.meta.get("kind") else "<blockquote>\n"


def _render_blockquote_close(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    return "</aside>\n" if tokens[idx].meta.get("kind") else "</blockquote>\n"


def _render_update(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    if token.nesting == -1:
        return "</section>\n"
    update: Update = token.meta["update"]
    # show the site's local time even when the author wrote an explicit offset; the
    # renderer's env carries the site timezone when markdown.py provides it
    tz = env.get("timezone") if isinstance(env, dict) else None
    when = update.time.astimezone(tz) if tz else update.time
    stamp = _localizer(env).datetime_long(when)
    if env.get(SUMMARY):
        opening = f'<section class="update">\n<p class="update-time"><a href="#{update.id}">'
    else:
        opening = (f'<section class="update" id="{update.id}" aria-labelledby="{update.id}-time">\n'
                   f'<p class="update-time"><a href="#{update.id}" id="{update.id}-time">')
    return f'{opening}<time datetime="{update.time.isoformat()}">{escape(stamp)}</time></a></p>\n'


def _render_quote(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    quote: Quote = token.meta["quote"]
    if token.nesting == 1:
        cite = f' cite="{escape(quote.url)}"' if quote.url else ""
        anchor = "" if env.get(SUMMARY) else f' id="{quote.id}"'
        lang = f' lang="{escape(quote.lang)}"' if quote.lang else ""
        return f'<figure class="source-quote"{anchor}>\n<blockquote{cite}{lang}>\n'
    name = escape(quote.source)
    credit = f'<a href="{escape(quote.url)}">{name}</a>' if quote.url else name
    parts = [f"<cite>{credit}</cite>"]
    if quote.date:
        parts.append(f'<time datetime="{quote.date.isoformat()}">'
                     f'{escape(_localizer(env).date_long(quote.date))}</time>')
    caption = ", ".join(parts)
    if quote.translated:
        note = quote.translated
        if note == "translated":  # translated=true
            note = _localizer(env).t("translated")
        elif not _TRANSLATED_RE.match(note):
            note = _localizer(env).t("translated_note", note=note)
        caption += f' <span class="translated">({escape(note)})</span>'
    return f"</blockquote>\n<figcaption>— {caption}</figcaption>\n</figure>\n"
