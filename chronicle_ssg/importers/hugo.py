"""Hugo site folder -> ImportedSite: sections, page bundles, languages, shortcodes."""

from __future__ import annotations

import datetime as dt
import html
import re
import shlex
from pathlib import Path
from typing import Any

from chronicle_ssg.errors import ContentError
from chronicle_ssg.importers.common import (
    ImportedEntry, ImportedSite, ImportOptions, Report, SourceText, common_meta,
    copy_referenced_files, date_of, drop_attribute_lines, embed_html, extra_meta, figure_html,
    heading_ids, line_of, names_list, plain_title, read_source_text, reference, report_kept,
    timezone_or_utc, where_key, youtube_html,
)
from chronicle_ssg.slugs import slugify

CONFIG_NAMES = ("hugo.toml", "config.toml", "hugo.yaml", "config.yaml", "hugo.yml", "config.yml",
                "config/_default/hugo.toml", "config/_default/config.toml",
                "config/_default/hugo.yaml", "config/_default/config.yaml")
CONTENT_EXTENSIONS = (".md", ".markdown")


def read_source(folder: Path, options: ImportOptions) -> ImportedSite:
    config = _config(folder)
    if config is None and not (folder / "content").is_dir():
        raise ContentError(f"{folder}: not a Hugo site (no hugo.toml/config.toml and no content/)",
                           hint="give the folder that holds the Hugo configuration and content/")
    report = Report(f"chronicle import hugo {folder.name}")
    site = ImportedSite(report)
    config = config or {}
    tz_name, tz = timezone_or_utc(config.get("timeZone") or config.get("timezone"), "config", report)
    default_lang = str(config.get("defaultContentLanguage") or "en")
    languages = config.get("languages") if isinstance(config.get("languages"), dict) else {}
    params = config.get("params") if isinstance(config.get("params"), dict) else {}
    site.config = {"title": str(config.get("title") or "Imported from Hugo"),
                   "description": " ".join(str(params.get("description") or "").split()),
                   "base_url": str(config.get("baseURL") or config.get("baseurl") or ""),
                   "timezone": tz_name,
                   "language": str(config.get("languageCode") or default_lang).split("-")[0] or "en"}
    if not site.config["base_url"].startswith("http"):
        site.config["base_url"] = ""
    permalinks = {str(k): str(v) for k, v in (config.get("permalinks") or {}).items()
                  if isinstance(v, str)}
    in_subdir = bool(config.get("defaultContentLanguageInSubdir"))
    roots = _content_roots(folder, config, languages, default_lang)
    if len(roots) > 1 or languages:
        report.summary.append(
            f"Languages: {', '.join(lang for _, lang in roots) or default_lang}. Each entry keeps its "
            f"language as `lang:`; entries not in {default_lang} get the slug suffix -LANG so that "
            "translations do not share a URL.")
    statics = [folder / "static"] + [folder / "themes" / str(config["theme"]) / "static"
                                     for _ in [0] if isinstance(config.get("theme"), str)]
    for root, lang in roots:
        _walk(folder, root, lang, default_lang, set(languages) - {default_lang}, in_subdir,
              permalinks, tz, statics, site)
    report.summary.append("Page bundles stay bundles: each is written as a folder with index.md "
                          "and its files, which chronicle publishes beside the entry's page, so "
                          "relative links and images resolve as before.")
    return site


def _config(folder: Path) -> dict[str, Any] | None:
    import tomllib

    from chronicle_ssg.errors import ChronicleError
    from chronicle_ssg.parse import load_yaml
    for name in CONFIG_NAMES:
        path = folder / name
        if not path.is_file():
            continue
        text = path.read_text("utf-8", errors="replace")
        try:
            value = tomllib.loads(text) if name.endswith(".toml") else load_yaml(text, Path(name))[0]
        except (tomllib.TOMLDecodeError, ChronicleError) as exc:
            raise ContentError(f"{name}: cannot read the Hugo configuration: {exc}") from None
        return value if isinstance(value, dict) else {}
    return None


def _content_roots(folder: Path, config: dict[str, Any], languages: dict[str, Any],
                   default_lang: str) -> list[tuple[Path, str]]:
    """(folder, language) pairs: a contentDir per language, else the one content folder."""
    roots = []
    for lang, settings in sorted(languages.items()):
        if isinstance(settings, dict) and settings.get("contentDir"):
            roots.append((folder / str(settings["contentDir"]), str(lang)))
    if roots:
        return [(path, lang) for path, lang in roots if path.is_dir()]
    return [(folder / str(config.get("contentDir") or "content"), default_lang)]


