"""Incremental rebuilds (SiteSession.rebuild) give exactly the bytes of a clean full build.

A hypothesis state machine keeps a small site as a model, turns each random edit into
file writes, renames and deletes, rebuilds the session and compares output/ with a fresh
`build()` of the same sources. Focused tests below check that rebuilds stay minimal
(Hugo's style: name the pages an edit must touch) and that failed rebuilds change nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, invariant, precondition, rule,
                                 run_state_machine_as_test)

from conftest import entry, make_site, read_tree, write_files

CONFIG = '''\
title = "Incremental"
base_url = "https://example.org/sub/"
author = "Test Author"
timezone = "UTC"
entries_per_page = {per_page}
feed_entries = 3
search = false
'''
# search = false: these tests compare pages; the search index of a session (refreshed
# after the pages) is tested in test_search.py

SLUGS = ("call", "storm", "budget", "court", "talks", "vote", "strike", "summit")
TAGS = ("alpha", "Alpha", "beta", "gamma", "Дельта", "c++", "C")
BODIES = (
    "First paragraph.\n\nSecond paragraph.",
    "A *different* body, with more words in it than before.",
    "## A heading\n\n- one\n- two",
    "::: note\nA note block.\n:::\n\nAfter the note.",
    "First paragraph.\n\nThe second paragraph, rewritten.",  # same card: the fast path
    "Short.",
    ":::: update 2025-12-31 10:00\nAn update.\n::::\n\nFirst paragraph.",  # after any date drawn
)
STATIC_NAMES = ("extra.css", "notes.txt", "style.css", "img/data.xml")
TEMPLATES = {  # site-level overrides of theme templates
    "entry-a": ("entry.html", '{% extends "theme/entry.html" %}{% block content %}'
                              '<p class="override">A</p>{{ super() }}{% endblock %}'),
    "entry-b": ("entry.html", '{% extends "theme/entry.html" %}{% block content %}'
                              '{{ super() }}<p class="override">B</p>{% endblock %}'),
    "base": ("base.html", '{% extends "theme/base.html" %}{% block head %}'
                          '<meta name="variant" content="base">{% endblock %}'),
}
COMMENTS = '''\
comments:
  - id: c1
    author: "A Reader"
    date: 2025-12-01 10:00
    body: "A comment on {title}."
'''


@dataclass
class EntryModel:
    """What the model knows of one entry; its file text is derived from this."""

    slug: str
    date: dt.datetime
    tags: tuple[str, ...] = ()
    body: str = BODIES[0]
    ref: int | None = None  #: key of the entry this one cross-references
    draft: bool = False
    comments: bool = False


@dataclass
class SiteModel:
    entries: dict[int, EntryModel] = field(default_factory=dict)
    static: dict[str, str] = field(default_factory=dict)
    template: str | None = None
    per_page: int = 2
    next_key: int = 0

    def files(self) -> dict[str, str]:
        """Every source file the model stands for, by path under the site root."""
        files = {"chronicle.toml": CONFIG.format(per_page=self.per_page)}
        for key, item in self.entries.items():
            files[f"content/{item.slug}.md"] = self.entry_text(key, item)
            if item.comments:
                files[f"content/{item.slug}.comments.yaml"] = COMMENTS.format(title=f"Entry {key}")
        for name, text in self.static.items():
            files[f"static/{name}"] = text
        if self.template:
            name, text = TEMPLATES[self.template]
            files[f"templates/{name}"] = text
        return files

    def entry_text(self, key: int, item: EntryModel) -> str:
        body = item.body
        target = self.entries.get(item.ref) if item.ref is not None else None
        if target is not None and not target.draft:  # a draft is not published: no link to it
            anchor = "#a-heading" if "## A heading" in target.body else ""
            body += f"\n\nSee [the other entry](entry:{target.slug}{anchor})."
        meta: dict[str, object] = {"tags": list(item.tags)} if item.tags else {}
        if item.draft:
            meta["draft"] = True
        return entry(f"Entry {key}", item.date.strftime("%Y-%m-%d %H:%M"), body, **meta)


dates = st.builds(dt.datetime, st.sampled_from([2024, 2025]), st.integers(1, 12),
                  st.integers(1, 28), st.integers(0, 23), st.sampled_from([0, 30]))
tag_sets = st.lists(st.sampled_from(TAGS), max_size=3, unique=True).map(tuple)


class IncrementalMachine(RuleBasedStateMachine):
    """Random edits to a live site; after each, incremental output == full build output."""

    def __init__(self) -> None:
        super().__init__()
        from chronicle_ssg.build import BuildOptions
        from chronicle_ssg.session import SiteSession
        self.tmp = Path(tempfile.mkdtemp(prefix="chronicle-incremental-"))
        self.model = SiteModel()
        self.model.entries[self.new_key()] = EntryModel("first", dt.datetime(2025, 3, 18, 9),
                                                         ("alpha",))
        self.root = make_site(self.tmp, self.model.files())
        self.written = self.model.files()
        self.session = SiteSession(self.root, self.tmp / "out", BuildOptions(jobs=1))
        self.session.start()
        self.tree = read_tree(self.tmp / "out")
        self.viewer = "none"

    def new_key(self) -> int:
        self.model.next_key += 1
        return self.model.next_key

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- turning the model into files --------------------------------------------------

    def sync(self, moved: tuple[str, ...] = ()) -> None:
        """Write what changed in the model, delete what went, then rebuild and compare."""
        wanted = self.model.files()
        gone = set(self.written) - set(wanted)
        for name in sorted(gone):
            (self.root / name).unlink()
        edited = {n: t for n, t in wanted.items() if self.written.get(n) != t}
        write_files(self.root, edited)
        self.written = wanted
        # the paths a watcher reports: serve passes them on, which allows the fast path
        self.rebuild_and_compare({str(self.root / n) for n in (*gone, *edited, *moved)})

    def rebuild_and_compare(self, changed: set[str]) -> None:
        viewed = {"index.html"}  # what serve passes when a browser shows the home page
        delta = self.session.rebuild(changed, None if self.viewer == "none" else viewed)
        writes = {str(p) for p in delta.writes}
        if self.viewer == "finish":  # serve renders the deferred pages after the reload
            self.session.render_pending(only=())
            deferred = set(self.session.pending)
            self.session.render_pending()
            writes |= {p for p in deferred
                       if (self.tmp / "out" / p).read_bytes() != self.tree.get(p)}
        tree = read_tree(self.tmp / "out")
        expected = full_build(self.root, self.tmp / "full")
        assert sorted(tree) == sorted(expected)
        stale = [name for name in tree if tree[name] != expected[name]]
        if self.viewer == "leave":
            self.session.render_pending(only=())  # which pages wait is known after the reload
        assert stale == [] if self.viewer != "leave" else set(stale) <= self.session.pending
        assert "index.html" not in self.session.pending  # a page being viewed is current
        assert folders(self.tmp / "out") == folders(self.tmp / "full")
        self.session.flush_manifest()
        assert_manifest_true(self.tmp / "out")
        changed = {n for n in tree if self.tree.get(n) != tree[n]}
        if self.viewer != "leave":
            assert writes == changed  # writes are exactly the changed files
        assert {str(p) for p in delta.deletes} == set(self.tree) - set(tree)
        self.tree = tree

    @rule(viewer=st.sampled_from(["none", "finish", "leave"]))
    def switch_viewer(self, viewer: str) -> None:
        """none: render all at once (build --watch); finish: the viewed page first, then
        the rest; leave: the next rebuild starts with deferred pages still pending."""
        self.viewer = viewer

    def pick(self, data: st.DataObject) -> tuple[int, EntryModel]:
        key = data.draw(st.sampled_from(sorted(self.model.entries)), label="entry")
        return key, self.model.entries[key]

    def update(self, data: st.DataObject, **fields: object) -> None:
        """Change one random entry's fields (callables get the old value), then sync."""
        key, item = self.pick(data)
        self.model.entries[key] = replace(item, **{
            name: value(getattr(item, name)) if callable(value) else value
            for name, value in fields.items()})
        self.sync()

    def free_slugs(self) -> list[str]:
        used = {e.slug for e in self.model.entries.values()}
        return [s for s in SLUGS if s not in used]

    # -- rules ---------------------------------------------------------------------------

    @precondition(lambda self: self.free_slugs())
    @rule(data=st.data(), date=dates, tags=tag_sets, body=st.sampled_from(BODIES))
    def add_entry(self, data: st.DataObject, date: dt.datetime, tags: tuple[str, ...],
                  body: str) -> None:
        slug = data.draw(st.sampled_from(self.free_slugs()), label="slug")
        self.model.entries[self.new_key()] = EntryModel(slug, date, tags, body)
        self.sync()

    @precondition(lambda self: self.model.entries)
    @rule(data=st.data(), body=st.sampled_from(BODIES))
    def edit_body(self, data: st.DataObject, body: str) -> None:
        self.update(data, body=body)

    @precondition(lambda self: self.model.entries)
    @rule(data=st.data(), tags=tag_sets)
    def edit_tags(self, data: st.DataObject, tags: tuple[str, ...]) -> None:
        self.update(data, tags=tags)

    @precondition(lambda self: self.model.entries)
    @rule(data=st.data(), date=dates)
    def move_date(self, data: st.DataObject, date: dt.datetime) -> None:
        self.update(data, date=date)

    @precondition(lambda self: self.model.entries and self.free_slugs())
    @rule(data=st.data())
    def rename_file(self, data: st.DataObject) -> None:
        key, item = self.pick(data)
        slug = data.draw(st.sampled_from(self.free_slugs()), label="new slug")
        suffixes = (".md", ".comments.yaml") if item.comments else (".md",)
        moved: list[str] = []
        for suffix in suffixes:  # a real rename: same inode, same mtime
            old, new = f"content/{item.slug}{suffix}", f"content/{slug}{suffix}"
            os.rename(self.root / old, self.root / new)
            self.written[new] = self.written.pop(old)
            moved += [old, new]
        self.model.entries[key] = replace(item, slug=slug)
        self.sync(tuple(moved))  # entries citing it now name the new slug

    @precondition(lambda self: len(self.model.entries) > 1)
    @rule(data=st.data())
    def delete_entry(self, data: st.DataObject) -> None:
        key, _ = self.pick(data)
        del self.model.entries[key]
        self.sync()

    @precondition(lambda self: self.model.entries)
    @rule(data=st.data())
    def toggle_comments(self, data: st.DataObject) -> None:
        self.update(data, comments=lambda had: not had)

    @rule(variant=st.sampled_from([None, *TEMPLATES]))
    def edit_template(self, variant: str | None) -> None:
        self.model.template = variant
        self.sync()

    @rule(name=st.sampled_from(STATIC_NAMES), text=st.sampled_from(["", "body { color: red }",
                                                                    "one\ntwo\n", "<x/>"]))
    def write_static(self, name: str, text: str) -> None:
        self.model.static[name] = text
        self.sync()

    @precondition(lambda self: self.model.static)
    @rule(data=st.data())
    def delete_static(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.model.static)), label="static")
        del self.model.static[name]  # a site style.css gone: the theme's comes back
        self.sync()

    @precondition(lambda self: self.model.entries)
    @rule(data=st.data())
    def edit_reference(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from([None, *sorted(self.model.entries)]), label="target")
        self.update(data, ref=target)

    @precondition(lambda self: self.model.entries)
    @rule(data=st.data())
    def toggle_draft(self, data: st.DataObject) -> None:
        self.update(data, draft=lambda was: not was)  # citing entries drop their link to it

    @rule()
    def edit_config(self) -> None:
        self.model.per_page = 5 - self.model.per_page  # 2 <-> 3: every listing re-paginates
        self.sync()

    @precondition(lambda self: self.model.entries)
    @rule(data=st.data())
    def break_then_fix(self, data: st.DataObject) -> None:
        from chronicle_ssg.errors import BuildFailed
        _, item = self.pick(data)
        path = self.root / f"content/{item.slug}.md"
        good = path.read_text("utf-8")
        path.write_text("---\ntitle: [unclosed\n---\nBody.\n", "utf-8")
        with pytest.raises(BuildFailed):
            self.session.rebuild({str(path)})
        assert read_tree(self.tmp / "out") == self.tree  # the last good site stays
        path.write_text(good, "utf-8")
        self.rebuild_and_compare({str(path)})

    @invariant()
    def session_matches_disk(self) -> None:
        assert self.session.result is not None
        assert set(self.session.result.files) == set(self.tree)


