"""The cache's records keep every cached value exactly: types, zones, folds, key order.

A warm build renders from values read back from .chronicle-cache/; if one of them came
back as a near miss (a fixed offset for a ZoneInfo, a list for a tuple, a string for a
date, 1.0 for 1), a warm build would differ from a cold one. `assert_exact` compares
types and zones, which == does not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import shutil
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chronicle_ssg import cache as cache_module
from chronicle_ssg.blocks import Correction, Quote, Update
from chronicle_ssg.build import BuildOptions, Preparer, build_site, load_site
from chronicle_ssg.cache import BuildCache, load_cache, save_cache
from chronicle_ssg.comments import Comment, CommentFile
from chronicle_ssg.errors import ChronicleWarning, SourceLocation
from chronicle_ssg.config import load_config
from chronicle_ssg.markdown import Heading, Ref, RenderedBody
from chronicle_ssg.model import Prepared
from chronicle_ssg.parse import Document
from tests.conftest import make_site, read_tree

REPO = Path(__file__).resolve().parents[2]
OLD_STAMP = (1_000_000_000, 10)  #: long past: not a "racy" stamp, kept as it is

EVERY_YAML_TYPE = """\
---
title: Every YAML type
date: 2025-03-18 09:12
plain: text
quoted_date: "2025-03-18"
quoted_number: "42"
empty: ""
integer: 42
negative: -7
octal: 0o17
hexadecimal: 0x1F
huge: 123456789012345678901234567890
huge_negative: -98765432109876543210987654321
float: 3.25
whole_float: 1.0
exponent: 1.5e+300
negative_zero: -0.0
infinity: .inf
negative_infinity: -.inf
not_a_number: .nan
truth: true
falsehood: false
nothing: null
tilde: ~
day: 2025-03-18
naive: 2025-03-18 09:12:30.123456
aware: 2025-03-18T09:12:00+05:30
utc: 2025-03-18T09:12:00Z
west: 2025-03-18T09:12:00-03:00
binary: !!binary aGVsbG8=
a_set: !!set {a, b}
ordered: !!omap [{one: 1}, {two: 2}]
pairs: !!pairs [{x: 1}, {x: 2}]
mixed_list: [1, "1", 1.0, true, null, 2025-03-18, [], {}]
nested: {a: [1, {b: 2025-03-18T09:12:00+01:00}], c: {d: [[2025-03-18 10:00]]}, e: {}}
keys: {7: int, 2.5: float, true: bool, null: none, 2025-03-18: date}
unicode: "Grüße – 日本 \\U0001F600"
multiline: |
  two
  lines
---

Body with an [entry link](entry:other) and a heading.

## A heading

:::: update 2025-03-18 16:45
An update.
::::

::: quote source="Press Office" url="https://example.org/" date=2025-03-18
Said.
:::

::: correction 2025-03-19 An error
Fixed.
:::
"""


def assert_exact(a: Any, b: Any, where: str = "value") -> None:
    """a and b are the same value of the same types, down to zones, folds and key order."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if dataclasses.is_dataclass(a):
        for item in dataclasses.fields(a):
            assert_exact(getattr(a, item.name), getattr(b, item.name), f"{where}.{item.name}")
    elif isinstance(a, dict):
        assert len(a) == len(b), f"{where}: {len(a)} keys != {len(b)}"
        for (key_a, value_a), (key_b, value_b) in zip(a.items(), b.items()):
            assert_exact(key_a, key_b, f"{where} key {key_a!r}")
            assert_exact(value_a, value_b, f"{where}[{key_a!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: length {len(a)} != {len(b)}"
        for index, (item_a, item_b) in enumerate(zip(a, b)):
            assert_exact(item_a, item_b, f"{where}[{index}]")
    elif isinstance(a, (set, frozenset)):
        assert {(type(x), x) for x in a} == {(type(x), x) for x in b}, where
    elif isinstance(a, dt.datetime):
        assert (a.replace(tzinfo=None), a.fold) == (b.replace(tzinfo=None), b.fold), where
        assert type(a.tzinfo) is type(b.tzinfo), f"{where}: {a.tzinfo!r} != {b.tzinfo!r}"
        if isinstance(a.tzinfo, ZoneInfo):
            assert a.tzinfo is b.tzinfo, where
        elif a.tzinfo is not None:
            assert (a.utcoffset(), a.tzname()) == (b.utcoffset(), b.tzname()), where
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), where
    elif isinstance(a, float):
        assert (a, math.copysign(1, a)) == (b, math.copysign(1, b)), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def round_trip(tmp_path: Path, values: dict[str, Any]) -> dict[str, Any]:
    """Store values in a cache, save it, load it again; the values read back."""
    cache = BuildCache("key")
    for rel, value in values.items():
        cache.store(rel, OLD_STAMP, rel.encode(), value)
    tmp_path.mkdir(exist_ok=True)
    save_cache(tmp_path, cache)
    loaded = load_cache(tmp_path, "key")
    return {rel: entry.value for rel, entry in loaded.sources.items()}


