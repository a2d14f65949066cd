"""What the three importers share: the imported values, the report, URLs and aliases, and the writing.

An importer reads the old site into an `ImportedSite` (entries with their old URLs, files to
copy, notes in a `Report`). `plan_site()` then decides every new file: entry paths and slugs,
front matter, aliases, the redirect maps and the permalink offer; `write_site()` writes them,
never replacing a file that differs without `--force`, so a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from chronicle_ssg.dates import load_timezone, parse_datetime
from chronicle_ssg.discover import bundle_of
from chronicle_ssg.markdown import render_title
from chronicle_ssg.model import split_people
from chronicle_ssg.paths import check_url_path, normalise_url_path
from chronicle_ssg.slugs import slugify
from chronicle_ssg.text import strip_forbidden

REPORT_FILE = "import-report.txt"
REDIRECTS_FOLDER = "redirects"
DEFAULT_PERMALINK = "/{year}/{month}/{day}/{slug}/"
MORE_LINE = "<!--more-->"  #: the summary marker, alone on its line between blank lines
#: front-matter keys in the order they are written; any other key follows, sorted
KEY_ORDER = ("title", "date", "updated", "author", "categories", "tags", "series", "summary",
             "description", "slug", "lang", "draft", "aliases")
#: first URL segments and files the build itself writes: an alias or page there would clash
RESERVED_SEGMENTS = frozenset({"tags", "categories", "authors", "series", "sources",
                               "corrections", "archives", "page"})
RESERVED_FILES = frozenset({"/", "/feed.xml", "/sitemap.xml", "/robots.txt", "/404.html"})
_ARCHIVE_PATH = re.compile(r"^/\d{4}/(?:\d{2}/(?:\d{2}/)?)?$")
_REF_LINK = re.compile(r"chronicle-import:([^)\s\"'#]+)(#[^)\s\"']*)?")


# ---------------------------------------------------------------- the report

@dataclass(frozen=True, slots=True)
class Note:
    """One item that was skipped, changed or needs the user's attention."""

    section: str  #: one of SECTIONS
    where: str  #: `file:line`, or `item 12 "Title"` for a WXR item
    message: str


SECTIONS = {
    "skipped": "Skipped (not imported)",
    "changed": "Changed on the way in",
    "kept": "Kept visible as text (no chronicle equivalent): edit by hand",
    "missing": "Files referenced but not found",
    "urls": "Old URLs",
}


@dataclass(slots=True)
class Report:
    """Counts per kind and every note; `format()` is also written to import-report.txt."""

    title: str
    counts: Counter[str] = field(default_factory=Counter)
    notes: list[Note] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)  #: free lines shown after the counts

    def count(self, kind: str, number: int = 1) -> None:
        self.counts[kind] += number

    def note(self, section: str, where: str, message: str) -> None:
        self.notes.append(Note(section, where, message))

    def format(self) -> str:
        lines = [self.title, "", "Counts:"]
        width = max((len(k) for k in self.counts), default=0)
        lines += [f"  {kind:<{width}}  {number}" for kind, number in sorted(self.counts.items())]
        if self.summary:
            lines += [""] + self.summary
        for section, heading in SECTIONS.items():
            notes = [n for n in self.notes if n.section == section]
            if notes:
                lines += ["", f"{heading} ({len(notes)}):"]
                lines += [f"  {n.where}: {n.message}" for n in notes]
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- imported values

@dataclass(slots=True)
class ImportedEntry:
    """An entry or page as read from the old site, before new paths are decided."""

    key: str  #: unique within the import: how other entries refer to it (`chronicle-import:KEY`)
    kind: str  #: "entry" or "page"
    title: str
    slug: str
    date: dt.datetime | None  #: aware; required for entries
    where: str  #: source location for the report
    body: str = ""
    meta: dict[str, Any] = field(default_factory=dict)  #: other front matter (author, tags...)
    old_urls: list[str] = field(default_factory=list)  #: site paths the old site answered at
    comments: list[dict[str, Any]] = field(default_factory=list)
    resources: list[tuple[Path, str]] = field(default_factory=list)  #: bundle files: (source, name)
    draft: bool = False


@dataclass(slots=True)
class ImportedSite:
    """Everything an importer read; `config` holds chronicle.toml values for a new site."""

    report: Report
    config: dict[str, Any] = field(default_factory=dict)
    entries: list[ImportedEntry] = field(default_factory=list)
    #: site-relative destination (`static/...`) -> source file
    files: dict[str, Path] = field(default_factory=dict)
    #: extra old -> new redirects (term archives...), for the redirect maps only
    redirects: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ImportOptions:
    force: bool = False
    keep_urls: bool = False
    uploads: Path | None = None  #: WordPress: the wp-content/uploads folder, if the user has it


# ---------------------------------------------------------------- text helpers

def strip_controls(text: str, where: str, report: Report, first_line: int | None = None) -> str:
    """Remove the characters HTML and XML forbid (chronicle's own rule, text.FORBIDDEN),
    noting each line that had one."""
    cleaned, removed = strip_forbidden(text)
    if not removed:
        return text
    for number, line in enumerate(text.split("\n")):
        line_removed = strip_forbidden(line)[1]
        if line_removed:
            place = f"{where}:{first_line + number}" if first_line is not None else where
            report.note("changed", place, f"removed control character {', '.join(line_removed)}")
            report.count("control characters removed", len(line) - len(strip_forbidden(line)[0]))
    return cleaned


