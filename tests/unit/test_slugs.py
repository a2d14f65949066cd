"""slugify and term keys: any script, stable, URL-safe."""

from __future__ import annotations

import pytest

from chronicle_ssg.slugs import MAX_SLUG, slugify, term_key


@pytest.mark.parametrize(("text", "slug"), [
    ("The Call Is On!", "the-call-is-on"),
    ("Звонок состоялся", "zvonok-sostoyalsya"),
    ("Щука и ёж", "shchuka-i-yozh"),
    ("Réunion à Genève", "reunion-a-geneve"),
    ("Straße", "strasse"),
    ("  --Q&A: 2025 -- ", "q-a-2025"),
    ("snake_case_words", "snake-case-words"),
    ("Ελλάδα", "ελλάδα"),  # no transliteration: the letters are kept as they are
    ("東京", "東京"),
    ("!!!", ""),
])
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_slug_is_capped_without_trailing_dash() -> None:
    slug = slugify("word " * 100)
    assert len(slug) <= MAX_SLUG and not slug.endswith("-")


def test_term_key_ignores_case_spacing_and_unicode_form() -> None:
    assert term_key("EU  Policy") == term_key("eu policy") == term_key("Eu Policy ")
    assert term_key("Cafe\u0301") == term_key("Café")
    assert term_key("Дипломатия") == term_key("дипломатия")


def test_term_keys_fold_accents_on_latin_letters_only() -> None:
    from chronicle_ssg.slugs import term_key
    assert term_key("José  Núñez") == term_key("jose nunez") == "jose nunez"
    assert term_key("мой") != term_key("мои")  # й and и are different letters


def test_language_tags_are_checked_for_form() -> None:
    from chronicle_ssg.slugs import language_problem
    for good in ("en", "pt-BR", "zh-Hans", "zh-Hans-CN", "cn", "de-CH-1996", "x-private"):
        assert language_problem(good) is None, good
    assert "write 'en-US'" in str(language_problem("en_US"))
    for bad in ("", "e", "en-", "en US", "english!"):
        assert language_problem(bad), bad
