"""URL slugs that work for any script, and case-folded keys for terms."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Transliteration keeps Cyrillic slugs readable in URLs (ISO 9-like, simplified).
_CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґўђјљњћџ",
    ["a", "b", "v", "g", "d", "e", "yo", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
     "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
     "i", "yi", "ye", "g", "u", "dj", "j", "lj", "nj", "c", "dz"],
))
_EXTRA = {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "đ": "d", "ł": "l", "þ": "th", "ð": "d"}
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_ASCII_NON_WORD = re.compile(r"[^a-z0-9]+")
MAX_SLUG = 120


@lru_cache(maxsize=65536)  # the same tags and names recur across thousands of entries
def slugify(text: str) -> str:
    """Lower-case, transliterate Cyrillic and Latin diacritics, join words with '-'.

    Scripts with no transliteration (Greek, CJK...) keep their letters, which browsers
    show as-is and percent-encode on the wire.
    """
    if text.isascii():  # the common case, and the same result as the general path
        return _ASCII_NON_WORD.sub("-", text.lower()).strip("-")[:MAX_SLUG].rstrip("-")
    text = unicodedata.normalize("NFKC", text).casefold()
    out = []
    for char in text:
        if char in _CYRILLIC:
            out.append(_CYRILLIC[char])
        elif char in _EXTRA:
            out.append(_EXTRA[char])
        else:
            base = unicodedata.normalize("NFKD", char)
            stripped = "".join(c for c in base if not unicodedata.combining(c))
            out.append(stripped if stripped.isascii() else char)
    slug = _NON_WORD.sub("-", "".join(out)).replace("_", "-")
    slug = re.sub(r"-{2,}", "-", slug).strip("-")
    return slug[:MAX_SLUG].rstrip("-")


@lru_cache(maxsize=65536)
def term_key(name: str) -> str:
    """The identity of a tag, category or author: case, Unicode normalisation, repeated
    spaces and accents on Latin letters do not count (`José` and `Jose` are one author).

    Marks on other scripts stay: Cyrillic `й` and `и` are different letters.
    """
    text = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    if text.isascii():
        return text
    out, latin = [], False
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char):
            if not latin:
                out.append(char)
            continue
        latin = char.isascii() and char.isalpha()
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


# RFC 5646 (BCP 47) well-formed tags: language[-extlang][-script][-region][-variant...]
# [-extension...][-x-private], or a private-use tag alone. Registry membership is not
# checked: `cn` (used by Hugo sites for Chinese) is well-formed and kept.
_LANGUAGE_TAG = re.compile(
    r"(?:(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})(?:-[a-z]{4})?(?:-(?:[a-z]{2}|\d{3}))?"
    r"(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*(?:-[\da-wyz](?:-[a-z\d]{2,8})+)*"
    r"(?:-x(?:-[a-z\d]{1,8})+)?|x(?:-[a-z\d]{1,8})+)", re.IGNORECASE | re.ASCII)


def language_problem(tag: str) -> str | None:
    """Why `tag` is not a well-formed BCP 47 language tag (`en`, `pt-BR`, `zh-Hans`), or None."""
    if _LANGUAGE_TAG.fullmatch(tag):
        return None
    if "_" in tag:
        return f"language {tag!r} is not a BCP 47 tag: write {tag.replace('_', '-')!r}"
    return f"language {tag!r} is not a BCP 47 tag such as 'en', 'pt-BR' or 'zh-Hans'"
