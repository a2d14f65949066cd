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


class RecordLines(dict):
    """Record N starts on line 2 + 5N; its fields follow it one per line."""

    def get(self, key: str, default: Any = None) -> Any:
        parts = key.split(".")
        if len(parts) == 2:
            return 2 + int(parts[1]) * 5
        return default


def loaded(*records: Any):  # type: ignore[no-untyped-def]
    return build_thread({"comments": list(records)}, REL, RecordLines(),
                        dt.timezone.utc, lambda text: f"<p>{text}</p>")


def thread(*records: Any):  # type: ignore[no-untyped-def]
    return loaded(*records).comments


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
        build_thread(["x"], REL, {}, dt.timezone.utc, str)


# --- linear nesting, capped depth (issue 10) ---

def reference_nest(rows: list[dict[str, Any]], parent: str | None = None,
                   depth: int = 0) -> list[tuple[str, int, list]]:
    """The nesting as it was first written (a scan of every row per comment): the linear
    one must give the same thread wherever replies stay within MAX_DEPTH."""
    children = sorted((r for r in rows if r.get("parent") == parent),
                      key=lambda r: (r["date"], r["id"]))
    return [(r["id"], depth, reference_nest(rows, r["id"], depth + 1)) for r in children]


def shape(comments) -> list[tuple[str, int, list]]:  # type: ignore[no-untyped-def]
    return [(c.id, c.depth, shape(c.replies)) for c in comments]


@pytest.mark.parametrize("seed", range(20))
def test_linear_nesting_gives_the_same_thread_as_the_reference(seed: int) -> None:
    import random
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    depth_of: dict[str, int] = {}
    for number in range(rng.randint(1, 60)):
        shallow = [r["id"] for r in rows if depth_of[r["id"]] < MAX_DEPTH]
        parent = rng.choice(shallow) if shallow and rng.random() < 0.7 else None
        cid = f"c{number}"
        depth_of[cid] = depth_of[parent] + 1 if parent else 0
        minute = rng.randint(0, 59)  # equal dates too: the id breaks the tie
        rows.append(record(cid, parent, date=f"2025-03-18 10:{minute:02d}"))
    rng.shuffle(rows)
    assert shape(thread(*rows)) == reference_nest(rows)


def test_replies_deeper_than_max_depth_follow_flat_in_reading_order() -> None:
    chain = [record("c0")] + [record(f"c{i}", f"c{i - 1}") for i in range(1, MAX_DEPTH + 3)]
    chain.append(record("side", f"c{MAX_DEPTH}", date="2025-03-18 09:00"))
    flat = thread(*chain)[0]
    for _ in range(MAX_DEPTH - 1):
        flat = flat.replies[0]
    shown = [(c.id, c.depth, c.reply_to, len(c.replies)) for c in flat.replies]
    # c{MAX}'s own replies (the side one is older) follow it at the same depth
    assert shown == [(f"c{MAX_DEPTH}", MAX_DEPTH, "", 0), ("side", MAX_DEPTH, "A", 0),
                     (f"c{MAX_DEPTH + 1}", MAX_DEPTH, "A", 0),
                     (f"c{MAX_DEPTH + 2}", MAX_DEPTH, "A", 0)]


def test_a_chain_250_replies_deep_builds_counts_and_pickles() -> None:
    import pickle
    chain = [record("c0")] + [record(f"c{i}", f"c{i - 1}") for i in range(1, 250)]
    result = thread(*chain)
    assert count_comments(result) == 250
    assert pickle.loads(pickle.dumps(result)) == result  # the build cache pickles threads


def test_cycle_names_every_record_in_it() -> None:
    with pytest.raises(BuildFailed) as failure:
        thread(record("ok"), record("a", "b"), record("b", "a"))
    assert sorted(e.message.split(":")[0] for e in failure.value.errors) == ["comment 'a'",
                                                                              "comment 'b'"]


# --- every mistake named on its own record (issues 10 and 12) ---

def test_role_that_is_a_list_is_an_error_not_a_crash() -> None:
    with pytest.raises(BuildFailed) as failure:
        thread(record("a", role=["admin"]))
    (error,) = failure.value.errors
    assert "role ['admin'] must be one of admin, author" in error.message


def test_fields_whose_value_is_zero_are_values() -> None:
    (comment,) = thread({"id": 0, "author": 0, "date": "2025-03-18 10:00", "body": 0})
    assert (comment.id, comment.author, comment.body_html) == ("0", "0", "<p>0</p>")
    reply = {"id": "r", "author": "A", "date": "2025-03-18 11:00", "body": "x", "parent": 0,
             "edited": 0}
    with pytest.raises(BuildFailed) as failure:  # edited: 0 is a value, and not a date
        thread({"id": 0, "author": "A", "date": "2025-03-18", "body": "x"}, reply)
    (error,) = failure.value.errors
    assert error.message == "comment 'r': 'edited': expected a date, got int"
    del reply["edited"]
    (parent,) = thread({"id": 0, "author": "A", "date": "2025-03-18", "body": "x"}, reply)
    assert parent.replies[0].id == "r"


@pytest.mark.parametrize("date", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00"])
def test_date_beyond_the_calendar_is_an_error_on_the_record(date: str) -> None:
    with pytest.raises(BuildFailed) as failure:
        thread(record("ok"), record("far", date=date))
    (error,) = failure.value.errors
    assert error.message.startswith("comment 'far': 'date':") and "calendar" in error.message
    assert error.location.line == 7


def test_broken_record_is_reported_on_itself_not_on_its_replies() -> None:
    broken = {"id": "c1", "author": "A", "body": "no date"}
    with pytest.raises(BuildFailed) as failure:
        thread(broken, record("c2", "c1"))
    (error,) = failure.value.errors
    assert error.message == "comment 'c1': missing 'date'" and error.location.line == 2


def test_every_bad_record_is_reported_in_one_run() -> None:
    with pytest.raises(BuildFailed) as failure:
        thread(record("a", role="x"), record("b", url="ftp://x"), {"id": "c"},
               record("d", "ghost"), record("a"))
    messages = [e.message for e in failure.value.errors]
    assert any("'a': role" in m for m in messages) and any("'b': url" in m for m in messages)
    assert any("'c': missing 'author'" in m for m in messages)
    assert any("'d': parent 'ghost'" in m for m in messages)
    assert any("'a': duplicate id" in m for m in messages)


def test_unknown_field_is_a_warning_with_a_suggestion_at_its_line() -> None:
    lines = {"comments.0": 2, "comments.0.auther": 4}
    result = build_thread({"comments": [{"id": "a", "auther": "X", "author": "A",
                                         "date": "2025-03-18", "body": "b"}]},
                          REL, lines, dt.timezone.utc, str)
    (warning,) = result.warnings
    assert warning.message == ("comment 'a': unknown field 'auther' is ignored; "
                               "did you mean 'author'?")
    assert str(warning.location) == "content/a.comments.yaml:4"
    assert warning.format().startswith("content/a.comments.yaml:4: warning: ")


def test_bidi_controls_and_zero_width_characters_leave_author_names() -> None:
    (comment,) = thread(record("a", author="\u202eEvil\u202c \u200bAdmin\u2066\ufeff"))
    assert comment.author == "Evil Admin"
    with pytest.raises(BuildFailed, match="invisible"):
        thread(record("b", author="\u200b\u200f"))