def clean_value(value: Any, where: str, report: Report) -> Any:
    """strip_controls for every string inside a front-matter value."""
    if isinstance(value, str):
        return strip_controls(value, where, report)
    if isinstance(value, list):
        return [clean_value(v, where, report) for v in value]
    if isinstance(value, dict):
        return {str(k): clean_value(v, where, report) for k, v in value.items()}
    return value


_TAG = re.compile(r"<[^>]+>")


_TITLE_MARKUP = re.compile(r"[\\`*_~&]")


def plain_title(raw: str, where: str, report: Report, literal: bool = False) -> str:
    """A title for chronicle's front matter: entities become characters, tags are dropped.

    chronicle reads inline Markdown in titles (backticks, emphasis). `literal` titles (a
    WordPress title is HTML, not Markdown) get their Markdown characters escaped when
    chronicle would read them otherwise, so the title shows as it did.
    """
    text = " ".join(html.unescape(_TAG.sub("", raw)).split())
    if _TAG.search(raw):
        report.note("changed", where, f"HTML removed from the title {raw!r}")
    if literal and render_title(text)[1] != text:
        text = _TITLE_MARKUP.sub(lambda m: "\\" + m.group(), text)
    return text


def names_list(value: Any) -> list[str]:
    """A front-matter value that holds names (a list, or one name) as a list of strings."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value).strip()]


def line_of(text: str, index: int, first_line: int = 1) -> int:
    return first_line + text.count("\n", 0, index)


# ---------------------------------------------------------------- dates

#: named zones that Ruby's Time.parse and Hugo accept in dates
ZONE_OFFSETS = {"UTC": 0, "GMT": 0, "Z": 0, "UT": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
                "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
                "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "WET": 0, "WEST": 1,
                "IST": 5.5, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11}
MONTHS = {name: number for number, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")], start=1) for name in names}
_TIME = r"(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([AaPp][Mm])?)?"
_ZONE = r"\s*(Z|[+-]\d{2}:?\d{2}|[A-Za-z]{1,5})?"
_ISO_LOOSE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME + _ZONE + r"$")
_MONTH_FIRST = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})" + _TIME + _ZONE + r"$")
_DAY_FIRST = re.compile(r"^(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})" + _TIME + _ZONE + r"$")
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+", re.IGNORECASE)


def parse_loose_date(value: Any, tz: dt.tzinfo) -> dt.datetime | None:
    """Dates as Jekyll and Hugo accept them; None when the value is not a date.

    `2019-12-3`, `September 8, 2014`, `8 Sep 2014 10:00`, `2017-10-23 13:00 EDT`, RFC 3339...
    Naive times are in `tz`.
    """
    try:
        return parse_datetime(value, tz)
    except ValueError:
        pass
    if not isinstance(value, str):
        return None
    text = _WEEKDAY.sub("", value.strip())
    match = _ISO_LOOSE.match(text)
    if match:
        year, month, day = match.group(1), match.group(2), match.group(3)
        rest = match.groups()[3:]
    else:
        match = _MONTH_FIRST.match(text) or _DAY_FIRST.match(text)
        if not match:
            return None
        first, second = match.group(1), match.group(2)
        name, day = (first, second) if first.isalpha() else (second, first)
        month = MONTHS.get(name.lower())
        if month is None:
            return None
        year, rest = match.group(3), match.groups()[3:]
    hour, minute, second_, meridiem, zone = rest
    hour_number = int(hour or 0)
    if meridiem:
        hour_number = hour_number % 12 + (12 if meridiem.lower() == "pm" else 0)
    zone_info = _zone(zone, tz)
    if zone_info is None:
        return None
    try:
        return dt.datetime(int(year), int(month), int(day), hour_number, int(minute or 0),
                           int(second_ or 0), tzinfo=zone_info)
    except ValueError:
        return None


def _zone(text: str | None, default: dt.tzinfo) -> dt.tzinfo | None:
    if not text:
        return default
    if text[0] in "+-":
        sign = -1 if text[0] == "-" else 1
        digits = text[1:].replace(":", "")
        return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    hours = ZONE_OFFSETS.get(text.upper())
    return None if hours is None else dt.timezone(dt.timedelta(hours=hours))


def timezone_or_utc(name: str | None, where: str, report: Report) -> tuple[str, dt.tzinfo]:
    """The old site's timezone name when chronicle knows it, else UTC (noted)."""
    if name:
        try:
            return name, load_timezone(name)
        except ValueError:
            report.note("changed", where, f"unknown timezone {name!r}: UTC is used instead")
    return "UTC", dt.timezone.utc


def format_date(value: dt.datetime) -> str:
    return value.isoformat(timespec="seconds")


# ---------------------------------------------------------------- HTML snippets for embeds

_YOUTUBE = re.compile(r"(?:youtube(?:-nocookie)?\.com/(?:watch\?(?:.*&)?v=|embed/|shorts/|v/)|youtu\.be/)([\w-]{6,})")
_VIMEO = re.compile(r"vimeo\.com/(?:video/)?(\d+)")


