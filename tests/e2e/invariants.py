"""Checks that hold for EVERY built site (Nikola's re-imported tests), reused by many tests.

* every internal href/src (and redirect target) resolves to a file in the output, and a
  #fragment to an id on the target page;
* every internal link starts with base_url's path (sub-path hosting) or is absolute within
  base_url; no root-relative link escapes the sub-path;
* ids are unique on each page;
* feeds and the sitemap are well-formed XML; the sitemap lists every HTML page that is not
  a redirect, the 404 page or another noindex page (search), and nothing else.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Mapping
from urllib.parse import unquote, urljoin, urlsplit

import lxml.etree
import lxml.html

from tests.conftest import output_name, parse_html

LINK_ATTRS = ("href", "src", "action", "poster", "cite")
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_REFRESH = re.compile(r"url=(.+)$", re.IGNORECASE)


class _Checker:
    def __init__(self, files: Mapping[str, bytes], base_url: str) -> None:
        self.files = files
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        parts = urlsplit(self.base_url)
        self.base_path = parts.path  # always ends with '/'
        self.problems: list[str] = []
        self._ids: dict[str, set[str]] = {}

    def ids_of(self, name: str) -> set[str]:
        if name not in self._ids:
            doc = parse_html(self.files[name])
            self._ids[name] = {str(i) for i in doc.xpath("//@id")}
        return self._ids[name]

    def page_url(self, name: str) -> str:
        path = name[: -len("index.html")] if name.endswith("index.html") else name
        return self.base_url + path

    def check_link(self, page: str, link: str, what: str) -> None:
        link = link.strip()
        if not link or link.startswith(("mailto:", "tel:")):
            return
        scheme = urlsplit(link).scheme
        if link.startswith("//") or (scheme and not link.startswith(self.base_url)):
            # absolute URLs outside base_url are external (even on the same host)
            if scheme not in ("http", "https", ""):
                self.problems.append(f"{page}: {what} {link!r} uses scheme {scheme!r}")
            return
        if link.startswith("/") and not link.startswith(self.base_path):
            self.problems.append(f"{page}: {what} {link!r} is outside base path {self.base_path}")
            return
        absolute = urljoin(self.page_url(page), link)
        if not absolute.startswith(self.base_url) and absolute + "/" != self.base_url:
            self.problems.append(f"{page}: {what} {link!r} leaves base_url {self.base_url}")
            return
        parts = urlsplit(absolute)
        rel = unquote(parts.path)[len(self.base_path):]
        target = output_name(rel)
        if target not in self.files:
            self.problems.append(f"{page}: {what} {link!r} -> {target} does not exist")
            return
        fragment = unquote(parts.fragment)
        if fragment and target.endswith(".html") and fragment not in self.ids_of(target):
            self.problems.append(f"{page}: {what} {link!r}: no id {fragment!r} on {target}")

    def check_page(self, name: str) -> None:
        doc = parse_html(self.files[name])
        ids = Counter(str(i) for i in doc.xpath("//@id"))
        for anchor, count in sorted(ids.items()):
            if count > 1:
                self.problems.append(f"{name}: id {anchor!r} appears {count} times")
        for element in doc.iter():
            if not isinstance(element.tag, str):
                continue
            for attr in LINK_ATTRS:
                value = element.get(attr)
                if value is not None:
                    self.check_link(name, value, f"<{element.tag} {attr}>")
        for meta in doc.xpath("//meta[@http-equiv='refresh']/@content"):
            match = _REFRESH.search(str(meta))
            if match:
                self.check_link(name, match.group(1), "refresh")

    def check_feed(self, name: str) -> None:
        try:
            root = lxml.etree.fromstring(self.files[name])
        except lxml.etree.XMLSyntaxError as exc:
            self.problems.append(f"{name}: not well-formed XML: {exc}")
            return
        for link in root.iter(f"{ATOM}link"):
            self.check_link(name, link.get("href", ""), "atom:link")
        ids = Counter(e.text for e in root.iter(f"{ATOM}id"))
        for value, count in ids.items():
            if count > 1:
                self.problems.append(f"{name}: atom:id {value!r} appears {count} times")

    def check_sitemap(self) -> None:
        if "sitemap.xml" not in self.files:
            self.problems.append("no sitemap.xml")
            return
        root = lxml.etree.fromstring(self.files["sitemap.xml"])
        listed = set()
        for loc in root.iter(f"{SITEMAP}loc"):
            self.check_link("sitemap.xml", loc.text or "", "loc")
            listed.add(output_name(unquote(urlsplit(loc.text or "").path)[len(self.base_path):]))
        for name in self.files:
            if not name.endswith(".html") or name == "404.html":
                continue
            if b'http-equiv="refresh"' in self.files[name]:
                continue
            if b'<meta name="robots" content="noindex">' in self.files[name]:
                continue  # the search page: nothing for search engines
            if name not in listed:
                self.problems.append(f"sitemap.xml does not list {name}")


def site_problems(files: Mapping[str, bytes], base_url: str) -> list[str]:
    """Every invariant violation in a built site; [] when the site is sound."""
    checker = _Checker(files, base_url)
    for name in sorted(files):
        if name.endswith(".html"):
            checker.check_page(name)
        elif name.endswith(".xml") and name != "sitemap.xml":
            checker.check_feed(name)
    checker.check_sitemap()
    return checker.problems


def assert_site_ok(built: object) -> None:
    """Fail with every problem found; takes a conftest.Built."""
    files = built.files  # type: ignore[attr-defined]
    base_url = built.loaded.config.base_url  # type: ignore[attr-defined]
    problems = site_problems(files, base_url)
    assert not problems, "site invariants violated:\n" + "\n".join(problems[:50])
