"""Characters no page or feed may carry, and the invisible ones untrusted names may not."""

from __future__ import annotations

import re

from chronicle_ssg.errors import ChronicleWarning, SourceLocation

#: what XML 1.0 forbids (C0 controls but tab and line feed, lone surrogates, U+FFFE,
#: U+FFFF), what HTML calls control characters (DEL, C1) and every other noncharacter:
#: feeds that hold them do not parse, and no author means to write them
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
                       + "".join(f"{chr(plane * 0x10000 + 0xfffe)}{chr(plane * 0x10000 + 0xffff)}"
                                 for plane in range(17)) + "]")
#: bidirectional controls and zero-width characters: in a commenter's name they can
#: reorder the text around it or impersonate another name
INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def strip_forbidden(text: str) -> tuple[str, list[str]]:
    """`text` without the characters pages and feeds cannot carry, and the code points
    of what was removed ("U+0001"), each once, in order of appearance."""
    if not FORBIDDEN.search(text):
        return text, []
    removed = list(dict.fromkeys(f"U+{ord(c):04X}" for c in FORBIDDEN.findall(text)))
    return FORBIDDEN.sub("", text), removed


def forbidden_warning(removed: list[str], location: SourceLocation,
                      where: str = "") -> ChronicleWarning:
    """The warning for characters `strip_forbidden` removed."""
    shown = ", ".join(removed[:5]) + (", ..." if len(removed) > 5 else "")
    return ChronicleWarning(
        f"removed {'a character' if len(removed) == 1 else 'characters'} that HTML and XML "
        f"forbid ({shown}){where}", location,
        hint="they are invisible in most editors; delete them to silence this warning")


def strip_invisible(name: str) -> str:
    """A name without bidi controls and zero-width characters, spaces collapsed."""
    return " ".join(INVISIBLE.sub("", name).split())
