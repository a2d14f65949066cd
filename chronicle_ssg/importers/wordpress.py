"""WordPress WXR export (1.0 to 1.2) -> ImportedSite.

Post bodies stay HTML: WordPress shows them through wpautop (blank lines become paragraphs),
so the body is run through the same rules and written as one raw-HTML block, which
chronicle's Markdown passes through unchanged. Shortcodes that have an HTML meaning are
expanded; others are kept as text and listed in the report.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import xml.etree.ElementTree as ET
import xml.parsers.expat
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from chronicle_ssg.errors import ContentError, SourceLocation
from chronicle_ssg.importers.common import (
    MORE_LINE, ImportedEntry, as_html_block, ImportedSite, ImportOptions, Report, embed_html, figure_html,
    format_date, media_html, plain_title, site_path, strip_controls,
)
from chronicle_ssg.slugs import slugify

_NAMESPACES = [(re.compile(r"^https?://wordpress\.org/export/1\.\d+/excerpt/$"), "excerpt"),
               (re.compile(r"^https?://wordpress\.org/export/1\.\d+/$"), "wp"),
               (re.compile(r"^http://purl\.org/rss/1\.0/modules/content/$"), "content"),
               (re.compile(r"^http://purl\.org/dc/elements/1\.1/$"), "dc")]
_NO_DATE = "0000-00-00 00:00:00"


# ---------------------------------------------------------------- reading the XML safely

def parse_wxr(raw: bytes, name: str, report: Report) -> ET.Element:
    """The <channel> element. DTDs and entity declarations are refused (billion laughs,
    external entities): a WordPress export never has them."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContentError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                           SourceLocation(Path(name), raw[:exc.start].count(b"\n") + 1),
                           hint="export the site again; WordPress writes UTF-8") from None
    text = strip_controls(text, name, report, first_line=1)
    guard = xml.parsers.expat.ParserCreate()

    def refuse(*_: Any) -> None:
        raise ContentError("the export declares a DTD or entities, which a WordPress export never "
                           "does; refusing to read it", SourceLocation(Path(name), guard.CurrentLineNumber),
                           hint="export the site again from WordPress")
    guard.StartDoctypeDeclHandler = refuse
    guard.EntityDeclHandler = refuse
    try:
        guard.Parse(text.encode("utf-8"), True)
        root = ET.fromstring(text.encode("utf-8"))
    except (xml.parsers.expat.ExpatError, ET.ParseError) as exc:
        line = getattr(exc, "lineno", None) or (exc.position[0] if hasattr(exc, "position") else None)
        raise ContentError(f"not a readable XML file: {exc}", SourceLocation(Path(name), line),
                           hint="is this a WordPress export (Tools > Export)?") from None
    for element in root.iter():
        element.tag = _short_tag(element.tag)
    channel = root.find("channel")
    if root.tag != "rss" or channel is None or channel.find("wp:wxr_version") is None and \
            channel.find("item/wp:post_id") is None:
        raise ContentError("not a WordPress export (WXR): no <rss><channel> with wp: elements",
                           SourceLocation(Path(name), 1), hint="export with Tools > Export in WordPress")
    return channel


def _short_tag(tag: str) -> str:
    if not tag.startswith("{"):
        return tag
    uri, _, local = tag[1:].partition("}")
    prefix = next((p for pattern, p in _NAMESPACES if pattern.match(uri)), None)
    return f"{prefix}:{local}" if prefix else local


def _text(element: ET.Element | None, path: str, default: str = "") -> str:
    found = element.find(path) if element is not None else None
    return (found.text or default) if found is not None else default


# ---------------------------------------------------------------- the site

