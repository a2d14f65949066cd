"""Nothing the author writes is silently lost: warnings with file, line and what to do.

Unknown front-matter keys, files under content/ that chronicle does not read, dates far
in the future and a base_url on an example domain are warnings: `build` prints them and
goes on, `build --strict` stops on them before writing, `check` reports them. The summary
line says what the build left out; `--source` may name a folder inside the site.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chronicle_ssg.cli import main
from conftest import build_site, entry, make_site

#: a published-looking address: the test sites' example.org is itself a warning
REAL_CONFIG = '''\
title = "Real"
description = "A site with a real address."
base_url = "https://ledger.news/"
timezone = "UTC"
'''
REPO = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    return code, out.out, out.err


def warnings_of(root: Path, **options: object) -> list[str]:
    return [w.format() for w in build_site(root, **options).loaded.warnings()]


# -- unknown front-matter keys -------------------------------------------------------------


TYPO = "---\ntitle: A\ndate: 2025-03-18 09:00\ntgas: [energy]\nmood: grim\n---\n\nBody.\n"


def test_unknown_front_matter_keys_are_warned_with_line_and_a_guess(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {"content/2025-03-18-a.md": TYPO}, REAL_CONFIG)
    code, out, err = run(capsys, "build", "--source", str(root))
    assert code == 0 and out.startswith("1 entry built; ")
    assert ("content/2025-03-18-a.md:4: warning: unknown front-matter key 'tgas': did you mean "
            "`tags`?\n  hint: chronicle itself does not use it (templates still get it in "
            "`extra`); if your theme uses it, list it in extra_keys in chronicle.toml") in err
    assert "content/2025-03-18-a.md:5: warning: unknown front-matter key 'mood'\n" in err
    assert (root / "output/index.html").is_file()  # a warning does not stop the build


def test_extra_keys_declares_a_sites_own_keys_which_still_reach_templates(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/2025-03-18-a.md": TYPO,
        "templates/entry.html": '{% extends "theme/entry.html" %}{% block content %}'
                                'MOOD={{ entry.extra.mood }}{{ super() }}{% endblock %}',
    }, REAL_CONFIG + 'extra_keys = ["mood"]\n')
    built = build_site(root)
    assert [w.split(": warning: ")[1].split("\n")[0] for w in
            (x.format() for x in built.loaded.warnings())] == [
        "unknown front-matter key 'tgas': did you mean `tags`?"]
    assert "MOOD=grim" in built.text("2025/03/18/a/")


def test_extra_keys_must_be_a_list_of_names(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {}, REAL_CONFIG + 'extra_keys = "mood"\n')
    code, _, err = run(capsys, "build", "--source", str(root))
    assert code == 1 and "chronicle.toml:5: error: 'extra_keys' must be a list, got str" in err
    (root / "chronicle.toml").write_text(REAL_CONFIG + "extra_keys = [1]\n", "utf-8")
    code, _, err = run(capsys, "build", "--source", str(root))
    assert code == 1 and "chronicle.toml:5: error: 'extra_keys' must list front-matter key " \
                         "names, got 1" in err


def test_pages_are_checked_too(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/pages/about.md": "---\ntitle: About\ntitel: x\n---\n"},
                     REAL_CONFIG)
    assert warnings_of(root)[0].startswith("content/pages/about.md:3: warning: unknown "
                                           "front-matter key 'titel': did you mean `title`?")


def test_strict_fails_on_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {"content/2025-03-18-a.md": TYPO}, REAL_CONFIG)
    code, out, err = run(capsys, "build", "--source", str(root), "--strict")
    assert code == 1 and out == ""
    assert "content/2025-03-18-a.md:4: warning: unknown front-matter key 'tgas': did you " \
           "mean `tags`?" in err
    assert err.rstrip().endswith("--strict: 2 warnings count as errors")
    code, out, err = run(capsys, "build", "--source", str(root), "--strict")
    assert code == 1, "a build with nothing new to do still fails on the same warnings"


def test_check_reports_warnings_as_problems(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {"content/2025-03-18-a.md": TYPO}, REAL_CONFIG)
    code, out, _ = run(capsys, "check", "--source", str(root), "--format", "json")
    problems = json.loads(out)
    assert code == 1
    assert {(p["file"], p["line"], p["kind"]) for p in problems} >= {
        ("content/2025-03-18-a.md", 4, "unknown-key"), ("content/2025-03-18-a.md", 5, "unknown-key")}


# -- comments files and other files under content/ ------------------------------------------


COMMENTS = "comments:\n  - id: c1\n    author: R\n    date: 2025-03-18 10:00\n    body: Hello.\n"


def test_comments_yml_is_read(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/2025-03-18-a.md": entry("A"),
                                "content/2025-03-18-a.comments.yml": COMMENTS}, REAL_CONFIG)
    built = build_site(root)
    assert built.loaded.site.entries[0].comment_count == 1
    assert "Hello." in built.text("2025/03/18/a/")
    assert warnings_of(root) == []


def test_a_bundles_comments_yml_is_read(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/trip/index.md": entry("Trip"),
                                "content/trip/index.comments.yml": COMMENTS}, REAL_CONFIG)
    built = build_site(root)
    assert built.loaded.site.entries[0].comment_count == 1
    assert warnings_of(root) == []


def test_two_comments_files_for_one_entry_are_an_error(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {"content/2025-03-18-a.md": entry("A"),
                                "content/2025-03-18-a.comments.yaml": COMMENTS,
                                "content/2025-03-18-a.comments.yml": COMMENTS}, REAL_CONFIG)
    code, _, err = run(capsys, "build", "--source", str(root))
    assert code == 1
    assert ("content/2025-03-18-a.comments.yml: error: 2025-03-18-a.comments.yaml and "
            "2025-03-18-a.comments.yml are both comments of 2025-03-18-a.md") in err


def test_an_orphan_comments_yml_names_its_own_file(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {"content/lost.comments.yml": COMMENTS}, REAL_CONFIG)
    code, _, err = run(capsys, "build", "--source", str(root))
    assert code == 1 and "content/lost.comments.yml: error: comments file has no entry" in err


@pytest.mark.parametrize("name", ["2025-03-18-a.comment.yaml", "2025-03-18-a-comments.yaml",
                                  "2025-03-18-a_comments.yml", "comments.yaml",
                                  "2025-03-18-a.comments.json"])
def test_a_misnamed_comments_file_is_named_with_the_name_it_needs(tmp_path: Path,
                                                                  name: str) -> None:
    root = make_site(tmp_path, {"content/2025/2025-03-18-a.md": entry("A"),
                                f"content/2025/{name}": COMMENTS}, REAL_CONFIG)
    assert warnings_of(root) == [
        f"content/2025/{name}: warning: {name} looks like a comments file, but chronicle reads "
        "comments only from files named NAME.comments.yaml beside NAME.md: these are not "
        "published\n  hint: rename it to 2025-03-18-a.comments.yaml"]


def test_a_comments_file_with_no_entry_to_guess_gets_the_rule(tmp_path: Path) -> None:
    root = make_site(tmp_path, {"content/a.md": entry("A"), "content/b.md": entry("B"),
                                "content/comments.yaml": COMMENTS}, REAL_CONFIG)
    (warning,) = warnings_of(root)
    assert warning.endswith("hint: name it after its entry: NAME.comments.yaml beside NAME.md, "
                            "in the same folder")


def test_other_files_under_content_are_warned(tmp_path: Path) -> None:
    root = make_site(tmp_path, {
        "content/2025-03-18-a.md": entry("A"), "content/2025-03-19-b.mdx": entry("B"),
        "content/notes.txt": "to do", "content/photo.jpg": b"\xff\xd8",
        "content/.hidden.txt": "x", "content/2025-03-18-a.md~": "backup",
        "content/trip/index.md": entry("Trip"), "content/trip/map.png": b"\x89PNG",
    }, REAL_CONFIG)
    assert warnings_of(root) == [
        "content/2025-03-19-b.mdx: warning: 2025-03-19-b.mdx is not published: chronicle reads "
        "entries and pages only from .md and .markdown files\n  hint: rename it to "
        "2025-03-19-b.md to publish it, or keep notes outside content/",
        "content/notes.txt: warning: notes.txt is not published: chronicle reads entries and "
        "pages only from .md and .markdown files\n  hint: rename it to notes.md to publish "
        "it, or keep notes outside content/",
        "content/photo.jpg: warning: photo.jpg is not published: only the files of an entry "
        "bundle (a folder with index.md) are copied from content/\n  hint: make its entry a "
        "bundle (FOLDER/index.md with its files beside it), or put the file in static/ and "
        "link it as /photo.jpg"]  # the bundle's map.png is published: no warning


# -- dates far ahead -----------------------------------------------------------------------


def test_a_date_far_in_the_future_is_pointed_out(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The tests build as if it were 2026-01-01 (conftest)."""
    root = make_site(tmp_path, {
        "content/a.md": entry("Typo", "2062-03-18 09:00"),
        "content/b.md": entry("Next month", "2026-02-01 09:00"),
        "content/c.md": entry("Old", "2025-01-01 09:00", updated="2205-01-02"),
        "content/2099-01-01-d.md": "---\ntitle: D\n---\nBody.\n",
    }, REAL_CONFIG)
    code, out, err = run(capsys, "build", "--source", str(root))
    assert code == 0
    assert ("content/a.md:3: warning: date 2062-03-18 is more than a year ahead of now "
            "(2026-01-01)\n  hint: check the year; an entry dated in the future is scheduled: "
            "left out until then") in err
    assert "content/c.md:4: warning: updated 2205-01-02 is more than a year ahead" in err
    assert ("content/2099-01-01-d.md: warning: the date in the file name 2099-01-01 is more "
            "than a year ahead") in err
    assert "content/b.md" not in err  # next month is a schedule, not a typo
    assert out.startswith("1 entry built; 3 scheduled left out (--future); ")


