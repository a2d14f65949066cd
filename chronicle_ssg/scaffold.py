"""`chronicle new site`, `new entry` and `new update`: starter files and live updates.

`new update` appends a `::: update` block to an existing entry. It finds the entry the way
cross-references do (slug, or path), checks that the new text really reads as one more
update before writing, keeps the file's encoding and line endings, and replaces the file
in one step, so a running `chronicle serve` sees one complete change.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from chronicle_ssg.config import SiteConfig, load_config
from chronicle_ssg.dates import DATE_HINT, load_timezone, parse_datetime, zone_name
from chronicle_ssg.errors import BuildFailed, ChronicleError, ContentError, SourceLocation
from chronicle_ssg.slugs import slugify

if TYPE_CHECKING:  # imported lazily: `chronicle --help` must not load Markdown and YAML
    from chronicle_ssg.build import Preparer
    from chronicle_ssg.model import Prepared

CONFIG = '''title = "My Chronicle"
description = "Dated commentary on the news of the day."
base_url = "https://example.org/"  # an example domain: set the site's address before publishing
language = "en"
author = "Your Name"
timezone = "UTC"
theme = "default"
entries_per_page = 10
'''

FIRST_ENTRY = '''---
title: "Hello, chronicle"
date: {date}
tags: [meta]
categories: [Notes]
---

This is the first entry of a new chronicle. Edit it in `{path}`.

<!--more-->

## What to do next

- Write entries under `content/` (run `chronicle new entry "Title"`).
- Run `chronicle serve` and watch the page update as you save.
'''

ABOUT = '''---
title: About
layout: page
---

Who writes here, and why.
'''


def new_site(folder: Path) -> Path:
    """Create chronicle.toml, a first entry and an About page; refuses a non-empty folder."""
    folder = folder.absolute()
    if folder.exists() and any(folder.iterdir()):
        raise ChronicleError(f"{folder} is not empty", hint="choose a new folder name")
    # the starter config's timezone is UTC; an entry dated later today would be "future"
    # and left out of the first build, so the first entry is dated now, in UTC
    now = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0, tzinfo=None)
    entry = folder / "content" / "entries" / f"{now:%Y-%m-%d}-hello-chronicle.md"
    entry.parent.mkdir(parents=True)
    (folder / "content" / "pages").mkdir()
    (folder / "chronicle.toml").write_text(CONFIG, "utf-8")
    entry.write_text(FIRST_ENTRY.format(date=f"{now:%Y-%m-%d %H:%M}",
                                        path=entry.relative_to(folder).as_posix()), "utf-8")
    (folder / "content" / "pages" / "about.md").write_text(ABOUT, "utf-8")
    (folder / ".gitignore").write_text("output/\n.output.lock\n.chronicle-cache/\n", "utf-8")
    return folder


def _site_config(site_root: Path) -> SiteConfig:
    if not (site_root / "chronicle.toml").is_file():
        raise ChronicleError(f"no chronicle.toml in {site_root}", hint="run it in a site folder or pass --source")
    return load_config(site_root)


def _yaml_text(value: str) -> str:
    """A double-quoted YAML scalar: any title or tag survives as written."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _names(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_yaml_text(v) for v in values) + "]"


def new_entry(site_root: Path, title: str, now: dt.datetime | None = None, *,
              date: str | None = None, tags: tuple[str, ...] = (),
              categories: tuple[str, ...] = (), live: bool = False, draft: bool = True,
              timezone: str | None = None) -> Path:
    """Write content/entries/YYYY/YYYY-MM-DD-slug.md with the front matter filled in.

    `date` is written as given (checked first); without it the entry is dated now, on the
    wall clock of its `timezone` or the site's, in which naive dates are read.
    """
    config = _site_config(site_root)
    zone = config.tz
    if timezone is not None:
        try:
            zone = load_timezone(timezone)
        except ValueError as exc:
            raise ChronicleError(f"--timezone: {exc}",
                                 hint="use an IANA name such as America/New_York") from None
    if date is not None:
        try:
            when = parse_datetime(date.strip(), zone)
        except ValueError as exc:
            raise ChronicleError(f"--date: {exc}", hint=DATE_HINT) from None
        written = date.strip()
    else:
        when = now or dt.datetime.now(zone).replace(second=0, microsecond=0, tzinfo=None)
        written = f"{when:%Y-%m-%d %H:%M}"
    slug = slugify(title) or "entry"
    path = site_root / "content" / "entries" / f"{when:%Y}" / f"{when:%Y-%m-%d}-{slug}.md"
    if path.exists():
        raise ChronicleError(f"{path} already exists", hint="pick another title")
    lines = [f"title: {_yaml_text(title)}", f"date: {written}"]
    if timezone is not None:
        lines.append(f"timezone: {timezone}")
    lines += [f"tags: {_names(tags)}", f"categories: {_names(categories)}"]
    if live:
        lines.append("live: true")
    if draft:
        lines.append("draft: true")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n" + "\n".join(lines) + "\n---\n\n", "utf-8")
    return path