def youtube_html(video_id: str, title: str = "YouTube video") -> str:
    return (f'<div class="embed embed-video"><iframe src="https://www.youtube-nocookie.com/embed/'
            f'{html.escape(video_id)}" title="{html.escape(title)}" width="560" height="315" '
            'allowfullscreen loading="lazy"></iframe></div>')


def embed_html(url: str) -> str:
    """An embedded player for YouTube and Vimeo URLs, else a plain link (nothing is lost)."""
    youtube = _YOUTUBE.search(url)
    if youtube:
        return youtube_html(youtube.group(1))
    vimeo = _VIMEO.search(url)
    if vimeo:
        return (f'<div class="embed embed-video"><iframe src="https://player.vimeo.com/video/'
                f'{vimeo.group(1)}" title="Vimeo video" width="560" height="315" '
                'allowfullscreen loading="lazy"></iframe></div>')
    safe = html.escape(url)
    return f'<p class="embed"><a href="{safe}">{safe}</a></p>'


def media_html(tag: str, sources: list[str], attributes: dict[str, str] | None = None) -> str:
    """`<video>` or `<audio>` with controls, one <source> each, and a download link as fallback."""
    attrs = "".join(f' {k}="{html.escape(v)}"' for k, v in sorted((attributes or {}).items()))
    inner = "".join(f'<source src="{html.escape(s)}">' for s in sources)
    fallback = "".join(f'<a href="{html.escape(s)}">{html.escape(s.rsplit("/", 1)[-1])}</a>'
                       for s in sources[:1])
    return f'<figure class="embed embed-{tag}"><{tag} controls{attrs}>{inner}{fallback}</{tag}></figure>'


def figure_html(src: str, alt: str = "", caption: str = "", link: str = "",
                css_class: str = "", caption_is_html: bool = False) -> str:
    img = f'<img src="{html.escape(src)}" alt="{html.escape(alt)}">'
    if link:
        img = f'<a href="{html.escape(link)}">{img}</a>'
    cls = f' class="{html.escape(css_class)}"' if css_class else ""
    cap = caption if caption_is_html else html.escape(caption)
    figcaption = f"<figcaption>{cap}</figcaption>" if caption else ""
    return f"<figure{cls}>{img}{figcaption}</figure>"


# ---------------------------------------------------------------- Markdown helpers

_HTML_BLOCK_START = re.compile(
    r"^<(?:address|article|aside|blockquote|details|div|dl|fieldset|figcaption|figure|footer|"
    r"form|h[1-6]|header|hr|iframe|li|main|menu|nav|ol|p|section|summary|table|ul)[\s/>]",
    re.IGNORECASE)
_PRE = re.compile(r"<pre\b.*?</pre>", re.DOTALL | re.IGNORECASE)


def as_html_block(text: str) -> str:
    """One CommonMark HTML block: no blank line inside (a blank line inside <pre> becomes an
    entity-led line, which shows the same), starting with a block tag so nothing is read as
    Markdown."""
    text = text.strip()
    if not text:
        return ""
    text = _PRE.sub(lambda m: re.sub(r"\n(?=\n)", "\n&#10;", m.group(0)).replace("&#10;\n", "&#10;"), text)
    text = re.sub(r"\n[ \t]*(?:\n[ \t]*)+", "\n", text)
    if not _HTML_BLOCK_START.match(text):
        text = f"<div>\n{text}\n</div>"
    return text


_ATTRIBUTE_LINE = re.compile(r"^[ \t]*\{:?[ \t]*(?:[.#][\w-]+|[\w-]+=|:?toc|::)[^}\n]*\}[ \t]*$\n?", re.MULTILINE)
_INLINE_ATTRIBUTES = re.compile(r"(?<=[)\]*_`])\{:[ \t]*[^}\n]*\}")
_TOC_LIST = re.compile(r"^[*-][ \t]+(?:TOC|Table of Contents)[ \t]*\n(?=[ \t]*\{:?[ \t]*:?toc)", re.MULTILINE)


def drop_attribute_lines(body: str, where: str, first_line: int, report: Report) -> str:
    """kramdown `{: .class}` / `{:toc}` and Hugo `{.class}` attribute lists style blocks for the
    old theme; chronicle's theme does not know those classes, so they go (each one noted)."""
    body = _TOC_LIST.sub("", body)
    for pattern, label in ((_ATTRIBUTE_LINE, "attribute list"), (_INLINE_ATTRIBUTES, "inline attribute list")):
        for match in pattern.finditer(body):
            report.count("attribute lists removed")
            report.note("changed", f"{where}:{line_of(body, match.start(), first_line)}",
                        f"{label} {match.group(0).strip()} removed (styling for the old theme)")
        body = pattern.sub("", body)
    return body


def report_kept(pattern: re.Pattern[str], body: str, where: str, first_line: int, report: Report,
                what: str) -> None:
    """Template syntax left in a body: it stays visible as text, and each place is listed."""
    for match in pattern.finditer(body):
        report.count(f"{what} kept as text")
        snippet = " ".join(match.group(0).split())[:80]
        report.note("kept", f"{where}:{line_of(body, match.start(), first_line)}",
                    f"{what} {snippet} has no chronicle equivalent: kept as text")