# -- the summary line ----------------------------------------------------------------------


def test_summary_line_says_what_was_left_out(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {
        **{f"content/p{n}.md": entry(f"P{n}", f"2025-01-0{n + 1} 10:00") for n in range(3)},
        "content/draft.md": entry("Draft", "2025-02-01 10:00", draft=True),
        "content/later.md": entry("Later", "2026-03-01 10:00"),
    }, REAL_CONFIG)
    code, out, _ = run(capsys, "build", "--source", str(root))
    assert code == 0
    assert re.fullmatch(r"3 entries built; 1 draft and 1 scheduled left out \(--drafts, "
                        r"--future\); \d+ pages: \d+ written, 0 removed, 0 unchanged in "
                        r"[\d.]+ s -> .*output\n", out), out
    code, out, _ = run(capsys, "build", "--source", str(root), "--drafts")
    assert out.startswith("4 entries built; 1 scheduled left out (--future); ")
    code, out, _ = run(capsys, "build", "--source", str(root), "--drafts", "--future")
    assert out.startswith("5 entries built; ") and "left out" not in out


def test_a_build_with_nothing_to_do_repeats_warnings_and_what_was_left_out(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {"content/2025-03-18-a.md": TYPO,
                                "content/b.md": entry("B", draft=True)}, REAL_CONFIG)
    first = run(capsys, "build", "--source", str(root))
    code, out, err = run(capsys, "build", "--source", str(root))
    assert code == 0 and out.startswith(
        "nothing changed since the last build; 1 draft left out (--drafts); 0 written")
    assert err == first[2] and "unknown front-matter key 'tgas'" in err


