"""Issue 10 (content side) and issue 12 (comment errors): bad content never shows a
traceback. Each case runs the CLI as a user would and checks the exit status, that no
"Traceback" is printed, and the message with its file and line; a failed build leaves
the previous output as it was. Where the rule is "remove and warn" the build succeeds
and the warning names file and line.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import feedparser
import lxml.etree
import pytest

from tests.conftest import DEFAULT_CONFIG, entry, make_site, parse_html, read_tree, write_files

ENTRY = "content/2025-03-18-call.md"
COMMENTS = "content/2025-03-18-call.comments.yaml"


def cli(root: Path, env: dict[str, str], *args: str, command: str = "build") -> tuple[int, str]:
    result = subprocess.run([sys.executable, "-m", "chronicle_ssg", command, "--source",
                             str(root), *args], env=env, capture_output=True, text=True,
                            timeout=300)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    return result.returncode, output


def fails_keeping_output(tmp_path: Path, env: dict[str, str], files: dict[str, str | bytes],
                         *needles: str, config: str | None = None) -> str:
    """Build a good site, break it with `files`: exit 1, every needle printed, output kept."""
    root = make_site(tmp_path, {ENTRY: entry("The call")})
    assert cli(root, env)[0] == 0
    before = read_tree(root / "output")
    write_files(root, files)
    if config is not None:
        (root / "chronicle.toml").write_text(config, "utf-8")
    code, output = cli(root, env)
    assert code == 1, output
    for needle in needles:
        assert needle in output, output
    assert read_tree(root / "output") == before
    return output


def builds_with_warning(root: Path, env: dict[str, str], *needles: str) -> str:
    code, output = cli(root, env)
    assert code == 0, output
    for needle in needles:
        assert needle in output, output
    return output


def assert_feeds_parse(output: Path) -> None:
    feeds = sorted(output.rglob("*.xml"))
    assert feeds
    for feed in feeds:
        lxml.etree.fromstring(feed.read_bytes())  # raises on any character XML forbids
        if feed.name == "feed.xml":
            parsed = feedparser.parse(feed.read_bytes())
            assert not parsed.bozo, (feed, parsed.get("bozo_exception"))


# --- characters XML 1.0 forbids: removed with a warning naming file and line ---------


def test_forbidden_characters_in_content_are_removed_and_feeds_parse(
        tmp_path: Path, site_env: dict[str, str]) -> None:
    text = ("---\ntitle: \"Vote \ufffe count\uffff\"\ndate: 2025-03-18 09:00\n"
            "summary: \"bell \\a and \\x1b escape\"\n---\n\nBody \x00 with NUL \x0b and \x7f.\n")
    root = make_site(tmp_path, {ENTRY: text.encode("utf-8")})
    output = builds_with_warning(
        root, site_env,
        f"{ENTRY}:2: warning: removed characters that HTML and XML forbid (U+FFFE, U+FFFF)",
        f"{ENTRY}:4: warning: removed characters that HTML and XML forbid (U+0007, U+001B)",
        f"{ENTRY}:7: warning: removed characters that HTML and XML forbid (U+0000, U+000B, U+007F)")
    assert "1 entry built; " in output
    assert_feeds_parse(root / "output")
    page = parse_html((root / "output/2025/03/18/call/index.html").read_bytes())
    assert page.xpath("string(//h1)").strip() == "Vote  count"


def test_forbidden_characters_in_a_comments_file_are_removed_with_a_warning(
        tmp_path: Path, site_env: dict[str, str]) -> None:
    comments = ("comments:\n  - id: c1\n    author: \"Ann\\u0001\"\n    date: 2025-03-18 10:00\n"
                "    body: \"text \ufffe here\"\n")
    root = make_site(tmp_path, {ENTRY: entry("The call"), COMMENTS: comments.encode("utf-8")})
    builds_with_warning(root, site_env, f"{COMMENTS}:3: warning: removed a character",
                        f"{COMMENTS}:5: warning: removed a character")
    assert_feeds_parse(root / "output")


def test_control_characters_in_config_values_are_removed_and_feeds_parse(
        tmp_path: Path, site_env: dict[str, str]) -> None:
    config = ('title = "Test\\u0001 Chronicle"\ndescription = "A \\uFFFE site"\n'
              'base_url = "https://example.org/"\nauthor = "Test\\u0007 Author"\n'
              'timezone = "UTC"\n\n[[menu]]\nname = "About\\u0002"\nurl = "/about/"\n')
    root = make_site(tmp_path, {ENTRY: entry("The call")}, config=config)
    builds_with_warning(
        root, site_env,
        "chronicle.toml:1: warning: removed a character that HTML and XML forbid (U+0001) "
        "in the value of 'title'",
        "chronicle.toml:2: warning: removed a character that HTML and XML forbid (U+FFFE) "
        "in the value of 'description'",
        "chronicle.toml:4: warning: removed a character", "chronicle.toml:7: warning:")
    assert_feeds_parse(root / "output")
    feed = feedparser.parse((root / "output/feed.xml").read_bytes())
    assert feed.feed.title == "Test Chronicle"


def test_strict_build_fails_on_warnings(tmp_path: Path, site_env: dict[str, str]) -> None:
    root = make_site(tmp_path, {ENTRY: entry("The call", body="Body \x01.")})
    # a published base_url: the test sites' example.org is a warning of its own
    code, output = cli(root, site_env, "--strict", "--base-url", "https://ledger.news/")
    assert code == 1 and f"{ENTRY}:6: warning:" in output and "--strict: 1 warning counts as an error" in output


# --- comments ------------------------------------------------------------------------


def chain(depth: int) -> str:
    records = ["comments:"]
    for number in range(depth):
        records.append(f"  - {{id: c{number}, author: A{number}, date: 2025-03-18 10:{number % 60:02d},"
                       f" body: reply {number}{f', parent: c{number - 1}' if number else ''}}}")
    return "\n".join(records) + "\n"


def test_a_reply_chain_250_deep_builds_with_bounded_nesting(
        tmp_path: Path, site_env: dict[str, str]) -> None:
    root = make_site(tmp_path, {ENTRY: entry("The call"), COMMENTS: chain(250)})
    assert cli(root, site_env)[0] == 0
    assert cli(root, site_env)[0] == 0  # and again, from the cache
    page = parse_html((root / "output/2025/03/18/call/index.html").read_bytes())
    items = page.xpath("//section[@id='comments']//li[starts-with(@id, 'comment-')]")
    assert len(items) == 250
    deepest = max(len(li.xpath("ancestor::ol")) for li in items)
    assert deepest == 7  # depth 0..6: replies below the sixth level follow flat
    flat = page.xpath("//li[@id='comment-c200']//a[@class='comment-reply-to']")[0]
    assert flat.get("href") == "#comment-c199" and flat.text_content() == "in reply to A199"


def test_role_given_as_a_list_is_an_error_at_its_line(tmp_path: Path,
                                                      site_env: dict[str, str]) -> None:
    comments = ("comments:\n  - id: c1\n    author: A\n    date: 2025-03-18 10:00\n"
                "    role: [admin]\n    body: x\n")
    fails_keeping_output(tmp_path, site_env, {COMMENTS: comments},
                         f"{COMMENTS}:5: error: comment 'c1': role ['admin'] must be one of "
                         "admin, author")


def test_comment_fields_whose_value_is_zero_are_kept(tmp_path: Path,
                                                     site_env: dict[str, str]) -> None:
    comments = ("comments:\n  - {id: 0, author: 0, date: 2025-03-18 10:00, body: 0}\n"
                "  - {id: 1, author: B, date: 2025-03-18 11:00, body: x, parent: 0}\n")
    root = make_site(tmp_path, {ENTRY: entry("The call"), COMMENTS: comments})
    assert cli(root, site_env)[0] == 0
    page = parse_html((root / "output/2025/03/18/call/index.html").read_bytes())
    assert page.xpath("string(//li[@id='comment-0']//span[@class='comment-author'])") == "0"
    assert page.xpath("//li[@id='comment-0']/ol/li[@id='comment-1']")


@pytest.mark.parametrize("date", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00"])
def test_comment_date_beyond_the_calendar_is_reported_at_the_comments_file(
        tmp_path: Path, site_env: dict[str, str], date: str) -> None:
    comments = f"comments:\n  - id: c1\n    author: A\n    date: {date}\n    body: x\n"
    output = fails_keeping_output(tmp_path, site_env, {COMMENTS: comments},
                                  f"{COMMENTS}:4: error: comment 'c1': 'date':", "calendar")
    assert "_macros.html" not in output


def test_a_broken_record_is_named_not_its_replies_and_every_file_is_reported(
        tmp_path: Path, site_env: dict[str, str]) -> None:
    comments = ("comments:\n  - id: c1\n    author: A\n    body: no date\n"
                "  - {id: c2, author: B, date: 2025-03-18 11:00, body: x, parent: c1}\n"
                "  - {id: c3, author: C, date: 2025-03-18 11:00, body: x, role: boss}\n")
    other = "content/2025-03-19-next.md"
    output = fails_keeping_output(
        tmp_path, site_env,
        {COMMENTS: comments, other: entry("Next", date="2025-03-19"),
         other.replace(".md", ".comments.yaml"): "comments:\n  - {id: x, date: 2025-03-19, body: y}\n"},
        f"{COMMENTS}:2: error: comment 'c1': missing 'date'",
        f"{COMMENTS}:6: error: comment 'c3': role 'boss' must be one of admin, author",
        "content/2025-03-19-next.comments.yaml:2: error: comment 'x': missing 'author'",
        "build failed: 3 errors")
    assert "does not exist" not in output


def test_unknown_comment_field_is_a_warning_with_a_suggestion(
        tmp_path: Path, site_env: dict[str, str]) -> None:
    comments = ("comments:\n  - id: c1\n    author: A\n    date: 2025-03-18 10:00\n"
                "    parnet: c0\n    body: x\n")
    root = make_site(tmp_path, {ENTRY: entry("The call"), COMMENTS: comments})
    builds_with_warning(root, site_env,
                        f"{COMMENTS}:5: warning: comment 'c1': unknown field 'parnet' is "
                        "ignored; did you mean 'parent'?")


def test_bidi_controls_and_zero_width_characters_leave_author_names(
        tmp_path: Path, site_env: dict[str, str]) -> None:
    comments = ('comments:\n  - {id: c1, author: "\\u202eAdmin\\u202c\\u200b Team\\u2066", '
                "date: 2025-03-18 10:00, body: x}\n")
    root = make_site(tmp_path, {ENTRY: entry("The call"), COMMENTS: comments})
    assert cli(root, site_env)[0] == 0
    page = parse_html((root / "output/2025/03/18/call/index.html").read_bytes())
    (name,) = page.xpath("//li[@id='comment-c1']//span[@class='comment-author']/bdi")
    assert name.text == "Admin Team"


def test_check_reports_a_broken_link_in_a_comment_at_the_comments_file_line(
        tmp_path: Path, site_env: dict[str, str]) -> None:
    comments = ("comments:\n  - id: c1\n    author: A\n    date: 2025-03-18 10:00\n"
                "    body: |\n      Fine.\n\n      See [this](https://example.org/missing-page/).\n")
    root = make_site(tmp_path, {ENTRY: entry("The call"), COMMENTS: comments})
    code, output = cli(root, site_env, command="check")
    assert code == 1 and f"{COMMENTS}:8: broken-link:" in output, output


# --- dates that cannot be shown in the site timezone ------------------------------------


@pytest.mark.parametrize(("body", "line", "message"), [
    ("::: update 9999-12-31T23:59:59-14:00\nLate.\n:::\n", 6, "update time: 9999-12-31T23:59:59-14:00"),
    ('::: quote source="Agency" date=0001-01-01\nSaid.\n:::\n', 6, "quote date: 0001-01-01"),
    ("::: correction 0001-01-01T00:00:00+01:00 Vote\nFixed.\n:::\n", 6, "correction date:"),
])
def test_block_date_beyond_the_calendar_is_an_error_at_its_line(
        tmp_path: Path, site_env: dict[str, str], body: str, line: int, message: str) -> None:
    fails_keeping_output(tmp_path, site_env, {ENTRY: entry("The call", body=body)},
                         f"{ENTRY}:{line}: error: {message}", "calendar")


@pytest.mark.parametrize("date", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+01:00",
                                  '"0001-01-01"'])
def test_front_matter_date_beyond_the_calendar_is_an_error_at_its_line(
        tmp_path: Path, site_env: dict[str, str], date: str) -> None:
    fails_keeping_output(tmp_path, site_env, {ENTRY: entry("The call", date=date)},
                         f"{ENTRY}:3: error:", "calendar")


# --- a file and a folder at one path --------------------------------------------------


@pytest.mark.parametrize("aliases", [["/x.html", "/x.html/y/"], ["/a/b.html", "/a/b.html/"]])
def test_aliases_needing_a_file_and_a_folder_at_one_path_clash(
        tmp_path: Path, site_env: dict[str, str], aliases: list[str]) -> None:
    fails_keeping_output(
        tmp_path, site_env,
        {ENTRY: entry("The call", aliases=[aliases[0]]),
         "content/2025-03-19-next.md": entry("Next", date="2025-03-19", aliases=[aliases[1]])},
        f"error: {aliases[0]} is written as a file, but {aliases[1]}",
        f"alias in {ENTRY}", "alias in content/2025-03-19-next.md")


def test_alias_inside_a_generated_file_clashes(tmp_path: Path, site_env: dict[str, str]) -> None:
    fails_keeping_output(tmp_path, site_env,
                         {ENTRY: entry("The call", aliases=["/feed.xml/old/"])},
                         "error: /feed.xml is written as a file, but /feed.xml/old/ needs a "
                         "folder at the same path: the feed page /feed.xml; alias in " + ENTRY)


def test_static_file_where_an_alias_needs_a_folder_clashes(tmp_path: Path,
                                                           site_env: dict[str, str]) -> None:
    fails_keeping_output(tmp_path, site_env,
                         {ENTRY: entry("The call", aliases=["/x.html/y/"]), "static/x.html": "hi"},
                         "static/x.html: error: static file x.html is where the alias page "
                         "/x.html/y/ needs a folder")


# --- menu links -------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript:alert(1)",
                                 "java\\tscript:alert(1)", " data:text/html,x",
                                 "vbscript:msgbox(1)"])
def test_menu_url_with_a_script_scheme_is_refused_at_its_line(
        tmp_path: Path, site_env: dict[str, str], url: str) -> None:
    config = DEFAULT_CONFIG + f'\n[[menu]]\nname = "Home"\nurl = "/"\n\n[[menu]]\nname = "X"\nurl = "{url}"\n'
    scheme = url.strip().split(":")[0].replace("\\t", "").lower()
    line = config.splitlines().index(f'url = "{url}"') + 1
    fails_keeping_output(tmp_path, site_env, {}, f"chronicle.toml:{line}: error: [[menu]] url",
                         f"uses the {scheme}: scheme", config=config)
