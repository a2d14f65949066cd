"""Markdown -> RenderedBody with markdown-it-py: CommonMark plus the author's extensions.

The result depends only on the file's text and the Markdown settings, never on other
entries, so it can be cached per file and computed in worker processes. Cross-references
stay as `entry:` links here; the model resolves them once every entry is known.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from html import escape, unescape
from pathlib import PurePosixPath

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from chronicle_ssg import blocks, highlight, i18n
from chronicle_ssg.errors import ContentError, SourceLocation
from chronicle_ssg.slugs import slugify

MORE_MARKER = "<!--more-->"
#: ids the theme uses on entry pages; body ids never take them
RESERVED_IDS = frozenset({"main", "content", "top", "comments", "updates", "backlinks",
                          "related", "site-nav", "footnotes", "series", "entry-title",
                          "toc-title"})
_FOOTNOTE_REF_ID = re.compile(r' id="fnref[^"]*"')
_RAW_IMG_SRC = re.compile(r"""<img\b[^>]*?\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""",
                          re.IGNORECASE)
#: bump when the HTML we produce changes, so cached renders are not reused
MARKDOWN_VERSION = "7"


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True, slots=True)
class TocItem:
    """A line of a table of contents: an h2 with the h3s under it, or an h3 before any h2."""

    heading: Heading
    children: tuple[Heading, ...] = ()


def table_of_contents(headings: tuple[Heading, ...]) -> tuple[TocItem, ...]:
    """The h2 and h3 headings as a two-level list; headings without text (an image
    alone) would make a link without a name, so they are left out."""
    items: list[TocItem] = []
    for heading in headings:
        if heading.level not in (2, 3) or not heading.text.strip():
            continue
        if heading.level == 3 and items and items[-1].heading.level == 2:
            items[-1] = TocItem(items[-1].heading, items[-1].children + (heading,))
        else:
            items.append(TocItem(heading))
    return tuple(items)


@dataclass(frozen=True, slots=True)
class Ref:
    """A cross-reference `[text](entry:target#fragment)` in an entry body."""

    target: str
    fragment: str
    line: int


@dataclass(frozen=True, slots=True)
class ImageRef:
    """An image in a body as written (`![alt](src)` or raw `<img src>`), with its line:
    the images stage sizes it later, when the file it names is known."""

    src: str
    line: int


@dataclass(frozen=True, slots=True)
class RenderedBody:
    html: str  #: the body, with `entry:` links still to resolve
    summary_html: str  #: before <!--more-->, else the first paragraph ('' when none)
    has_more_marker: bool
    headings: tuple[Heading, ...]
    refs: tuple[Ref, ...]
    updates: tuple[blocks.Update, ...]  #: in source order
    quotes: tuple[blocks.Quote, ...]
    corrections: tuple[blocks.Correction, ...]
    words: int
    ids: tuple[str, ...] = field(default=())  #: every id on the page body, for #fragment checks
    images: tuple[ImageRef, ...] = field(default=())  #: in source order


@dataclass(frozen=True, slots=True)
class MarkdownSettings:
    """The Markdown inputs besides the text: part of the cache key."""

    timezone: dt.tzinfo
    update_order: str = "newest"
    language: str = "en"  #: the site's; an entry's `lang` picks its own catalogue and dates
    #: the words and date patterns blocks print; a catalogue edit changes the key
    catalogues: i18n.Catalogues = field(default_factory=i18n.builtin_catalogues)

    def key(self) -> str:
        return (f"md{MARKDOWN_VERSION}|{self.timezone}|{self.update_order}|{self.language}"
                f"|{self.catalogues.digest}")


def make_markdown() -> MarkdownIt:
    """The author's Markdown: CommonMark, raw HTML, GFM tables and strikethrough, extras."""
    md = MarkdownIt("commonmark", {"html": True, "typographer": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin).use(deflist_plugin)
    blocks.install(md)
    _install_summary_rules(md)
    plain_fence = md.renderer.rules["fence"]

    def render_fence(self, tokens, idx, options, env):  # type: ignore[no-untyped-def]
        code = tokens[idx].meta.get("code")
        if code is None or (not code.line_numbers and not code.marked
                            and (code.plain or highlight.lexer_for(code.language) is None)):
            return plain_fence(tokens, idx, options, env)
        return highlight.render_code(tokens[idx].content, code)

    md.add_render_rule("fence", render_fence)
    return md


#: characters without which a title has no Markdown and no entity: it is shown as written
_TITLE_MARKUP = re.compile(r"[`*_~&\\<>]")


@functools.lru_cache(maxsize=1)
def _title_markdown() -> MarkdownIt:
    """Inline Markdown for titles: code, emphasis, strikethrough, escapes and entities.

    No links, images or raw HTML: a title sits inside a heading link on listings, and
    HTML written in a title is shown as text.
    """
    md = MarkdownIt("zero")
    md.enable(["backticks", "emphasis", "strikethrough", "escape", "entity"])
    return md


@functools.lru_cache(maxsize=65536)  # serve rebuilds model the same titles again
def render_title(title: str) -> tuple[str, str]:
    """(HTML for headings, plain text for <title>, feeds and JSON-LD) of a front-matter title.

    `&ldquo;` and `&#39;` become the characters they name, so nothing is escaped twice.
    """
    if not _TITLE_MARKUP.search(title):
        return escape(title, quote=False), title
    html = _title_markdown().renderInline(title)
    return html, unescape(_TAG_RE.sub("", html))


def _install_summary_rules(md: MarkdownIt) -> None:
    """Headings and footnote references keep their ids in the body, not in a summary:
    a listing shows many summaries, and two footnoted ones would both hold `fnref1`."""
    footnote_ref = md.renderer.rules["footnote_ref"]

    def render_heading_open(self, tokens, idx, options, env):  # type: ignore[no-untyped-def]
        token = tokens[idx]
        if env.get(blocks.SUMMARY):  # the inline content follows on the same line
            bare = token.copy(attrs={k: v for k, v in token.attrs.items() if k != "id"})
            return f"<{token.tag}{self.renderAttrs(bare)}>"
        return self.renderToken(tokens, idx, options, env)

    def render_footnote_ref(self, tokens, idx, options, env):  # type: ignore[no-untyped-def]
        html = footnote_ref(tokens, idx, options, env)
        return _FOOTNOTE_REF_ID.sub("", html, count=1) if env.get(blocks.SUMMARY) else html

    md.add_render_rule("heading_open", render_heading_open)
    md.add_render_rule("footnote_ref", render_footnote_ref)


def render_markdown(md: MarkdownIt, text: str, rel: PurePosixPath, body_line: int,
                    settings: MarkdownSettings, update_order: str | None = None,
                    entry_date: dt.datetime | None = None,
                    written_in: dt.tzinfo | None = None, lang: str = "") -> RenderedBody:
    """Render an entry body; errors carry the file and the line in the file.

    Times without an offset are read in `written_in` (the entry's own `timezone`, else
    the site's) and shown in the site timezone; words and dates are in `lang` (the
    entry's own, else the site's language).
    """
    # blocks show update times in the timezone and the language, and locate fence errors
    # from body_line
    env: dict = {"timezone": settings.timezone, "body_line": body_line,
                 "i18n": settings.catalogues.localizer(lang or settings.language)}
    try:
        tokens = md.parse(text, env)
    except blocks.FenceError as error:
        raise ContentError(error.message, SourceLocation(rel, error.line),
                           hint=error.hint) from None
    walk = _Walk(rel, body_line, written_in or settings.timezone, entry_date)
    walk.ids.update(_footnote_ids(env))  # taken before any heading can claim `fn1`
    walk.run(tokens)
    order = update_order or settings.update_order
    html = _render_with_updates(md, tokens, env, walk.updates, order)
    summary_html, has_more = _summary(md, tokens, env)
    return RenderedBody(
        html=html, summary_html=summary_html, has_more_marker=has_more,
        headings=tuple(walk.headings), refs=tuple(walk.refs), updates=tuple(walk.updates),
        quotes=tuple(walk.quotes), corrections=tuple(walk.corrections),
        words=len(text.split()), ids=tuple(sorted(walk.ids - RESERVED_IDS)),
        images=tuple(walk.images))


class _Walk:
    """One pass over the tokens: heading ids, commentary blocks, cross-references."""

    def __init__(self, rel: PurePosixPath, body_line: int, tz: dt.tzinfo,
                 entry_date: dt.datetime | None) -> None:
        self.rel, self.body_line, self.tz, self.entry_date = rel, body_line, tz, entry_date
        self.headings: list[Heading] = []
        self.refs: list[Ref] = []
        self.updates: list[blocks.Update] = []
        self.quotes: list[blocks.Quote] = []
        self.corrections: list[blocks.Correction] = []
        self.images: list[ImageRef] = []
        self.ids: set[str] = set(RESERVED_IDS)
        self.next_number: dict[str, int] = {}  #: per base id: where unique_id resumes
        self.open_blocks: list[Token] = []

    def line_of(self, token: Token) -> int:
        return self.body_line + (token.map[0] if token.map else 0)

    def location(self, token: Token) -> SourceLocation:
        return SourceLocation(self.rel, self.line_of(token))

    def unique_id(self, base: str) -> str:
        """`base`, else `base-2`, `base-3`... the first that is free.

        Ids are never given back, so every number below the last one handed out for a
        base is still taken: the search resumes there, which keeps a thousand updates
        stamped with the same minute linear instead of quadratic.
        """
        candidate, number = base or "section", self.next_number.get(base, 2)
        while candidate in self.ids:
            candidate, number = f"{base}-{number}", number + 1
        self.next_number[base] = number
        self.ids.add(candidate)
        return candidate

    def run(self, tokens: list[Token]) -> None:
        for index, token in enumerate(tokens):
            kind = token.type
            if kind == "heading_open":
                self.heading(token, tokens[index + 1])
            elif kind == "inline" and token.children:
                self.links(token)
            elif kind == "blockquote_open":
                blocks.mark_alert(token, tokens, index, self)
            elif kind.startswith("container_"):
                self.container(token, tokens, index)
            elif kind == "fence":
                self.fence(token)
            elif kind == "html_block":
                self.raw_images(token.content, token)

    def heading(self, token: Token, inline: Token) -> None:
        text = "".join(c.content for c in inline.children or () if c.type in ("text", "code_inline"))
        anchor = self.unique_id(slugify(text))
        token.attrSet("id", anchor)
        self.headings.append(Heading(int(token.tag[1]), anchor, text))

    def fence(self, token: Token) -> None:
        try:
            options = highlight.parse_info(token.info)
            highlight.check_marked(options, token.content)
        except highlight.FenceOptionError as exc:
            raise ContentError(str(exc), self.location(token),
                               hint="write ```python linenos hl_lines=2,4-5 "
                                    "(docs/content.md, code blocks)") from None
        token.meta["code"] = options

    def links(self, inline: Token) -> None:
        breaks = 0  # inline tokens have no lines: a line break before an image moves it down
        for child in inline.children or ():
            if child.type in ("softbreak", "hardbreak"):
                breaks += 1
            elif child.type == "image":
                self.images.append(ImageRef(str(child.attrGet("src") or ""),
                                            self.line_of(inline) + breaks))
                continue
            elif child.type == "html_inline":
                self.raw_images(child.content, inline, breaks)
                continue
            if child.type != "link_open":
                continue
            href = str(child.attrGet("href") or "")
            if href.startswith("entry:"):
                target, _, fragment = href[len("entry:"):].partition("#")
                if not target:
                    raise ContentError("cross-reference without a target", self.location(inline),
                                       hint="write [text](entry:slug) with the entry's slug")
                self.refs.append(Ref(target, fragment, self.line_of(inline)))

    def raw_images(self, html: str, token: Token, breaks: int = 0) -> None:
        """Images the author wrote as HTML, at `breaks` lines below the token's first."""
        for match in _RAW_IMG_SRC.finditer(html):
            src = next(group for group in match.groups() if group is not None)
            line = self.line_of(token) + breaks + html.count("\n", 0, match.start())
            self.images.append(ImageRef(unescape(src), line))

    def container(self, token: Token, tokens: list[Token], index: int) -> None:
        if token.nesting == 1:
            self.open_blocks.append(token)
            blocks.open_block(token, tokens, index, self)
        elif token.nesting == -1:
            opener = self.open_blocks.pop()
            token.meta = opener.meta


def _render_with_updates(md: MarkdownIt, tokens: list[Token], env: dict,
                         updates: list[blocks.Update], order: str) -> str:
    """Render the body; top-level updates are gathered where the first one stands, sorted."""
    if not updates:
        return md.renderer.render(tokens, md.options, env)
    before: list[Token] = []
    after: list[Token] = []
    sections: list[tuple[dt.datetime, int, str]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "container_update_open" and token.level == 0:
            end = _matching_close(tokens, index)
            html = md.renderer.render(tokens[index:end + 1], md.options, env)
            sections.append((token.meta["update"].time, len(sections), html))
            index = end + 1
            continue
        (after if sections else before).append(token)
        index += 1
    sections.sort(key=lambda item: (item[0], item[1]), reverse=(order == "newest"))
    joined = "".join(html for _, _, html in sections)
    return (md.renderer.render(before, md.options, env)
            + f'<div class="updates" data-order="{escape(order)}">\n{joined}</div>\n'
            + md.renderer.render(after, md.options, env))


def _matching_close(tokens: list[Token], start: int) -> int:
    depth = 0
    for index in range(start, len(tokens)):
        depth += tokens[index].nesting if tokens[index].type.startswith("container_update") else 0
        if depth == 0:
            return index
    return len(tokens) - 1


def _footnote_ids(env: dict) -> set[str]:
    """The ids of the footnotes and of each reference to them (`fnref1:1` for a second)."""
    ids = set()
    for index, note in env.get("footnotes", {}).get("list", {}).items():
        number = index + 1
        ids.update((f"fn{number}", f"fnref{number}"))
        ids.update(f"fnref{number}:{sub}" for sub in range(1, note.get("count", 0)))
    return ids


def _summary(md: MarkdownIt, tokens: list[Token], env: dict) -> tuple[str, bool]:
    """The summary HTML, without ids: listing pages show many summaries side by side."""
    env = {**env, blocks.SUMMARY: True}
    for index, token in enumerate(tokens):
        if token.type == "html_block" and token.content.strip() == MORE_MARKER:
            return md.renderer.render(tokens[:index], md.options, env).strip(), True
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and token.level == 0:
            return md.renderer.render(tokens[index:index + 3], md.options, env).strip(), False
    return "", False


_TAG_RE = re.compile(r"<[^>]+>")


def make_comment_markdown() -> MarkdownIt:
    """Markdown for untrusted reader comments: no raw HTML, no images, safe link schemes."""
    md = MarkdownIt("commonmark", {"html": False, "typographer": True})
    md.enable(["strikethrough", "replacements", "smartquotes"])
    md.disable(["image", "html_inline", "html_block"])
    md.validateLink = _is_safe_comment_link

    def render_link_open(self, tokens, idx, options, env):  # type: ignore[no-untyped-def]
        tokens[idx].attrSet("rel", "nofollow ugc")
        return self.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", render_link_open)
    return md


_SAFE_COMMENT_LINK = re.compile(r"^(https?://[^\s]+|mailto:[^\s]+)$", re.IGNORECASE)


def _is_safe_comment_link(url: str) -> bool:
    return bool(_SAFE_COMMENT_LINK.match(url.strip()))


def plain_text(html: str) -> str:
    """Text of an HTML fragment, for meta descriptions and jump-list labels."""
    from html import unescape
    return " ".join(unescape(_TAG_RE.sub(" ", html)).split())