_HEADING_ID = re.compile(r"^(#{1,6}[ \t]+.*?)[ \t]*\{#([\w:.-]+)(?:[^}]*)\}[ \t]*$", re.MULTILINE)


def heading_ids(body: str, where: str, first_line: int, report: Report) -> str:
    """`## Title {#custom}`: chronicle makes ids from the text, so a different custom id is kept
    as an empty anchor inside the heading, and old links to `#custom` still land there."""
    def replace(match: re.Match[str]) -> str:
        heading, wanted = match.group(1), match.group(2)
        text = heading.lstrip("#").strip()
        report.count("heading ids converted")
        if slugify(text) == wanted:
            return heading
        report.note("changed", f"{where}:{line_of(body, match.start(), first_line)}",
                    f"heading id {{#{wanted}}} kept as an anchor in the heading")
        return f'{heading} <span id="{html.escape(wanted)}"></span>'
    return _HEADING_ID.sub(replace, body)


_LOCAL_REF = re.compile(r"""(?:\]\(|(?:src|href|poster)=["'])(/[^)\s"'?#]+\.[A-Za-z0-9]{1,5})(?=[)\s"'?#])""")


def copy_referenced_files(body: str, roots: list[Path], site: ImportedSite, where: str,
                          first_line: int = 1) -> None:
    """Root-relative links and images to files that exist under one of `roots` are copied to
    static/ at the same path, so the old file URLs keep answering; others are listed."""
    for match in _LOCAL_REF.finditer(body):
        path = unquote(match.group(1))
        if path.endswith((".html", ".htm")) or check_url_path(path):
            continue
        target = f"static{path}"
        if target in site.files:
            continue
        found = next((root / path.lstrip("/") for root in roots
                      if _is_regular_file_inside(root / path.lstrip("/"), root)), None)
        if found is None:
            site.report.note("missing", f"{where}:{line_of(body, match.start(), first_line)}",
                             f"{path} is not in the source folder")
            site.report.count("files missing")
        else:
            site.files[target] = found


def _is_regular_file_inside(path: Path, root: Path) -> bool:
    try:
        return path.is_file() and not path.is_symlink() and path.resolve().is_relative_to(root.resolve())
    except OSError:
        return False


