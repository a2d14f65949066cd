"""chronicle import hugo: bundles, sections, languages, shortcodes; imported and built."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import TINY_PNG, build_site, write_files
from tests.importers.helpers import report_of, run_import

SITE = {
    "hugo.toml": 'baseURL = "https://me.example.org/"\ntitle = "Me"\ndefaultContentLanguage = "en"\n'
                 '[languages.en]\ncontentDir = "content/en"\n[languages.cn]\ncontentDir = "content/cn"\n'
                 '[permalinks]\nposts = "/:year/:month/:slug/"\n',
    "content/en/posts/trip/index.md": "+++\ntitle = \"The trip\"\ndate = 2020-08-21T10:00:00+02:00\n"
        "description = \"Where we went\"\ntags = [\"travel\"]\naliases = [\"/old/trip/\"]\n+++\n"
        "![Map](map.png)\n\n## Route {#the-route}\n\n{{< figure src=\"map.png\" caption=\"The map\" >}}\n\n"
        "{{< youtube abcdefghijk >}}\n\n{{< tweet user=\"x\" id=\"123\" >}}\n\n{{< chart data=\"1\" >}}\n\n"
        "See [the notes]({{< ref \"posts/notes.md\" >}}).\n",
    "content/en/posts/trip/map.png": TINY_PNG,  # a real image: the build measures it
    "content/en/posts/trip/helper.md": "not an entry",
    "content/en/posts/notes.md": "---\nTitle: Notes\nDate: 2021-01-02\nslug: my-notes\nurl: /notes-page/\n---\nBell\x07.\n",
    "content/en/posts/wip.md": "---\ntitle: WIP\ndate: 2021-02-02\ndraft: true\n---\nSoon.\n",
    "content/en/posts/_index.md": "---\ntitle: Posts\n---\n",
    "content/en/about.md": "---\ntitle: About\n---\nMe.\n",
    "content/cn/posts/trip/index.md": "---\ntitle: 旅行\ndate: 2020-08-21\n---\n中文。\n",
}


@pytest.fixture
def imported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    source = tmp_path / "hugo"
    write_files(source, SITE)
    code, out = run_import("hugo", source, tmp_path / "site", capsys)
    assert code == 0, out
    return tmp_path / "site"


def test_bundles_languages_and_drafts(imported: Path) -> None:
    built = build_site(imported, drafts=True)
    entries = {e.slug: e for e in built.loaded.site.entries}
    assert set(entries) == {"trip", "trip-cn", "my-notes", "wip"}
    assert entries["trip-cn"].lang == "cn" and entries["trip"].lang == "en" and entries["wip"].draft
    assert "Where we went" in entries["trip"].summary_html
    # the page bundle stays a bundle; its files are published beside the entry's page
    bundle = imported / "content/entries/2020/2020-08-21-trip"
    assert (bundle / "map.png").read_bytes() == TINY_PNG and (bundle / "helper.md").exists()
    assert not (imported / "static/2020/08/21/trip").exists()
    published = build_site(imported)
    assert published["2020/08/21/trip/map.png"] == TINY_PNG
    assert published.text("2020/08/21/trip/helper.md") == "not an entry"
    assert published.html("2020/08/21/trip-cn/").get("lang") == "cn"
    doc = published.html("2020/08/21/trip/")
    assert doc.get("lang") == "en"
    assert doc.xpath('//img[@src="map.png"]')  # resolves beside the page, where the file is
    assert doc.xpath('//figure/figcaption')[0].text_content() == "The map"
    assert doc.xpath('//iframe[contains(@src, "abcdefghijk")]')
    assert doc.xpath('//a[@href="https://twitter.com/x/status/123"]')
    assert doc.xpath('//span[@id="the-route"]')
    assert doc.xpath('//a[@href="/2021/01/02/my-notes/"]')
    assert "{{< chart" in doc.text_content()


def test_old_urls_answer(imported: Path) -> None:
    built = build_site(imported)
    for old in ("2020/08/trip/", "old/trip/", "notes-page/", "cn/2020/08/trip/", "about/"):
        assert old in built, old
    report = report_of(imported)
    assert "content/en/posts/trip/index.md:18: shortcode {{< chart >}}" in report
    assert "content/en/posts/notes.md:7: removed control character U+0007" in report
    assert "content/en/posts/_index.md: a section's list page" in report
    assert "helper.md: Markdown file inside a page bundle" in report
    assert "permalink = \"/{year}/{month}/{slug}/\"" in report


def test_keep_urls_writes_the_permalink(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "hugo"
    write_files(source, SITE)
    code, _ = run_import("hugo", source, tmp_path / "site", capsys, keep_urls=True)
    assert code == 0
    assert 'permalink = "/{year}/{month}/{slug}/"' in (tmp_path / "site/chronicle.toml").read_text()
    built = build_site(tmp_path / "site")
    assert "2020/08/trip/" in built and "2020/08/trip/map.png" in built
    assert (tmp_path / "site/content/entries/2020/2020-08-21-trip/map.png").exists()
