"""Archived reader comments: a YAML file beside the entry -> a thread of Comment values.

Format (`2025-03-18-the-call.comments.yaml` beside `2025-03-18-the-call.md`):

    comments:
      - id: c1                 # unique within the file
        author: Jane Reader
        date: 2025-03-18 17:05 # naive times are in the site timezone
        body: |                # Markdown; untrusted: no HTML, safe links only
          Text.
        parent: c0             # optional: the comment this replies to
        edited: 2025-03-18 18:00  # optional
        role: admin            # optional: admin or author
        url: https://...       # optional: the commenter's site (rel="nofollow ugc")
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Callable

from chronicle_ssg.dates import DATE_HINT, parse_datetime
from chronicle_ssg.errors import BuildFailed, ChronicleError, ContentError, SourceLocation

ROLES = {"admin": "Admin", "author": "Author"}
FIELDS = {"id", "author", "date", "body", "parent", "edited", "role", "url"}
MAX_DEPTH = 6  #: deeper replies are shown at this depth


@dataclass(frozen=True, slots=True)
class Comment:
    id: str
    author: str
    date: dt.datetime
    body_html: str  #: sanitised HTML
    parent: str | None
    edited: dt.datetime | None
    role: str | None  #: "admin", "author" or None
    url: str  #: commenter's website, http(s) only, or ''
    depth: int  #: 0 for top-level comments
    replies: tuple["Comment", ...]  #: direct replies, oldest first

    @property
    def anchor(self) -> str:
        return f"comment-{self.id}"

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role or "", "")


def build_thread(records: Any, rel: PurePosixPath, key_line: Callable[[int], int],
                 tz: dt.tzinfo, render: Callable[[str], str]) -> tuple[Comment, ...]:
    """Validate comment records and nest replies; raises the first batch of errors."""
    if not isinstance(records, dict) or not isinstance(records.get("comments", []), list):
        raise ContentError("a comments file holds `comments:` followed by a list of records",
                           SourceLocation(rel, 1))
    items = records.get("comments") or []
    errors: list[ChronicleError] = []
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = SourceLocation(rel, key_line(index))
        row = _check_record(item, index, where, tz, errors)
        if row is None:
            continue
        if row["id"] in seen:
            errors.append(ContentError(f"comment {row['id']!r}: duplicate id", where))
            continue
        seen.add(row["id"])
        rows.append(row)
    for row in rows:
        if row["parent"] is not None and row["parent"] not in seen:
            errors.append(ContentError(
                f"comment {row['id']!r}: parent {row['parent']!r} does not exist", row["where"]))
    thread = _nest(rows, None, 0, render) if not errors else ()
    if not errors and count_comments(thread) < len(rows):
        errors.append(ContentError("comments reply to each other in a cycle",
                                   SourceLocation(rel, 1), hint="check the parent fields"))
    if errors:
        raise BuildFailed(errors)
    return thread


def _check_record(item: Any, index: int, where: SourceLocation, tz: dt.tzinfo,
                  errors: list[ChronicleError]) -> dict[str, Any] | None:
    label = f"comment #{index + 1}"
    if not isinstance(item, dict):
        errors.append(ContentError(f"{label} is not a mapping of fields", where))
        return None
    if "id" in item:
        label = f"comment {str(item['id'])!r}"
    problems = [f"unknown field {k!r}" for k in sorted(map(str, item)) if k not in FIELDS]
    problems += [f"missing {k!r}" for k in ("id", "author", "date", "body") if not item.get(k)]
    row: dict[str, Any] = {"where": where}
    for key in ("date", "edited"):
        if item.get(key):
            try:
                row[key] = parse_datetime(item[key], tz)
            except ValueError:
                problems.append(f"{key!r}: cannot parse {item[key]!r} ({DATE_HINT})")
    role = item.get("role")
    if role is not None and role not in ROLES:
        problems.append(f"role {role!r} must be one of {', '.join(ROLES)}")
    url = str(item.get("url") or "")
    if url and not url.lower().startswith(("http://", "https://")):
        problems.append("url must start with http:// or https://")
    if problems:
        errors.extend(ContentError(f"{label}: {p}", where) for p in problems)
        return None
    row.update(id=str(item["id"]), author=str(item["author"]), body=str(item["body"]),
               parent=str(item["parent"]) if item.get("parent") is not None else None,
               role=role, url=url)
    row.setdefault("edited", None)
    return row


def _nest(rows: list[dict[str, Any]], parent: str | None, depth: int,
          render: Callable[[str], str]) -> tuple[Comment, ...]:
    children = sorted((r for r in rows if r["parent"] == parent), key=lambda r: (r["date"], r["id"]))
    return tuple(
        Comment(id=r["id"], author=r["author"], date=r["date"], body_html=render(r["body"]),
                parent=r["parent"], edited=r["edited"], role=r["role"], url=r["url"],
                depth=min(depth, MAX_DEPTH), replies=_nest(rows, r["id"], depth + 1, render))
        for r in children)


def count_comments(thread: tuple[Comment, ...]) -> int:
    """All comments in a thread, replies included."""
    return sum(1 + count_comments(c.replies) for c in thread)