@pytest.mark.parametrize("record, dataclass", [
    (cache_module._Update, Update), (cache_module._Correction, Correction),
    (cache_module._Body, RenderedBody), (cache_module._Document, Document),
    (cache_module._Prepared, Prepared), (cache_module._Comment, Comment),
    (cache_module._CommentFile, CommentFile)])
def test_each_record_mirrors_its_dataclass(record: type, dataclass: type) -> None:
    """A field added to a cached dataclass must be added to its record (and MAGIC's
    version bumped), or the cache would drop it."""
    assert record.__struct_fields__ == tuple(f.name for f in dataclasses.fields(dataclass))


def _prepared(tmp_path: Path, source: str, timezone: str = "Europe/Berlin") -> Prepared:
    root = make_site(tmp_path, {}, config=f'title = "T"\nbase_url = "https://example.org/"\n'
                                          f'timezone = "{timezone}"\n')
    return Preparer(load_config(root)).prepare(source.encode(), PurePosixPath("content/a.md"))


def test_front_matter_of_every_yaml_type_round_trips_exactly(tmp_path: Path) -> None:
    prepared = _prepared(tmp_path, EVERY_YAML_TYPE)
    meta = prepared.document.meta
    assert type(meta["ordered"][0]) is tuple and type(meta["a_set"]) is set  # as YAML made them
    assert type(meta["naive"]) is dt.datetime and meta["naive"].tzinfo is None
    assert prepared.body.updates and prepared.body.quotes and prepared.body.corrections
    back = round_trip(tmp_path / "cache-root", {"content/a.md": prepared})
    assert_exact(back["content/a.md"], prepared)


@pytest.mark.parametrize("timezone", ["UTC", "Europe/Berlin", "America/St_Johns"])
def test_parsed_bodies_keep_their_zones(tmp_path: Path, timezone: str) -> None:
    prepared = _prepared(tmp_path, EVERY_YAML_TYPE, timezone)
    back = round_trip(tmp_path / "cache-root", {"content/a.md": prepared})["content/a.md"]
    assert_exact(back, prepared)
    assert back.body.updates[0].time.tzinfo is prepared.body.updates[0].time.tzinfo


def _moment(zone: dt.tzinfo | None, fold: int = 0) -> dt.datetime:
    return dt.datetime(2025, 10, 26, 2, 30, 15, 123456, tzinfo=zone, fold=fold)


