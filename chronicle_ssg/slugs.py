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
    """The identity of a tag or category: case and Unicode normalisation do not count."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