def test_list_says_1_entry_not_1_entries(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {"content/a.md": entry("A")}, REAL_CONFIG)
    code, _, err = run(capsys, "list", "--source", str(root))
    assert code == 0 and "1 of 1 entry would be published" in err


# -- finding the site ----------------------------------------------------------------------


def test_commands_find_chronicle_toml_in_parent_folders(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_site(tmp_path, {"content/entries/2025/2025-03-18-a.md": entry("A")}, REAL_CONFIG)
    monkeypatch.chdir(root / "content/entries/2025")
    code, out, _ = run(capsys, "build")
    assert code == 0 and out.endswith(f"-> {root / 'output'}\n")
    assert (root / "output/2025/03/18/a/index.html").is_file()
    assert not (root / "content/entries/2025/output").exists()
    code, out, _ = run(capsys, "list")
    assert code == 0 and "content/entries/2025/2025-03-18-a.md" in out
    code, _, err = run(capsys, "check", "--source", str(root / "content"))
    assert code == 0 and "check: no problems" in err
    code, out, _ = run(capsys, "new", "entry", "Second one")
    assert code == 0 and list((root / "content/entries").rglob("*-second-one.md"))


def test_a_missing_source_folder_says_it_is_missing(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["build"], ["serve"], ["check"], ["list"], ["clean"], ["new", "entry", "X"]):
        code, _, err = run(capsys, *command, "--source", str(tmp_path / "nowhere"))
        assert code == 1 and err == (
            f"error: source folder {tmp_path / 'nowhere'} does not exist\n"
            "  hint: pass --source DIR, the site folder holding chronicle.toml\n"), command


def test_a_folder_outside_any_site_says_so(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "build", "--source", str(tmp_path))
    assert code == 1 and err.startswith(
        f"error: no chronicle.toml in {tmp_path} or any folder above it\n")


# -- base_url, feeds, og:locale ------------------------------------------------------------


@pytest.mark.parametrize(("base_url", "warned"), [
    ("https://example.org/", True), ("https://www.example.com/blog/", True),
    ("https://ledger.example/", True), ("http://localhost:8000/", True),
    ("https://ledger.news/", False), ("https://example.org.uk/", False),
])
def test_build_warns_about_a_base_url_on_an_example_domain(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], base_url: str, warned: bool) -> None:
    root = make_site(tmp_path, {"content/a.md": entry("A")},
                     f'title = "T"\nbase_url = "{base_url}"\n')
    code, _, err = run(capsys, "build", "--source", str(root))
    assert code == 0
    what = "this machine" if "localhost" in base_url else "an example domain"
    expected = (f"chronicle.toml:2: warning: base_url {base_url} is {what}: feeds, the sitemap "
                "and canonical links will point there\n  hint: fine for trying chronicle; set "
                "base_url in chronicle.toml to the site's real address (or pass --base-url) "
                "before publishing\n")
    assert (expected in err) is warned, err