def site_path(url: str, base_path: str = "/") -> str | None:
    """The path of an old URL relative to the old site's base path, query kept; None elsewhere."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if not path.startswith(base_path):
        return None
    path = "/" + path[len(base_path):].lstrip("/")
    return path + (f"?{parts.query}" if parts.query else "")


def reference(key: str, fragment: str = "") -> str:
    """A link target that plan_site() turns into an `entry:` reference to the imported entry `key`."""
    return f"chronicle-import:{key}{fragment}"


# ---------------------------------------------------------------- planning

@dataclass(frozen=True, slots=True)
class Planned:
    """An entry with its decided file, URL and front matter."""

    entry: ImportedEntry
    rel: str  #: path of the Markdown file under the site
    url: str  #: new URL path, without the base path
    aliases: tuple[str, ...]


def url_pattern(old_path: str, slug: str, date: dt.datetime) -> str | None:
    """Express an old entry URL as a chronicle permalink pattern, if it is one."""
    segments = [s for s in old_path.split("/") if s]
    if not segments or "?" in old_path:
        return None
    suffix = ""
    last = segments[-1]
    if not old_path.endswith("/") and "." in last:
        last, _, extension = last.rpartition(".")
        suffix, segments[-1] = f".{extension}", last
    fields = {"year": f"{date.year:04d}", "month": f"{date.month:02d}", "day": f"{date.day:02d}",
              "slug": slug}
    used: set[str] = set()
    out = []
    for segment in segments:
        name = next((n for n in ("slug", "year", "month", "day") if n not in used
                     and fields[n] == segment), None)
        if name:
            used.add(name)
            out.append("{" + name + "}")
        elif re.fullmatch(r"[a-z0-9_-]+", segment):
            out.append(segment)
        else:
            return None
    if "slug" not in used:
        return None
    return "/" + "/".join(out) + (suffix if suffix else "/")


def entry_url(pattern: str, slug: str, date: dt.datetime) -> str:
    return normalise_url_path(pattern.format(year=f"{date.year:04d}", month=f"{date.month:02d}",
                                             day=f"{date.day:02d}", slug=slug))


def _reserved(path: str) -> str | None:
    if path in RESERVED_FILES or _ARCHIVE_PATH.match(path):
        return "the build writes a page there"
    first = path.strip("/").split("/")[0]
    if first in RESERVED_SEGMENTS:
        return f"/{first}/ is one of chronicle's own listings"
    return None


def choose_permalink(site: ImportedSite, tz: dt.tzinfo, current: str, keep_urls: bool,
                     can_set: bool) -> str:
    """Offer (or with --keep-urls use) the old URL pattern as the permalink setting."""
    patterns = Counter()
    dated = [e for e in site.entries if e.kind == "entry" and e.date and e.old_urls]
    for entry in dated:
        pattern = url_pattern(unquote(entry.old_urls[0]), entry.slug, entry.date.astimezone(tz))
        if pattern:
            patterns[pattern] += 1
    if not patterns:
        return current
    best, number = sorted(patterns.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    share = f"{number} of {len(dated)} entries"
    if best == current:
        site.report.summary.append(f"Old entry URLs follow {best} ({share}), chronicle's permalink "
                                   "setting here: they keep their URLs.")
        return current
    if keep_urls and can_set:
        site.report.summary.append(f"--keep-urls: permalink = \"{best}\" written to chronicle.toml "
                                   f"({share} keep their URLs; the others get aliases).")
        return best
    how = ("rerun with --keep-urls to write it to chronicle.toml" if can_set else
           "set it in chronicle.toml yourself (an import --into never changes the configuration)")
    site.report.summary.append(f"Old entry URLs follow {best} ({share}): chronicle can keep them "
                               f"with permalink = \"{best}\"; {how}. Without it each old URL "
                               "becomes an alias (a redirect page).")
    return current


def plan_site(site: ImportedSite, permalink: str, tz: dt.tzinfo) -> list[Planned]:
    """Decide each entry's slug, file and URL, and which old URLs become aliases."""
    report = site.report
    taken_slugs: set[str] = set()
    taken_files: set[str] = set()
    planned: list[tuple[ImportedEntry, str, str]] = []
    for entry in sorted(site.entries, key=lambda e: (e.kind, e.date or dt.datetime.min.replace(
            tzinfo=dt.timezone.utc), e.key)):
        slug = _safe_slug(entry, report)
        if entry.kind == "page" and _reserved(f"/{slug}/"):
            report.note("changed", entry.where, f"slug '{slug}' is taken by chronicle's own pages: "
                                                f"renamed '{slug}-page'")
            slug = f"{slug}-page"
        base, number = slug, 2
        while slug in taken_slugs:
            slug, number = f"{base}-{number}", number + 1
        if slug != base:
            report.note("changed", entry.where, f"slug '{base}' is used by another entry: renamed '{slug}'")
        taken_slugs.add(slug)
        entry.slug = slug
        # an entry with files of its own is written as a bundle: a folder with index.md
        # and the files, which chronicle publishes beside the entry's page
        name = "/index.md" if entry.resources else ".md"
        if entry.kind == "page":
            rel, url = f"content/pages/{slug}{name}", f"/{slug}/"
        else:
            local = entry.date.astimezone(tz)
            rel = f"content/entries/{local:%Y}/{local:%Y-%m-%d}-{slug}{name}"
            url = entry_url(permalink, slug, local)
        if rel in taken_files:  # cannot happen with unique slugs; kept as a guard for --into
            raise AssertionError(rel)
        taken_files.add(rel)
        planned.append((entry, rel, url))
    urls = {url: entry.where for entry, _, url in planned}
    folded = {url.casefold(): where for url, where in urls.items()}
    result = []
    for entry, rel, url in planned:
        aliases: list[str] = []
        for old in entry.old_urls:
            alias = _alias(old, url, entry, urls, folded, report)
            if alias and alias not in aliases:
                aliases.append(alias)
                urls[alias] = folded[alias.casefold()] = entry.where
        result.append(Planned(entry, rel, url, tuple(aliases)))
    return result


def _safe_slug(entry: ImportedEntry, report: Report) -> str:
    slug = entry.slug.strip()
    if slug and "/" not in slug and not check_url_path(slug) and not slug.startswith("."):
        return slug
    fixed = slugify(slug.replace("/", "-")) or slugify(entry.title) or f"item-{slugify(entry.key)}"
    report.note("changed", entry.where, f"slug {slug!r} is not one safe URL segment: '{fixed}' instead")
    return fixed


def _alias(old: str, url: str, entry: ImportedEntry, urls: dict[str, str],
           folded: dict[str, str], report: Report) -> str | None:
    if "?" in old:
        report.count("old URLs with a query (redirect map only)")
        return None
    path = normalise_url_path(unquote(old))
    if path == url:
        report.count("old URLs kept as they were")
        return None
    if path.casefold() == url.casefold():  # one file serves both on case-insensitive hosts
        report.note("urls", entry.where, f"old URL {old} differs from the new one only by case: "
                                         "no alias (it would collide); it is in the redirect maps")
        return None
    problem = check_url_path(path) or _reserved(path)
    if problem:
        report.note("urls", entry.where, f"old URL {old} cannot be an alias: {problem}; it is in "
                                         "the redirect maps")
        return None
    clash = urls.get(path) or folded.get(path.casefold())
    if clash:
        report.note("urls", entry.where, f"old URL {old} is also the URL of {clash}: "
                                         "no alias written")
        return None
    report.count("old URLs answered by aliases")
    return path


def _key_variants(key: str) -> list[str]:
    stem = re.sub(r"(/index|/_index)?(\.[\w-]+)?\.(md|markdown|html)$", "", key)
    return [stem, stem.rsplit("/", 1)[-1], stem + "/"]