# --- chronicle new update ---

_UPDATE_FENCE = re.compile(r"^[ ]{0,3}(:{3,})[ \t]*update\b", re.MULTILINE)
_ANY_FENCE = re.compile(r"^[ ]{0,3}(:{3,})", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class AddedUpdate:
    """What `new update` did, for the command's message."""

    path: Path
    rel: str
    stamp: str  #: the time as written after `::: update`
    zone: str  #: the zone it is read in, named ("CET", "UTC+4")
    line: int  #: where the update starts in the file
    count: int  #: updates in the entry now
    coverage_closed: bool  #: the entry says `live: false`: the update does not reopen it


def find_entry(site_root: Path, config: SiteConfig, name: str) -> Path:
    """The entry a slug or path names, as cross-references name it: its slug, its path
    relative to the site or to content/ (with or without .md), or a file path. Ambiguous
    or unknown names are errors listing the candidates."""
    from chronicle_ssg.discover import bundle_of, walk_files
    from chronicle_ssg.model import file_slug
    given = Path(name)
    for candidate in (site_root / given, given):  # the site's own path first
        if candidate.suffix.lower() in (".md", ".markdown") and candidate.is_file():
            return _inside_content(site_root, candidate)
    key = name.strip().removeprefix("./").strip("/")
    matches, known = [], set()
    prefix = len(str(site_root)) + 1  # plain strings: at ten thousand entries, Path costs
    for path in walk_files(site_root / "content", site_root, []):  # the build reports those
        rel = str(path)[prefix:].replace(os.sep, "/")
        under, (stem, suffix) = rel.removeprefix("content/"), os.path.splitext(path.name)
        if rel.startswith("content/pages/") or suffix.lower() not in (".md", ".markdown"):
            continue
        bundle = bundle_of(PurePosixPath(rel))  # a bundle's index is named by its folder
        slug = _slug_of(path, rel, file_slug(bundle.name if bundle is not None else stem))
        if slug is None:  # a page (layout: page) or a file that does not parse
            continue
        known.add(slug)
        if key in (rel, under, under[:-len(suffix)], slug):
            matches.append(rel)
    if len(matches) == 1:
        return (site_root / matches[0]).resolve()
    if matches:
        raise ChronicleError(f"{name!r} names {len(matches)} entries: " + ", ".join(matches),
                             hint=f"name one by its path, e.g. chronicle new update {matches[0]}")
    close = [slug for slug in sorted(known) if key and key in slug][:5] or \
        difflib.get_close_matches(key, sorted(known), n=5, cutoff=0.6)
    raise ChronicleError(f"no entry {name!r} in {site_root / 'content'}",
                         hint=("did you mean: " + ", ".join(close) + "?") if close else
                         "name an entry by its slug or path; `chronicle list` shows them all")


def _inside_content(site_root: Path, path: Path) -> Path:
    content = (site_root / "content").resolve()
    real = path.resolve()
    if not real.is_relative_to(content):
        raise ChronicleError(f"{path} is not an entry of the site in {site_root}",
                             hint="entries live under content/")
    return real


def _slug_of(path: Path, rel: str, default: str) -> str | None:
    """An entry's slug: `slug:` from its front matter, else its file name's; None for a
    page. Only files that mention `slug:` or `layout:` are parsed: the others are the
    file name's."""
    from chronicle_ssg.model import is_page
    from chronicle_ssg.parse import parse_document
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    if b"slug:" not in raw and b"layout:" not in raw:
        return default
    try:
        document = parse_document(raw, PurePosixPath(rel))
    except (ChronicleError, BuildFailed):
        return None
    if is_page(document):
        return None
    value = document.meta.get("slug")
    return str(value).strip() if isinstance(value, (str, int)) and str(value).strip() else default


def update_block(text: str, stamp: str, fence: int, newline: str) -> str:
    """`::: update STAMP`, the text, and the closing fence; a fence longer than any inside
    the text, so the block closes where it should under every fence rule."""
    lines = text.strip("\n").splitlines()
    inner = max((len(m.group(1)) for m in _ANY_FENCE.finditer("\n".join(lines))), default=0)
    colons = ":" * max(fence, inner + 1 if inner else 3)
    return newline.join([f"{colons} update {stamp}", *(line.rstrip() for line in lines),
                         colons]) + newline


def add_update(site_root: Path, name: str, text: str, when: str | None = None,
               now: dt.datetime | None = None) -> AddedUpdate:
    """Append a `::: update` stamped `when` (as written), else now on the wall clock of the
    entry's zone, to the entry `name` names. The file is written only when the result
    parses and reads as one more update."""
    from chronicle_ssg.build import Preparer
    from chronicle_ssg.model import entry_timezone, is_page
    config = _site_config(site_root)
    if not text.strip():
        raise ChronicleError("the update has no text",
                             hint='give it as an argument, chronicle new update ENTRY "Text", '
                                  'or on standard input')
    site_root = site_root.resolve()
    path = find_entry(site_root, config, name)
    rel = PurePosixPath(path.relative_to(site_root).as_posix())
    raw = path.read_bytes()
    preparer = Preparer(config)
    before = preparer.prepare(raw, rel)  # an entry broken already: say so, write nothing
    if is_page(before.document):
        raise ChronicleError(f"{rel} is a page, not an entry",
                             hint="updates belong to dated entries")
    zone = entry_timezone(before.document, config.tz)
    if when is not None:
        try:
            at = parse_datetime(when.strip(), zone)
        except ValueError as exc:
            raise ChronicleError(f"--time: {exc}", hint=DATE_HINT) from None
        stamp = when.strip()
    else:
        at = now or dt.datetime.now(zone)
        stamp = f"{at:%Y-%m-%d %H:%M}"
    source = raw.decode("utf-8")  # prepare() has checked it; a BOM stays where it is
    newline = "\r\n" if "\r\n" in source else "\n"
    fences = [len(m.group(1)) for m in _UPDATE_FENCE.finditer(source)]
    head = source if source.endswith(("\n", "\r")) else source + newline
    if head.strip(" \t\r\n\ufeff") and not head.endswith(newline * 2):
        head += newline
    line = head.count(newline) + 1
    fence = max(fences, default=3)
    updated = head + update_block(text.replace("\r\n", "\n"), stamp, fence, newline)
    after = _prepare_checked(preparer, updated.encode("utf-8"), rel, line,
                             len(before.body.updates))
    _replace_file(path, updated.encode("utf-8"))
    return AddedUpdate(path, rel.as_posix(), stamp, zone_name(at.astimezone(zone)), line,
                       len(after.body.updates), before.document.meta.get("live") is False)


def _prepare_checked(preparer: "Preparer", data: bytes, rel: PurePosixPath, line: int,
                     count: int) -> "Prepared":
    """The new file, prepared as a build does; an error unless it holds one more update,
    at `line`."""
    try:
        prepared = preparer.prepare(data, rel)
    except (ChronicleError, BuildFailed) as exc:  # its line would be in the file not written
        first = exc.errors[0] if isinstance(exc, BuildFailed) else exc
        raise ContentError(f"the update was not added: {first.message}", SourceLocation(rel),
                           hint=first.hint) from None
    updates = prepared.body.updates
    if len(updates) != count + 1 or all(update.line != line for update in updates):
        raise ContentError("the update was not added: the end of the entry is inside another "
                           "block, so it would not read as an update", SourceLocation(rel),
                           hint="close the open block at the end of the entry first")
    return prepared


def _replace_file(path: Path, data: bytes) -> None:
    """Write beside the file (a hidden name the watcher ignores), then rename over it."""
    temp = path.with_name(f".{path.name}.chronicle-new")
    try:
        temp.write_bytes(data)
        os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
