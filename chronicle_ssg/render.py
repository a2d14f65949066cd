"""STAGE 5: Route + Site -> bytes, through Jinja templates (site > theme > built-in)."""

from __future__ import annotations

import datetime as dt
import hashlib
import traceback
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable

import jinja2
import jinja2.meta
from markupsafe import Markup, escape

from chronicle_ssg import __version__
from chronicle_ssg.dates import rfc822, rfc3339
from chronicle_ssg.i18n import Catalogues, Localizer, builtin_catalogues
from chronicle_ssg.discover import SourceSet
from chronicle_ssg.errors import SourceLocation, TemplateError
from chronicle_ssg.model import Entry, Site
from chronicle_ssg.paths import absolutize_links
from chronicle_ssg.route import Route
from chronicle_ssg import contexts

BUILTIN_DIR = Path(__file__).parent / "builtin"


@dataclass(frozen=True)
class Renderer:
    """One Jinja environment per site state and language, plus what error messages need.

    Each language gets its own environment, whose `t()` and date filters speak it: macros
    imported without context (and `cached_card`) see the words of the page they are on.
    """

    env: jinja2.Environment  #: the site language's
    site_root: Path
    #: template name -> digest of the template and everything it extends or includes
    template_digests: dict[str, str]
    catalogues: Catalogues = field(default_factory=builtin_catalogues)
    language: str = "en"
    #: language -> environment, made when a page in that language is first rendered
    by_language: dict[str, jinja2.Environment] = field(default_factory=dict)

    def environment(self, language: str) -> jinja2.Environment:
        if not language or language == self.language:
            return self.env
        env = self.by_language.get(language)
        if env is None:
            env = self.by_language[language] = _environment(
                self.env.loader, self.catalogues.localizer(language))  # type: ignore[arg-type]
        return env


def _environment(loader: jinja2.BaseLoader, localizer: Localizer) -> jinja2.Environment:
    # auto_reload off: a build never sees a template change, and serve makes a new
    # environment when templates change; the check would cost a stat() per page.
    env = jinja2.Environment(
        loader=loader, autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, auto_reload=False)
    env.filters.update(FILTERS)
    env.filters.update(date_filters(localizer))

    def translate(key: str, **params: Any) -> Markup:
        """`t('read_more')`, `t('min_read', count=3)`: the text is escaped, Markup
        parameters (a <time> element) are kept as they are."""
        return Markup(localizer.t(key, escape, **params))

    env.globals.update(chronicle_version=__version__, cached_card=_card_cache(),
                       t=translate, _=translate, i18n=localizer, time_tag=_time_tag,
                       bdi=lambda text: Markup("<bdi>{}</bdi>").format(text),
                       link=lambda href, text: Markup('<a href="{}">{}</a>').format(href, text))
    return env


def _time_tag(when: Any, label: str) -> Markup:
    """`<time datetime="...">label</time>`, for a date inside a translated sentence;
    `when` is a date or datetime (ISO 8601) or the attribute's text."""
    stamp = when if isinstance(when, str) else when.isoformat()
    return Markup('<time datetime="{}">{}</time>').format(stamp, label)


def date_filters(localizer: Localizer) -> dict[str, Callable[..., str]]:
    """The locale-aware date filters of one language."""
    return {"date_long": localizer.date_long, "datetime_long": localizer.datetime_long,
            "time": localizer.time, "day_heading": localizer.day_heading,
            "month_year": localizer.month_year, "month_name": localizer.month}


def make_environment(sources: SourceSet, site_root: Path, serve_mode: bool = False,
                     catalogues: Catalogues | None = None, language: str = "en") -> Renderer:
    """Site templates override the theme's; the built-in folder supplies feeds and XML."""
    catalogues = catalogues or builtin_catalogues()
    site_templates = site_root / "templates"
    theme_templates = sources.theme_dir / "templates"
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader([str(site_templates), str(theme_templates), str(BUILTIN_DIR)]),
        jinja2.PrefixLoader({"theme": jinja2.FileSystemLoader(str(theme_templates)),
                             "builtin": jinja2.FileSystemLoader(str(BUILTIN_DIR))}),
    ])
    env = _environment(loader, catalogues.localizer(language))
    renderer = Renderer(env, site_root, {}, catalogues, language)
    # every page shows words from the catalogues: an edit there changes every signature
    renderer.template_digests.update(_template_digests(env, site_root, catalogues.digest))
    return renderer


