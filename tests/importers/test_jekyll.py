"""chronicle import jekyll: a small Jekyll blog covering every case, imported and built."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chronicle_ssg.importers.common import parse_loose_date
from tests.conftest import TINY_PNG, build_site, write_files
from tests.importers.helpers import report_of, run_import

BLOG = {
    "_config.yml": "title: Gov Tech\nurl: https://tech.example.gov\nbaseurl: /blog\n"
                   "permalink: /:year/:month/:day/:title/\ntimezone: America/New_York\n",
    "_data/authors.yml": "ana:\n  name: Ana Lima\nbo:\n  name: Bo Chen\n",
    "_posts/2014-09-08-launch.md": "---\ntitle: Launch\ndate: September 8, 2014\nlayout: post\n"
        "authors:\n- ana\n- bo\nexcerpt: We launched.\ntags: [launch]\n"
        "redirect_from:\n- /old-launch/\n---\n"
        "![Logo]({{ site.baseurl }}/assets/logo.png)\n\nRead [the follow-up]({% post_url 2017-10-23-follow-up %}).\n\n"
        "## Details {#the-details}\n\nStyled.\n{: .lead}\n\n{% include note.html %}\n\n"
        "{% raw %}Use {{ page.title }} in templates.{% endraw %}\n",
    "_posts/2017-10-23-follow-up.markdown": "---\ntitle: Follow-up\ndate: 2017-10-23 13:00 EDT\n"
        "author: ana\npermalink: /follow-up.html\n---\nBack to [launch](2014-09-08-launch.md).\n\n"
        "{% oembed https://twitter.com/x/status/1 %}\n",
    "_posts/2019-12-3-unpadded.md": "---\ntitle: Unpadded\ndate: 2019-12-3\n---\nBody\x1b text.\n",
    "_posts/2020-01-01-hidden.md": "---\ntitle: Hidden\npublished: false\n---\nNot yet.\n",
    "_drafts/idea.md": "---\ntitle: Idea\ndate: 2021-05-05\n---\nDraft.\n",
    "about.md": "---\ntitle: About\nlayout: page\npermalink: /about/\n---\nWho we are.\n",
    "assets/logo.png": TINY_PNG,
}


@pytest.fixture
def imported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    source = tmp_path / "jekyll"
    write_files(source, BLOG)
    code, out = run_import("jekyll", source, tmp_path / "site", capsys)
    assert code == 0, out
    return tmp_path / "site"


def test_posts_build_with_their_dates_authors_and_summaries(imported: Path) -> None:
    built = build_site(imported, drafts=True)
    entries = {e.slug: e for e in built.loaded.site.entries}
    assert entries["launch"].date.isoformat() == "2014-09-08T00:00:00-04:00"
    assert entries["follow-up"].date.isoformat() == "2017-10-23T13:00:00-04:00"
    assert entries["unpadded"].date.isoformat() == "2019-12-03T00:00:00-05:00"
    assert [a.name for a in entries["launch"].authors] == ["Ana Lima", "Bo Chen"]
    assert "We launched." in entries["launch"].summary_html
    assert entries["hidden"].draft and entries["idea"].draft
    meta = yaml.safe_load((imported / "content/entries/2014/2014-09-08-launch.md").read_text().split("---\n")[1])
    assert "layout" not in meta
    assert (imported / "chronicle.toml").read_text().count('base_url = "https://tech.example.gov/blog/"') == 1


def test_old_urls_answer(imported: Path) -> None:
    built = build_site(imported)
    assert "2014/09/08/launch/" in built  # the permalink pattern is chronicle's default
    for old in ("old-launch/", "follow-up.html", "about/"):
        assert old in built, old
    assert "Old entry URLs follow /{year}/{month}/{day}/{slug}/" in report_of(imported)


def test_bodies_substitute_liquid_and_report_the_rest(imported: Path) -> None:
    text = (imported / "content/entries/2014/2014-09-08-launch.md").read_text("utf-8")
    assert "![Logo](/assets/logo.png)" in text
    assert "(entry:entries/2017/2017-10-23-follow-up)" in text
    assert '## Details <span id="the-details"></span>' in text and "{: .lead}" not in text
    assert "Use {{ page.title }} in templates." in text
    assert (imported / "static/assets/logo.png").read_bytes() == TINY_PNG
    follow = (imported / "content/entries/2017/2017-10-23-follow-up.md").read_text("utf-8")
    assert "(entry:entries/2014/2014-09-08-launch)" in follow
    doc = build_site(imported).html("2014/09/08/launch/")
    assert doc.xpath('//img[@src="/blog/assets/logo.png"]')
    assert doc.xpath('//a[@href="/blog/2017/10/23/follow-up/"]')
    assert "{% include note.html %}" in doc.text_content()
    report = report_of(imported)
    assert "_posts/2014-09-08-launch.md:22: Liquid {% include note.html %}" in report
    assert "_posts/2017-10-23-follow-up.markdown:9: Liquid {% oembed" in report
    assert "_posts/2014-09-08-launch.md:20: attribute list {: .lead} removed" in report
    assert "_posts/2019-12-3-unpadded.md:5: removed control character U+001B" in report
    assert "published: false -> draft: true" in report


@pytest.mark.parametrize(("text", "expected"), [
    ("September 8, 2014", "2014-09-08T00:00:00+00:00"),
    ("Sep 8 2014 10:30 PM", "2014-09-08T22:30:00+00:00"),
    ("2017-10-23 13:00 EDT", "2017-10-23T13:00:00-04:00"),
    ("2019-12-3", "2019-12-03T00:00:00+00:00"),
    ("2015-01-01 12:00:00 -0500", "2015-01-01T12:00:00-05:00"),
    ("8 March 2020", "2020-03-08T00:00:00+00:00"),
])
def test_loose_dates(text: str, expected: str) -> None:
    import datetime as dt
    assert parse_loose_date(text, dt.timezone.utc).isoformat() == expected


def test_not_a_date_is_none() -> None:
    import datetime as dt
    assert parse_loose_date("2016-07-19 (optional)", dt.timezone.utc) is None


def test_author_text_is_split_as_chronicle_splits_it(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "jekyll"
    write_files(source, {
        "_config.yml": "title: Two\n",
        "_data/authors.yml": "ana:\n  name: Ana Lima\n",
        "_posts/2020-01-01-pair.md": "---\ntitle: Pair\nauthor: ana and Dee Fox\n---\nBoth.\n",
        "_posts/2020-01-02-trio.md": "---\ntitle: Trio\nauthors: [\"Simon & Schuster\"]\n---\nOne.\n",
    })
    code, out = run_import("jekyll", source, tmp_path / "site", capsys)
    assert code == 0, out
    entries = {e.slug: e for e in build_site(tmp_path / "site").loaded.site.entries}
    assert [a.name for a in entries["pair"].authors] == ["Ana Lima", "Dee Fox"]
    assert [a.name for a in entries["trio"].authors] == ["Simon & Schuster"]
