"""`chronicle new site` and `chronicle new entry`: starter files with sensible defaults."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from chronicle_ssg.config import load_config
from chronicle_ssg.errors import ChronicleError
from chronicle_ssg.slugs import slugify

CONFIG = '''title = "My Chronicle"
description = "Dated commentary on the news of the day."
base_url = "https://example.org/"
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
    (folder / ".gitignore").write_text("output/\n.chronicle-cache/\n", "utf-8")
    return folder


def new_entry(site_root: Path, title: str, now: dt.datetime | None = None) -> Path:
    """Write content/entries/YYYY/YYYY-MM-DD-slug.md with the front matter filled in."""
    if not (site_root / "chronicle.toml").is_file():
        raise ChronicleError(f"no chronicle.toml in {site_root}", hint="run it in a site folder or pass --source")
    if now is None:  # the wall clock in the site's timezone, which naive dates are read in
        now = dt.datetime.now(load_config(site_root).tz).replace(second=0, microsecond=0,
                                                                tzinfo=None)
    slug = slugify(title) or "entry"
    path = site_root / "content" / "entries" / f"{now:%Y}" / f"{now:%Y-%m-%d}-{slug}.md"
    if path.exists():
        raise ChronicleError(f"{path} already exists", hint="pick another title")
    path.parent.mkdir(parents=True, exist_ok=True)
    quoted = title.replace("\\", "\\\\").replace('"', '\\"')
    path.write_text(f'---\ntitle: "{quoted}"\ndate: {now:%Y-%m-%d %H:%M}\ntags: []\n'
                    f'categories: []\ndraft: true\n---\n\n', "utf-8")
    return path