def test_hand_made_values_round_trip_exactly(tmp_path: Path) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    moments = [_moment(berlin), _moment(berlin, fold=1), _moment(dt.timezone.utc),
               _moment(dt.timezone(dt.timedelta(hours=-3, minutes=-30))),
               _moment(dt.timezone(dt.timedelta(seconds=1, microseconds=5))), _moment(None)]
    body = RenderedBody(
        "<p>x</p>", "", True, (Heading(2, "h", "H"),), (Ref("other", "frag", 3),),
        tuple(Update(m, f"update-{i}", "label", i) for i, m in enumerate(moments)),
        (Quote("Source", "", None, "", "quote-source", 4),
         Quote("Source", "https://e.org", dt.date(2025, 1, 2), "from French", "quote-2", 5)),
        (Correction(None, "text", "correction", 6), Correction(moments[1], "t", "c-2", 7)),
        120, ("h", "update-0"))
    warnings = (ChronicleWarning("removed U+FFFE", SourceLocation(PurePosixPath("content/a.md"),
                                                                  3, 7), "retype it"),
                ChronicleWarning("no location"))
    document = Document(PurePosixPath("content/a.md"), {"moments": moments}, {"title": 2},
                        "", 5, "0" * 64, ("title: x", "date: y"), warnings)
    reply = Comment("c2", "Bo", moments[3], "<p>b</p>", "c1", None, None, "", 1, (), "Ann")
    thread = (Comment("c1", "Ann", moments[1], "<p>a</p>", None, moments[0], "admin",
                      "https://ann.example", 0, (reply,)),)
    values = {"content/a.md": Prepared(document, body),
              "content/a.comments.yaml": CommentFile(thread, warnings[:1]),
              "content/empty.comments.yaml": CommentFile(())}
    back = round_trip(tmp_path, values)
    assert list(back) == list(values)
    for rel, value in values.items():
        assert_exact(back[rel], value, rel)


def test_a_value_the_format_cannot_keep_leaves_only_its_source_out(tmp_path: Path) -> None:
    plain = Document(PurePosixPath("content/ok.md"), {"title": "Fine"}, {}, "", 3, "0", ())
    body = RenderedBody("", "", False, (), (), (), (), (), 0, ())

    def with_meta(value: Any) -> Prepared:
        return Prepared(dataclasses.replace(plain, meta={"title": value}), body)

    deep: tuple[Comment, ...] = ()
    for depth in range(2000):  # deeper than MessagePack nesting within the recursion limit
        deep = (Comment(f"c{depth}", "A", _moment(dt.timezone.utc), "", None, None, None, "",
                        6, deep),)
    deep_file = CommentFile(deep)
    values = {"content/ok.md": Prepared(plain, body),
              "content/surrogate.md": with_meta("\ud800"),  # YAML "\ud800" makes one
              "content/object.md": with_meta(object()),
              "content/named-zone.md": with_meta(_moment(dt.timezone(dt.timedelta(0), "X"))),
              "content/deep.comments.yaml": deep_file}
    back = round_trip(tmp_path, values)
    assert list(back) == ["content/ok.md"]
    assert_exact(back["content/ok.md"], values["content/ok.md"])


def _example_site(tmp_path: Path) -> Path:
    root = tmp_path / "example"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "static", root / "static")  # the example's images
    shutil.copytree(REPO / "themes", root / "themes")
    shutil.copy(REPO / "chronicle.toml", root / "chronicle.toml")
    return root


def test_example_site_cache_round_trips_exactly(tmp_path: Path) -> None:
    root = _example_site(tmp_path)
    cache = BuildCache("")
    loaded = load_site(root, BuildOptions(), cache=cache)
    assert len(cache.sources) > 20 and loaded.threads
    save_cache(root, cache)
    back = load_cache(root, cache.key)
    assert list(back.sources) == list(cache.sources)
    for rel, entry in cache.sources.items():
        assert_exact(back.sources[rel], entry, rel)


def test_warm_build_of_the_example_site_equals_a_cold_build(tmp_path: Path) -> None:
    root = _example_site(tmp_path)
    build_site(root, root / "output", BuildOptions())
    # a new title changes every page's signature: every page is rendered again, from
    # the parsed sources read back from the cache
    config = root / "chronicle.toml"
    config.write_text(config.read_text().replace('title = "The Daily Ledger"',
                                                 'title = "The Weekly Ledger"'))
    cache = load_cache(root)
    warm = build_site(root, root / "output", BuildOptions(), cache=cache)
    assert cache.misses == 0 and cache.hits == len(cache.sources)
    assert warm.report.written > 50
    build_site(root, tmp_path / "cold", BuildOptions(use_cache=False))
    assert read_tree(root / "output") == read_tree(tmp_path / "cold")
