"""chronicle.toml: defaults, validation with key and line, computed values."""

from __future__ import annotations

from pathlib import Path

import pytest

from chronicle_ssg.config import SiteConfig, load_config
from chronicle_ssg.errors import BuildFailed


def load(tmp_path: Path, text: str, **overrides: object) -> SiteConfig:
    (tmp_path / "chronicle.toml").write_text(text, "utf-8")
    return load_config(tmp_path, overrides or None)


def errors(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(BuildFailed) as failure:
        load(tmp_path, text)
    return [e.format().splitlines()[0] for e in failure.value.errors]


def test_defaults_fill_missing_keys(tmp_path: Path) -> None:
    config = load(tmp_path, 'title = "T"\n')
    assert config.timezone == "UTC" and config.permalink == "/{year}/{month}/{day}/{slug}/"
    assert config.entries_per_page == 10 and config.base_path == ""


def test_base_url_with_sub_path(tmp_path: Path) -> None:
    config = load(tmp_path, 'base_url = "https://example.org/archive"\n')
    assert config.base_url == "https://example.org/archive/"
    assert config.base_path == "/archive" and config.origin == "https://example.org"


def test_override_replaces_file_value(tmp_path: Path) -> None:
    config = load(tmp_path, 'base_url = "https://a.example/"\n', base_url="https://b.example/x/")
    assert config.base_path == "/x"


def test_theme_settings_and_menu_pass_through(tmp_path: Path) -> None:
    config = load(tmp_path, '[[menu]]\nname = "About"\nurl = "/about/"\n\n'
                            '[theme_settings]\ntagline = "Daily"\n')
    assert config.menu == (("About", "/about/"),)
    assert config.theme_settings == {"tagline": "Daily"}


def test_feeds_and_toc_settings(tmp_path: Path) -> None:
    assert load(tmp_path, "").feeds == ("atom",)
    config = load(tmp_path, 'feeds = ["json", "atom"]\ntoc = true\ntoc_min_headings = 5\n')
    assert (config.feeds, config.toc, config.toc_min_headings) == (("json", "atom"), True, 5)


@pytest.mark.parametrize(("text", "expected"), [
    ('title = "T"\ncolour = "red"\n', "chronicle.toml:2: error: unknown key 'colour'"),
    ('entries_per_page = true\n', "chronicle.toml:1: error: 'entries_per_page' must be an integer, got bool"),
    ('title = 3\n', "chronicle.toml:1: error: 'title' must be a string, got int"),
    ('\ntimezone = "Berlin/Mitte"\n', "chronicle.toml:2: error: unknown timezone 'Berlin/Mitte'"),
    ('base_url = "example.org"\n', "chronicle.toml:1: error: base_url 'example.org' is not an absolute http(s) URL"),
    ('permalink = "/{year}/{title}/"\n', "chronicle.toml:1: error: permalink"),
    ('entries_per_page = 0\n', "chronicle.toml:1: error: 'entries_per_page' must be at least 1"),
    ('update_order = "random"\n', "chronicle.toml:1: error: 'update_order' must be 'newest' or 'oldest'"),
    ('[[menu]]\nname = "x"\n', "chronicle.toml:1: error: each [[menu]] needs exactly 'name' and 'url'"),
    ('title = "T"\nfeeds = ["atom", "rdf"]\n', "chronicle.toml:2: error: 'feeds' must list one or more of 'atom', 'rss', 'json' once each, got ['atom', 'rdf']"),
    ('feeds = []\n', "chronicle.toml:1: error: 'feeds' must list one or more of"),
    ('feeds = ["rss", "rss"]\n', "chronicle.toml:1: error: 'feeds' must list one or more of"),
    ('feeds = "rss"\n', "chronicle.toml:1: error: 'feeds' must be a list, got str"),
    ('feeds = [1]\n', "chronicle.toml:1: error: 'feeds' must list one or more of"),
    ('toc = "yes"\n', "chronicle.toml:1: error: 'toc' must be true or false, got str"),
    ('toc_min_headings = 0\n', "chronicle.toml:1: error: 'toc_min_headings' must be at least 1"),
])
def test_bad_config_names_key_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    (first,) = errors(tmp_path, text)
    assert first.startswith(expected), first


def test_every_config_problem_is_reported(tmp_path: Path) -> None:
    found = errors(tmp_path, 'a = 1\nb = 2\ntitle = 3\n')
    assert [line.split(": error")[0] for line in found] == ["chronicle.toml:1", "chronicle.toml:2",
                                                           "chronicle.toml:3"]


def test_missing_config_file_is_an_error_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(BuildFailed, match="chronicle new site"):
        load_config(tmp_path)


def test_digest_changes_with_any_setting(tmp_path: Path) -> None:
    assert load(tmp_path, 'title = "A"\n').digest() != load(tmp_path, 'title = "B"\n').digest()


@pytest.mark.parametrize("url", ["/about/", "about/", "https://x.example/", "mailto:a@x.example",
                                 "tel:+100", "#top", "?q=1"])
def test_menu_accepts_site_paths_and_web_mail_phone_links(tmp_path: Path, url: str) -> None:
    config = load(tmp_path, f'[[menu]]\nname = "A"\nurl = "{url}"\n')
    assert config.menu == (("A", url),)


@pytest.mark.parametrize(("url", "scheme"), [
    ("javascript:alert(1)", "javascript"), ("JAVASCRIPT:x", "javascript"),
    ("\\u0001 javascript:x", "javascript"), ("java\\nscript:x", "javascript"),
    ("data:text/html,x", "data"), ("vbscript:x", "vbscript"), ("file:///etc/passwd", "file")])
def test_menu_refuses_other_schemes_with_the_line(tmp_path: Path, url: str, scheme: str) -> None:
    found = errors(tmp_path, f'title = "T"\n\n[[menu]]\nname = "A"\nurl = "{url}"\n')
    assert len(found) == 1 and found[0].startswith("chronicle.toml:5: error: [[menu]] url ")
    assert f"uses the {scheme}: scheme" in found[0]


def test_forbidden_characters_leave_config_values_with_a_warning(tmp_path: Path) -> None:
    config = load(tmp_path, 'title = "A\\u0001B"\n[theme_settings]\ntagline = "x\\uFFFEy"\n')
    assert config.title == "AB" and config.theme_settings == {"tagline": "xy"}
    assert [w.format().splitlines()[0] for w in config.warnings] == [
        "chronicle.toml:1: warning: removed a character that HTML and XML forbid (U+0001) "
        "in the value of 'title'",
        "chronicle.toml:2: warning: removed a character that HTML and XML forbid (U+FFFE) "
        "in the value of 'theme_settings'"]
    assert config.digest() == load(tmp_path, 'title = "AB"\n[theme_settings]\ntagline = "xy"\n').digest()