def test_base_url_warnings_follow_the_override_and_the_default(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_site(tmp_path, {"content/a.md": entry("A")}, 'title = "T"\n')
    _, _, err = run(capsys, "build", "--source", str(root))
    assert err.startswith("chronicle.toml: warning: base_url is not set, so it is "
                          "http://localhost:8000/: feeds")
    _, _, err = run(capsys, "build", "--source", str(root), "--base-url", "https://x.example/")
    assert err.startswith("warning: --base-url https://x.example/ is an example domain")
    _, _, err = run(capsys, "build", "--source", str(root), "--base-url", "https://x.news/")
    assert err == ""


def test_feeds_name_no_made_up_generator_uri(tmp_path: Path) -> None:
    feed = build_site(make_site(tmp_path, {"content/a.md": entry("A")})).xml("feed.xml")
    (generator,) = feed.findall("{http://www.w3.org/2005/Atom}generator")
    assert generator.text == "chronicle" and generator.get("uri") is None


@pytest.mark.parametrize(("language", "locale"), [
    ("en", "en_US"), ("en-GB", "en_GB"), ("de", "de_DE"), ("pt", "pt_BR"), ("pt-PT", "pt_PT"),
    ("zh-Hant-TW", "zh_TW"), ("es-419", "es_419"), ("EN-gb", "en_GB"), ("tlh", None),
])
def test_og_locale_is_language_and_territory(tmp_path: Path, language: str,
                                             locale: str | None) -> None:
    root = make_site(tmp_path, {"content/a.md": entry("A")},
                     f'title = "T"\nbase_url = "https://ledger.news/"\nlanguage = "{language}"\n')
    page = build_site(root).html("")
    assert page.xpath("//meta[@property='og:locale']/@content") == ([locale] if locale else [])
    assert page.xpath("/html/@lang") == [language]


# -- the example site ----------------------------------------------------------------------

#: 2026-06-01: the example's scheduled entry (2027-01-15) is then a schedule, not a typo;
#: at the suite's 2026-01-01 it is just over a year ahead
EXAMPLE_NOW = "1780272000"


def test_example_site_links_its_fictional_world_on_reserved_domains_of_its_own(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Quotes and commenters' sites are not on the site's own host (example.org), where they
    read as broken internal links outside /ledger/; they use the .example TLD."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EXAMPLE_NOW)
    built = build_site(REPO)
    own = re.compile(rb"""(?:href|cite)="https?://example\.org/(?!ledger/)""")
    offenders = [name for name, data in built.files.items() if own.search(data)]
    assert offenders == []
    page = built.text("2025/03/18/the-call/")
    assert 'cite="https://avalon.example/press/2025-03-18-call"' in page
    assert built.loaded.warnings() == []


def test_example_site_checks_clean(site_env: dict[str, str]) -> None:
    site_env["SOURCE_DATE_EPOCH"] = EXAMPLE_NOW
    result = subprocess.run([sys.executable, "-m", "chronicle_ssg", "check", "--source",
                             str(REPO)], capture_output=True, text=True, env=site_env)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "check: no problems\n")


def test_a_serve_session_keeps_an_entrys_warnings_when_it_reuses_the_entry(tmp_path: Path) -> None:
    """SiteMemo hands over the very same Entry for an unchanged source: its warnings come
    along, so a rebuild does not forget them."""
    from chronicle_ssg.build import BuildOptions, SiteMemo, load_site
    from chronicle_ssg.cache import BuildCache
    root = make_site(tmp_path, {"content/2025-03-18-a.md": TYPO,
                                "content/b.md": entry("B")}, REAL_CONFIG)
    memo, cache = SiteMemo(), BuildCache("")
    first = load_site(root, BuildOptions(), cache=cache, memo=memo)
    built_before = memo.entries["content/2025-03-18-a.md"][3]
    second = load_site(root, BuildOptions(), cache=cache, memo=memo)
    assert memo.entries["content/2025-03-18-a.md"][3] is built_before  # reused, not rebuilt
    assert [w.format() for w in second.warnings()] == [w.format() for w in first.warnings()]
    assert len(second.warnings()) == 2
