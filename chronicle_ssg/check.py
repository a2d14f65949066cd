"""`chronicle check` and `build --strict`: broken links, missing anchors, duplicates.

Every problem points back at the source that caused it: the Markdown file and line
holding the offending link, the template that renders it, or the front-matter key.
The output is scanned once per page with a small regex extractor; all resolution then
happens in memory against the set of files the build wrote.
"""

from __future__ import annotations

import html
import http.client
import ipaddress
import json
import re
import socket
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Callable, Iterable
from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import HTTPHandler, HTTPSHandler, Request, build_opener

from chronicle_ssg import __version__
from chronicle_ssg.errors import BuildFailed, ChronicleError, RouteConflict, XrefError

if TYPE_CHECKING:
    from chronicle_ssg.build import LoadedSite
    from chronicle_ssg.route import Route

#: attributes that link to another resource, per element
LINK_ATTRS = {"a": "href", "area": "href", "link": "href", "img": "src", "script": "src",
              "iframe": "src", "source": "src", "audio": "src", "video": "src",
              "track": "src", "embed": "src"}
#: fragments a browser understands without a matching id
IMPLICIT_FRAGMENTS = {"", "top"}
CACHE_FILE = PurePosixPath(".chronicle-cache/external-links.json")
CACHE_TTL = 7 * 24 * 3600  #: a link that worked is trusted for a week; failures are retried
EXTERNAL_WORKERS = 8
EXTERNAL_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing `check` found, located in the sources."""

    file: str  #: source file relative to the site root (or a theme template)
    line: int | None
    kind: str  #: broken-link, missing-anchor, xref, missing-description, duplicate-title, ...
    message: str
    page: str = ""  #: the URL path of the output page it was seen on
    severity: str = "error"  #: "warning": reported, but check still passes

    def format(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        seen = f" (on {self.page})" if self.page else ""
        said = "warning: " if self.severity == "warning" else ""
        return f"{where}: {said}{self.kind}: {self.message}{seen}"


@dataclass
class PageScan:
    """What one HTML page holds: its ids, its links, and its meta description."""

    ids: set[str] = field(default_factory=set)
    duplicate_ids: list[str] = field(default_factory=list)  #: each `id` seen again, per repeat
    links: list[tuple[str, str]] = field(default_factory=list)  #: (tag, url)
    description: str | None = None  #: None when the page has no meta description


#: a start tag with its attributes; quoted values may hold '>'
_TAG_RE = re.compile(r"""<([a-zA-Z][\w:-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*/?>""")
_ATTR_RE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
#: text that looks like tags but is not: comments, and script/style bodies
_OPAQUE_RE = re.compile(r"<!--.*?-->|(<(script|style)\b[^>]*>).*?</\2\s*>", re.S | re.I)


def _attributes(text: str) -> dict[str, str]:
    values = {}
    for name, value in _ATTR_RE.findall(text):
        if value[:1] in ('"', "'"):
            value = value[1:-1]
        values.setdefault(name.lower(), html.unescape(value))
    return values


def scan_page(page: str) -> PageScan:
    """One regex pass over a page; about ten times faster than html.parser on big sites."""
    scan = PageScan()
    own_ids: set[str] = set()  # `id` attributes only: `<a name>` may repeat an id legally
    for match in _TAG_RE.finditer(_OPAQUE_RE.sub(r"\1", page)):
        tag, text = match.group(1).lower(), match.group(2)
        if "=" not in text:
            continue  # no attribute values, nothing to collect
        values = _attributes(text)
        if "id" in values:
            if values["id"] in own_ids:
                scan.duplicate_ids.append(values["id"])
            own_ids.add(values["id"])
            scan.ids.add(values["id"])
        if tag == "a" and "name" in values:
            scan.ids.add(values["name"])
        attr = LINK_ATTRS.get(tag)
        if attr and values.get(attr, "").strip():
            scan.links.append((tag, values[attr].strip()))
        if "srcset" in values:
            scan.links += [(tag, c.split()[0]) for c in values["srcset"].split(",") if c.strip()]
        if tag == "meta" and values.get("name", "").lower() == "description":
            scan.description = values.get("content", "").strip()
    return scan


def scan_output(output_dir: Path) -> tuple[set[str], dict[str, PageScan]]:
    """Every file under output/ (relative posix paths) and a scan of every HTML page."""
    files = {p.relative_to(output_dir).as_posix() for p in output_dir.rglob("*") if p.is_file()}
    pages = {rel: scan_page((output_dir / rel).read_text("utf-8", errors="replace"))
             for rel in sorted(files) if rel.endswith(".html")}
    return files, pages


def resolve_target(path: str, files: set[str]) -> str | None:
    """The output file a site-relative URL path serves, as a static host would."""
    rel = unquote(path).lstrip("/")
    candidates = [rel + "index.html"] if rel == "" or rel.endswith("/") else [rel, rel + "/index.html"]
    return next((c for c in candidates if c in files), None)


class SourceIndex:
    """Finds the source line that produced a URL: entry text first, then templates."""

    def __init__(self, loaded: LoadedSite) -> None:
        self.loaded = loaded
        self._texts: dict[str, list[str]] = {}
        self.templates = {self.display(s.path): s.path for s in loaded.sources.templates}
        self.comment_files = {str(s.rel) for s in loaded.sources.comments}

    def display(self, path: Path) -> str:
        """A path as users see it: relative to the site root when inside it."""
        try:
            return path.relative_to(self.loaded.site_root).as_posix()
        except ValueError:
            return path.as_posix()

    def lines(self, name: str) -> list[str]:
        if name not in self._texts:
            path = self.templates.get(name) or self.loaded.site_root / name
            try:
                self._texts[name] = path.read_text("utf-8", errors="replace").splitlines()
            except OSError:
                self._texts[name] = []
        return self._texts[name]

    def find(self, candidates: Iterable[str], needles: list[str]) -> tuple[str, int | None] | None:
        """The first candidate file and line containing any needle."""
        for name in candidates:
            for number, text in enumerate(self.lines(name), 1):
                if any(n in text for n in needles):
                    return name, number
        return None

    def locate(self, route: Route | None, url: str) -> tuple[str, int | None]:
        """Where a URL seen on a route's page was written: its sources, else its template."""
        needles = link_needles(url, self.loaded.config.base_path)
        found = self.find(self.sources_of(route) if route else (), needles)
        found = (found or self.find(sorted(self.templates), needles)
                 or self.find(["chronicle.toml"], needles))  # menu links live in the config
        if found:
            return found
        if route is not None and route.kind in ("entry", "page"):
            return route.subject, None
        return self.template_of(route), None

    def sources_of(self, route: Route) -> list[str]:
        """route_sources(), with an entry's comments file right after the entry: a link
        in a comment is reported at the comments file's line."""
        from chronicle_ssg.discover import COMMENTS_SUFFIXES
        sources = route_sources(route)
        stem = route.subject.removesuffix(".md")
        comments = next((stem + suffix for suffix in COMMENTS_SUFFIXES
                         if stem + suffix in self.comment_files), None)
        if route.kind == "entry" and comments:
            sources.insert(1, comments)
        return sources

    def template_of(self, route: Route | None) -> str:
        name = route.template if route else ""
        return next((shown for shown, path in self.templates.items()
                     if path.as_posix().endswith("/" + name)), name or "templates")


def route_sources(route: Route) -> list[str]:
    """The content files whose text a route's page shows, most specific first."""
    own = [route.subject] if route.kind in ("entry", "page", "alias") else []
    return list(dict.fromkeys(own + list(route.entries) + list(route.neighbours)))


def link_needles(url: str, base_path: str) -> list[str]:
    """Spellings of a URL an author may have typed: as rendered, without base path, decoded."""
    forms = {url, unquote(url)}
    if base_path:
        forms |= {f.removeprefix(base_path) for f in forms if f.startswith(base_path + "/")}
    return sorted((f for f in forms if f), key=len, reverse=True)


class LinkChecker:
    """Resolve every internal link of every page against the output tree."""

    def __init__(self, loaded: LoadedSite, files: set[str], pages: dict[str, PageScan]) -> None:
        self.loaded, self.files, self.pages = loaded, files, pages
        self.index = SourceIndex(loaded)
        self.routes = {str(r.output): r for r in loaded.routes}
        base = urlsplit(loaded.config.base_url)
        self.origin = (base.scheme, base.netloc)
        self.base_path = loaded.config.base_path
        self.external: dict[str, list[tuple[str, int | None, str]]] = defaultdict(list)

    def page_url(self, rel: str) -> str:
        route = self.routes.get(rel)
        path = route.path if route else "/" + rel.removesuffix("index.html")
        return f"{self.origin[0]}://{self.origin[1]}{self.base_path}{path}"

    def check(self) -> list[Problem]:
        problems = []
        # entry and page routes first: a link in a summary is reported on its own page
        for rel, scan in sorted(self.pages.items(), key=self._page_order):
            page_url = self.page_url(rel)
            for tag, url in scan.links:
                problem = self.check_link(rel, page_url, tag, url)
                if problem:
                    problems.append(problem)
        return problems

    def _page_order(self, item: tuple[str, PageScan]) -> tuple[bool, str]:
        route = self.routes.get(item[0])
        return (not route or route.kind not in ("entry", "page"), item[0])

    def check_link(self, rel: str, page_url: str, tag: str, url: str) -> Problem | None:
        absolute = urljoin(page_url, url)
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https"):
            return None  # mailto:, tel:, data: and friends are not ours to resolve
        route = self.routes.get(rel)
        page = route.path if route else "/" + rel
        inside = parts.path == self.base_path or parts.path.startswith(self.base_path + "/")
        # a full URL to the same host outside base_url is another site there, not ours
        if (parts.scheme, parts.netloc) != self.origin or (not inside and urlsplit(url).netloc):
            self.external[parts._replace(fragment="").geturl()].append(
                (*self.index.locate(route, url), page))
            return None
        if not inside:
            return self.problem(route, url, "broken-link",
                                f"{url} points outside the site's base path {self.base_path}/", page)
        target = resolve_target(parts.path[len(self.base_path):], self.files)
        if target is None:
            what = "image" if tag == "img" else "link"
            return self.problem(route, url, "broken-link",
                                f"{what} {url} resolves to no file in the output", page)
        return self.check_fragment(route, url, target, unquote(parts.fragment), page)

    def check_fragment(self, route: Route | None, url: str, target: str, fragment: str,
                       page: str) -> Problem | None:
        scan = self.pages.get(target)
        if scan is None or fragment.lower() in IMPLICIT_FRAGMENTS or fragment in scan.ids:
            return None
        return self.problem(route, url, "missing-anchor",
                            f"{url}: no element with id {fragment!r} on the target page", page)

    def problem(self, route: Route | None, url: str, kind: str, message: str,
                page: str) -> Problem:
        file, line = self.index.locate(route, url)
        return Problem(file, line, kind, message, page)


def description_problems(loaded: LoadedSite, pages: dict[str, PageScan]) -> list[Problem]:
    """Pages whose theme has a meta description slot but nothing to put in it."""
    problems = []
    for route in loaded.routes:
        scan = pages.get(str(route.output))
        if scan is None or scan.description is None or route.kind == "alias":
            continue
        if route.kind in ("entry", "page"):
            item = loaded.site.by_id.get(route.subject) or _page(loaded, route.subject)
            if item is not None and not item.description.strip():
                problems.append(Problem(route.subject, _key_line(loaded, route.subject, "title"),
                                        "missing-description",
                                        "no summary, description or opening paragraph for the "
                                        "meta description", route.path))
        elif not scan.description:
            problems.append(Problem("chronicle.toml", None, "missing-description",
                                    "the site has no description for its listing pages",
                                    route.path))
    return problems


def duplicate_id_problems(checker: LinkChecker) -> list[Problem]:
    """Ids used twice on one page: a link to the second lands on the first."""
    problems = []
    for rel, scan in sorted(checker.pages.items()):
        route = checker.routes.get(rel)
        page = route.path if route else "/" + rel
        for anchor in sorted(set(scan.duplicate_ids)):
            needles = [f'id="{anchor}"', f"id='{anchor}'"]
            found = checker.index.find(route_sources(route) if route else (), needles)
            if found is None:  # made by chronicle or the theme, not written in a source
                found = ((route.subject, None) if route and route.kind in ("entry", "page")
                         else (checker.index.template_of(route), None))
            count = scan.duplicate_ids.count(anchor) + 1
            problems.append(Problem(found[0], found[1], "duplicate-id",
                                    f"id {anchor!r} appears {count} times on the page", page))
    return problems


def _page(loaded: LoadedSite, page_id: str):  # type: ignore[no-untyped-def]
    return next((p for p in loaded.site.pages if p.id == page_id), None)


def _key_line(loaded: LoadedSite, source: str, key: str) -> int | None:
    prepared = loaded.prepared.get(source)
    return prepared.document.key_lines.get(key) if prepared else None


def duplicate_problems(loaded: LoadedSite) -> list[Problem]:
    """Entries and pages sharing a title; aliases claimed twice or shadowing a real page."""
    items = sorted([*loaded.site.entries, *loaded.site.pages], key=lambda i: i.id)
    problems = []
    titles: dict[str, str] = {}
    for item in items:
        key = " ".join(item.title.casefold().split())
        if key in titles:
            problems.append(Problem(item.id, _key_line(loaded, item.id, "title"), "duplicate-title",
                                    f"title {item.title!r} is also used by {titles[key]}"))
        titles.setdefault(key, item.id)
    claimed = {item.path: item.id for item in items}
    for item in items:
        for alias in item.aliases:
            if alias in claimed:
                problems.append(Problem(item.id, _key_line(loaded, item.id, "aliases"),
                                        "duplicate-alias",
                                        f"alias {alias} is already used by {claimed[alias]}"))
            claimed.setdefault(alias, item.id)
    return problems


def check_output(loaded: LoadedSite, output_dir: Path) -> list[Problem]:
    """Every problem of a built site, sorted and without repeats."""
    return _check_folder(loaded, output_dir)[0]


def unique_problems(problems: Iterable[Problem]) -> list[Problem]:
    """One report per source location and message, the first seen: a broken link in a
    summary shows on many listing pages but has one cause."""
    kept: dict[tuple[str, int | None, str, str], Problem] = {}
    for problem in problems:
        kept.setdefault((problem.file, problem.line, problem.kind, problem.message), problem)
    return sorted(kept.values(), key=_sort_key)


def _sort_key(problem: Problem) -> tuple[str, int, str, str, str]:
    return (problem.file, problem.line or 0, problem.kind, problem.message, problem.page)


def problems_from_failure(failure: BuildFailed) -> list[Problem]:
    """A build that stopped is still a report: each error becomes a located problem."""
    problems = []
    for error in failure.errors:
        loc = error.location
        kind = ("xref" if isinstance(error, XrefError)
                else "duplicate-alias" if isinstance(error, RouteConflict) and "alias" in error.message
                else "route-conflict" if isinstance(error, RouteConflict) else "build-error")
        problems.append(Problem(str(loc.path) if loc else "", loc.line if loc else None,
                                kind, error.message))
    return unique_problems(problems)


def errors_of(problems: list[Problem]) -> list[Problem]:
    """The problems that fail the check (not the warnings)."""
    return [p for p in problems if p.severity != "warning"]


def format_problems(problems: list[Problem]) -> str:
    """Compiler-style lines plus a count."""
    count = len(errors_of(problems))
    warnings = len(problems) - count
    lines = [p.format() for p in problems]
    lines.append(f"check: {count} problem{'s' if count != 1 else ''}"
                 + (f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""))
    return "\n".join(lines)


# -- external links ----------------------------------------------------------------------


class PrivateAddress(OSError):
    """A link's host is, or resolves to, an address that is not on the public internet."""


def is_public_address(address: str) -> bool:
    """Whether an IP address is a global unicast address: not loopback, private, link-local,
    unspecified, multicast or reserved (an IPv4 address inside IPv6 counts as itself)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and (ip.ipv4_mapped or ip.sixtofour):
        ip = ip.ipv4_mapped or ip.sixtofour
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback
                                 or ip.is_link_local or ip.is_unspecified or ip.is_private)


def public_addresses(host: str, port: int,
                     allowed: Callable[[str], bool] = is_public_address) -> list[tuple]:
    """getaddrinfo() for a link's host, refused when ANY address is not public: a name that
    also points inside the network is not asked at all."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise URLError(f"cannot resolve {host}: {getattr(exc, 'strerror', None) or exc}") from None
    refused = sorted({str(info[4][0]) for info in found if not allowed(str(info[4][0]))})
    if refused:
        raise PrivateAddress(host if refused == [host] else f"{host} is {', '.join(refused)}")
    return found


def _guarded(allowed: Callable[[str], bool]) -> Callable[..., socket.socket]:
    """socket.create_connection that connects only to the public addresses it resolved itself,
    so a name cannot resolve to a public address for the check and a private one after."""
    def connect(address: tuple[str, int], timeout: Any = None,
                source_address: Any = None) -> socket.socket:
        error: OSError | None = None
        for family, kind, proto, _, sockaddr in public_addresses(*address, allowed=allowed):
            sock = socket.socket(family, kind, proto)
            try:
                if isinstance(timeout, (int, float)):  # else http.client's "no timeout given"
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                error = exc
        raise error or OSError(f"cannot connect to {address[0]}")
    return connect


def _guarded_opener(allowed: Callable[[str], bool]) -> Any:
    """A urllib opener that checks the address of every request, each redirect included.

    Through a proxy (http_proxy, https_proxy) the proxy connects, so the link's host is
    checked by name before the request is handed over instead.
    """
    connect = _guarded(allowed)

    def guarded(base: type) -> Callable[..., http.client.HTTPConnection]:
        def make(host: str, **options: Any) -> http.client.HTTPConnection:
            made = base(host, **options)
            made._create_connection = connect  # type: ignore[attr-defined]
            return made
        return make

    def open_checked(handler: Any, base: type, request: Request) -> Any:
        target = urlsplit(request.full_url)
        if request.host == target.netloc:
            return handler.do_open(guarded(base), request, **handler_options(handler))
        public_addresses(target.hostname or "", target.port or 80, allowed)  # via a proxy
        return handler.do_open(base, request, **handler_options(handler))

    def handler_options(handler: Any) -> dict[str, Any]:
        return {"context": handler._context} if isinstance(handler, HTTPSHandler) else {}

    class Plain(HTTPHandler):
        def http_open(self, request: Request) -> Any:
            return open_checked(self, http.client.HTTPConnection, request)

    class Secure(HTTPSHandler):
        def https_open(self, request: Request) -> Any:
            return open_checked(self, http.client.HTTPSConnection, request)

    return build_opener(Plain, Secure)


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """What asking an external URL gave: its status, or why it failed or was not asked."""

    status: int | None
    error: str = ""
    skipped: bool = False  #: not requested: the address is not public


def fetch_status(url: str, timeout: float = EXTERNAL_TIMEOUT,
                 allowed: Callable[[str], bool] = is_public_address) -> LinkStatus:
    """HEAD, then GET when the server refuses HEAD; never to a non-public address."""
    headers = {"User-Agent": f"chronicle-check/{__version__}"}
    opener = _guarded_opener(allowed)
    result = LinkStatus(None)
    for method in ("HEAD", "GET"):
        try:
            with opener.open(Request(url, method=method, headers=headers), timeout=timeout) as reply:
                return LinkStatus(reply.status)
        except PrivateAddress as exc:  # refused before a request (a redirect hop included)
            return LinkStatus(None, f"skipped: private address ({exc})", skipped=True)
        except HTTPError as exc:
            result = LinkStatus(exc.code, f"HTTP {exc.code}")
        except (URLError, OSError, ValueError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, PrivateAddress):
                return LinkStatus(None, f"skipped: private address ({reason})", skipped=True)
            result = LinkStatus(None, str(reason))
    return result


def load_cache(path: Path) -> dict[str, dict]:
    """The external-link cache; a missing or corrupt file is an empty cache."""
    from chronicle_ssg.cache import read_cache_file
    try:
        data = json.loads(read_cache_file(path) or b"null")
        return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}
    except ValueError:
        return {}


def check_external(urls: dict[str, list[tuple[str, int | None, str]]], cache_path: Path,
                   now: float | None = None,
                   allowed: Callable[[str], bool] | None = None) -> list[Problem]:
    """Fetch each external URL once (8 at a time), trusting recent successes from the cache.

    Links to addresses that are not public (loopback, private, link-local, ...) are not
    requested: a reader's comment must not make check call the writer's router or admin
    pages. They are warnings, and are not cached (the name may point elsewhere later).
    """
    from chronicle_ssg.cache import write_cache_file
    now = time.time() if now is None else now
    allowed = allowed or is_public_address
    cache = load_cache(cache_path)
    fresh = [u for u in sorted(urls) if not _cached_ok(cache.get(u), now)]
    skipped: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=EXTERNAL_WORKERS) as pool:
        for url, result in zip(fresh, pool.map(lambda u: fetch_status(u, allowed=allowed), fresh)):
            if result.skipped:
                skipped[url] = result.error
                cache.pop(url, None)
            else:
                cache[url] = {"status": result.status, "error": result.error, "checked": now}
    write_cache_file(cache_path, (json.dumps(cache, indent=1, sort_keys=True) + "\n").encode())
    problems = []
    for url in sorted(urls):
        if url in skipped:
            problems += [Problem(file, line, "external-link", f"{url}: {skipped[url]}", page,
                                 severity="warning") for file, line, page in urls[url]]
            continue
        result = cache[url]
        if not _ok(result):
            reason = result.get("error") or f"HTTP {result.get('status')}"
            problems += [Problem(file, line, "external-link", f"{url}: {reason}", page)
                         for file, line, page in urls[url]]
    return unique_problems(problems)


