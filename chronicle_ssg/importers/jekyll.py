"""Jekyll site folder -> ImportedSite: _posts/, _drafts/ and top-level Markdown pages."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from chronicle_ssg.errors import ContentError
from chronicle_ssg.importers.common import (
    MORE_LINE, ImportedEntry, ImportedSite, ImportOptions, Report, SourceText, as_html_block,
    common_meta, copy_referenced_files, date_of, drop_attribute_lines, extra_meta, heading_ids,
    line_of, names_list, plain_title, read_source_text, reference, report_kept, timezone_or_utc,
    where_key,
)
from chronicle_ssg.slugs import slugify

POST_EXTENSIONS = (".md", ".markdown", ".mkd", ".mkdn", ".html")
_FILENAME = re.compile(r"^(\d{2,4})-(\d{1,2})-(\d{1,2})-(.+)$")
_URL_SAFE = re.compile(r"[A-Za-z0-9_~-]+")
_NOT_PAGES = {"readme", "license", "licence", "changelog", "contributing", "code_of_conduct",
              "security", "404", "index"}
PERMALINK_STYLES = {"date": "/:categories/:year/:month/:day/:title:output_ext",
                    "pretty": "/:categories/:year/:month/:day/:title/",
                    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
                    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
                    "none": "/:categories/:title:output_ext"}


def read_source(folder: Path, options: ImportOptions) -> ImportedSite:
    if not (folder / "_posts").is_dir() and not (folder / "_config.yml").is_file():
        raise ContentError(f"{folder}: not a Jekyll site (no _posts/ and no _config.yml)",
                           hint="give the folder that holds _config.yml and _posts/")
    report = Report(f"chronicle import jekyll {folder.name}")
    site = ImportedSite(report)
    config = _config(folder, report)
    tz_name, tz = timezone_or_utc(config.get("timezone"), "_config.yml", report)
    url = str(config.get("url") or "").rstrip("/")
    baseurl = "/" + str(config.get("baseurl") or "").strip("/")
    site.config = {"title": str(config.get("title") or "Imported from Jekyll"),
                   "description": " ".join(str(config.get("description") or "").split()),
                   "base_url": (url + baseurl.rstrip("/") + "/") if url.startswith("http") else "",
                   "timezone": tz_name,
                   "language": str(config.get("lang") or config.get("locale") or "en")[:2] or "en"}
    if isinstance(config.get("author"), str):
        site.config["author"] = config["author"]
    permalink = str(config.get("permalink") or "date")
    permalink = PERMALINK_STYLES.get(permalink, permalink)
    authors = _author_names(folder, report)
    files = _post_files(folder) + _page_files(folder)
    keys = {_lookup_name(rel): rel for rel, _ in files}
    for rel, kind in files:
        source = read_source_text(folder / rel, rel, report)
        if source is None:
            report.count("skipped: unreadable files")
            continue
        entry = _entry(source, kind, folder, site, tz, permalink, authors, keys, config)
        if entry is not None:
            site.entries.append(entry)
    return site


def _config(folder: Path, report: Report) -> dict[str, Any]:
    from chronicle_ssg.errors import ChronicleError
    from chronicle_ssg.parse import load_yaml
    path = folder / "_config.yml"
    if not path.is_file():
        return {}
    try:
        value, _ = load_yaml(path.read_text("utf-8", errors="replace"), path.relative_to(folder))
    except ChronicleError as exc:
        report.note("skipped", str(exc.location), f"_config.yml: {exc.message}; defaults used")
        return {}
    return value if isinstance(value, dict) else {}


def _author_names(folder: Path, report: Report) -> dict[str, str]:
    """Author keys -> display names from _data/authors.yml or _authors/KEY.md (`name:`)."""
    from chronicle_ssg.errors import ChronicleError
    from chronicle_ssg.parse import load_yaml
    names: dict[str, str] = {}
    data = folder / "_data" / "authors.yml"
    if data.is_file():
        try:
            value, _ = load_yaml(data.read_text("utf-8", errors="replace"), data.relative_to(folder))
        except ChronicleError as exc:
            report.note("skipped", str(exc.location), exc.message)
            value = {}
        for key, record in (value or {}).items() if isinstance(value, dict) else ():
            if isinstance(record, dict) and record.get("name"):
                names[str(key)] = str(record["name"])
    for path in sorted((folder / "_authors").glob("*.md")) if (folder / "_authors").is_dir() else ():
        source = read_source_text(path, str(path.relative_to(folder)), Report(""))
        if source and source.meta.get("name"):
            names.setdefault(path.stem, str(source.meta["name"]))
    if names:
        report.count("author names looked up", len(names))
    return names


def _post_files(folder: Path) -> list[tuple[str, str]]:
    found = []
    for kind, name in (("post", "_posts"), ("draft", "_drafts")):
        for path in sorted(folder.rglob(f"{name}/**/*")):
            rel = path.relative_to(folder)
            if path.is_file() and path.suffix.lower() in POST_EXTENSIONS and not any(
                    p.startswith(".") or p in ("_site", "node_modules", "vendor") for p in rel.parts):
                found.append((rel.as_posix(), kind))
    return found


def _page_files(folder: Path) -> list[tuple[str, str]]:
    return [(p.name, "page") for p in sorted(folder.iterdir()) if p.is_file()
            and p.suffix.lower() in (".md", ".markdown") and p.stem.lower() not in _NOT_PAGES]


def _lookup_name(rel: str) -> str:
    """How {% post_url %} and links name a post: its file name without the extension."""
    return rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def _entry(source: SourceText, kind: str, folder: Path, site: ImportedSite, tz: dt.tzinfo,
           permalink: str, authors: dict[str, str], keys: dict[str, str],
           config: dict[str, Any]) -> ImportedEntry | None:
    report, rel, meta_in = site.report, source.rel, source.meta
    name = _lookup_name(rel)
    match = _FILENAME.match(name)
    file_date, file_slug = None, name
    if match:
        file_slug = match.group(4)
        try:
            file_date = dt.datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)), tzinfo=tz)
        except ValueError:
            report.note("changed", rel, "the date in the file name does not exist")
    date = date_of(source, "date", tz, report) or file_date
    if kind != "page" and date is None:
        if kind == "draft":
            stamp = dt.datetime.fromtimestamp((folder / rel).stat().st_mtime, tz).replace(microsecond=0)
            date = stamp
            report.note("changed", rel, "draft without a date: dated by its file time, as Jekyll does")
        else:
            report.note("skipped", rel, "no date in the front matter or the file name")
            report.count("skipped: posts without a date")
            return None
    title = plain_title(str(meta_in.get("title") or ""), rel, report)
    if not title:
        title = file_slug.replace("-", " ").strip().capitalize() or name
        report.note("changed", rel, f"no title: titled '{title}' from the file name")
    # Jekyll keeps the file name's case and punctuation in URLs; so does the slug when it is safe
    slug = str(meta_in.get("slug") or (file_slug if _URL_SAFE.fullmatch(file_slug) else "")
               or slugify(file_slug) or slugify(title))
    meta = common_meta(source, report, authors, split_words=True)
    excerpt = meta_in.get("excerpt")
    if isinstance(excerpt, str) and excerpt.strip():
        meta["summary"] = " ".join(excerpt.split())
    if meta_in.get("description"):
        meta["description"] = " ".join(str(meta_in["description"]).split())
    updated = date_of(source, "last_modified_at", tz, report) or date_of(source, "updated", tz, report)
    if updated and date and updated > date:
        meta["updated"] = updated
    meta.update(extra_meta(source, report))
    draft = kind == "draft" or meta_in.get("published") is False
    if meta_in.get("published") is False:
        report.note("changed", where_key(source, "published"), "published: false -> draft: true")
    report.count({"post": "posts read", "draft": "drafts read", "page": "pages read"}[kind])
    body = convert_body(source, site, folder, keys, config)
    entry = ImportedEntry(key=rel, kind="page" if kind == "page" else "entry", title=title,
                          slug=slug, date=date, where=rel, body=body, meta=meta, draft=draft)
    if not draft:
        entry.old_urls = _old_urls(source, kind, permalink, file_slug, slug, date, meta)
    return entry


def _old_urls(source: SourceText, kind: str, permalink: str, file_slug: str, slug: str,
              date: dt.datetime | None, meta: dict[str, Any]) -> list[str]:
    own = source.meta.get("permalink")
    pattern = str(own) if own else (permalink if kind != "page" else
                                     ("/:title/" if permalink.endswith("/") else "/:title.html"))
    title = str(source.meta.get("slug") or file_slug)
    urls = [expand_permalink(pattern, title, date, meta.get("categories", []))]
    urls += [str(u) for u in names_list(source.meta.get("redirect_from"))]
    return [u if u.startswith("/") else f"/{u}" for u in urls]


def expand_permalink(pattern: str, title: str, date: dt.datetime | None,
                     categories: list[str]) -> str:
    """A Jekyll permalink template filled in for one post."""
    values = {"title": title, "slug": slugify(title), "name": title, "output_ext": ".html",
              "categories": "/".join(c.lower().replace(" ", "-") for c in categories)}
    if date is not None:
        values.update(year=f"{date.year:04d}", month=f"{date.month:02d}", i_month=str(date.month),
                      day=f"{date.day:02d}", i_day=str(date.day), short_year=f"{date.year % 100:02d}",
                      hour=f"{date.hour:02d}", minute=f"{date.minute:02d}", second=f"{date.second:02d}",
                      y_day=f"{date.timetuple().tm_yday:03d}", week=f"{date.isocalendar()[1]:02d}",
                      short_day=date.strftime("%a"))
    path = re.sub(r":(i_month|i_day|short_year|output_ext|categories|title|slug|name|year|month|day|"
                  r"hour|minute|second|y_day|week|short_day)", lambda m: values.get(m.group(1), ""), pattern)
    return re.sub(r"/{2,}", "/", "/" + path.lstrip("/"))


# ---------------------------------------------------------------- bodies

_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.DOTALL)
_SITE_URL = re.compile(r"\{\{-?\s*site\.(?:base)?url\s*-?\}\}")
_URL_FILTER = re.compile(r"\{\{-?\s*['\"]([^'\"]*)['\"]\s*\|\s*(?:relative_url|absolute_url|"
                         r"prepend:\s*site\.(?:base)?url)\s*-?\}\}")
_POST_URL = re.compile(r"\{%-?\s*(post_url|link)\s+([^\s%]+)\s*-?%\}")
_MD_LINK = re.compile(r"\]\((?!https?:|//)([^)\s#]*?([^/)\s#]+)\.(?:md|markdown))(#[^)\s]*)?\)")
_HIGHLIGHT = re.compile(r"\{%-?\s*highlight\s+(\w[\w+-]*)[^%]*%\}\n?(.*?)\n?\{%-?\s*endhighlight\s*-?%\}", re.DOTALL)
_LIQUID = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
_RAW_MARK = "\u0000raw{}\u0000"


def convert_body(source: SourceText, site: ImportedSite, folder: Path, keys: dict[str, str],
                 config: dict[str, Any]) -> str:
    report, where, first = site.report, source.rel, source.body_line
    raws: list[str] = []

    def keep_raw(match: re.Match[str]) -> str:
        raws.append(match.group(1))
        report.count("{% raw %} blocks unwrapped")
        return _RAW_MARK.format(len(raws) - 1)
    body = _RAW.sub(keep_raw, source.body)
    before = len(_SITE_URL.findall(body)) + len(_URL_FILTER.findall(body))
    body = _URL_FILTER.sub(lambda m: m.group(1), _SITE_URL.sub("", body))
    if before:
        report.count("{{ site.baseurl }} and {{ site.url }} substituted", before)
    body = _POST_URL.sub(lambda m: _post_link(m, keys, where, body, first, report), body)
    body = _MD_LINK.sub(lambda m: _md_link(m, keys), body)
    body = _HIGHLIGHT.sub(lambda m: f"```{m.group(1)}\n{m.group(2)}\n```", body)
    report_kept(_LIQUID, body, where, first, report, "Liquid")
    separator = source.meta.get("excerpt_separator") or config.get("excerpt_separator")
    if isinstance(separator, str) and separator.strip() and separator.strip() != "<!--more-->" \
            and separator in body:
        body = body.replace(separator, f"\n\n{MORE_LINE}\n\n", 1)
    body = re.sub(r"^[ \t]*<!--\s*more\s*-->[ \t]*$", f"\n{MORE_LINE}\n", body, count=1, flags=re.MULTILINE)
    body = drop_attribute_lines(body, where, first, report)
    body = heading_ids(body, where, first, report)
    body = re.sub("\u0000raw(\\d+)\u0000", lambda m: raws[int(m.group(1))], body)
    if source.rel.endswith(".html"):
        body = as_html_block(body)
    copy_referenced_files(body, [folder], site, where, first)
    return body


def _post_link(match: re.Match[str], keys: dict[str, str], where: str, body: str, first: int,
               report: Report) -> str:
    target = match.group(2).strip("'\"")
    key = keys.get(target.rsplit("/", 1)[-1].rsplit(".", 1)[0])
    if key is None:
        report.note("missing", f"{where}:{line_of(body, match.start(), first)}",
                    f"{{% {match.group(1)} {target} %}} names no post of this site: kept as text")
        return match.group(0)
    return reference(key)


def _md_link(match: re.Match[str], keys: dict[str, str]) -> str:
    key = keys.get(match.group(2))
    if key is None:
        return match.group(0)
    return f"]({reference(key, match.group(3) or '')})"