class _Context:
    """What every item needs: the site's URLs, authors, categories, uploads and the report."""

    def __init__(self, channel: ET.Element, site: ImportedSite, options: ImportOptions) -> None:
        self.site, self.report, self.options = site, site.report, options
        self.blog_url = (_text(channel, "wp:base_blog_url") or _text(channel, "link")).rstrip("/")
        self.base_path = (urlsplit(self.blog_url).path.rstrip("/") or "") + "/"
        hosts = {urlsplit(u).hostname for u in (self.blog_url, _text(channel, "wp:base_site_url"),
                                                 _text(channel, "link")) if u}
        hosts.discard(None)
        host_pattern = "|".join(re.escape(h) for h in sorted(hosts)) or "(?!)"
        self.uploads_re = re.compile(
            rf"(?:https?:)?//(?:(?:www\.)?(?:{host_pattern})/wp-content/uploads|[\w-]+\.files\.wordpress\.com)"
            r"/([^\s\"'<>()\[\]?#]+)(?:\?[^\s\"'<>()\[\]#]*)?")
        self.site_link_re = re.compile(rf"(?<=[\"'])(?:https?:)?//(?:www\.)?(?:{host_pattern})"
                                       rf"{re.escape(self.base_path.rstrip('/'))}(/[^\"'\s<>]*)?(?=[\"'])")
        self.authors: dict[str, dict[str, str]] = {}
        for author in channel.findall("wp:author"):
            login = _text(author, "wp:author_login")
            self.authors[login] = {"name": _text(author, "wp:author_display_name") or login,
                                   "id": _text(author, "wp:author_id"),
                                   "email": _text(author, "wp:author_email").lower()}
        self.parents: dict[str, tuple[str, str]] = {}  # nicename -> (name, parent nicename)
        for category in channel.findall("wp:category"):
            self.parents[_text(category, "wp:category_nicename")] = (
                html.unescape(_text(category, "wp:cat_name")), _text(category, "wp:category_parent"))
        self.uploads: dict[str, str] = {}  # uploads path -> where first used
        self.attachments: dict[str, list[tuple[str, str, str]]] = {}  # parent id -> (id, url, caption)
        self.attachment_urls: dict[str, str] = {}  # attachment id -> url

    def upload_path(self, match: re.Match[str], where: str) -> str:
        path = unquote(match.group(1))
        self.uploads.setdefault(path, where)
        return f"/wp-content/uploads/{path}"