def _card_cache() -> Callable[..., Any]:
    """`cached_card(entry)`: the `card` macro of _macros.html, rendered once per entry.

    An entry's card is the same on every listing it appears on (home, archives, terms),
    so listings join ready-made cards instead of re-running the macro ten times a page.
    The key includes the card digest, so a changed entry gets a fresh card.
    """
    cards: dict[tuple[str, str, str, str], Any] = {}

    @jinja2.pass_context
    def cached_card(context: Any, entry: Entry, heading: str = "h2") -> Any:
        key = (entry.id, entry.card_digest, heading, context["config"].base_url)
        card = cards.get(key)
        if card is None:
            macro = context.environment.get_template("_macros.html").module.card
            card = cards[key] = macro(entry, context["url"], context["site"], heading)
        return card

    return cached_card


def _template_digests(env: jinja2.Environment, site_root: Path, salt: str = "") -> dict[str, str]:
    """Each template's digest covers the templates it references, transitively."""
    names = sorted(set(env.list_templates()))
    own: dict[str, str] = {}
    refs: dict[str, set[str] | None] = {}
    for name in names:
        try:
            source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            continue
        own[name] = hashlib.sha256(source.encode()).hexdigest()
        try:
            found = set(jinja2.meta.find_referenced_templates(env.parse(source, name, filename)))
            refs[name] = None if None in found else {n for n in found if n}
        except jinja2.TemplateSyntaxError as exc:
            raise _syntax_error(exc, site_root) from None
    everything = salt + "".join(own[n] for n in sorted(own))
    digests = {}
    for name in own:
        seen: set[str] = set()
        stack = [name]
        dynamic = False
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            deps = refs.get(current, set())
            if deps is None:  # a computed template name: depends on all templates
                dynamic = True
                break
            stack.extend(deps)
        parts = everything if dynamic else salt + "".join(own.get(n, "") for n in sorted(seen))
        digests[name] = hashlib.sha256(parts.encode()).hexdigest()[:16]
    return digests


def _where(filename: str | None, line: int | None, site_root: Path) -> SourceLocation | None:
    if not filename:
        return None
    path = Path(filename)
    try:
        shown = PurePosixPath(path.relative_to(site_root).as_posix())
    except ValueError:
        shown = PurePosixPath(path.as_posix())
    return SourceLocation(shown, line)


def _syntax_error(exc: jinja2.TemplateSyntaxError, site_root: Path) -> TemplateError:
    return TemplateError(f"template syntax: {exc.message}",
                         _where(exc.filename, exc.lineno, site_root) or
                         SourceLocation(PurePosixPath(exc.name or "?"), exc.lineno))


def render_route(renderer: Renderer, site: Site, route: Route,
                 all_routes: tuple[Route, ...] = ()) -> bytes:
    """Render one route; errors name the template line and the route being rendered."""
    try:
        language = contexts.route_language(route, site)
        env = renderer.environment(language)
        template = env.get_template(route.template)
        context = contexts.build_context(route, site, all_routes, env.globals["i18n"])
        return template.render(context).encode("utf-8")
    except jinja2.TemplateSyntaxError as exc:
        raise _syntax_error(exc, renderer.site_root) from None
    except TemplateError:
        raise
    except Exception as exc:  # a template runtime error: point at the template line
        frame = _template_frame(exc)
        location = _where(frame.filename, frame.lineno, renderer.site_root) if frame else None
        subject = f" from {route.subject}" if route.kind in ("entry", "page") else ""
        raise TemplateError(f"{type(exc).__name__}: {exc} (while rendering {route.path}{subject})",
                            location) from None


def _template_frame(exc: BaseException) -> traceback.FrameSummary | None:
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename.endswith((".html", ".xml", ".txt"))]
    return frames[-1] if frames else None


# --- filters: URLs and feed content (the date filters are per language: date_filters) ---

FILTERS: dict[str, Callable[..., Any]] = {
    "rfc3339": rfc3339,
    "rfc822": rfc822,
    "iso_date": lambda value: value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat(),
    "absolutize": absolutize_links,
}
