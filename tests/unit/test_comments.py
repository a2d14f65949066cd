"""Comment records -> threads: validation naming the record, nesting, counting."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath
from typing import Any

import pytest

from chronicle_ssg.comments import MAX_DEPTH, build_thread, count_comments
from chronicle_ssg.errors import BuildFailed

REL = PurePosixPath("content/a.comments.yaml")


def record(cid: str, parent: str | None = None, **extra: Any) -> dict[str, Any]:
    item = {"id": cid, "author": "A", "date": "2025-03-18 10:00", "body": cid}
    if parent:
        item["parent"] = parent
    item.update(extra)
    return item


def thread(*records: dict[str, Any]):  # type: ignore[no-untyped-def]
    return build_thread({"comments": list(records)}, REL, lambda i: 2 + i * 5,
                        dt.timezone.utc, lambda text: f"<p>{text}</p>")


def test_replies_nest_under_their_parent_sorted_by_date() -> None:
    result = thread(record("b", date="2025-03-18 11:00"), record("a"), record("r1", "a"),
                    record("r2", "r1"), record("r3", "r2"))
    assert [c.id for c in result] == ["a", "b"]
    assert result[0].replies[0].replies[0].replies[0].id == "r3"
    assert result[0].replies[0].replies[0].replies[0].depth == 3
    assert count_comments(result) == 5


def test_depth_is_capped_for_display() -> None:
    chain = [record("c0")] + [record(f"c{i}", f"c{i - 1}") for i in range(1, MAX_DEPTH + 3)]
    deepest = thread(*chain)[0]
    while deepest.replies:
        deepest = deepest.replies[0]
    assert deepest.depth == MAX_DEPTH


def test_role_edited_and_url_are_kept() -> None:
    (comment,) = thread(record("a", role="admin", edited="2025-03-18 12:00",
                               url="https://me.example/"))
    assert comment.role_label == "Admin" and comment.anchor == "comment-a"
    assert comment.edited == dt.datetime(2025, 3, 18, 12, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(("records", "message", "line"), [
    ([{"id": "a", "date": "2025-03-18", "body": "x"}], "comment 'a': missing 'author'", 2),
    ([record("ok"), {"id": "b", "author": "B", "body": "x"}], "comment 'b': missing 'date'", 7),
    ([record("a", "ghost")], "comment 'a': parent 'ghost' does not exist", 2),
    ([record("a"), record("a")], "comment 'a': duplicate id", 7),
    ([record("a", role="owner")], "role 'owner'", 2),
    ([record("a", url="ftp://x")], "url must start with http", 2),
    ([record("a", colour="red")], "unknown field 'colour'", 2),
    (["just text"], "comment #1 is not a mapping", 2),
])
def test_bad_records_name_the_record_and_its_line(records: list[Any], message: str,
                                                 line: int) -> None:
    with pytest.raises(BuildFailed) as failure:
        thread(*records)
    (error,) = failure.value.errors
    assert message in error.message
    assert error.location == type(error.location)(REL, line)


def test_cycle_is_an_error() -> None:
    with pytest.raises(BuildFailed, match="cycle"):
        thread(record("a", "b"), record("b", "a"))


def test_file_must_hold_a_comments_list() -> None:
    with pytest.raises(Exception, match="comments:"):
        build_thread(["x"], REL, lambda i: 1, dt.timezone.utc, str)