def read_source(export: Path, options: ImportOptions) -> ImportedSite:
    """Read a WXR file into entries, pages, comments, uploads and the report."""
    if not export.is_file():
        raise ContentError(f"{export}: no such file", hint="give the path of the WXR export (.xml)")
    report = Report(f"chronicle import wordpress {export.name}")
    site = ImportedSite(report)
    channel = parse_wxr(export.read_bytes(), export.name, report)
    context = _Context(channel, site, options)
    report.count("authors", len(context.authors))
    report.count("categories", len(channel.findall("wp:category")))
    report.count("tags", len(channel.findall("wp:tag")))
    items = channel.findall("item")
    offsets = Counter(_offset(i) for i in items if _text(i, "wp:status") == "publish")
    offsets.pop(None, None)
    offset = sorted(offsets.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if offsets else dt.timedelta(0)
    site.config = {"title": html.unescape(_text(channel, "title")) or "Imported from WordPress",
                   "description": html.unescape(_text(channel, "description")),
                   "base_url": context.blog_url + "/",
                   "language": (_text(channel, "language") or "en").split("_")[0].split("-")[0] or "en",
                   "timezone": _etc_zone(offset, report)}
    for item in items:
        if _text(item, "wp:post_type") == "attachment":
            _attachment(item, context)
    for item in items:
        _item(item, context, dt.timezone(offset))
    _uploads(context)
    _term_redirects(channel, site)
    report.summary += _STATUS_LINES
    return site


_STATUS_LINES = [
    "What WordPress statuses become: publish -> published; future -> published with its future "
    "date (chronicle schedules it); draft and pending -> draft: true (built with --drafts); "
    "private and password-protected -> draft: true (chronicle has neither, so they stay "
    "unpublished); trash and auto-draft -> skipped. Sticky posts keep `sticky: true` in "
    "their front matter (chronicle lists entries by date).",
]


def _offset(item: ET.Element) -> dt.timedelta | None:
    local, gmt = _text(item, "wp:post_date"), _text(item, "wp:post_date_gmt")
    try:
        return dt.datetime.fromisoformat(local) - dt.datetime.fromisoformat(gmt)
    except ValueError:
        return None


def _etc_zone(offset: dt.timedelta, report: Report) -> str:
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    if rest:
        report.summary.append(f"The site's UTC offset {offset} is not whole hours: timezone UTC.")
        return "UTC"
    if hours:
        report.summary.append(f"Most posts were written at UTC{hours:+d}: timezone = "
                              f"\"Etc/GMT{-hours:+d}\" (change it to the IANA name of your zone).")
    return f"Etc/GMT{-hours:+d}" if hours else "UTC"


def _where(item: ET.Element) -> str:
    title = html.unescape(_text(item, "title")).strip()
    return f"item {_text(item, 'wp:post_id')} \"{title[:60]}\""


def _attachment(item: ET.Element, context: _Context) -> None:
    context.report.count("attachments")
    url = _text(item, "wp:attachment_url") or _text(item, "guid")
    attachment_id = _text(item, "wp:post_id")
    context.attachment_urls[attachment_id] = url
    context.attachments.setdefault(_text(item, "wp:post_parent"), []).append(
        (attachment_id, url, html.unescape(_text(item, "excerpt:encoded"))))


_SKIPPED_STATUS = {"trash": "in the trash", "auto-draft": "an automatic draft WordPress never showed",
                   "inherit": "a revision"}


def _item(item: ET.Element, context: _Context, tz: dt.tzinfo) -> None:
    report, where = context.report, _where(item)
    post_type, status = _text(item, "wp:post_type"), _text(item, "wp:status")
    if post_type == "attachment":
        return
    if post_type not in ("post", "page"):
        report.count(f"skipped: {post_type or 'unknown'} items")
        report.note("skipped", where, f"post type '{post_type}' has no chronicle equivalent")
        return
    if status in _SKIPPED_STATUS:
        report.count(f"skipped: {status} {post_type}s")
        report.note("skipped", where, f"status '{status}': {_SKIPPED_STATUS[status]}")
        return
    report.count(f"{post_type}s with status {status}")
    post_id = _text(item, "wp:post_id")
    password = bool(_text(item, "wp:post_password"))
    draft = status in ("draft", "pending", "private") or password
    if status == "private" or password:
        report.note("changed", where, "private post: imported as a draft" if status == "private"
                    else "password-protected: imported as a draft (chronicle has no passwords)")
    title = plain_title(_text(item, "title"), where, report, literal=True)
    if not title:
        title = f"Untitled {post_type} {post_id}"
        report.note("changed", where, f"no title: titled '{title}'")
    date = _date(item, tz)
    slug = unquote(_text(item, "wp:post_name")) or slugify(title) or f"{post_type}-{post_id}"
    meta: dict[str, Any] = {}
    creator = _text(item, "dc:creator")
    if creator:
        meta["author"] = context.authors.get(creator, {}).get("name", creator)
    categories, tags = _terms(item, context, where)
    if categories:
        meta["categories"] = categories
    if tags:
        meta["tags"] = tags
    excerpt = html.unescape(re.sub(r"<[^>]+>", "", _text(item, "excerpt:encoded"))).strip()
    if excerpt:
        meta["summary"] = " ".join(excerpt.split())
    if _text(item, "wp:is_sticky") == "1":
        meta["sticky"] = True
        report.count("sticky posts")
        report.note("changed", where, "sticky post: kept as `sticky: true` (chronicle orders by date)")
    body = convert_body(_text(item, "content:encoded"), item, context, where)
    old_urls = _old_urls(item, context, post_type, post_id, status, body)
    entry = ImportedEntry(key=f"wp-{post_id}", kind="entry" if post_type == "post" else "page",
                          title=title, slug=slug, date=date, where=where, body=body, meta=meta,
                          old_urls=old_urls if status in ("publish", "future") else [],
                          draft=draft)
    entry.comments = _comments(item, context, where, creator)
    context.site.entries.append(entry)


def _date(item: ET.Element, tz: dt.tzinfo) -> dt.datetime:
    local, gmt = _text(item, "wp:post_date", _NO_DATE), _text(item, "wp:post_date_gmt", _NO_DATE)
    return _aware(local, gmt, tz)


def _aware(local: str, gmt: str, tz: dt.tzinfo) -> dt.datetime:
    """WordPress stores local time and UTC; their difference is the offset of that moment."""
    try:
        local_time = dt.datetime.fromisoformat(local)
    except ValueError:
        return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    try:
        offset = local_time - dt.datetime.fromisoformat(gmt)
        return local_time.replace(tzinfo=dt.timezone(offset))
    except ValueError:  # drafts have no GMT date: use the site's usual offset
        return local_time.replace(tzinfo=tz)


def _terms(item: ET.Element, context: _Context, where: str) -> tuple[list[str], list[str]]:
    categories: list[str] = []
    tags: list[str] = []
    for element in item.findall("category"):
        domain, name = element.get("domain", "category"), html.unescape(element.text or "").strip()
        if not name:
            continue
        if domain == "category":
            chain, nicename, seen = [name], element.get("nicename", ""), set()
            while nicename in context.parents and nicename not in seen:  # parents first, as WP lists them
                seen.add(nicename)
                parent = context.parents[nicename][1]
                if parent in context.parents:
                    chain.insert(0, context.parents[parent][0])
                nicename = parent
            categories += [c for c in chain if c not in categories]
        elif domain in ("post_tag", "tag"):
            if name not in tags:
                tags.append(name)
        elif domain != "post_format":
            context.report.note("skipped", where, f"term '{name}' of the taxonomy '{domain}' "
                                                  "(chronicle has tags and categories)")
    return categories, tags


def _old_urls(item: ET.Element, context: _Context, post_type: str, post_id: str, status: str,
              body: str) -> list[str]:
    urls = []
    link = site_path(_text(item, "link"), context.base_path) if _text(item, "link") else None
    if link:
        urls.append(link)
    urls.append(f"/?p={post_id}" if post_type == "post" else f"/?page_id={post_id}")
    if link and "?" not in link and '<hr class="nextpage">' in body:
        pages = body.count('<hr class="nextpage">') + 1
        urls += [f"{link.rstrip('/')}/{n}/" for n in range(2, pages + 1)]
    return [u for i, u in enumerate(urls) if u not in urls[:i]]


# ---------------------------------------------------------------- bodies

_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->\n?", re.DOTALL)
_MORE = re.compile(r"<!--more(?:\s[^>]*)?-->", re.IGNORECASE)
_NEXTPAGE = re.compile(r"<!--nextpage-->", re.IGNORECASE)
_SHORTCODE_NAMES = "caption|wp_caption|gallery|embed|audio|video|playlist|youtube|vimeo|wpvideo"
_ENCLOSED = re.compile(r"\[(caption|wp_caption|embed)(\s[^\]]*)?\](.*?)\[/\1\]", re.DOTALL)
_SELF = re.compile(r"\[(gallery|audio|video|youtube|vimeo|playlist|wpvideo)(\s[^\]]*)?\](?:(.*?)\[/\1\])?",
                   re.DOTALL)
_ANY_SHORTCODE = re.compile(r"\[([a-z][\w-]*)(\s[^\]\n]*=[^\]\n]*)?\](?:.*?\[/\1\])?", re.DOTALL)
_ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+))""")
_OWN_LINE_URL = re.compile(r"^[ \t]*(https?://[^\s<>\"]+)[ \t]*$", re.MULTILINE)


def convert_body(content: str, item: ET.Element, context: _Context, where: str) -> str:
    """WordPress post content -> the HTML WordPress would have shown, as a Markdown body."""
    has_blocks = "<!-- wp:" in content
    text = _BLOCK_COMMENT.sub("", content)
    if has_blocks:
        context.report.count("posts with Gutenberg blocks")
    text = _OWN_LINE_URL.sub(lambda m: _auto_embed(m, context), text)
    text = _ENCLOSED.sub(lambda m: _enclosed(m, item, context, where), text)
    text = _SELF.sub(lambda m: _self_closing(m, item, context, where), text)
    for match in _ANY_SHORTCODE.finditer(text):
        context.report.count("shortcodes kept as text")
        context.report.note("kept", f"{where} line {text.count(chr(10), 0, match.start()) + 1}",
                            f"shortcode [{match.group(1)}] has no chronicle equivalent: kept as text")
    text = context.uploads_re.sub(lambda m: context.upload_path(m, where), text)
    text = context.site_link_re.sub(lambda m: m.group(1) or "/", text)
    if _NEXTPAGE.search(text):
        context.report.note("changed", where, "<!--nextpage--> pages joined into one page, "
                                              "separated by rules; /N/ URLs become aliases")
        text = _NEXTPAGE.sub('\n\n<hr class="nextpage">\n\n', text)
    parts = _MORE.split(text, maxsplit=1)
    if len(_MORE.findall(text)) > 1:
        context.report.note("changed", where, "several <!--more--> markers: the first one counts")
    segments = [part if has_blocks else wpautop(part) for part in parts]
    return f"\n\n{MORE_LINE}\n\n".join(s for s in (as_html_block(seg) for seg in segments) if s) \
        if len(segments) > 1 else as_html_block(segments[0])


def _auto_embed(match: re.Match[str], context: _Context) -> str:
    context.report.count("auto-embedded URLs")
    return embed_html(html.unescape(match.group(1)))


def _attributes(text: str | None) -> dict[str, str]:
    return {m.group(1).lower(): html.unescape(next(g for g in m.groups()[1:] if g is not None))
            for m in _ATTRIBUTE.finditer(text or "")}


def _enclosed(match: re.Match[str], item: ET.Element, context: _Context, where: str) -> str:
    name, attributes, inner = match.group(1), _attributes(match.group(2)), match.group(3).strip()
    context.report.count(f"[{name}] shortcodes converted")
    if name == "embed":
        return embed_html(html.unescape(inner))
    image = re.match(r"((?:<a\b[^>]*>)?\s*<img\b[^>]*>\s*(?:</a>)?)(.*)", inner, re.DOTALL)
    media, caption = (image.group(1), image.group(2).strip()) if image else (inner, "")
    caption = caption or attributes.get("caption", "")
    align = attributes.get("align", "alignnone")
    style = f' style="max-width:{int(attributes["width"])}px"' if attributes.get("width", "").isdigit() else ""
    return (f'<figure class="wp-caption {html.escape(align)}"{style}>{media}'
            f'<figcaption class="wp-caption-text">{caption}</figcaption></figure>')


def _self_closing(match: re.Match[str], item: ET.Element, context: _Context, where: str) -> str:
    name, attributes = match.group(1), _attributes(match.group(2))
    context.report.count(f"[{name}] shortcodes converted")
    if name == "gallery":
        return _gallery(attributes, item, context, where)
    if name in ("audio", "video"):
        sources = [attributes[k] for k in ("src", "mp3", "m4a", "ogg", "wav", "wma", "mp4", "m4v",
                                           "webm", "ogv", "wmv", "flv") if attributes.get(k)]
        if not sources:  # `[audio URL]`, `[video]URL[/video]`, or the post's attached media
            loose = re.search(r"https?://[^\s\]\"']+", f"{match.group(2) or ''} {match.group(3) or ''}")
            extensions = _MEDIA_EXTENSIONS[name]
            sources = [loose.group(0)] if loose else [
                url for _, url, _ in sorted(context.attachments.get(_text(item, "wp:post_id"), []))
                if url.lower().rsplit(".", 1)[-1] in extensions][:1]
        extra = {k: attributes[k] for k in ("width", "height", "poster") if attributes.get(k)}
        if not sources:
            context.report.note("changed", where, f"[{name}] without a source: the post's attached "
                                                  "media are not known; left out")
            return ""
        return media_html(name, sources, extra)
    if name in ("youtube", "vimeo"):
        url = (match.group(2) or "").strip().lstrip("=").strip() or (match.group(3) or "")
        return embed_html(url)
    context.report.note("kept", where, f"[{name}] cannot be converted: kept as text")
    return match.group(0)


_MEDIA_EXTENSIONS = {"audio": {"mp3", "m4a", "ogg", "oga", "wav", "wma", "flac"},
                     "video": {"mp4", "m4v", "webm", "ogv", "wmv", "flv", "mov"}}


def _gallery(attributes: dict[str, str], item: ET.Element, context: _Context, where: str) -> str:
    post_id = _text(item, "wp:post_id")
    if attributes.get("ids"):
        ids = [i.strip() for i in attributes["ids"].split(",") if i.strip()]
        images = [(i, context.attachment_urls[i], "") for i in ids if i in context.attachment_urls]
        missing = [i for i in ids if i not in context.attachment_urls]
        if missing:
            context.report.note("missing", where, f"[gallery] attachments {', '.join(missing)} "
                                                  "are not in the export")
    else:
        images = sorted(context.attachments.get(post_id, []), key=lambda a: int(a[0] or 0))
    if not images:
        context.report.note("changed", where, "[gallery] with no images in the export: left out")
        return ""
    figures = "".join(f"<li>{figure_html(url, caption=caption, link=url)}</li>"
                      for _, url, caption in images)
    columns = attributes.get("columns", "3")
    return f'<ul class="gallery gallery-columns-{html.escape(columns)}">{figures}</ul>'


# ---------------------------------------------------------------- wpautop

_BLOCK_TAGS = ("table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|"
               "form|map|area|blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section|"
               "article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary")
_PROTECTED = re.compile(r"<(pre|script|style|textarea|svg)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
_TAG_WITH_NEWLINE = re.compile(r"<[^>]*\n[^>]*>")


def wpautop(text: str) -> str:
    """WordPress's paragraph rules: blank lines separate <p>s, single newlines become <br />."""
    if not text.strip():
        return ""
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return f"<pre data-kept=\"{len(kept) - 1}\"></pre>"
    text = _PROTECTED.sub(keep, text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _TAG_WITH_NEWLINE.sub(lambda m: m.group(0).replace("\n", "\u0000"), text)
    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text + "\n")
    text = re.sub(rf"(<(?:{_BLOCK_TAGS})[\s/>])", r"\n\n\1", text, flags=re.IGNORECASE)
    text = re.sub(rf"(</(?:{_BLOCK_TAGS})>)", r"\1\n\n", text, flags=re.IGNORECASE)
    chunks = [c.strip("\n") for c in re.split(r"\n\s*\n", text) if c.strip()]
    text = "".join(f"<p>{c}</p>\n" for c in chunks)
    text = re.sub(r"<p>\s*</p>", "", text)
    text = re.sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text)
    text = re.sub(rf"<p>\s*(</?(?:{_BLOCK_TAGS})[^>]*>)\s*</p>", r"\1", text, flags=re.IGNORECASE)
    text = re.sub(r"<p>(<li.+?)</p>", r"\1", text)
    text = re.sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", text, flags=re.IGNORECASE)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = re.sub(rf"<p>\s*(</?(?:{_BLOCK_TAGS})[^>]*>)", r"\1", text, flags=re.IGNORECASE)
    text = re.sub(rf"(</?(?:{_BLOCK_TAGS})[^>]*>)\s*</p>", r"\1", text, flags=re.IGNORECASE)
    text = re.sub(r"(?<!<br />)\s*\n", "<br />\n", text)
    text = re.sub(rf"(</?(?:{_BLOCK_TAGS})[^>]*>)\s*<br />", r"\1", text, flags=re.IGNORECASE)
    text = re.sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", text,
                  flags=re.IGNORECASE)
    text = text.replace("\u0000", "\n")
    text = re.sub(r'<pre data-kept="(\d+)"></pre>', lambda m: kept[int(m.group(1))], text)
    return text.strip()


