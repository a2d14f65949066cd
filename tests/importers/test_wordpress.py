"""chronicle import wordpress: a small WXR export covering every case, imported and built."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chronicle_ssg.errors import ChronicleError
from chronicle_ssg.importers.wordpress import comment_markdown, wpautop
from tests.conftest import TINY_PNG, build_site, hrefs, texts
from tests.importers.helpers import report_of, run_import

WP = "https://wordpress.org/export/1.2/"


def item(post_id: int, title: str, content: str, *, post_type: str = "post", status: str = "publish",
         name: str = "", date: str = "2019-03-05 10:00:00", gmt: str = "2019-03-05 09:00:00",
         link: str = "", extra: str = "") -> str:
    link = link or f"https://blog.example.org/2019/03/05/{name}/"
    return f"""<item><title>{title}</title><link>{link}</link>
<dc:creator><![CDATA[ana]]></dc:creator>
<content:encoded><![CDATA[{content}]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{post_id}</wp:post_id><wp:post_date>{date}</wp:post_date>
<wp:post_date_gmt>{gmt}</wp:post_date_gmt><wp:post_name>{name}</wp:post_name>
<wp:status>{status}</wp:status><wp:post_parent>0</wp:post_parent>
<wp:post_type>{post_type}</wp:post_type><wp:post_password></wp:post_password>
<wp:is_sticky>0</wp:is_sticky>{extra}</item>"""


def comment(cid: int, author: str, body: str, *, parent: int = 0, approved: str = "1",
            kind: str = "", user: int = 0, url: str = "") -> str:
    return f"""<wp:comment><wp:comment_id>{cid}</wp:comment_id>
<wp:comment_author><![CDATA[{author}]]></wp:comment_author>
<wp:comment_author_email>x{cid}@example.org</wp:comment_author_email>
<wp:comment_author_url>{url}</wp:comment_author_url>
<wp:comment_date>2019-03-06 10:00:0{cid % 10}</wp:comment_date>
<wp:comment_date_gmt>2019-03-06 09:00:0{cid % 10}</wp:comment_date_gmt>
<wp:comment_content><![CDATA[{body}]]></wp:comment_content>
<wp:comment_approved>{approved}</wp:comment_approved><wp:comment_type>{kind}</wp:comment_type>
<wp:comment_parent>{parent}</wp:comment_parent><wp:comment_user_id>{user}</wp:comment_user_id>
</wp:comment>"""


def export(items: str, namespace: str = WP) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="{namespace}excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="{namespace}"><channel>
<title>Ana &amp; Co</title><link>https://blog.example.org</link><description>Notes</description>
<language>en-US</language><wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://blog.example.org</wp:base_site_url>
<wp:base_blog_url>https://blog.example.org</wp:base_blog_url>
<wp:author><wp:author_id>1</wp:author_id><wp:author_login>ana</wp:author_login>
<wp:author_email>ana@example.org</wp:author_email>
<wp:author_display_name><![CDATA[Ana Lima]]></wp:author_display_name></wp:author>
<wp:author><wp:author_id>2</wp:author_id><wp:author_login>bo</wp:author_login>
<wp:author_email>bo@example.org</wp:author_email>
<wp:author_display_name><![CDATA[Bo Chen]]></wp:author_display_name></wp:author>
<wp:category><wp:term_id>1</wp:term_id><wp:category_nicename>world</wp:category_nicename>
<wp:category_parent></wp:category_parent><wp:cat_name><![CDATA[World]]></wp:cat_name></wp:category>
<wp:category><wp:term_id>2</wp:term_id><wp:category_nicename>europe</wp:category_nicename>
<wp:category_parent>world</wp:category_parent><wp:cat_name><![CDATA[Europe]]></wp:cat_name></wp:category>
<wp:tag><wp:term_id>3</wp:term_id><wp:tag_slug>gas</wp:tag_slug><wp:tag_name><![CDATA[Gas]]></wp:tag_name></wp:tag>
{items}
</channel></rss>"""


MAIN = item(10, "Talks &amp; &#8220;deals&#8221;",
            "First paragraph\nsame paragraph.\n\nSecond paragraph.\n\n<!--more-->\n\n"
            "[caption id=\"a\" align=\"alignleft\" width=\"300\"]<img src=\"https://blog.example.org/"
            "wp-content/uploads/2019/03/pic.jpg\" alt=\"Pic\"> The caption[/caption]\n\n"
            "[gallery ids=\"20\"]\n\n[embed]https://www.youtube.com/watch?v=abcdefghijk[/embed]\n\n"
            "[audio mp3=\"https://blog.example.org/wp-content/uploads/2019/03/talk.mp3\"]\n\n"
            "[video src=\"https://blog.example.org/wp-content/uploads/2019/03/clip.mp4\"]\n\n"
            "[unknown_code foo=\"bar\"]\n\n"
            "<pre>code line\n\nafter a blank line</pre>\n\nBell\x07 rings.\n\n"
            "<!--nextpage-->\n\nPage two.",
            name="talks-and-deals",
            extra="""<category domain="category" nicename="europe"><![CDATA[Europe]]></category>
<category domain="post_tag" nicename="gas"><![CDATA[Gas]]></category>"""
                  + comment(1, "Rita", "Good <em>point</em>, *really*.", url="https://rita.example/")
                  + comment(2, "Ana", "Thanks!", parent=1, user=1)
                  + comment(3, "Bo", "Agreed.", parent=1, user=2)
                  + comment(4, "Spammer", "Buy", approved="spam")
                  + comment(5, "Other blog", "ping", kind="pingback")
                  + comment(6, "Waiting", "hm", approved="0"))
BLOCKS = item(11, "Blocks", "<!-- wp:paragraph -->\n<p>Block para.</p>\n<!-- /wp:paragraph -->\n\n"
                            "<!-- wp:separator /-->", name="blocks", date="2019-04-01 08:00:00",
              gmt="2019-04-01 07:00:00", link="https://blog.example.org/2019/04/01/blocks/")
ATTACHMENT = item(20, "pic", "", post_type="attachment", status="inherit", name="pic",
                  extra="<wp:attachment_url>https://blog.example.org/wp-content/uploads/2019/03/"
                        "pic.jpg</wp:attachment_url>")
OTHERS = "".join([
    item(12, "A draft", "Draft text.", status="draft", name="", gmt="0000-00-00 00:00:00",
         link="https://blog.example.org/?p=12"),
    item(13, "Later", "Future text.", status="future", name="later", date="2030-01-01 10:00:00",
         gmt="2030-01-01 09:00:00", link="https://blog.example.org/2030/01/01/later/"),
    item(14, "Secret", "Private text.", status="private", name="secret"),
    item(15, "Sticky one", "Pinned.", name="sticky-one", date="2019-02-01 10:00:00",
         gmt="2019-02-01 09:00:00", link="https://blog.example.org/2019/02/01/sticky-one/").replace(
        "<wp:is_sticky>0", "<wp:is_sticky>1"),
    item(16, "Team", "About the team.", post_type="page", name="team",
         link="https://blog.example.org/about/team/"),
    item(17, "Old", "Gone.", status="trash", name="old"),
    item(18, "Menu", "", post_type="nav_menu_item", name="menu"),
])


@pytest.fixture
def imported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    source = tmp_path / "export.xml"
    source.write_text(export(MAIN + BLOCKS + ATTACHMENT + OTHERS), "utf-8")
    uploads = tmp_path / "uploads" / "2019" / "03"
    uploads.mkdir(parents=True)
    (uploads / "pic.jpg").write_bytes(TINY_PNG)  # a real image: the build measures it
    site = tmp_path / "site"
    code, out = run_import("wordpress", source, site, capsys, uploads=tmp_path / "uploads")
    assert code == 0, out
    return site, out


def test_posts_pages_and_statuses_become_entries_pages_and_drafts(imported: tuple[Path, str]) -> None:
    site, _ = imported
    built = build_site(site)
    assert "2019/03/05/talks-and-deals/" in built and "2019/04/01/blocks/" in built
    assert "team/" in built and "about/team/" in built  # the page and its old URL (alias)
    assert "2030/01/01/later/" not in built  # scheduled
    entries = {e.slug: e for e in build_site(site, drafts=True, future=True).loaded.site.entries}
    assert entries["later"].scheduled and entries["secret"].draft and entries["a-draft"].draft
    assert entries["sticky-one"].extra["sticky"] is True
    report = report_of(site)
    for line in ("posts with status publish", "posts with status draft", "posts with status future",
                 "posts with status private", "skipped: trash posts", "skipped: nav_menu_item items"):
        assert line in report
    assert 'item 14 "Secret": private post: imported as a draft' in report


def test_body_keeps_the_paragraphs_and_converts_shortcodes(imported: tuple[Path, str]) -> None:
    site, _ = imported
    doc = build_site(site).html("2019/03/05/talks-and-deals/")
    body = doc.xpath('//div[contains(@class, "entry-body")]')[0] if doc.xpath(
        '//div[contains(@class, "entry-body")]') else doc
    paragraphs = texts(body, ".//p")
    assert "First paragraph same paragraph." in paragraphs and "Second paragraph." in paragraphs
    assert doc.xpath('//figure[contains(@class, "wp-caption")]/figcaption')[0].text_content() == "The caption"
    assert doc.xpath('//iframe[contains(@src, "youtube-nocookie.com/embed/abcdefghijk")]')
    assert doc.xpath('//audio/source[@src="/wp-content/uploads/2019/03/talk.mp3"]')
    assert doc.xpath('//video/source[@src="/wp-content/uploads/2019/03/clip.mp4"]')
    assert doc.xpath('//ul[contains(@class, "gallery")]//img[@src="/wp-content/uploads/2019/03/pic.jpg"]')
    assert doc.xpath("//pre")[0].text_content() == "code line\n\nafter a blank line"
    assert "Bell rings." in paragraphs
    assert '[unknown_code foo="bar"]' in doc.text_content()
    assert doc.xpath('//hr[@class="nextpage"]') and "Page two." in paragraphs
    title = doc.xpath("//h1")[0].text_content().strip()
    assert title == "Talks & “deals”"


def test_summary_terms_authors_and_uploads(imported: tuple[Path, str]) -> None:
    site, _ = imported
    text = (site / "content/entries/2019/2019-03-05-talks-and-deals.md").read_text("utf-8")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta["author"] == "Ana Lima"
    assert meta["categories"] == ["World", "Europe"] and meta["tags"] == ["Gas"]
    assert meta["date"] == "2019-03-05T10:00:00+01:00"
    assert "\n<!--more-->\n" in text and "<!-- wp:" not in (site / "content/entries/2019/2019-04-01-blocks.md").read_text()
    assert (site / "static/wp-content/uploads/2019/03/pic.jpg").read_bytes() == TINY_PNG
    report = report_of(site)
    assert "/wp-content/uploads/2019/03/talk.mp3 (not in --uploads folder)" in report
    assert "removed control character U+0007" in report
    assert "shortcode [unknown_code] has no chronicle equivalent" in report


def test_comments_keep_threads_roles_and_urls(imported: tuple[Path, str]) -> None:
    site, _ = imported
    records = yaml.safe_load((site / "content/entries/2019/2019-03-05-talks-and-deals.comments.yaml")
                             .read_text("utf-8"))["comments"]
    assert [r["id"] for r in records] == [1, 2, 3]
    assert records[0]["url"] == "https://rita.example/" and records[0]["body"] == "Good *point*, \\*really\\*."
    assert records[1] == {**records[1], "parent": 1, "role": "author"}
    assert records[2]["role"] == "admin"
    doc = build_site(site).html("2019/03/05/talks-and-deals/")
    assert len(doc.xpath('//*[@id="comment-2"]')) == 1
    report = report_of(site)
    assert "skipped: spam comments" in report and "skipped: pingbacks" in report
    assert "skipped: unapproved comments" in report


def test_old_urls_answer_and_query_urls_go_to_the_redirect_maps(imported: tuple[Path, str]) -> None:
    site, _ = imported
    built = build_site(site)
    redirect = built.html("2019/03/05/talks-and-deals/2/")  # the <!--nextpage--> page 2
    assert "/2019/03/05/talks-and-deals/" in redirect.xpath('//meta[@http-equiv="refresh"]/@content')[0]
    netlify = (site / "redirects/_redirects").read_text("utf-8")
    assert "/ p=10 /2019/03/05/talks-and-deals/ 301!" in netlify
    assert "/category/europe/ /categories/europe/ 301" in netlify
    assert "RewriteCond %{QUERY_STRING} ^p=10$" in (site / "redirects/apache.conf").read_text()
    assert "old URLs kept as they were" in report_of(site)


def test_a_second_import_writes_nothing_and_never_overwrites_without_force(
        imported: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site, _ = imported
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    code, out = run_import("wordpress", tmp_path / "export.xml", site, capsys, uploads=tmp_path / "uploads")
    assert code == 0 and "0 files written" in out
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before
    edited = site / "content/pages/team.md"
    edited.write_text("mine", "utf-8")
    code, _ = run_import("wordpress", tmp_path / "export.xml", site, capsys, uploads=tmp_path / "uploads")
    assert code == 1 and edited.read_text() == "mine"
    code, _ = run_import("wordpress", tmp_path / "export.xml", site, capsys, force=True,
                         uploads=tmp_path / "uploads")
    assert code == 0 and edited.read_text() != "mine"


def test_import_into_an_existing_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "export.xml"
    source.write_text(export(BLOCKS, namespace="http://wordpress.org/export/1.1/"), "utf-8")
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "chronicle.toml").write_text('title = "Mine"\npermalink = "/{year}/{slug}/"\n', "utf-8")
    code, out = run_import("wordpress", source, site, capsys, into=True)
    assert code == 0, out
    assert (site / "chronicle.toml").read_text() == 'title = "Mine"\npermalink = "/{year}/{slug}/"\n'
    built = build_site(site)
    assert "2019/blocks/" in built and "2019/04/01/blocks/" in built  # new URL and alias


def test_an_export_with_a_dtd_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "export.xml"
    source.write_text('<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>\n'
                      "<rss><channel><title>&b;</title></channel></rss>", "utf-8")
    with pytest.raises(ChronicleError, match="DTD"):
        run_import("wordpress", source, tmp_path / "site", capsys)
    assert not (tmp_path / "site").exists()


def test_wpautop_paragraphs_and_line_breaks() -> None:
    assert wpautop("a\nb\n\nc") == "<p>a<br />\nb</p>\n<p>c</p>"
    assert wpautop("<ul>\n<li>x</li>\n</ul>\n\ntext") == "<ul>\n<li>x</li>\n</ul>\n<p>text</p>"
    assert wpautop("<pre>a\n\nb</pre>") == "<pre>a\n\nb</pre>"


def test_comment_html_becomes_safe_markdown() -> None:
    body, dropped = comment_markdown('See <a href="https://x.example/">this</a> <code>a*b</code><img src=x>')
    assert body == "See [this](https://x.example/) `a*b`" and dropped == {"img"}


def test_cli_import_command(tmp_path: Path, site_env: dict[str, str]) -> None:
    import subprocess
    import sys
    source = tmp_path / "export.xml"
    source.write_text(export(BLOCKS), "utf-8")
    result = subprocess.run([sys.executable, "-m", "chronicle_ssg", "import", "wordpress", str(source),
                             "--output", str(tmp_path / "site")], capture_output=True, text=True,
                            env=site_env)
    assert result.returncode == 0, result.stderr
    assert "entries  1" in result.stdout.replace("  ", " ").replace(" 1", "  1") or "entries" in result.stdout
    build = subprocess.run([sys.executable, "-m", "chronicle_ssg", "build", "--source",
                            str(tmp_path / "site"), "--quiet"], capture_output=True, text=True, env=site_env)
    assert build.returncode == 0, build.stderr


def test_html_titles_keep_their_markdown_characters_literal() -> None:
    from chronicle_ssg.importers.common import Report, plain_title
    from chronicle_ssg.markdown import render_title
    report = Report("test")
    for raw, shown in (("5*3*2 = 30", "5*3*2 = 30"), ("Use `git` &amp; *stars*", "Use `git` & *stars*"),
                       ("&amp;lt;tag&amp;gt;", "&lt;tag&gt;"), ("snake_case", "snake_case")):
        title = plain_title(raw, "item 1", report, literal=True)
        assert render_title(title)[1] == shown, raw