def resolve_references(planned: list[Planned], report: Report) -> dict[str, str]:
    """Bodies after `chronicle-import:KEY` links became `entry:` references (or plain URLs to drafts)."""
    by_key: dict[str, Planned] = {}
    for variant in (0, 1):  # exact keys win over shorter spellings (`posts/x`, `x.md`, `x`)
        for item in planned:
            for name in (_key_variants(item.entry.key) if variant else [item.entry.key]):
                by_key.setdefault(name, item)
    bodies = {}
    for item in planned:
        def replace(match: re.Match[str], item: Planned = item) -> str:
            name = unquote(match.group(1)).strip("/")
            target = by_key.get(name) or by_key.get(_key_variants(name)[0]) or \
                by_key.get(_key_variants(name)[1])
            fragment = match.group(2) or ""
            if target is None:
                report.note("missing", item.entry.where, f"link to {match.group(1)}: no such entry "
                                                         "in the import; the link points nowhere")
                return f"/{match.group(1)}{fragment}"
            if target.entry.draft or target.entry.kind == "page":
                return target.url + fragment
            report.count("links turned into entry: references")
            return ("entry:" + target.rel.removeprefix("content/").removesuffix(".md")
                    .removesuffix("/index") + fragment)
        bodies[item.entry.key] = _REF_LINK.sub(replace, item.entry.body)
    return bodies


# ---------------------------------------------------------------- file contents