# ---------------------------------------------------------------- comments

def _comments(item: ET.Element, context: _Context, where: str, creator: str) -> list[dict[str, Any]]:
    report = context.report
    records, kept = [], set()
    users = {data["id"]: login for login, data in context.authors.items() if data["id"]}
    emails = {data["email"]: login for login, data in context.authors.items() if data["email"]}
    for comment in item.findall("wp:comment"):
        comment_id = _text(comment, "wp:comment_id")
        approved, kind = _text(comment, "wp:comment_approved"), _text(comment, "wp:comment_type")
        if kind in ("pingback", "trackback"):
            report.count(f"skipped: {kind}s")
            continue
        if approved != "1":
            label = {"spam": "spam", "trash": "trashed", "0": "unapproved"}.get(approved, approved)
            report.count(f"skipped: {label} comments")
            continue
        date = _aware(_text(comment, "wp:comment_date"), _text(comment, "wp:comment_date_gmt"),
                      dt.timezone.utc)
        body, dropped = comment_markdown(_text(comment, "wp:comment_content"))
        if dropped:
            report.note("changed", f"{where} comment {comment_id}",
                        f"HTML tags {', '.join(sorted(dropped))} removed (comments are Markdown without HTML)")
        author = html.unescape(_text(comment, "wp:comment_author")).strip() or "Anonymous"
        record: dict[str, Any] = {"id": int(comment_id) if comment_id.isdigit() else comment_id,
                                  "author": author, "date": format_date(date),
                                  "body": body or "(empty comment)"}
        parent = _text(comment, "wp:comment_parent")
        if parent not in ("", "0"):
            record["parent"] = int(parent) if parent.isdigit() else parent
        login = users.get(_text(comment, "wp:comment_user_id")) or \
            emails.get(_text(comment, "wp:comment_author_email").lower())
        if login:
            record["role"] = "author" if login == creator else "admin"
        url = _text(comment, "wp:comment_author_url").strip()
        if url.startswith(("http://", "https://")):
            record["url"] = url
        records.append(record)
        kept.add(record["id"])
    for record in records:  # a reply to a comment that was left out becomes a top-level comment
        if "parent" in record and record["parent"] not in kept:
            report.note("changed", f"{where} comment {record['id']}",
                        f"replies to comment {record['parent']}, which was not imported: now top-level")
            del record["parent"]
    return sorted(records, key=lambda r: (r["date"], str(r["id"])))


