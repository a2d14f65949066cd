"""Issue 14, Languages: catalogues, Babel dates, t(), per-entry and per-quote languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from chronicle_ssg.errors import BuildFailed
from tests.conftest import build_site, build_to_disk, entry, make_site, parse_html, texts

CONFIG = '''\
title = "Archiv"
base_url = "https://example.org/"
timezone = "Europe/Berlin"
language = "{language}"
'''

BODY = '''\
Intro.

<!--more-->

::: update 2025-03-18 16:45
The call is over.

::: quote source="Kremlin" date=2025-03-18 lang=ru
Стороны договорились.
:::
:::

::: note
A remark.
:::

::: correction 2025-03-19
An earlier version misstated the time.
:::
'''


def site(tmp_path: Path, language: str, extra: dict[str, str] | None = None) -> Path:
    files = {"content/entries/2025-03-18-the-call.md": entry("The call", body=BODY,
                                                             tags=["diplomacy"])}
    files.update(extra or {})
    return make_site(tmp_path, files, CONFIG.format(language=language))


def test_a_german_site_shows_german_words_and_dates_everywhere(tmp_path: Path) -> None:
    built = build_site(site(tmp_path, "de"))
    home = built.html("/")
    assert home.get("lang") == "de"
    assert texts(home, ".//a[@class='read-more']") == ["Weiterlesen von „The call“"]
    assert "1 Min. Lesezeit" in built.text("/")
    assert "18. März 2025" in texts(home, ".//time[@class='date']")
    page = built.html("/2025/03/18/the-call/")
    # the update stamp, the quote date and the correction date come from the Markdown stage
    assert texts(page, ".//p[@class='update-time']//time") == ["18. März 2025, 16:45 CET"]
    assert texts(page, ".//figcaption/time") == ["18. März 2025"]
    assert "19. März 2025" in texts(page, ".//aside[contains(@class, 'callout-correction')]//time")
    assert texts(page, ".//aside[contains(@class, 'callout-note')]/p[@class='callout-title']") \
        == ["Hinweis"]
    assert "Veröffentlicht am" in built.text("/2025/03/18/the-call/")
    corrections = built.html("/corrections/")
    assert texts(corrections, ".//h1") == ["Korrekturen"]
    assert texts(corrections, ".//ol//time") == ["19. März 2025"]
    archives = built.html("/archives/")
    assert texts(archives, ".//h1") == ["Archiv"]
    assert texts(archives, ".//ul[@class='month-list']/li/a/text()") or True
    assert "März" in built.text("/archives/")
    assert texts(built.html("/2025/03/"), ".//h1") == ["März 2025"]
    assert [w.format() for w in built.loaded.warnings()] == []


def test_english_output_keeps_its_words_and_dates(tmp_path: Path) -> None:
    built = build_site(site(tmp_path, "en"))
    page = built.html("/2025/03/18/the-call/")
    assert texts(page, ".//p[@class='update-time']//time") == ["18 March 2025, 16:45 CET"]
    assert texts(page, ".//figcaption/time") == ["18 March 2025"]
    assert texts(page, ".//aside[contains(@class, 'callout-note')]/p[@class='callout-title']") \
        == ["Note"]
    assert texts(built.html("/"), ".//a[@class='read-more']") == ["Read more of “The call”"]
    assert "1 min read" in built.text("/")


def test_a_quote_in_another_language_is_marked_up_with_lang(tmp_path: Path) -> None:
    page = build_site(site(tmp_path, "en")).html("/2025/03/18/the-call/")
    assert [q.get("lang") for q in page.iterfind(".//figure/blockquote")] == ["ru"]


def test_a_quote_lang_that_is_no_language_tag_is_an_error(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/entries/2025-03-18-q.md": entry(
        "Q", body='::: quote source="A" lang=ru_RU\nText.\n:::\n')})
    with pytest.raises(BuildFailed) as failure:
        build_site(root)
    assert "2025-03-18-q.md:6" in str(failure.value) and "'ru-RU'" in str(failure.value)


def test_a_site_catalogue_overrides_one_string(tmp_path: Path) -> None:
    built = build_site(site(tmp_path, "de", {"i18n/de.toml": 'read_more = "Mehr lesen"\n'}))
    home = built.html("/")
    assert texts(home, ".//a[@class='read-more']") == ["Mehr lesen von „The call“"]
    assert "1 Min. Lesezeit" in built.text("/")  # the theme's other German words stay


def test_a_missing_message_falls_back_to_english_with_a_warning(tmp_path: Path) -> None:
    built = build_site(site(tmp_path, "it", {"i18n/it.toml": 'read_more = "Continua a leggere"\n'}))
    assert texts(built.html("/"), ".//a[@class='read-more']") == [
        "Continua a leggere of “The call”"]
    assert "18 marzo 2025" in built.text("/")  # Babel knows Italian dates all the same
    warnings = [w.format() for w in built.loaded.warnings()]
    assert len(warnings) == 1
    assert warnings[0].startswith("i18n/it.toml: warning: ") and "shown in English" in warnings[0]
    assert "messages missing for 'it'" in warnings[0] and "archive_title" in warnings[0]


def test_a_language_without_catalogue_warns(tmp_path: Path) -> None:
    built = build_site(site(tmp_path, "pl"))
    assert "18 marca 2025" in built.text("/")
    assert any("no catalogue for language 'pl'" in w.format() for w in built.loaded.warnings())


def test_an_unknown_key_warns_with_file_line_and_a_suggestion(tmp_path: Path) -> None:
    built = build_site(site(tmp_path, "de", {"i18n/de.toml": '# mine\nread_mor = "Mehr"\n'}))
    warnings = [w.format() for w in built.loaded.warnings()]
    assert any(w.startswith("i18n/de.toml:2: warning: unknown message 'read_mor'")
               and "did you mean 'read_more'?" in w for w in warnings), warnings


def test_a_placeholder_english_lacks_is_an_error(tmp_path: Path) -> None:
    root = site(tmp_path, "de", {"i18n/de.toml": 'x = 1\nmin_read = "{minutes} Minuten"\n'})
    with pytest.raises(BuildFailed) as failure:
        build_site(root)
    message = str(failure.value)
    assert "i18n/de.toml:1: error: 'x' must be a string" in message
    assert "i18n/de.toml:2: error: 'min_read' uses {minutes}" in message


def test_russian_plural_forms_follow_babel(tmp_path: Path) -> None:
    files = {f"content/entries/2025-03-{day:02d}-e{day}.md": entry(f"E{day}", f"2025-03-{day:02d} 09:00")
             for day in range(1, 6)}
    built = build_site(make_site(tmp_path, files, CONFIG.format(language="ru")))
    assert "5 записей, по годам и месяцам." in built.text("/archives/")
    assert texts(built.html("/2025/03/01/"), ".//p[@class='lede']") == ["1 запись."]
    from chronicle_ssg.i18n import builtin_catalogues
    ru = builtin_catalogues().localizer("ru")
    assert [ru.t("comment_count", count=n) for n in (1, 3, 5, 21, 22, 11)] == [
        "1 комментарий", "3 комментария", "5 комментариев", "21 комментарий",
        "22 комментария", "11 комментариев"]


def test_an_entry_lang_picks_its_page_language(tmp_path: Path) -> None:
    files = {"content/entries/2025-03-18-der-anruf.md": entry("Der Anruf", body=BODY, lang="de"),
             "content/entries/2025-03-17-other.md": entry("Other", "2025-03-17 09:00")}
    built = build_site(make_site(tmp_path, files, CONFIG.format(language="en")))
    page = built.html("/2025/03/18/der-anruf/")
    assert page.get("lang") == "de"
    assert texts(page, ".//p[@class='update-time']//time") == ["18. März 2025, 16:45 CET"]
    assert "Veröffentlicht am" in built.text("/2025/03/18/der-anruf/")
    home = built.html("/")  # the listing stays in the site's language
    assert home.get("lang") == "en"
    assert "Read more of “Der Anruf”" in texts(home, ".//a[@class='read-more']")
    assert built.html("/2025/03/17/other/").get("lang") == "en"


def test_a_bad_entry_lang_is_an_error(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/entries/2025-03-18-x.md": entry("X", lang="de_DE")})
    with pytest.raises(BuildFailed) as failure:
        build_site(root)
    assert "2025-03-18-x.md:4" in str(failure.value) and "'de-DE'" in str(failure.value)


def test_changing_the_language_re_renders_cached_bodies(tmp_path: Path) -> None:
    root = site(tmp_path, "en")
    output = build_to_disk(root)
    page = output / "2025/03/18/the-call/index.html"
    assert "18 March 2025, 16:45 CET" in page.read_text("utf-8")
    (root / "chronicle.toml").write_text(CONFIG.format(language="de"), "utf-8")
    build_to_disk(root)
    doc = parse_html(page.read_bytes())
    assert texts(doc, ".//p[@class='update-time']//time") == ["18. März 2025, 16:45 CET"]
    (root / "i18n").mkdir()
    (root / "i18n/de.toml").write_text('callout_note = "Anmerkung"\n', "utf-8")
    build_to_disk(root)  # a catalogue edit re-renders the bodies and the pages too
    doc = parse_html(page.read_bytes())
    assert texts(doc, ".//aside[contains(@class, 'callout-note')]/p[@class='callout-title']") \
        == ["Anmerkung"]


def test_the_example_site_marks_its_russian_quote(tmp_path: Path) -> None:
    import shutil
    root = tmp_path / "example"
    repo = Path(__file__).resolve().parents[2]
    shutil.copytree(repo / "content", root / "content")
    shutil.copytree(repo / "static", root / "static")
    shutil.copy(repo / "chronicle.toml", root / "chronicle.toml")
    page = build_site(root).html("/2025/03/18/the-call/")
    quoted = [q for q in page.iterfind(".//figure/blockquote") if q.get("lang")]
    assert [q.get("lang") for q in quoted] == ["ru"]
    assert "Стороны договорились" in quoted[0].text_content()


def test_the_search_box_and_page_speak_the_site_language(tmp_path: Path) -> None:
    root = site(tmp_path, "de")
    (root / "chronicle.toml").write_text(CONFIG.format(language="de") + "search = false\n",
                                         "utf-8")
    home = build_site(root).html("/")
    assert texts(home, ".//form[@class='site-search']//button") == []  # search off: no box
    (root / "chronicle.toml").write_text(CONFIG.format(language="de"), "utf-8")
    built = build_site(root)
    assert texts(built.html("/"), ".//form[@class='site-search']//button") == ["Suche"]
    assert texts(built.html("/search/"), ".//h1") == ["Suche"]
