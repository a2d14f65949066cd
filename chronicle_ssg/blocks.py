"""The commentary blocks: timestamped updates, attributed quotes, callouts, alerts.

Syntax (markdown-it-container; an outer container uses more colons than an inner one):

    :::: update 2025-03-18 16:45
    ::: quote source="Press Office" url="https://..." date=2025-03-18 translated="from French"
    Quoted text.
    :::
    ::: note
    The author's comment.
    :::
    ::::

Callouts: note, warning, background, correction [DATE]; an optional title may follow the
kind. GitHub alerts (`> [!NOTE]`) become the same callouts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin

from chronicle_ssg.dates import DATE_HINT, parse_datetime
from chronicle_ssg.errors import ContentError
from chronicle_ssg.slugs import slugify

if TYPE_CHECKING:
    from chronicle_ssg.markdown import _Walk

CALLOUTS = {"note": "Note", "warning": "Warning", "background": "Background",
            "correction": "Correction", "tip": "Tip", "important": "Important",
            "caution": "Caution"}
#: GitHub alert names and the callout each becomes
ALERTS = {"NOTE": "note", "TIP": "tip", "IMPORTANT": "important", "WARNING": "warning",
          "CAUTION": "caution"}
QUOTE_PARAMS = {"source", "url", "date", "translated"}
_PARAM_RE = re.compile(r'(\w+)=(?:"([^"]*)"|(\S+))')
_SAFE_URL = re.compile(r"^(https?://|/|#|mailto:)", re.IGNORECASE)
_ALERT_RE = re.compile(r"^\[!([A-Z]+)\][ \t]*(?:\n|$)")


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


@dataclass(frozen=True, slots=True)
class Correction:
    """A correction callout; the date defaults to the entry's date at model time."""

    date: dt.datetime | None
    text: str
    id: str
    line: int


def install(md: MarkdownIt) -> None:
    """Register the containers and their renderers on a MarkdownIt instance."""
    container_plugin(md, "update", render=_render_update)
    container_plugin(md, "quote", render=_render_quote)
    for kind in ("note", "warning", "background", "correction"):
        container_plugin(md, kind, render=_render_callout)
    md.add_render_rule("blockquote_open", _render_blockquote_open)
    md.add_render_rule("blockquote_close", _render_blockquote_close)


def _params(info: str) -> tuple[str, str]:
    """Split `kind rest of line` from a container's info string."""
    kind, _, rest = info.strip().partition(" ")
    return kind, rest.strip()


def open_block(token: Token, tokens: list[Token], index: int, walk: "_Walk") -> None:
    """Validate a container's parameters and store what its renderer needs in meta."""
    kind, rest = _params(token.info)
    if kind == "update":
        token.meta = {"update": _make_update(rest, tokens, index, walk)}
        walk.updates.append(token.meta["update"])
    elif kind == "quote":
        token.meta = {"quote": _make_quote(rest, token, walk)}
        walk.quotes.append(token.meta["quote"])
    else:
        token.meta = {"kind": kind, "title": rest or CALLOUTS[kind]}
        if kind == "correction":
            _add_correction(token, rest, tokens, index, walk)


def _make_update(rest: str, tokens: list[Token], index: int, walk: "_Walk") -> Update:
    token = tokens[index]
    if not rest:
        raise ContentError("update without a time", walk.location(token),
                           hint="write ::: update 2025-03-18 16:45")
    try:
        when = parse_datetime(rest, walk.tz)
    except ValueError:
        raise ContentError(f"update time: cannot parse {rest!r}", walk.location(token),
                           hint=DATE_HINT) from None
    if walk.entry_date is not None and when < walk.entry_date:
        raise ContentError(
            f"update at {rest} is before the entry's date ({walk.entry_date.isoformat()})",
            walk.location(token), hint="fix the update's time or the entry's date")
    base = "update-" + when.strftime("%Y-%m-%d-%H%M")
    return Update(when, walk.unique_id(base), _label(tokens, index), walk.line_of(token))


def _label(tokens: list[Token], index: int, words: int = 12) -> str:
    """The first words of a block's first paragraph."""
    for token in tokens[index + 1:]:
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
                                'translated="from French"')
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
        except ValueError:
            raise ContentError(f"quote date: cannot parse {params['date']!r}",
                               walk.location(token), hint="use YYYY-MM-DD") from None
    anchor = walk.unique_id("quote-" + (slugify(source) or "source"))
    return Quote(source, url, date, params.get("translated", ""), anchor, walk.line_of(token))


def _add_correction(token: Token, rest: str, tokens: list[Token], index: int,
                    walk: "_Walk") -> None:
    date = None
    if rest:
        first = rest.split(" ", 1)[0]
        try:
            date = parse_datetime(first, walk.tz)
            token.meta["title"] = rest[len(first):].strip() or CALLOUTS["correction"]
        except ValueError:
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
    match = _ALERT_RE.match(inline.content)
    if not match or match.group(1) not in ALERTS:
        return
    kind = ALERTS[match.group(1)]
    token.meta = {"kind": kind, "title": CALLOUTS[kind]}
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


def _aside_open(meta: dict[str, Any]) -> str:
    kind, title = meta["kind"], meta["title"]
    anchor = f' id="{escape(meta["id"])}"' if meta.get("id") else ""
    when = ""
    if meta.get("date"):
        date = meta["date"]
        when = f' <time datetime="{date.date().isoformat()}">{date.strftime("%-d %B %Y")}</time>'
    return (f'<aside class="callout callout-{kind}"{anchor} aria-label="{escape(title)}">\n'
            f'<p class="callout-title">{escape(title)}{when}</p>\n')


def _render_callout(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    return _aside_open(token.meta) if token.nesting == 1 else "</aside>\n"


def _render_blockquote_open(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    return _aside_open(token.meta) if token.meta.get("kind") else "<blockquote>\n"


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
    stamp = when.strftime("%-d %B %Y, %H:%M")
    zone = when.strftime("%Z")
    return (f'<section class="update" id="{update.id}" aria-labelledby="{update.id}-time">\n'
            f'<p class="update-time"><a href="#{update.id}" id="{update.id}-time">'
            f'<time datetime="{update.time.isoformat()}">{escape(stamp)}'
            f'{" " + escape(zone) if zone else ""}</time></a></p>\n')


def _render_quote(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    quote: Quote = token.meta["quote"]
    if token.nesting == 1:
        cite = f' cite="{escape(quote.url)}"' if quote.url else ""
        return f'<figure class="source-quote" id="{quote.id}">\n<blockquote{cite}>\n'
    name = escape(quote.source)
    credit = f'<a href="{escape(quote.url)}">{name}</a>' if quote.url else name
    parts = [f"<cite>{credit}</cite>"]
    if quote.date:
        parts.append(f'<time datetime="{quote.date.isoformat()}">'
                     f'{quote.date.strftime("%-d %B %Y")}</time>')
    caption = ", ".join(parts)
    if quote.translated:
        caption += f' <span class="translated">(translated {escape(quote.translated.removeprefix("translated ").strip())})</span>'
    return f"</blockquote>\n<figcaption>— {caption}</figcaption>\n</figure>\n"