_COMMENT_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)([^>]*)>")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_LINE_START_SPECIAL = re.compile(r"^([ \t]*)([#>+-]|\d+\.)(?=\s)", re.MULTILINE)


def comment_markdown(content: str) -> tuple[str, set[str]]:
    """Comment HTML -> Markdown for chronicle's restricted comment renderer; the tags it cannot
    keep are returned for the report."""
    out, dropped, link_stack = [], set(), []
    position = 0
    marks = {"em": "*", "i": "*", "strong": "**", "b": "**", "code": "`", "del": "~~", "s": "~~"}
    in_code = False
    for match in _COMMENT_TAG.finditer(content):
        text = html.unescape(content[position:match.start()])
        out.append(text if in_code else _escape_markdown(text))
        position = match.end()
        closing, tag, attributes = match.group(1), match.group(2).lower(), match.group(3)
        if tag in marks:
            out.append(marks[tag])
            in_code = tag == "code" and not closing
        elif tag == "a":
            if closing:
                out.append(f"]({link_stack.pop()})" if link_stack else "")
            else:
                href = _attributes(attributes).get("href", "")
                link_stack.append(href.replace(")", "%29").replace(" ", "%20"))
                out.append("[")
        elif tag == "br":
            out.append("\\\n")
        elif tag in ("p", "blockquote"):
            out.append("\n\n")
        else:
            dropped.add(tag)
    out.append(_escape_markdown(html.unescape(content[position:])))
    text = "".join(out).replace("\r\n", "\n")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    body = "\n\n".join(re.sub(r"(?<!\\)\n", "\\\n", p) for p in paragraphs)
    return body, dropped


def _escape_markdown(text: str) -> str:
    return _LINE_START_SPECIAL.sub(r"\1\\\2", _MARKDOWN_SPECIAL.sub(r"\\\1", text))


# ---------------------------------------------------------------- uploads and term URLs

def _uploads(context: _Context) -> None:
    report, folder = context.report, context.options.uploads
    for path, where in sorted(context.uploads.items()):
        source = folder / path if folder else None
        if source is not None and source.is_file() and not source.is_symlink() and \
                source.resolve().is_relative_to(folder.resolve()):
            context.site.files[f"static/wp-content/uploads/{path}"] = source
            report.count("uploads copied")
        else:
            report.count("uploads missing")
            reason = "not in --uploads folder" if folder else "not copied: give --uploads DIR"
            report.note("missing", where, f"/wp-content/uploads/{path} ({reason})")
    if context.uploads:
        report.summary.append("Upload URLs (wp-content/uploads, files.wordpress.com) now point to "
                              "/wp-content/uploads/... served from static/wp-content/uploads/.")


def _term_redirects(channel: ET.Element, site: ImportedSite) -> None:
    """Category, tag and author archives have new addresses; the redirect maps carry them."""
    pairs = []
    for category in channel.findall("wp:category"):
        nicename = _text(category, "wp:category_nicename")
        name = html.unescape(_text(category, "wp:cat_name"))
        if nicename and slugify(name):
            pairs.append((f"/category/{nicename}/", f"/categories/{slugify(name)}/"))
    for tag in channel.findall("wp:tag"):
        tag_slug, name = _text(tag, "wp:tag_slug"), html.unescape(_text(tag, "wp:tag_name"))
        if tag_slug and slugify(name):
            pairs.append((f"/tag/{tag_slug}/", f"/tags/{slugify(name)}/"))
    for author in channel.findall("wp:author"):
        login = _text(author, "wp:author_login")
        name = _text(author, "wp:author_display_name") or login
        if login and slugify(name):
            pairs.append((f"/author/{login}/", f"/authors/{slugify(name)}/"))
    pairs.append(("/feed/", "/feed.xml"))
    site.redirects += pairs
    site.report.summary.append(f"{len(pairs)} category, tag, author and feed URLs are in the "
                               "redirect maps (chronicle has no redirect pages for listings).")