def _ok(result: dict) -> bool:
    status = result.get("status")
    return isinstance(status, int) and status < 400


def _cached_ok(result: dict | None, now: float) -> bool:
    checked = result.get("checked") if result else None
    return bool(result) and _ok(result) and isinstance(checked, (int, float)) \
        and now - checked < CACHE_TTL


# -- the command ---------------------------------------------------------------------------


def run_check(site_root: Path, output: Path | None, fmt: str, external: bool) -> int:
    """`chronicle check`: build (or read --output), report problems, exit 1 if any."""
    from chronicle_ssg.build import BuildOptions, build, load_site
    try:
        if output is not None:
            if not output.is_dir():
                raise ChronicleError(f"output folder {output} does not exist",
                                     hint="build first, or leave out --output to build afresh")
            loaded = load_site(site_root, BuildOptions())
            problems, checker = _check_folder(loaded, output.absolute())
        else:
            with tempfile.TemporaryDirectory(prefix="chronicle-check-") as temp:
                loaded, _ = build(site_root, Path(temp) / "output", BuildOptions())
                problems, checker = _check_folder(loaded, Path(temp) / "output")
        problems = unique_problems(problems + warning_problems(loaded))
        if external:
            problems = unique_problems(problems + check_external(
                checker.external, site_root / CACHE_FILE))
    except BuildFailed as failure:
        problems = problems_from_failure(failure)
    _print(problems, fmt)
    return 1 if errors_of(problems) else 0


def warning_problems(loaded: LoadedSite) -> list[Problem]:
    """The sources' warnings (unknown front-matter keys, ignored files...) as problems:
    `check` passes only when a build would say nothing. (`build --strict` prints them as
    warnings itself.)"""
    return [Problem(str(w.location.path) if w.location else "",
                    w.location.line if w.location else None, w.code,
                    f"{w.message} ({w.hint})" if w.hint else w.message)
            for w in loaded.warnings()]


def _check_folder(loaded: LoadedSite, folder: Path) -> tuple[list[Problem], LinkChecker]:
    files, pages = scan_output(folder)
    checker = LinkChecker(loaded, files, pages)
    problems = (checker.check() + description_problems(loaded, pages) + duplicate_problems(loaded)
                + duplicate_id_problems(checker))
    return unique_problems(problems), checker


def _print(problems: list[Problem], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps([asdict(p) for p in problems], indent=1, ensure_ascii=False))
    elif problems:
        print(format_problems(problems))
    else:
        print("check: no problems", file=sys.stderr)

