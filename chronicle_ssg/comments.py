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
import difflib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Callable, Mapping

from chronicle_ssg.dates import DATE_HINT, parse_datetime
from chronicle_ssg.errors import (BuildFailed, ChronicleError, ChronicleWarning, ContentError,
                                  SourceLocation)
from chronicle_ssg.text import strip_invisible

ROLES = {"admin": "Admin", "author": "Author"}
REQUIRED = ("id", "author", "date", "body")
FIELDS = {"id", "author", "date", "body", "parent", "edited", "role", "url"}
#: replies deeper than this are shown at this depth, after the comment they answer (as
#: WordPress's thread depth setting does): pages stay readable and nothing recurses deeper
MAX_DEPTH = 6


@dataclass(frozen=True, slots=True)
class Comment:
    id: str
    author: str  #: bidi controls and zero-width characters removed
    date: dt.datetime
    body_html: str  #: sanitised HTML
    parent: str | None
    edited: dt.datetime | None
    role: str | None  #: "admin", "author" or None
    url: str  #: commenter's website, http(s) only, or ''
    depth: int  #: 0 for top-level comments, at most MAX_DEPTH
    replies: tuple["Comment", ...]  #: replies shown nested under it, oldest first
    #: the parent's author when the comment is shown flat at MAX_DEPTH, not under its parent
    reply_to: str = ""

    @property
    def anchor(self) -> str:
        return f"comment-{self.id}"

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role or "", "")


@dataclass(frozen=True, slots=True)
class CommentFile:
    """A comments file, validated: its thread and what was repaired in it."""

    comments: tuple[Comment, ...]
    warnings: tuple[ChronicleWarning, ...] = ()


def build_thread(records: Any, rel: PurePosixPath, lines: Mapping[str, int], tz: dt.tzinfo,
                 render: Callable[[str], str]) -> CommentFile:
    """Validate comment records and nest replies; raises every error of the file at once.

    `lines` holds the line of each record ("comments.0") and of its fields
    ("comments.0.date"), as `parse.load_yaml` records them.
    """
    if not isinstance(records, dict) or not isinstance(records.get("comments", []), list):
        raise ContentError("a comments file holds `comments:` followed by a list of records",
                           SourceLocation(rel, 1))
    items = records.get("comments") or []
    errors: list[ChronicleError] = []
    warnings: list[ChronicleWarning] = []
    rows: list[dict[str, Any]] = []
    first_of: dict[str, int] = {}  #: every id written, valid record or not: replies to a
    for index, item in enumerate(items):  # broken record are not "parent does not exist"
        record = _Record(item, index, rel, lines, errors, warnings)
        row = record.check(tz)
        if record.id is not None and record.id in first_of:
            errors.append(ContentError(
                f"comment {record.id!r}: duplicate id (first used by comment "
                f"#{first_of[record.id] + 1})", record.where("id"),
                hint="ids are unique within a file"))
            continue
        if record.id is not None:
            first_of[record.id] = index
        if row is not None:
            rows.append(row)
    for row in rows:
        if row["parent"] is not None and row["parent"] not in first_of:
            errors.append(ContentError(
                f"comment {row['id']!r}: parent {row['parent']!r} does not exist",
                row["parent_where"], hint="give the id of another comment in this file"))
    if errors:
        raise BuildFailed(errors)
    thread = _nest(rows, render, errors)
    if errors:
        raise BuildFailed(errors)
    return CommentFile(thread, tuple(warnings))