def full_build(root: Path, output: Path) -> dict[str, bytes]:
    """A clean build from scratch (no cache) into a fresh folder."""
    from chronicle_ssg.build import BuildOptions, build
    shutil.rmtree(output, ignore_errors=True)
    build(root, output, BuildOptions(use_cache=False, jobs=1))
    return read_tree(output)


def folders(root: Path) -> list[str]:
    """Every folder under root: a rebuild must not leave empty ones behind."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir())


def assert_manifest_true(output: Path) -> None:
    """The manifest lists exactly the files present, each with its hash and size."""
    from chronicle_ssg.write import content_hash, read_manifest
    manifest = read_manifest(output)
    tree = read_tree(output)
    assert sorted(manifest) == sorted(tree)
    wrong = [n for n, data in tree.items() if manifest[n] != [content_hash(data), len(data)]]
    assert wrong == []


def test_random_edit_series_match_full_builds() -> None:
    # no shrinking: every step costs a full build, and 12 steps read well unshrunk
    run_state_machine_as_test(IncrementalMachine, settings=settings(
        max_examples=25, stateful_step_count=12, deadline=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))


# -- focused tests: what one edit must re-render, and nothing else ---------------------------

FOUR_ENTRIES = {
    "content/a.md": entry("Alpha entry", "2025-01-10 09:00", tags=["old"], summary="A."),
    "content/b.md": entry("Bravo entry", "2025-02-10 09:00", summary="B."),
    "content/c.md": entry("Charlie entry", "2025-03-10 09:00", summary="C."),
    "content/d.md": entry("Delta entry", "2025-04-10 09:00", "First.\n\nSecond.",
                          tags=["kept"], summary="D."),
}


def start_session(tmp_path: Path, files: dict[str, str]):  # type: ignore[no-untyped-def]
    """A site from files and a started session writing to tmp_path/out."""
    from chronicle_ssg.build import BuildOptions
    from chronicle_ssg.session import SiteSession
    root = make_site(tmp_path, files, config=CONFIG.format(per_page=10))
    session = SiteSession(root, tmp_path / "out", BuildOptions(jobs=1))
    session.start()
    return root, session


def edit(root: Path, name: str, text: str) -> set[str]:
    """Write one source and return what a watcher would report."""
    write_files(root, {name: text})
    return {str(root / name)}


def written(delta) -> set[str]:  # type: ignore[no-untyped-def]
    return {str(p) for p in delta.writes}


@pytest.mark.parametrize("tell_changes", [True, False], ids=["watcher-paths", "rescan"])
def test_body_edit_renders_the_entry_page_and_the_feeds_carrying_its_body(
        tmp_path: Path, tell_changes: bool) -> None:
    root, session = start_session(tmp_path, FOUR_ENTRIES)
    changed = edit(root, "content/d.md", FOUR_ENTRIES["content/d.md"].replace("Second.", "Later."))
    delta = session.rebuild(changed if tell_changes else None)
    expected = {"2025/04/10/d/index.html", "feed.xml", "tags/kept/feed.xml"}
    assert written(delta) == expected
    assert delta.rendered == len(expected)
    assert delta.deletes == frozenset()
    assert "Later." in (tmp_path / "out/2025/04/10/d/index.html").read_text("utf-8")
    assert read_tree(tmp_path / "out") == full_build(root, tmp_path / "full")


def test_rebuild_without_changes_renders_and_writes_nothing(tmp_path: Path) -> None:
    root, session = start_session(tmp_path, FOUR_ENTRIES)
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*") if p.is_file()}
    delta = session.rebuild()
    assert (delta.rendered, delta.writes, delta.deletes) == (0, {}, frozenset())
    assert delta.empty
    (root / "content/b.md").touch()  # saved without changes: read again, same bytes
    delta = session.rebuild({str(root / "content/b.md")})
    assert (delta.writes, delta.deletes) == ({}, frozenset())
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*") if p.is_file()
             if p.name != ".chronicle-manifest.json"}
    assert after == {p: t for p, t in before.items() if p.name != ".chronicle-manifest.json"}


def test_tag_edit_writes_the_tag_pages_and_removes_the_old_ones(tmp_path: Path) -> None:
    root, session = start_session(tmp_path, FOUR_ENTRIES)
    changed = edit(root, "content/d.md", FOUR_ENTRIES["content/d.md"].replace(
        '["kept"]', '["fresh"]'))
    delta = session.rebuild(changed)
    assert {"tags/fresh/index.html", "tags/fresh/feed.xml", "tags/index.html",
            "2025/04/10/d/index.html", "index.html"} <= written(delta)
    assert {str(p) for p in delta.deletes} == {"tags/kept/index.html", "tags/kept/feed.xml"}
    untouched = {"2025/01/10/a/index.html", "2025/01/index.html", "tags/old/index.html",
                 "tags/old/feed.xml", "2025/02/10/b/index.html"}
    assert untouched.isdisjoint(written(delta))
    assert read_tree(tmp_path / "out") == full_build(root, tmp_path / "full")


def test_template_override_renders_only_pages_using_it(tmp_path: Path) -> None:
    root, session = start_session(tmp_path, FOUR_ENTRIES)
    changed = edit(root, "templates/404.html",
                   '{% extends "theme/404.html" %}{% block content %}<p>Gone.</p>{% endblock %}')
    delta = session.rebuild(changed)
    assert (delta.rendered, written(delta)) == (1, {"404.html"})
    assert "<p>Gone.</p>" in (tmp_path / "out/404.html").read_text("utf-8")


def test_static_edit_copies_the_file_and_renders_nothing(tmp_path: Path) -> None:
    root, session = start_session(tmp_path, {**FOUR_ENTRIES, "static/extra.css": "a { }"})
    delta = session.rebuild(edit(root, "static/extra.css", "a { color: red }"))
    assert (delta.rendered, written(delta), delta.css_only) == (0, {"extra.css"}, True)
    (root / "static/extra.css").unlink()
    delta = session.rebuild({str(root / "static/extra.css")})
    assert {str(p) for p in delta.deletes} == {"extra.css"}
    assert not (tmp_path / "out/extra.css").exists()


@pytest.mark.parametrize("tell_changes", [True, False], ids=["watcher-paths", "rescan"])
def test_failed_rebuild_changes_nothing_and_the_next_good_edit_recovers(
        tmp_path: Path, tell_changes: bool) -> None:
    from chronicle_ssg.errors import BuildFailed
    root, session = start_session(tmp_path, FOUR_ENTRIES)
    tree, result = read_tree(tmp_path / "out"), session.result
    manifest = (tmp_path / "out/.chronicle-manifest.json").read_bytes()
    changed = edit(root, "content/d.md", "---\ntitle: Delta\ndate: 2025-04-10\ntags: a: b\n---\n")
    with pytest.raises(BuildFailed) as failure:
        session.rebuild(changed if tell_changes else None)
    (error,) = failure.value.errors
    assert (str(error.location.path), error.location.line) == ("content/d.md", 4)
    assert read_tree(tmp_path / "out") == tree
    assert (tmp_path / "out/.chronicle-manifest.json").read_bytes() == manifest
    assert session.result is result
    changed = edit(root, "content/d.md", FOUR_ENTRIES["content/d.md"].replace("Second.", "Fixed."))
    delta = session.rebuild(changed if tell_changes else None)
    assert "2025/04/10/d/index.html" in written(delta)
    assert read_tree(tmp_path / "out") == full_build(root, tmp_path / "full")
    assert_manifest_true(tmp_path / "out")


@pytest.mark.parametrize("before, after", [
    pytest.param('["kept"]', "[]", id="last-tag-removed"),  # the Tags link goes
    pytest.param('["kept"]', '["Kept"]', id="tag-respelled"),
])
def test_tag_edits_found_by_the_state_machine_match_a_full_build(
        tmp_path: Path, before: str, after: str) -> None:
    files = {"content/d.md": FOUR_ENTRIES["content/d.md"]}
    root, session = start_session(tmp_path, files)
    session.rebuild(edit(root, "content/d.md", files["content/d.md"].replace(before, after)))
    tree, expected = read_tree(tmp_path / "out"), full_build(root, tmp_path / "full")
    assert [name for name in expected if tree.get(name) != expected[name]] == []


def test_a_broken_file_stays_broken_when_another_file_changes(tmp_path: Path) -> None:
    """The watcher reports each path once: a rebuild after a failure looks at it again."""
    from chronicle_ssg.errors import BuildFailed
    root, session = start_session(tmp_path, FOUR_ENTRIES)
    broken = edit(root, "content/d.md", "---\ntitle: Delta\ndate: 2025-04-10\ntags: a: b\n---\n")
    with pytest.raises(BuildFailed):
        session.rebuild(broken)
    other = edit(root, "content/b.md", FOUR_ENTRIES["content/b.md"].replace("B.", "Bee."))
    with pytest.raises(BuildFailed) as failure:
        session.rebuild(other)
    assert str(failure.value.errors[0].location.path) == "content/d.md"
    session.rebuild(edit(root, "content/d.md", FOUR_ENTRIES["content/d.md"]))
    assert read_tree(tmp_path / "out") == full_build(root, tmp_path / "full")


def test_viewed_pages_first_then_the_rest_on_demand_or_in_steps(tmp_path: Path) -> None:
    """serve's order: what browsers show, new pages and the edited entry's page before the
    reload signal; the other stale pages later, or at once when a browser asks for one."""
    files = {f"content/e{n}.md": entry(f"Entry {n}", f"2025-01-{n:02d} 09:00", tags=["t"])
             for n in range(1, 13)}
    root, session = start_session(tmp_path, files)
    session.defer_manifest = True
    delta = session.rebuild(edit(root, "content/e20.md", entry("Newest", "2025-01-20 09:00",
                                                              tags=["t"])),
                            first={"page/2/index.html"})
    out = tmp_path / "out"
    expected = full_build(root, tmp_path / "full")
    assert {"2025/01/20/e20/index.html", "2025/01/20/index.html", "page/2/index.html"} <= \
        written(delta)  # the new entry, its new day page, the page being viewed
    assert delta.unfinished and session.behind
    assert session.render_pending(only=()) == 0  # finds out which pages wait, renders none
    pending = set(session.pending)
    assert {"index.html", "tags/t/index.html", "feed.xml", "sitemap.xml"} <= pending
    stale = {name for name, data in read_tree(out).items() if expected.get(name) != data}
    assert stale == {name for name in pending if expected[name] != (out / name).read_bytes()}
    assert session.render_pending(only={"index.html"}) == 1  # a browser asked for it
    assert (out / "index.html").read_bytes() == expected["index.html"]
    assert "index.html" not in session.pending
    while session.pending:
        session.render_pending(limit=3)
    assert read_tree(out) == expected
    session.flush_manifest()
    assert_manifest_true(out)


def test_a_later_build_into_the_same_folder_trusts_only_what_serve_left_true(
        tmp_path: Path) -> None:
    """serve rewrites pages in place; the signatures it records must say so, or a warm
    build would keep a page rendered for sources that have since been reverted."""
    from chronicle_ssg.build import BuildOptions, build
    root = make_site(tmp_path, FOUR_ENTRIES, config=CONFIG.format(per_page=10))
    build(root, tmp_path / "out", BuildOptions(jobs=1))
    from chronicle_ssg.session import SiteSession
    session = SiteSession(root, tmp_path / "out", BuildOptions(jobs=1))
    session.start()
    assert session.cache.misses == 0  # serve starts warm from the build's cache
    original = FOUR_ENTRIES["content/d.md"]
    session.rebuild(edit(root, "content/d.md", original.replace("Second.", "Served.")))
    assert "Served." in (tmp_path / "out/2025/04/10/d/index.html").read_text("utf-8")
    edit(root, "content/d.md", original)  # reverted while serve is not running
    build(root, tmp_path / "out", BuildOptions(jobs=1))
    assert read_tree(tmp_path / "out") == full_build(root, tmp_path / "full")


def test_an_edit_that_makes_two_urls_clash_fails_as_a_full_build_does(tmp_path: Path) -> None:
    from chronicle_ssg.errors import BuildFailed
    files = {"content/a.md": entry("Alpha", "2025-01-10 09:00"),
             "content/b.md": entry("Bravo", "2025-01-10 10:00")}
    root, session = start_session(tmp_path, files)
    clash = files["content/b.md"].replace("title:", "slug: a\ntitle:")
    with pytest.raises(BuildFailed) as failure:
        session.rebuild(edit(root, "content/b.md", clash))
    assert "would be written to /2025/01/10/a/" in failure.value.errors[0].message


def test_a_template_edit_that_failed_is_applied_once_the_content_is_fixed(tmp_path: Path) -> None:
    from chronicle_ssg.errors import BuildFailed
    files = {"content/a.md": entry("Alpha", "2025-01-10 09:00").replace(
                 "title:", "cover: one.png\ntitle:"),
             "content/b.md": entry("Bravo", "2025-01-11 09:00")}
    root, session = start_session(tmp_path, files)
    template = ('{% extends "theme/entry.html" %}{% block content %}'
                '<p class="cover">{{ entry.extra.cover }}</p>{{ super() }}{% endblock %}')
    with pytest.raises(BuildFailed):  # Bravo has no cover
        session.rebuild(edit(root, "templates/entry.html", template))
    fixed = files["content/b.md"].replace("title:", "cover: two.png\ntitle:")
    session.rebuild(edit(root, "content/b.md", fixed))
    assert 'class="cover">one.png' in (tmp_path / "out/2025/01/10/a/index.html").read_text("utf-8")
    assert read_tree(tmp_path / "out") == full_build(root, tmp_path / "full")


def test_a_serve_stopped_before_it_recorded_its_pages_leaves_no_record_to_trust(
        tmp_path: Path) -> None:
    """Killed between writing pages and recording them: a later build renders again."""
    from chronicle_ssg.build import BuildOptions, build
    root, session = start_session(tmp_path, FOUR_ENTRIES)
    session.defer_manifest = True  # serve records after the reload signal
    original = FOUR_ENTRIES["content/d.md"]
    session.rebuild(edit(root, "content/d.md", original.replace("Second.", "Unrecorded.")))
    edit(root, "content/d.md", original)  # no flush_manifest: as if killed here
    build(root, tmp_path / "out", BuildOptions(jobs=1))
    assert read_tree(tmp_path / "out") == full_build(root, tmp_path / "full")


def test_crossing_the_sitemap_limit_turns_the_sitemap_into_an_index_and_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chronicle_ssg import route
    root, session = start_session(tmp_path, FOUR_ENTRIES)
    listed = (tmp_path / "out/sitemap.xml").read_text("utf-8").count("<url>")
    monkeypatch.setattr(route, "SITEMAP_LIMIT", listed)
    delta = session.rebuild(edit(root, "content/e.md", entry("Echo", "2025-05-10 09:00")))
    assert {"sitemap.xml", "sitemaps/1.xml", "sitemaps/2.xml"} <= written(delta)
    assert "<sitemapindex" in (tmp_path / "out/sitemap.xml").read_text("utf-8")
    assert read_tree(tmp_path / "out") == full_build(root, tmp_path / "full")
    (root / "content/e.md").unlink()
    delta = session.rebuild({str(root / "content/e.md")})
    assert {"sitemaps/1.xml", "sitemaps/2.xml"} <= {str(p) for p in delta.deletes}
    assert read_tree(tmp_path / "out") == full_build(root, tmp_path / "full")
