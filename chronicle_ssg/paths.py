"""Safe URL paths and their output files; shared by route, write and serve."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Callable
from urllib.parse import quote, urljoin

MAX_SEGMENT = 200


def check_url_path(path: str) -> str | None:
    """Return why a site-relative URL path is unsafe, or None when it is fine."""
    if "\x00" in path:
        return "contains a NUL byte"
    if "\\" in path:
        return "contains a backslash"
    parts = [p for p in path.split("/") if p]
    if any(p in ("..", ".") for p in parts):
        return "contains '..' or '.' segments"
    if any(len(p.encode("utf-8")) > MAX_SEGMENT for p in parts):
        return f"has a segment longer than {MAX_SEGMENT} bytes"
    if any(p[0] == "." and p != ".well-known" for p in parts):
        return "has a hidden segment starting with '.'"
    return None


def normalise_url_path(path: str) -> str:
    """`a/b` -> `/a/b/`, `/a/b.html` stays a file path; always starts with '/'."""
    parts = [p for p in path.split("/") if p]
    text = "/" + "/".join(parts)
    if parts and "." in parts[-1] and not path.endswith("/"):
        return text
    return text if text.endswith("/") else text + "/"


@lru_cache(maxsize=262144)  # rebuilds plan the same URLs again
def output_for(url_path: str) -> PurePosixPath:
    """The file under output/ that serves a URL path (pretty URLs -> index.html)."""
    rel = url_path.lstrip("/")
    if not rel or rel.endswith("/"):
        rel += "index.html"
    return PurePosixPath(rel)


@lru_cache(maxsize=131072)  # pages link the same paths over and over
def join_url(base_path: str, url_path: str) -> str:
    """Prefix a site path with the base path and percent-encode it for an href."""
    return quote(base_path.rstrip("/") + url_path, safe="/#?=&%:@!$'()*+,;~-._")


_SCHEMELESS_LINK = re.compile(r'((?:href|src)=")(?![a-zA-Z][a-zA-Z0-9+.-]*:|//)([^"]*)"')
_RELATIVE_LINK = re.compile(r'((?:href|src)=")(?![a-zA-Z][a-zA-Z0-9+.-]*:|//|/)([^"]*)"')


_SRCSET = re.compile(r'(srcset=")([^"]*)"')
_SCHEMELESS_URL = re.compile(r"(?![a-zA-Z][a-zA-Z0-9+.-]*:|//)")


def _join_links(pattern: re.Pattern[str], html: str, base: str) -> str:
    return pattern.sub(lambda m: f'{m.group(1)}{urljoin(base, m.group(2))}"', html)


def map_srcset(html: str, change: Callable[[str], str]) -> str:
    """Apply `change` to every URL in every srcset="url 480w, url 960w" of `html`."""
    if "srcset=" not in html:
        return html

    def each(match: re.Match[str]) -> str:
        candidates = []
        for candidate in match.group(2).split(","):
            url, _, descriptor = candidate.strip().partition(" ")
            candidates.append(f"{change(url)} {descriptor}".rstrip())
        return f'{match.group(1)}{", ".join(candidates)}"'

    return _SRCSET.sub(each, html)


def prefix_root_srcset(html: str, base: str) -> str:
    """Prefix the site paths (/_img/...) in srcset attributes with the base path."""
    return map_srcset(html, lambda url: base + url if url.startswith("/")
                      and not url.startswith("//") else url)


def rebase_relative_links(html: str, page_path: str) -> str:
    """Make relative href/src root-relative to page_path, so a fragment works on any page.

    Summaries are shown on listing pages, where `img/chart.png` or `#note` written for
    the entry's page would otherwise point somewhere else.
    """
    return _join_links(_RELATIVE_LINK, html, page_path)


def absolutize_links(html: str, page_url: str) -> str:
    """Make every relative and root-relative href/src absolute (feeds are read elsewhere)."""
    html = map_srcset(html, lambda url: urljoin(page_url, url)
                      if _SCHEMELESS_URL.match(url) else url)
    return _join_links(_SCHEMELESS_LINK, html, page_url)