class _Dumper(yaml.SafeDumper):
    """Safe YAML with multi-line text as `|` blocks, so imported bodies stay readable."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def dump_yaml(value: Any) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)


def front_matter(meta: dict[str, Any]) -> str:
    """YAML front matter in a fixed key order, so two imports give the same bytes."""
    ordered = {k: meta[k] for k in KEY_ORDER if k in meta and meta[k] not in (None, "", [])}
    ordered.update({k: meta[k] for k in sorted(meta) if k not in ordered and k not in KEY_ORDER})
    return "---\n" + dump_yaml(_plain(ordered)) + "---\n"


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return format_date(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def entry_file(item: Planned, body: str) -> str:
    entry = item.entry
    meta: dict[str, Any] = {"title": entry.title}
    if entry.date is not None:
        meta["date"] = entry.date
    meta.update(entry.meta)
    stem = bundle_folder.name if (bundle_folder := bundle_of(PurePosixPath(item.rel))) \
        else PurePosixPath(item.rel).stem
    if slugify(stem[11:] if entry.kind == "entry" else stem) != entry.slug:
        meta["slug"] = entry.slug
    if entry.draft:
        meta["draft"] = True
    if item.aliases:
        meta["aliases"] = list(item.aliases)
    return front_matter(meta) + "\n" + body.strip("\n") + "\n"


def comments_file(comments: list[dict[str, Any]]) -> str:
    return dump_yaml({"comments": [_plain(c) for c in comments]})


def redirect_maps(pairs: list[tuple[str, str]], base_path: str) -> dict[str, str]:
    """old -> new for web servers: Netlify `_redirects`, nginx and Apache snippets."""
    prefix = base_path.rstrip("/")
    netlify, nginx_paths, nginx_queries, apache = [], [], [], ["RewriteEngine On"]
    for old, new in sorted(set(pairs)):
        target = prefix + new
        path, _, query = old.partition("?")
        path = prefix + path
        if query:
            netlify.append(f"{path} {query.replace('&', ' ')} {target} 301!")
            nginx_queries.append(f"    \"{path}?{query}\" {target};")
            apache.append(f"RewriteCond %{{QUERY_STRING}} ^{re.escape(query)}$")
            apache.append(f"RewriteRule ^{re.escape(path.lstrip('/'))}$ {target}? [R=301,L]")
        else:
            netlify.append(f"{path} {target} 301")
            nginx_paths.append(f"location = {path} {{ return 301 {target}; }}")
            apache.append(f"RewriteRule ^{re.escape(path.lstrip('/'))}$ {target} [R=301,L]")
    header = "# written by chronicle import: old URLs of the imported site -> their new URLs\n"
    nginx = header + "\n".join(nginx_paths) + "\n"
    if nginx_queries:
        nginx += ("# URLs with a query: put the map in the http block and the if in the server block\n"
                  "map $request_uri $chronicle_import_redirect {\n    default \"\";\n"
                  + "\n".join(nginx_queries) + "\n}\n"
                  "# if ($chronicle_import_redirect) { return 301 $chronicle_import_redirect; }\n")
    return {f"{REDIRECTS_FOLDER}/_redirects": header + "\n".join(netlify) + "\n",
            f"{REDIRECTS_FOLDER}/nginx.conf": nginx,
            f"{REDIRECTS_FOLDER}/apache.conf": header + "\n".join(apache) + "\n"}


def config_toml(config: dict[str, Any]) -> str:
    lines = ["# written by chronicle import; see docs/configuration.md"]
    for key in ("title", "description", "base_url", "language", "timezone", "author", "permalink"):
        if config.get(key):
            lines.append(f"{key} = {_toml_string(str(config[key]))}")
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04X}", escaped)
    return f'"{escaped}"'


# ---------------------------------------------------------------- writing

@dataclass(slots=True)
class WriteResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  #: existed with other bytes, no --force


def build_outputs(site: ImportedSite, options: ImportOptions, target_config: dict[str, Any] | None,
                  ) -> dict[str, bytes | Path]:
    """Every file of the import, site-relative path -> bytes or a source file to copy.

    `target_config` is the existing site's (permalink, timezone, base_path) for --into,
    None for a new site (then chronicle.toml is written from the import's config).
    """
    report = site.report
    if target_config is None:
        tz_name = site.config.get("timezone", "UTC")
        tz = load_timezone(tz_name)
        permalink = choose_permalink(site, tz, site.config.get("permalink", DEFAULT_PERMALINK),
                                     options.keep_urls, can_set=True)
        base_path = urlsplit(site.config.get("base_url", "/")).path or "/"
    else:
        tz, base_path = target_config["tz"], target_config["base_path"]
        permalink = choose_permalink(site, tz, target_config["permalink"], options.keep_urls,
                                     can_set=False)
    planned = plan_site(site, permalink, tz)
    bodies = resolve_references(planned, report)
    outputs: dict[str, bytes | Path] = {}
    pairs = list(site.redirects)
    for item in planned:
        outputs[item.rel] = entry_file(item, bodies[item.entry.key]).encode("utf-8")
        if item.entry.comments:
            outputs[item.rel.removesuffix(".md") + ".comments.yaml"] = \
                comments_file(item.entry.comments).encode("utf-8")
        for source, name in item.entry.resources:
            outputs[f"{PurePosixPath(item.rel).parent}/{name}"] = source
        pairs += [(old, item.url) for old in item.entry.old_urls
                  if normalise_url_path(unquote(old.partition("?")[0])) != item.url or "?" in old]
        report.count("entries" if item.entry.kind == "entry" else "pages")
        if item.entry.draft:
            report.count("drafts")
        report.count("comments imported", _count_comments(item.entry.comments))
    outputs.update(site.files)
    if pairs:
        outputs.update({k: v.encode("utf-8") for k, v in redirect_maps(pairs, base_path).items()})
        report.summary.append(f"Redirect maps for web servers ({len(set(pairs))} old URLs): "
                              f"{REDIRECTS_FOLDER}/_redirects (Netlify: copy it to static/), "
                              f"{REDIRECTS_FOLDER}/nginx.conf, {REDIRECTS_FOLDER}/apache.conf.")
    if target_config is None:
        config = dict(site.config)
        config["permalink"] = permalink if permalink != DEFAULT_PERMALINK else ""
        outputs["chronicle.toml"] = config_toml(config).encode("utf-8")
    outputs[REPORT_FILE] = report.format().encode("utf-8")
    return dict(sorted(outputs.items()))


def _count_comments(comments: list[dict[str, Any]]) -> int:
    return len(comments)


def write_outputs(root: Path, outputs: dict[str, bytes | Path], force: bool) -> WriteResult:
    """Write each file unless an existing one differs (then only with force); never follows links."""
    result = WriteResult()
    for rel, content in outputs.items():
        if check_url_path(rel):
            raise AssertionError(f"unsafe output path {rel!r}")  # paths are built from safe slugs
        data = content.read_bytes() if isinstance(content, Path) else content
        target = root / rel
        if target.is_symlink():
            result.refused.append(rel)
            continue
        if target.exists():
            if target.is_file() and target.read_bytes() == data:
                result.unchanged.append(rel)
                continue
            if not force or not target.is_file():
                result.refused.append(rel)
                continue
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.import-tmp")
        temporary.write_bytes(data)
        os.replace(temporary, target)
        result.written.append(rel)
    return result


# ---------------------------------------------------------------- the command

def run_import(site: ImportedSite, root: Path, into: bool, options: ImportOptions,
               ) -> tuple[Report, WriteResult]:
    """Plan and write an import into `root` (an existing site with `into`, else a new one)."""
    target_config = None
    if into:
        from chronicle_ssg.config import load_config
        config = load_config(root)
        target_config = {"tz": config.tz, "permalink": config.permalink,
                         "base_path": config.base_path}
    outputs = build_outputs(site, options, target_config)
    return site.report, write_outputs(root, outputs, options.force)


def import_command(kind: str, source: Path, root: Path, into: bool, force: bool = False,
                   keep_urls: bool = False, uploads: Path | None = None) -> int:
    """`chronicle import KIND SOURCE`: read, write, print the report; 1 when files were refused."""
    import importlib
    import sys

    from chronicle_ssg.errors import ChronicleError
    options = ImportOptions(force=force, keep_urls=keep_urls, uploads=uploads)
    if into and not (root / "chronicle.toml").is_file():
        raise ChronicleError(f"{root}: no chronicle.toml here", hint="--into names an existing "
                             "chronicle site; leave it out to write a new site")
    if uploads is not None and not uploads.is_dir():
        raise ChronicleError(f"--uploads {uploads}: no such folder")
    module = importlib.import_module(f"chronicle_ssg.importers.{kind}")
    site = module.read_source(source.absolute(), options)
    report, result = run_import(site, root.absolute(), into, options)
    print(report.format(), end="")
    print(f"\n{len(result.written)} files written, {len(result.unchanged)} unchanged -> {root}")
    for rel in result.refused:
        print(f"{root / rel}: error: exists with different content; left as it is "
              "(--force replaces it)", file=sys.stderr)
    if result.refused:
        print(f"import incomplete: {len(result.refused)} files not written", file=sys.stderr)
        return 1
    print(f"next: chronicle build --source {root}")
    return 0


# ---------------------------------------------------------------- reading source files

@dataclass(frozen=True, slots=True)
class SourceText:
    """A Markdown source of the old site: front matter, body and where the body starts."""

    rel: str
    meta: dict[str, Any]
    key_lines: dict[str, int]
    body: str
    body_line: int


def read_source_text(path: Path, rel: str, report: Report) -> SourceText | None:
    """Decode, strip control characters and split YAML (`---`), TOML (`+++`) or JSON front
    matter; a file that cannot be read is noted as skipped and None is returned."""
    import json
    import tomllib

    from chronicle_ssg.errors import ChronicleError
    from chronicle_ssg.parse import load_yaml
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.note("skipped", rel, f"not valid UTF-8 (byte {exc.start})")
        return None
    text = strip_controls(text.replace("\r\n", "\n").replace("\r", "\n"), rel, report, first_line=1)
    first = text.split("\n", 1)[0].rstrip()
    fence = {"---": "---", "+++": "+++"}.get(first)
    if fence is None and first.startswith("{"):
        try:
            meta, end = json.JSONDecoder().raw_decode(text)
        except ValueError as exc:
            report.note("skipped", f"{rel}:1", f"unreadable JSON front matter: {exc}")
            return None
        return SourceText(rel, meta, {}, text[end:].lstrip("\n"), text.count("\n", 0, end) + 2)
    if fence is None:
        report.note("skipped", f"{rel}:1", "no front matter: the old site did not publish it either")
        return None
    lines = text.split("\n")
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip() == fence or
                  (fence == "---" and lines[i].rstrip() == "...")), None)
    if close is None:
        report.note("skipped", f"{rel}:1", f"front matter is never closed with {fence}")
        return None
    raw, body = "\n".join(lines[1:close]), "\n".join(lines[close + 1:])
    try:
        if fence == "+++":
            meta, key_lines = tomllib.loads(raw), {}
        else:
            meta, key_lines = load_yaml(raw, PurePosixPath(rel), 2)
    except tomllib.TOMLDecodeError as exc:
        report.note("skipped", f"{rel}:1", f"invalid TOML front matter: {exc}")
        return None
    except ChronicleError as exc:
        report.note("skipped", str(exc.location or rel), exc.message)
        return None
    if not isinstance(meta, dict):
        report.note("skipped", f"{rel}:1", "front matter is not a mapping")
        return None
    meta = {str(k): clean_value(v, rel, report) for k, v in meta.items() if v is not None}
    return SourceText(rel, meta, key_lines, body, close + 2)


def where_key(source: SourceText, key: str) -> str:
    line = source.key_lines.get(key)
    return f"{source.rel}:{line}" if line else source.rel


def date_of(source: SourceText, key: str, tz: dt.tzinfo, report: Report) -> dt.datetime | None:
    """A front-matter date read leniently; an unreadable one is noted and gives None."""
    value = source.meta.get(key)
    if value is None or value == "":
        return None
    parsed = parse_loose_date(value, tz)
    if parsed is None:
        report.note("changed", where_key(source, key), f"{key} {value!r} is not a date: ignored "
                    "(the date in the file name counts when there is one)")
    return parsed


def common_meta(source: SourceText, report: Report, author_names: dict[str, str] | None = None,
                split_words: bool = False) -> dict[str, Any]:
    """author, categories, tags, series from the keys Jekyll and Hugo share."""
    meta: dict[str, Any] = {}
    names = author_names or {}
    # author text ("A, B and C") is split as chronicle splits it; list items stay names
    authors = [name for key in ("authors", "author") for name in (
        split_people(source.meta[key]) if isinstance(source.meta.get(key), str)
        else names_list(source.meta.get(key)))]
    if authors:
        meta["author"] = list(dict.fromkeys(names.get(a, a) for a in authors))
    for key, singular in (("categories", "category"), ("tags", "tag")):
        values = []
        for value in (source.meta.get(key), source.meta.get(singular)):
            if isinstance(value, str) and split_words:  # Jekyll splits text on spaces
                values += value.split()
            else:
                values += names_list(value)
        if values:
            meta[key] = list(dict.fromkeys(values))
    series = names_list(source.meta.get("series"))
    if series:
        meta["series"] = series[0]
        if len(series) > 1:
            report.note("changed", where_key(source, "series"),
                        f"several series {series}: chronicle allows one, kept '{series[0]}'")
    return meta


#: keys the importers read themselves; the rest of the front matter is kept as `extra`
CONSUMED_KEYS = frozenset({"title", "date", "author", "authors", "categories", "category", "tags",
                           "tag", "series", "summary", "description", "slug", "draft", "aliases",
                           "published", "layout", "permalink", "redirect_from", "excerpt", "url",
                           "lastmod", "updated", "publishDate", "publishdate", "type", "lang",
                           "update_order", "excerpt_separator", "last_modified_at", "expiryDate",
                           "expirydate"})


def extra_meta(source: SourceText, report: Report) -> dict[str, Any]:
    dropped = sorted(k for k in ("layout", "type") if k in source.meta)
    for key in dropped:
        report.count(f"front-matter '{key}' dropped")
    return {k: v for k, v in source.meta.items() if k not in CONSUMED_KEYS}
