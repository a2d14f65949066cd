"""The default theme and how a site customises it: template and static overrides, extra data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import (DEFAULT_CONFIG, build_site, build_to_disk, entry, make_site,
                            parse_html, texts)

THEME = Path(__file__).resolve().parents[2] / "chronicle_ssg" / "themes" / "default"

CONFIG = DEFAULT_CONFIG.replace('timezone = "UTC"', 'timezone = "Europe/Berlin"') + '''
[theme_settings]
tagline = "A tagline from theme_settings"
accent = "teal"
'''


def _site(tmp_path: Path, extra: dict[str, str | bytes] | None = None) -> Path:
    files: dict[str, str | bytes] = {
        "chronicle.toml": CONFIG,
        "content/2025-03-18-call.md": entry("The call", "2025-03-18 09:00", "Body of the call.",
                                            tags=["diplomacy"], mood="cautious"),
    }
    files.update(extra or {})
    return make_site(tmp_path, files)


def test_site_entry_template_extending_the_theme_wins(tmp_path: Path) -> None:
    root = _site(tmp_path, {"templates/entry.html": '''
        {% extends "theme/entry.html" %}
        {% block head %}<meta name="x-override" content="entry">{% endblock %}
        {% block content %}<p class="site-banner">Site banner</p>{{ super() }}{% endblock %}
        '''})
    doc = build_site(root).html("2025/03/18/call/")
    assert doc.xpath("//meta[@name='x-override']/@content") == ["entry"]
    assert texts(doc, "//main/p[@class='site-banner']") == ["Site banner"]
    assert texts(doc, "//main//h1") == ["The call"]  # the theme's block still renders


def test_site_base_template_replaces_the_theme_layout_everywhere(tmp_path: Path) -> None:
    root = _site(tmp_path, {"templates/base.html": '''
        <!DOCTYPE html>
        <html lang="en"><head><title>{{ page_title }}</title></head>
        <body class="site-layout"><main>{% block content %}{% endblock %}</main></body></html>
        '''})
    built = build_site(root)
    for path in ("", "2025/03/18/call/", "tags/diplomacy/", "archives/"):
        doc = built.html(path)
        assert doc.xpath("//body/@class") == ["site-layout"], path
        assert not doc.xpath("//header[@class='site-header']"), path


def test_site_static_files_override_the_theme_and_are_copied(tmp_path: Path) -> None:
    root = _site(tmp_path, {
        "static/style.css": "body { color: rebeccapurple; }\n",
        "static/CNAME": "news.example.org\n",
        "static/favicon.ico": b"\x00\x00\x01\x00fake-icon",
        "static/img/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n",
    })
    out = build_to_disk(root)
    assert (out / "style.css").read_text() == "body { color: rebeccapurple; }\n"
    assert (out / "CNAME").read_text() == "news.example.org\n"
    assert (out / "favicon.ico").read_bytes() == b"\x00\x00\x01\x00fake-icon"
    assert (out / "img/logo.svg").is_file()


def test_theme_stylesheet_is_copied_when_the_site_has_none(tmp_path: Path) -> None:
    out = build_to_disk(_site(tmp_path))
    assert (out / "style.css").read_bytes() == (THEME / "static/style.css").read_bytes()


def test_templates_receive_front_matter_extras_and_theme_settings(tmp_path: Path) -> None:
    root = _site(tmp_path, {"templates/entry.html": '''
        {% extends "theme/entry.html" %}
        {% block content %}<p id="mood">{{ entry.extra.get("mood") }}</p>
        <p id="missing">{{ entry.extra.get("nothing", "none") }}</p>
        <p id="accent">{{ site.settings.accent }}</p>{{ super() }}{% endblock %}
        '''})
    built = build_site(root)
    doc = built.html("2025/03/18/call/")
    assert texts(doc, "//p[@id='mood']") == ["cautious"]
    assert texts(doc, "//p[@id='missing']") == ["none"]
    assert texts(doc, "//p[@id='accent']") == ["teal"]
    # the default theme itself shows the tagline setting on every page
    assert texts(built.html(""), "//p[@class='tagline']") == ["A tagline from theme_settings"]


def test_live_jump_list_and_comments_show_site_local_times(tmp_path: Path) -> None:
    body = """
        Intro.

        :::: update 2025-03-18 10:00
        Morning.
        ::::

        :::: update 2025-03-18 20:15+00:00
        Evening, written in UTC.
        ::::

        :::: update 2025-03-19 08:00
        Next day.
        ::::
        """
    root = _site(tmp_path, {
        "content/2025-03-18-live.md": entry("Live", "2025-03-18 09:00", body),
        "content/2025-03-18-live.comments.yaml": (
            "comments:\n  - id: c1\n    author: R\n    date: 2025-03-18T12:00:00Z\n"
            "    edited: 2025-03-18T12:30:00Z\n    body: Hello.\n"),
    })
    doc = build_site(root).html("2025/03/18/live/")
    # 20:15 UTC is 21:15 in Berlin; the jump list groups updates by local day, newest first
    assert texts(doc, "//nav[@class='jump']//time") == ["08:00", "21:15", "10:00"]
    assert texts(doc, "//p[@class='jump-day']") == ["Wednesday 19 March", "Tuesday 18 March"]
    assert texts(doc, "//li[@id='comment-c1']//a[@class='comment-date']") == [
        "18 March 2025, 13:00 CET"]
    assert "13:30 CET" in texts(doc, "//span[@class='comment-edited']")[0]


def test_update_stamps_in_the_body_show_site_local_time(tmp_path: Path) -> None:
    body = ":::: update 2025-03-18 20:15+00:00\nEvening, written in UTC.\n::::\n"
    root = _site(tmp_path, {"content/2025-03-18-live.md": entry("Live", "2025-03-18 09:00", body)})
    doc = build_site(root).html("2025/03/18/live/")
    assert texts(doc, "//p[@class='update-time']") == ["18 March 2025, 21:15 CET"]


def test_comment_roles_do_not_collide_with_theme_classes(tmp_path: Path) -> None:
    root = _site(tmp_path, {"content/2025-03-18-call.comments.yaml": (
        "comments:\n  - id: c1\n    author: Ann\n    date: 2025-03-18 10:00\n    body: Hi.\n"
        "  - id: c2\n    author: Bo\n    role: author\n    parent: c1\n"
        "    date: 2025-03-18 11:00\n    body: Reply.\n")})
    doc = build_site(root).html("2025/03/18/call/")
    item = doc.xpath("//li[@id='comment-c2']")[0]
    assert item.get("class").split() == ["comment", "comment-role-author"]
    assert texts(item, ".//span[contains(@class, 'badge-role')]") == ["Author"]


def test_theme_uses_no_javascript_and_no_external_assets(tmp_path: Path) -> None:
    """No page runs a script but the search page, which loads the theme's own search.js."""
    built = build_site(_site(tmp_path, {"chronicle.toml": CONFIG.replace(
        "search = false", "search = true")}))
    css = (THEME / "static/style.css").read_text()
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", css)
    assert "search/index.html" in built.pages()
    for page in built.pages():
        doc = parse_html(built.files[page])
        scripts = [s for s in doc.xpath("//script")
                   if not (page == "search/index.html" and s.get("src") == "/search.js")]
        assert all(s.get("type") == "application/ld+json" and not s.get("src") for s in scripts), page
        external = [e.get("href") or e.get("src") for e in doc.xpath("//link[@rel='stylesheet'] | //img")
                    if "://" in (e.get("href") or e.get("src") or "")]
        assert not external, page


def test_every_theme_template_documents_its_context() -> None:
    templates = sorted((THEME / "templates").glob("*.html"))
    assert len(templates) >= 10
    for template in templates:
        head = template.read_text(encoding="utf-8")
        assert head.startswith("{#-"), f"{template.name} does not open with a comment"
        comment = head[:head.index("#}")]
        assert "ontext" in comment or template.name == "_macros.html", template.name