class _Record:
    """One comment record being checked; problems go to the file's lists."""

    def __init__(self, item: Any, index: int, rel: PurePosixPath, lines: Mapping[str, int],
                 errors: list[ChronicleError], warnings: list[ChronicleWarning]) -> None:
        self.item, self.index, self.rel, self.lines = item, index, rel, lines
        self.errors, self.warnings = errors, warnings
        self.id: str | None = None
        if isinstance(item, dict) and _present(item.get("id")) and _scalar(item["id"]):
            self.id = str(item["id"])
        self.label = f"comment {self.id!r}" if self.id is not None else f"comment #{index + 1}"

    def where(self, key: str | None = None) -> SourceLocation:
        base = f"comments.{self.index}"
        line = self.lines.get(f"{base}.{key}") if key else None
        return SourceLocation(self.rel, line or self.lines.get(base) or 1)

    def fail(self, message: str, key: str | None = None, hint: str | None = None) -> None:
        self.errors.append(ContentError(f"{self.label}: {message}", self.where(key), hint))

    def check(self, tz: dt.tzinfo) -> dict[str, Any] | None:
        """The record as a row for nesting, or None when it has errors (all reported)."""
        item = self.item
        if not isinstance(item, dict):
            self.errors.append(ContentError(f"{self.label} is not a mapping of fields",
                                            self.where(),
                                            hint="write id:, author:, date: and body: lines"))
            return None
        before = len(self.errors)
        for key in sorted(map(str, item)):
            if key not in FIELDS:
                self.unknown(key)
        for key in REQUIRED:
            if not _present(item.get(key)):
                self.fail(f"missing {key!r}", hint=f"every comment needs {', '.join(REQUIRED)}")
        for key in ("id", "author", "body", "parent"):
            if _present(item.get(key)) and not _scalar(item[key]):
                self.fail(f"{key!r} must be a single value, not a "
                          f"{'list' if isinstance(item[key], list) else 'mapping'}", key)
        row: dict[str, Any] = {"where": self.where(), "parent_where": self.where("parent")}
        for key in ("date", "edited"):
            if _present(item.get(key)):
                try:
                    row[key] = parse_datetime(item[key], tz)
                except ValueError as exc:
                    self.fail(f"{key!r}: {exc}", key, DATE_HINT)
        role = item.get("role")
        if role is not None and not (isinstance(role, str) and role in ROLES):
            self.fail(f"role {role!r} must be one of {', '.join(ROLES)}", "role")
        url = item.get("url")
        url = "" if url is None else str(url)
        if url and not url.lower().startswith(("http://", "https://")):
            self.fail("url must start with http:// or https://", "url")
        author = strip_invisible(str(item.get("author", "")))
        if _present(item.get("author")) and _scalar(item["author"]) and not author:
            self.fail("'author' holds only invisible characters", "author")
        if len(self.errors) > before:
            return None
        parent = item.get("parent")
        row.update(id=self.id, author=author, body=str(item["body"]), role=role, url=url,
                   parent=str(parent) if _present(parent) else None)
        row.setdefault("edited", None)
        return row

    def unknown(self, key: str) -> None:
        close = difflib.get_close_matches(key, sorted(FIELDS), n=1)
        self.warnings.append(ChronicleWarning(
            f"{self.label}: unknown field {key!r} is ignored"
            + (f"; did you mean {close[0]!r}?" if close else ""),
            self.where(key), hint="comment fields: " + ", ".join(sorted(FIELDS))))


def _present(value: Any) -> bool:
    """Written and not empty: 0 and false are values, None and blank strings are not."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def _scalar(value: Any) -> bool:
    return not isinstance(value, (list, dict))


def _nest(rows: list[dict[str, Any]], render: Callable[[str], str],
          errors: list[ChronicleError]) -> tuple[Comment, ...]:
    """Replies under their parents, oldest first, in time linear in the number of rows.

    Below MAX_DEPTH a comment's whole subtree follows it flat, in reading order, so the
    structure (and every template walking it) is never deeper than MAX_DEPTH + 1.
    """
    children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        children[row["parent"]].append(row)
    for group in children.values():
        group.sort(key=lambda r: (r["date"], r["id"]))
    authors = {row["id"]: row["author"] for row in rows}
    reached = 0

    def comment(row: dict[str, Any], depth: int, replies: tuple[Comment, ...],
                flat: bool = False) -> Comment:
        nonlocal reached
        reached += 1
        return Comment(id=row["id"], author=row["author"], date=row["date"],
                       body_html=render(row["body"]), parent=row["parent"],
                       edited=row["edited"], role=row["role"], url=row["url"], depth=depth,
                       replies=replies, reply_to=authors[row["parent"]] if flat else "")

    def level(parent: str | None, depth: int) -> tuple[Comment, ...]:
        shown: list[Comment] = []
        for row in children.get(parent, ()):
            if depth < MAX_DEPTH:
                shown.append(comment(row, depth, level(row["id"], depth + 1)))
                continue
            shown.append(comment(row, depth, ()))
            stack = list(reversed(children.get(row["id"], ())))
            while stack:  # the subtree in reading order, each reply after what it answers
                reply = stack.pop()
                shown.append(comment(reply, depth, (), flat=True))
                stack.extend(reversed(children.get(reply["id"], ())))
        return tuple(shown)

    thread = level(None, 0)
    if reached < len(rows):
        shown = _reachable(children)
        for row in rows:
            if row["id"] not in shown:
                errors.append(ContentError(
                    f"comment {row['id']!r}: its replies form a cycle (parent "
                    f"{row['parent']!r} is one of its own replies)", row["parent_where"],
                    hint="check the parent fields: a chain of replies must start at a "
                         "comment without parent"))
    return thread


def _reachable(children: Mapping[str | None, list[dict[str, Any]]]) -> set[str]:
    """Ids of the comments reached from the top level."""
    seen: set[str] = set()
    stack = [row for row in children.get(None, ())]
    while stack:
        row = stack.pop()
        seen.add(row["id"])
        stack.extend(children.get(row["id"], ()))
    return seen


def count_comments(thread: tuple[Comment, ...]) -> int:
    """All comments in a thread, replies included."""
    total, stack = 0, list(thread)
    while stack:
        comment = stack.pop()
        total += 1
        stack.extend(comment.replies)
    return total
