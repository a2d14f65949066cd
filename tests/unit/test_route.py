"""Routes: every URL with its template, pagination and conflicts."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from chronicle_ssg.build import BuildOptions, load_site
from chronicle_ssg.errors import BuildFailed
from chronicle_ssg.route import Pager, Route, check_conflicts, paginate, period_path
from tests.conftest import entry, make_site


def test_pager_paths() -> None:
    pager = Pager(2, 3, "/tags/x/")
    assert (pager.newer, pager.older) == ("/tags/x/", "/tags/x/page/3/")
    assert Pager(1, 1, "/").newer is None and Pager(1, 1, "/").older is None


def test_paginate_splits_ids_and_writes_index_files() -> None:
    routes = paginate("home", "/", tuple("abcde"), 2)
    assert [(r.path, r.entries) for r in routes] == [
        ("/", ("a", "b")), ("/page/2/", ("c", "d")), ("/page/3/", ("e",))]
    assert routes[1].output == PurePosixPath("page/2/index.html")
    assert [r.path for r in paginate("home", "/", (), 2)] == ["/"]  # an empty site has a home


def test_period_paths_are_zero_padded() -> None:
    assert period_path((2025,)) == "/2025/" and period_path((2025, 3, 8)) == "/2025/03/08/"


def test_conflicts_name_every_source_and_case_clashes() -> None:
    def route(kind: str, path: str, subject: str) -> Route:
        return Route(kind, path, PurePosixPath(path.strip("/") + "/index.html"), "t", subject)
    with pytest.raises(BuildFailed) as failure:
        check_conflicts([route("entry", "/x/", "content/a.md"), route("entry", "/x/", "content/b.md"),
                         route("entry", "/Y/", "content/c.md"), route("page", "/y/", "content/d.md")])
    messages = [e.message for e in failure.value.errors]
    assert any("content/a.md" in m and "content/b.md" in m for m in messages)
    assert any("differ only by case" in m for m in messages)


def test_site_routes_cover_every_page_kind(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/2025-03-18-a.md": entry("A", None, tags=["t"], categories=["c"], series="s",
                                         aliases=["/old/"],
                                         body='::: quote source="S"\nq\n:::\n\n::: correction\nx\n:::'),
        "content/pages/about.md": "---\ntitle: About\n---\nx\n"})
    routes = load_site(root, BuildOptions()).routes
    kinds = {r.kind for r in routes}
    assert kinds == {"entry", "page", "home", "archive_index", "year", "month", "day", "terms",
                     "term", "series", "source", "corrections", "feed", "sitemap", "robots",
                     "not_found", "alias"}
    paths = {r.path for r in routes}
    assert {"/2025/03/18/a/", "/about/", "/old/", "/tags/t/feed.xml", "/corrections/feed.xml",
            "/sources/s/", "/series/s/", "/categories/c/", "/authors/test-author/"} <= paths
    assert [str(r.output) for r in routes] == sorted(str(r.output) for r in routes)


def test_a_file_and_a_folder_at_one_path_clash_naming_both_sources() -> None:
    def alias(path: str, subject: str) -> Route:
        from chronicle_ssg.paths import output_for
        return Route("alias", path, output_for(path), "t", subject)
    with pytest.raises(BuildFailed) as failure:
        check_conflicts([alias("/x.html", "content/a.md"), alias("/x.html/y/", "content/b.md"),
                         alias("/x.html/z/", "content/c.md"), alias("/ok/", "content/d.md")])
    (error,) = failure.value.errors  # one error per file, however many paths lie inside it
    assert error.message == ("/x.html is written as a file, but /x.html/y/ needs a folder at "
                             "the same path: alias in content/a.md; alias in content/b.md")


def test_a_new_alias_inside_a_file_is_caught_by_the_incremental_check(tmp_path: Path) -> None:
    from chronicle_ssg.route import RouteMemo, plan_routes
    root = make_site(tmp_path, {"content/2025-03-18-a.md": entry("A", aliases=["/x.html"]),
                                "content/2025-03-19-b.md": entry("B", date="2025-03-19")})
    memo = RouteMemo()
    plan_routes(load_site(root, BuildOptions()).site, memo)
    (root / "content/2025-03-19-b.md").write_text(entry("B", date="2025-03-19",
                                                        aliases=["/X.html/old/"]))
    with pytest.raises(BuildFailed, match="/x.html is written as a file"):
        plan_routes(load_site(root, BuildOptions()).site, memo)