def _walk(folder: Path, root: Path, lang: str, default_lang: str, other_langs: set[str],
          in_subdir: bool, permalinks: dict[str, str], tz: dt.tzinfo, statics: list[Path],
          site: ImportedSite) -> None:
    report = site.report
    files = sorted(p for p in root.rglob("*") if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(root).parts))
    bundles = {p.parent for p in files if re.fullmatch(r"index(\.[\w-]+)?\.(md|markdown)", p.name)}
    branches = {p.parent for p in files if re.fullmatch(r"_index(\.[\w-]+)?\.(md|markdown|html)", p.name)}
    for path in files:
        rel = path.relative_to(folder).as_posix()
        bundle = next((b for b in bundles if b in path.parents or b == path.parent), None)
        is_index = bundle == path.parent and re.fullmatch(r"index(\.[\w-]+)?\.(md|markdown)", path.name)
        if bundle is not None and not is_index:
            continue  # a resource of the bundle: copied with its entry
        if path.parent in branches and path.name.startswith("_index."):
            report.count("skipped: section list pages (_index)")
            report.note("skipped", rel, "a section's list page: chronicle makes its own listings")
            continue
        if path.suffix.lower() not in CONTENT_EXTENSIONS:
            if path.suffix.lower() in (".html", ".org", ".adoc", ".rst", ".ipynb"):
                report.note("skipped", rel, f"{path.suffix} content is not imported (Markdown only)")
                report.count("skipped: non-Markdown content")
            continue
        file_lang = lang
        name_parts = path.name.split(".")
        if len(name_parts) == 3 and name_parts[1] in other_langs | {default_lang}:
            file_lang = name_parts[1]
        source = read_source_text(path, rel, report)
        if source is None:
            report.count("skipped: unreadable files")
            continue
        # Hugo reads front-matter keys without regard to case (`Title:`, `publishDate`)
        source = SourceText(source.rel, {k.lower(): v for k, v in source.meta.items()},
                            {k.lower(): v for k, v in source.key_lines.items()}, source.body,
                            source.body_line)
        entry = _entry(source, path, root, bundle if is_index else None, file_lang, default_lang,
                       in_subdir, permalinks, tz, statics, site)
        if entry is not None:
            site.entries.append(entry)


def _entry(source: SourceText, path: Path, root: Path, bundle: Path | None, lang: str,
           default_lang: str, in_subdir: bool, permalinks: dict[str, str], tz: dt.tzinfo,
           statics: list[Path], site: ImportedSite) -> ImportedEntry | None:
    report, rel, meta_in = site.report, source.rel, source.meta
    inside = (bundle or path).relative_to(root).parts
    section = inside[0] if len(inside) > 1 else ""
    file_name = bundle.name if bundle is not None else path.name.split(".")[0]
    date = (date_of(source, "date", tz, report) or date_of(source, "publishdate", tz, report))
    kind = "entry" if section and date else "page"
    if section and not date:
        report.note("changed", rel, "no date: imported as a standalone page")
    title = plain_title(str(meta_in.get("title") or ""), rel, report)
    if not title:
        title = file_name.replace("-", " ").capitalize()
        report.note("changed", rel, f"no title: titled '{title}' from the file name")
    slug = str(meta_in.get("slug") or slugify(file_name) or slugify(title))
    meta = common_meta(source, report)
    summary = meta_in.get("summary") or meta_in.get("description")
    if isinstance(summary, str) and summary.strip():
        meta["summary"] = " ".join(summary.split())
    if meta_in.get("description"):
        meta["description"] = " ".join(str(meta_in["description"]).split())
    updated = date_of(source, "lastmod", tz, report)
    if updated and date and updated > date:
        meta["updated"] = updated
    if meta_in.get("expirydate"):
        report.note("changed", where_key(source, "expirydate"), "expiryDate ignored: chronicle "
                                                                "keeps entries published")
    meta.update(extra_meta(source, report))
    if lang != default_lang or meta_in.get("lang"):
        meta["lang"] = str(meta_in.get("lang") or lang)
    if lang != default_lang:
        slug = f"{slug}-{slugify(lang)}"
        report.count(f"entries in language {lang}")
    draft = meta_in.get("draft") is True
    report.count("bundles read" if bundle is not None else "files read")
    body = convert_body(source, site, statics)
    entry = ImportedEntry(key=_ref_key(path, root), kind=kind, title=title, slug=slug, date=date,
                          where=rel, body=body, meta=meta, draft=draft)
    if bundle is not None:
        entry.resources = _resources(bundle, path, report)
    if not draft:
        prefix = f"/{lang}" if lang != default_lang or in_subdir else ""
        own = meta_in.get("url")
        if own:
            old = str(own) if str(own).startswith("/") else f"/{own}"
        else:
            old = _hugo_url(permalinks.get(section), section, inside, file_name, meta_in, date, title)
        entry.old_urls = [prefix + old.lower() if not own else prefix + old]
        entry.old_urls += [str(a) if str(a).startswith("/") else f"/{a}"
                           for a in names_list(meta_in.get("aliases"))]
    return entry


