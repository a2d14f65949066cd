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
