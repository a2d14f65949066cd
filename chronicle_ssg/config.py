"""chronicle.toml -> SiteConfig, validated: unknown keys and wrong types are errors."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from chronicle_ssg.dates import load_timezone
from chronicle_ssg.errors import ChronicleWarning, ConfigError, SourceLocation, raise_collected
from chronicle_ssg.slugs import language_problem
from chronicle_ssg.text import FORBIDDEN, forbidden_warning, strip_forbidden

CONFIG_NAME = "chronicle.toml"
#: the feed formats `feeds` may list (route.FEED_FORMATS says where each is written)
FEED_FORMATS = ("atom", "rss", "json")
PERMALINK_FIELDS = {"year", "month", "day", "slug", "lang", "section"}
#: schemes a [[menu]] link may use; a URL without a scheme is a path on the site
MENU_SCHEMES = {"http", "https", "mailto", "tel"}
_SCHEME_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """The validated site configuration. Field docs double as the config reference."""

    title: str = "A chronicle"  #: site title, shown in the header and feeds
    description: str = ""  #: one-line description for meta tags and feeds
    base_url: str = "http://localhost:8000/"  #: absolute URL, may include a sub-path
    language: str = "en"  #: BCP 47 tag for <html lang> and feeds; entries may set their own `lang`
    author: str = ""  #: default author for entries without one
    timezone: str = "UTC"  #: IANA zone for naive dates and archive grouping
    theme: str = "default"  #: theme folder under themes/ or a built-in theme
    entries_per_page: int = 10  #: listing page size (home, archives, terms)
    permalink: str = "/{year}/{month}/{day}/{slug}/"  #: entry URL pattern
    feed_entries: int = 20  #: entries in each feed
    #: feed formats written for the site, each tag and the corrections: atom, rss, json
    feeds: tuple[str, ...] = ("atom",)
    update_order: str = "newest"  #: order of live updates: newest or oldest first
    recently_updated: int = 5  #: live/updated entries listed on the home page
    #: live coverage ends this many hours after an entry's last update (0: never by itself)
    live_window_hours: int = 48
    related_entries: int = 5  #: related entries shown on an entry page
    words_per_minute: int = 220  #: reading speed for reading time
    build_timestamp: bool = False  #: print the build time in the footer (breaks reproducibility)
    search: bool = True  #: index the site with Pagefind; a search page and a search box
    toc: bool = False  #: a table of contents on entries with toc_min_headings headings or more
    toc_min_headings: int = 3  #: h2/h3 headings an entry needs for its automatic contents
    menu: tuple[tuple[str, str], ...] = ()  #: extra navigation links [[menu]] name/url
    #: default social image (og:image) for pages without their own: a site path or https URL
    image: str = ""
    #: [images] widths: the responsive variants made of each body image, in pixels
    image_widths: tuple[int, ...] = (480, 960, 1600)
    image_quality: int = 80  #: [images] quality: JPEG and WebP quality of the variants, 1-100
    #: [images] sizes: the <img sizes> of body images (how wide the theme shows them)
    image_sizes: str = "(min-width: 45rem) 43rem, 100vw"
    #: front-matter keys of the site's own (for its templates): no "unknown key" warning
    extra_keys: tuple[str, ...] = ()
    theme_settings: dict[str, Any] = field(default_factory=dict)  #: passed to templates as-is
    #: computed: the file this came from (None for defaults)
    source: Path | None = None
    #: computed: what was repaired while reading (characters removed from values)
    warnings: tuple[ChronicleWarning, ...] = ()

    @property
    def tz(self) -> dt.tzinfo:
        return load_timezone(self.timezone)

    @property
    def base_path(self) -> str:
        """The URL path part of base_url, without trailing slash ('' at the root)."""
        return urlsplit(self.base_url).path.rstrip("/")

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    def digest(self) -> str:
        """A hash over every setting: a config change re-renders everything."""
        text = repr([(f.name, getattr(self, f.name)) for f in fields(self)
                     if f.name not in ("source", "warnings")])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


_TYPES: dict[str, type | tuple[type, ...]] = {
    "title": str, "description": str, "base_url": str, "language": str, "author": str,
    "timezone": str, "theme": str, "entries_per_page": int, "permalink": str,
    "feed_entries": int, "update_order": str, "recently_updated": int, "live_window_hours": int,
    "related_entries": int, "words_per_minute": int, "build_timestamp": bool, "search": bool,
    "feeds": list, "toc": bool, "toc_min_headings": int, "menu": list, "theme_settings": dict,
    "image": str, "images": dict, "extra_keys": list,
}
#: keys of the [images] table and the SiteConfig field each sets
IMAGE_KEYS = {"widths": "image_widths", "quality": "image_quality", "sizes": "image_sizes"}
MAX_IMAGE_WIDTH = 8192


def key_line(text: str, key: str) -> int | None:
    """Find the line of a top-level key with a small scan (tomllib keeps no positions)."""
    pattern = re.compile(rf"^\s*(\[\[?\s*)?\"?{re.escape(key)}\"?\s*(=|\]\]?)")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return None


def load_config(site_root: Path, overrides: dict[str, Any] | None = None) -> SiteConfig:
    """Read and validate chronicle.toml at the site root; every problem is reported."""
    path = site_root / CONFIG_NAME
    rel = PurePosixPath(CONFIG_NAME)
    if not path.is_file():
        raise_collected([ConfigError(
            f"no {CONFIG_NAME} in {site_root}", SourceLocation(rel),
            hint="run `chronicle new site DIR` for a starter site, or pass --source")])
    text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise_collected([ConfigError(f"invalid TOML: {exc}",
                                     SourceLocation(rel, int(line.group(1)) if line else None))])
    raw.update(overrides or {})
    warnings: list[ChronicleWarning] = []
    raw = {key: _without_forbidden(value, text, rel, key, warnings) for key, value in raw.items()}
    errors: list[ConfigError] = []
    values: dict[str, Any] = {}
    for key, value in raw.items():
        where = SourceLocation(rel, key_line(text, key))
        if key not in _TYPES:
            errors.append(ConfigError(f"unknown key {key!r}", where,
                                      hint="known keys: " + ", ".join(sorted(_TYPES))))
            continue
        expected = _TYPES[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            errors.append(ConfigError(
                f"{key!r} must be {_type_name(expected)}, got {type(value).__name__}", where))
            continue
        values[key] = value
    errors.extend(_check_values(values, text, rel))
    raise_collected(errors)
    if "images" in values:
        values.update((IMAGE_KEYS[k], tuple(sorted(v)) if isinstance(v, list) else v)
                      for k, v in values.pop("images").items())
    if "menu" in values:
        values["menu"] = tuple((str(m["name"]), str(m["url"])) for m in values["menu"])
    if "feeds" in values:
        values["feeds"] = tuple(values["feeds"])
    if "extra_keys" in values:
        values["extra_keys"] = tuple(values["extra_keys"])
    if "base_url" in values and not values["base_url"].endswith("/"):
        values["base_url"] += "/"
    return SiteConfig(**values, source=path, warnings=tuple(warnings))


def _without_forbidden(value: Any, text: str, rel: PurePosixPath, key: str,
                       warnings: list[ChronicleWarning]) -> Any:
    """`value` with the characters HTML and XML forbid removed from every string in it
    (TOML escapes such as "\\u0001" can write them), one warning per string."""
    if isinstance(value, str) and FORBIDDEN.search(value):
        cleaned, removed = strip_forbidden(value)
        warnings.append(forbidden_warning(removed, SourceLocation(rel, key_line(text, key)),
                                          f" in the value of {key!r}"))
        return cleaned
    if isinstance(value, list):
        return [_without_forbidden(item, text, rel, key, warnings) for item in value]
    if isinstance(value, dict):
        return {_without_forbidden(k, text, rel, key, warnings):
                _without_forbidden(v, text, rel, key, warnings) for k, v in value.items()}
    return value


def _value_line(text: str, value: str) -> int | None:
    """The first line holding `value` as written (for values inside tables and arrays)."""
    for number, line in enumerate(text.splitlines(), 1):
        if value in line:
            return number
    return None


def _menu_url_line(text: str, number: int) -> int | None:
    """The line of `url =` in the `number`-th [[menu]] table (0-based)."""
    tables = -1
    for line_number, line in enumerate(text.splitlines(), 1):
        if re.match(r"\s*\[\[\s*menu\s*\]\]", line):
            tables += 1
        elif tables == number and re.match(r"\s*\"?url\"?\s*=", line):
            return line_number
    return None


def _unsafe_menu_url(url: str) -> str | None:
    """The scheme of a menu URL that is not a web, mail or phone link, else None.

    Browsers ignore tabs and line breaks inside a URL and spaces and controls around
    it, so `java\\tscript:` is `javascript:` to them: the scheme is read the same way.
    """
    cleaned = re.sub(r"[\t\n\r]", "", url).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08"
                                                  "\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14"
                                                  "\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d"
                                                  "\x1e\x1f ")
    match = _SCHEME_RE.match(cleaned)
    if match and match.group(1).lower() not in MENU_SCHEMES:
        return match.group(1).lower()
    return None


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", bool: "true or false", list: "a list",
             dict: "a table"}
    return names.get(expected, str(expected))  # type: ignore[arg-type]


def _check_values(values: dict[str, Any], text: str, rel: PurePosixPath) -> list[ConfigError]:
    errors = []

    def bad(key: str, message: str, hint: str | None = None) -> None:
        errors.append(ConfigError(message, SourceLocation(rel, key_line(text, key)), hint))

    if "timezone" in values:
        try:
            load_timezone(values["timezone"])
        except ValueError as exc:
            bad("timezone", str(exc), "use an IANA name such as Europe/Berlin or UTC")
    if "base_url" in values:
        parts = urlsplit(values["base_url"])
        if parts.scheme not in ("http", "https") or not parts.netloc:
            bad("base_url", f"base_url {values['base_url']!r} is not an absolute http(s) URL",
                "for example https://example.org/ or https://example.org/archive/")
    if "permalink" in values:
        names = set(re.findall(r"{(\w+)}", values["permalink"]))
        if not names <= PERMALINK_FIELDS or "slug" not in names:
            bad("permalink", f"permalink {values['permalink']!r} must use {{slug}} and only "
                "{year}, {month}, {day}, {slug}, {lang}, {section}")
    if "language" in values and language_problem(values["language"]):
        bad("language", str(language_problem(values["language"])),
            "write a BCP 47 tag such as language = \"en\" or \"pt-BR\"")
    feeds = values.get("feeds", ["atom"])
    if not feeds or any(not isinstance(f, str) or f not in FEED_FORMATS for f in feeds) \
            or len(set(feeds)) != len(feeds):
        bad("feeds", f"'feeds' must list one or more of {', '.join(map(repr, FEED_FORMATS))} "
            f"once each, got {feeds!r}", 'for example feeds = ["atom", "rss", "json"]')
    for key in ("entries_per_page", "feed_entries", "words_per_minute", "toc_min_headings"):
        if key in values and values[key] < 1:
            bad(key, f"{key!r} must be at least 1")
    if values.get("live_window_hours", 0) < 0:
        bad("live_window_hours", "'live_window_hours' must be 0 (coverage never ends by itself) "
            "or more")
    if values.get("update_order", "newest") not in ("newest", "oldest"):
        bad("update_order", "'update_order' must be 'newest' or 'oldest'")
    for item in values.get("extra_keys", []):
        if not isinstance(item, str) or not item.strip():
            bad("extra_keys", f"'extra_keys' must list front-matter key names, got {item!r}",
                'for example extra_keys = ["mood", "location"]')
            break
    if "image" in values and image_problem(values["image"]):
        bad("image", f"image {values['image']!r} {image_problem(values['image'])}",
            "use a site path such as /images/card.png (a file in static/) or an https:// URL")
    errors.extend(_check_images(values.get("images", {}), text, rel))
    for number, item in enumerate(values.get("menu", [])):
        if not isinstance(item, dict) or set(item) != {"name", "url"}:
            bad("menu", "each [[menu]] needs exactly 'name' and 'url'")
            break
        scheme = _unsafe_menu_url(str(item["url"]))
        if scheme:
            line = (_value_line(text, str(item["url"])) or _menu_url_line(text, number)
                    or key_line(text, "menu"))
            errors.append(ConfigError(
                f"[[menu]] url {str(item['url'])!r} uses the {scheme}: scheme, which a menu "
                "link may not use", SourceLocation(rel, line),
                "use a path on the site (/about/) or an http://, https://, mailto: or tel: "
                "address"))
    return errors


def image_problem(value: str) -> str | None:
    """Why `value` cannot name a social or card image (a site path or an https URL), or None."""
    scheme = _SCHEME_RE.match(value)
    if scheme:
        return None if scheme.group(1).lower() == "https" and len(value) > 8 else \
            "is neither a site path nor an https:// URL"
    if value.startswith("//"):
        return "is a protocol-relative URL: write https://"
    return None if value.strip() else "is empty"


def _check_images(table: dict[str, Any], text: str, rel: PurePosixPath) -> list[ConfigError]:
    """The [images] table: known keys, widths a list of distinct pixel counts, quality 1-100."""
    errors = []

    def bad(key: str, message: str, hint: str | None = None) -> None:
        line = _value_line(text, f"{key} =") or _value_line(text, f"{key}=") or \
            key_line(text, "images")
        errors.append(ConfigError(message, SourceLocation(rel, line), hint))

    for key, value in table.items():
        if key not in IMAGE_KEYS:
            bad(key, f"unknown key {key!r} in [images]", "known keys: " + ", ".join(IMAGE_KEYS))
        elif key == "widths" and (
                not isinstance(value, list) or not value or len(set(value)) != len(value)
                or not all(isinstance(w, int) and not isinstance(w, bool)
                           and 16 <= w <= MAX_IMAGE_WIDTH for w in value)):
            bad(key, "[images] widths must be a list of distinct whole pixel widths "
                f"from 16 to {MAX_IMAGE_WIDTH}", "for example widths = [480, 960, 1600]")
        elif key == "quality" and (isinstance(value, bool) or not isinstance(value, int)
                                   or not 1 <= value <= 100):
            bad(key, "[images] quality must be a whole number from 1 to 100",
                "for example quality = 80")
        elif key == "sizes" and (not isinstance(value, str) or not value.strip()
                                 or '"' in value):
            bad(key, "[images] sizes must be a non-empty <img sizes> value",
                'for example sizes = "(min-width: 45rem) 43rem, 100vw"')
    return errors


#: hosts reserved for examples (RFC 2606, RFC 6761): a site published there is unfinished
EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net", "example")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def base_url_warnings(config: SiteConfig, overridden: bool = False) -> list[ChronicleWarning]:
    """A `base_url` that cannot be where the site is published: an example domain (the
    starter site's) or this machine. Fine for trying chronicle; feeds, the sitemap and
    canonical links would point there."""
    host = (urlsplit(config.base_url).hostname or "").rstrip(".")
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        what = "this machine"
    elif any(host == domain or host.endswith("." + domain) for domain in EXAMPLE_DOMAINS):
        what = "an example domain"
    else:
        return []
    if overridden:
        where, problem = None, f"--base-url {config.base_url} is {what}"
    else:
        text = config.source.read_text("utf-8", errors="replace") if config.source else ""
        line = key_line(text, "base_url")
        where = SourceLocation(PurePosixPath(CONFIG_NAME), line)
        problem = (f"base_url {config.base_url} is {what}" if line else
                   f"base_url is not set, so it is {config.base_url}")
    return [ChronicleWarning(
        f"{problem}: feeds, the sitemap and canonical links will point there", where,
        "fine for trying chronicle; set base_url in chronicle.toml to the site's real "
        "address (or pass --base-url) before publishing", "example-base-url")]