def _ref_key(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _hugo_url(pattern: str | None, section: str, inside: tuple[str, ...], file_name: str,
              meta: dict[str, Any], date: dt.datetime | None, title: str) -> str:
    slug = str(meta.get("slug") or file_name)
    if pattern:
        values = {"section": section, "sections": "/".join(inside[:-1]), "title": _urlize(title),
                  "slug": slug, "filename": file_name, "slugorfilename": slug,
                  "contentbasename": file_name}
        if date:
            values.update(year=f"{date.year:04d}", month=f"{date.month:02d}", day=f"{date.day:02d}",
                          monthname=date.strftime("%B").lower(), weekday=str(date.isoweekday() % 7),
                          yearday=str(date.timetuple().tm_yday))
        path = re.sub(r":(slugorfilename|contentbasename|sections|section|monthname|filename|"
                      r"title|slug|year|month|day|weekday|yearday)", lambda m: values.get(m.group(1), ""), pattern)
        return re.sub(r"/{2,}", "/", "/" + path.strip("/") + "/")
    folders = "/".join(inside[:-1])
    return re.sub(r"/{2,}", "/", f"/{folders}/{slug}/")


def _urlize(title: str) -> str:
    """Hugo's urlize, near enough: lower case, spaces to '-', punctuation dropped."""
    return re.sub(r"[^\w\s-]", "", title.lower()).strip().replace(" ", "-")


def _resources(bundle: Path, index: Path, report: Report) -> list[tuple[Path, str]]:
    found = []
    for path in sorted(bundle.rglob("*")):
        if not path.is_file() or path.is_symlink() or path == index or path.name.startswith("."):
            continue
        if re.fullmatch(r"index(\.[\w-]+)?\.(md|markdown)", path.name):
            continue  # a translation of the same bundle: an entry of its own
        name = path.relative_to(bundle).as_posix()
        found.append((path, name))
        report.count("bundle files copied")
        if path.suffix.lower() in CONTENT_EXTENSIONS:
            report.note("changed", str(path), "Markdown file inside a page bundle: a resource, "
                                              "copied as a file, not an entry")
    return found


# ---------------------------------------------------------------- bodies

_SHORTCODE = re.compile(r"\{\{([<%])\s*(/?)\s*([\w/-]+)(.*?)\s*[>%]\}\}", re.DOTALL)
_PAIRED = re.compile(r"\{\{([<%])\s*(highlight)\s+(.*?)\s*[>%]\}\}\n?(.*?)\n?\{\{[<%]\s*/\s*highlight\s*[>%]\}\}",
                     re.DOTALL)


def convert_body(source: SourceText, site: ImportedSite, statics: list[Path]) -> str:
    report, where, first = site.report, source.rel, source.body_line
    body = _PAIRED.sub(lambda m: _highlight(m, report), source.body)

    def replace(match: re.Match[str]) -> str:
        closing, name, args = match.group(2), match.group(3), match.group(4).strip()
        if closing:
            return match.group(0)
        converted = _shortcode(name, _arguments(args), report)
        if converted is None:
            report.count("shortcodes kept as text")
            report.note("kept", f"{where}:{line_of(match.string, match.start(), first)}",
                        f"shortcode {{{{< {name} >}}}} has no chronicle equivalent: kept as text")
            return match.group(0)
        report.count(f"{{{{< {name} >}}}} shortcodes converted")
        return converted
    body = _SHORTCODE.sub(replace, body)
    body = drop_attribute_lines(body, where, first, report)
    body = heading_ids(body, where, first, report)
    copy_referenced_files(body, statics, site, where, first)
    return body


def _highlight(match: re.Match[str], report: Report) -> str:
    report.count("{{< highlight >}} blocks converted")
    language = match.group(3).split()[0].strip("\"'") if match.group(3).split() else ""
    return f"```{language}\n{match.group(4)}\n```"


def _arguments(text: str) -> tuple[list[str], dict[str, str]]:
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    positional = [w for w in words if "=" not in w]
    named = dict(w.split("=", 1) for w in words if "=" in w)
    return positional, named


def _shortcode(name: str, arguments: tuple[list[str], dict[str, str]], report: Report) -> str | None:
    positional, named = arguments
    first = positional[0] if positional else ""
    if name in ("ref", "relref"):
        target = named.get("path") or first
        page, _, fragment = target.partition("#")
        return reference(page.lstrip("/").removeprefix("content/"), f"#{fragment}" if fragment else "")
    if name == "figure":
        return figure_html(named.get("src", first), alt=named.get("alt", ""),
                           caption=html.escape(named.get("caption", named.get("title", ""))),
                           link=named.get("link", ""), css_class=named.get("class", ""),
                           caption_is_html=True)
    if name == "youtube":
        return youtube_html(named.get("id", first), named.get("title", "YouTube video"))
    if name == "vimeo":
        return embed_html(f"https://vimeo.com/{named.get('id', first)}")
    if name in ("tweet", "x", "twitter"):
        user = named.get("user", first if len(positional) > 1 else "i")
        tweet_id = named.get("id", positional[-1] if positional else "")
        url = f"https://twitter.com/{user}/status/{tweet_id}"
        return (f'<blockquote class="tweet"><p><a href="{html.escape(url)}">Post by '
                f'@{html.escape(user)} on X (Twitter)</a></p></blockquote>')
    if name == "gist":
        user, gist = (positional + ["", ""])[:2]
        url = f"https://gist.github.com/{user}/{gist}"
        return f'<p class="embed"><a href="{html.escape(url)}">{html.escape(url)}</a></p>'
    return None
