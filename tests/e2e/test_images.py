"""Body images: sized from their files, lazy but the first, responsive variants made once,
card thumbnails instead of full-size images, og:image, and rebuilds that follow the files."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from conftest import build_site, build_to_disk, entry, make_site, parse_html, read_tree

CONFIG = '''\
title = "Pictures"
base_url = "https://example.org/sub/"
timezone = "UTC"
[images]
widths = [200, 400]
quality = 70
'''


def picture(width: int, height: int, fmt: str = "PNG", colour: str = "navy") -> bytes:
    image = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(image).rectangle((width // 4, height // 4, width // 2, height // 2),
                                    fill=colour)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def site(tmp_path: Path, **extra: str | bytes) -> Path:
    files: dict[str, str | bytes] = {
        "static/images/chart.png": picture(600, 300),
        "static/images/photo.jpg": picture(800, 600, "JPEG"),
        "content/entries/2025-03-18-pictures.md": entry(
            "Pictures", body="![A chart](/images/chart.png)\n\nIntro text.\n\n<!--more-->\n\n"
                             "Then a photo: ![A photo](/images/photo.jpg \"Caption\")\n\n"
                             "And a remote one: ![far](https://example.com/x.png)"),
        "content/entries/2025-03-19-plain.md": entry("Plain", "2025-03-19 09:00",
                                                     body="No pictures here."),
    }
    files.update(extra)
    return make_site(tmp_path, files, CONFIG)


def images_of(html: bytes) -> list:
    return parse_html(html).xpath("//main//img")


def test_body_images_get_size_lazy_loading_and_the_first_stays_eager(tmp_path: Path) -> None:
    built = build_site(site(tmp_path))
    first, second, remote = images_of(built["2025/03/18/pictures/"])
    assert (first.get("src"), first.get("width"), first.get("height")) == (
        "/sub/images/chart.png", "600", "300")
    assert first.get("loading") is None
    assert first.get("decoding") == "async"
    assert (second.get("width"), second.get("height"), second.get("loading"),
            second.get("decoding"), second.get("title")) == ("800", "600", "lazy", "async", "Caption")
    assert remote.attrib == {"src": "https://example.com/x.png", "alt": "far"}


def test_picture_offers_webp_and_original_variants_of_the_right_size(tmp_path: Path) -> None:
    built = build_site(site(tmp_path))
    doc = parse_html(built["2025/03/18/pictures/"])
    pictures = doc.xpath("//main//picture")
    assert len(pictures) == 2
    source, img = pictures[1].xpath(".//source")[0], pictures[1].xpath(".//img")[0]
    assert source.get("type") == "image/webp" and source.get("sizes") == img.get("sizes")
    candidates = [c.split() for c in img.get("srcset").split(", ")]
    assert [w for _, w in candidates] == ["200w", "400w", "800w"]
    assert candidates[-1][0] == "/sub/images/photo.jpg"  # the original is kept and offered
    webp = [c.split() for c in source.get("srcset").split(", ")]
    assert [w for _, w in webp] == ["200w", "400w", "800w"]
    for url, width in candidates[:-1] + webp:
        name = url.removeprefix("/sub/")
        data = built.files[name]
        with Image.open(io.BytesIO(data)) as variant:
            assert variant.width == int(width[:-1])
            assert variant.height == variant.width * 600 // 800
            assert variant.format == ("WEBP" if name.endswith(".webp") else "JPEG")
            assert "exif" not in variant.info
    assert "images/photo.jpg" in built.files and "images/chart.png" in built.files


def test_missing_image_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    root = site(tmp_path, **{"content/entries/2025-03-20-broken.md": entry(
        "Broken", "2025-03-20 09:00", body="Text.\n\nSee ![gone](/images/gone.png) here.")})
    env = dict(os.environ, SOURCE_DATE_EPOCH="1767225600")
    result = subprocess.run([sys.executable, "-m", "chronicle_ssg", "build", "--source", str(root)],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "content/entries/2025-03-20-broken.md:8:" in result.stderr
    assert "/images/gone.png" in result.stderr and "static/" in result.stderr


def test_unreadable_image_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    root = site(tmp_path, **{"static/images/chart.png": b"not a png at all"})
    env = dict(os.environ, SOURCE_DATE_EPOCH="1767225600")
    result = subprocess.run([sys.executable, "-m", "chronicle_ssg", "build", "--source", str(root)],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "content/entries/2025-03-18-pictures.md:6:" in result.stderr
    assert "not an image chronicle can read" in result.stderr and " at 0x" not in result.stderr


def test_card_shows_a_thumbnail_never_the_body_image(tmp_path: Path) -> None:
    built = build_site(site(tmp_path))
    home = parse_html(built[""])
    card = home.xpath("//article[.//a[normalize-space()='Pictures']]")[0]
    imgs = card.xpath(".//img")
    assert len(imgs) == 1
    thumb = imgs[0]
    assert thumb.xpath("ancestor::picture[@class='thumb']")
    assert thumb.get("src").startswith("/sub/_img/chart-") and thumb.get("src").endswith("-200.png")
    assert (thumb.get("width"), thumb.get("height"), thumb.get("loading"), thumb.get("alt")) == (
        "200", "100", "lazy", "")
    assert not card.xpath(".//div[@class='summary']//img")
    assert "Intro text." in card.text_content()
    plain = home.xpath("//article[.//a[normalize-space()='Plain']]")[0]
    assert not plain.xpath(".//img")


def test_front_matter_image_is_the_thumbnail_and_the_social_image(tmp_path: Path) -> None:
    root = site(tmp_path, **{"content/entries/2025-03-19-plain.md": entry(
        "Plain", "2025-03-19 09:00", body="No pictures here.", image="/images/photo.jpg")})
    built = build_site(root)
    card = parse_html(built[""]).xpath("//article[.//a[normalize-space()='Plain']]")[0]
    assert card.xpath(".//img/@src")[0].endswith("-200.jpg")
    head = parse_html(built["2025/03/19/plain/"]).xpath("//head")[0]
    assert head.xpath("meta[@property='og:image']/@content") == [
        "https://example.org/sub/images/photo.jpg"]
    assert head.xpath("meta[@property='og:image:width']/@content") == ["800"]


def test_og_image_is_absolute_under_a_sub_path_with_width_and_height(tmp_path: Path) -> None:
    built = build_site(site(tmp_path))
    head = parse_html(built["2025/03/18/pictures/"]).xpath("//head")[0]
    assert head.xpath("meta[@property='og:image']/@content") == [
        "https://example.org/sub/images/chart.png"]
    assert head.xpath("meta[@property='og:image:width']/@content") == ["600"]
    assert head.xpath("meta[@property='og:image:height']/@content") == ["300"]
    assert head.xpath("meta[@property='og:image:alt']/@content") == ["A chart"]
    assert head.xpath("meta[@name='twitter:card']/@content") == ["summary_large_image"]
    plain = parse_html(built["2025/03/19/plain/"]).xpath("//head")[0]
    assert not plain.xpath("meta[@property='og:image']")  # no image and no site default
    assert plain.xpath("meta[@name='twitter:card']/@content") == ["summary"]


def test_site_image_is_the_default_og_image(tmp_path: Path) -> None:
    root = site(tmp_path, **{"chronicle.toml": 'image = "/images/photo.jpg"\n' + CONFIG})
    built = build_site(root)
    for page in ("", "2025/03/19/plain/"):
        head = parse_html(built[page]).xpath("//head")[0]
        assert head.xpath("meta[@property='og:image']/@content") == [
            "https://example.org/sub/images/photo.jpg"]
        assert head.xpath("meta[@property='og:image:height']/@content") == ["600"]


@pytest.mark.parametrize("value, message", [
    ("http://example.com/a.png", "neither a site path nor an https:// URL"),
    ("//example.com/a.png", "protocol-relative"),
    ("/images/none.png", "not found"),
])
def test_bad_front_matter_image_is_located(tmp_path: Path, value: str, message: str) -> None:
    from chronicle_ssg.errors import BuildFailed
    root = site(tmp_path, **{"content/entries/2025-03-19-plain.md": entry(
        "Plain", "2025-03-19 09:00", image=value)})
    with pytest.raises(BuildFailed) as failed:
        build_site(root)
    [error] = failed.value.errors
    assert message in error.message
    assert (str(error.location.path), error.location.line) == (
        "content/entries/2025-03-19-plain.md", 4)


def test_bad_images_table_is_a_config_error(tmp_path: Path) -> None:
    from chronicle_ssg.errors import BuildFailed
    root = site(tmp_path, **{"chronicle.toml": CONFIG.replace("quality = 70", "quality = 0")
                             .replace("[200, 400]", "[200, 200]") + "colour = 1\n"})
    with pytest.raises(BuildFailed) as failed:
        build_site(root)
    messages = sorted(e.message for e in failed.value.errors)
    assert len(messages) == 3
    assert any("widths" in m for m in messages) and any("quality" in m for m in messages)
    assert any("colour" in m for m in messages)


def test_warm_build_after_an_image_change_equals_a_cold_build(tmp_path: Path) -> None:
    root = site(tmp_path)
    build_to_disk(root)
    (root / "static/images/chart.png").write_bytes(picture(500, 500, colour="red"))
    os.utime(root / "static/images/chart.png", ns=(10**18, 10**18))
    warm = read_tree(build_to_disk(root))
    cold = read_tree(build_to_disk(root, tmp_path / "cold", use_cache=False))
    assert warm == cold
    page = parse_html(warm["2025/03/18/pictures/index.html"])
    assert page.xpath("//main//img")[0].get("height") == "500"
    assert sum(name.startswith("_img/chart-") for name in warm) == 5  # PNG 200, 400; WebP 200, 400, 500


def test_variants_are_made_once_and_a_damaged_cache_is_not_trusted(tmp_path: Path) -> None:
    from chronicle_ssg.build import BuildOptions, Stats, build_site as build_pipeline
    root = site(tmp_path)
    stats = Stats()
    build_pipeline(root, root / "output", BuildOptions(), stats)
    assert stats.counts["images_made"] == 2
    cold = read_tree(root / "output")
    (root / "content/entries/2025-03-19-plain.md").write_text(entry("Plain", body="Edited."))
    stats = Stats()
    build_pipeline(root, root / "output", BuildOptions(), stats)
    assert stats.counts["images_made"] == 0
    cache = root / ".chronicle-cache/images"
    for variant in sorted((cache / "_img").iterdir()):
        variant.write_bytes(b"tampered")
    index = json.loads((cache / "index.json").read_text())
    index["images"]["/images/evil.png"] = {"stamp": [1, 2], "variants": "../../etc"}
    (cache / "index.json").write_text(json.dumps(index))
    (root / "content/entries/2025-03-19-plain.md").write_text(entry("Plain", body="Again."))
    build_pipeline(root, root / "output", BuildOptions(), Stats())
    again = read_tree(root / "output")
    assert {k: v for k, v in again.items() if k.startswith("_img/")} == {
        k: v for k, v in cold.items() if k.startswith("_img/")}
    (cache / "index.json").write_bytes(b"\x80garbage")
    build_pipeline(root, root / "output", BuildOptions(use_cache=True), Stats())


def test_variants_are_byte_identical_across_builds(tmp_path: Path) -> None:
    root = site(tmp_path)
    first = read_tree(build_to_disk(root, tmp_path / "one", use_cache=False))
    second = read_tree(build_to_disk(root, tmp_path / "two", use_cache=False))
    assert first == second
    assert sum(name.startswith("_img/") for name in first) == 10


def test_feeds_carry_absolute_srcset_urls(tmp_path: Path) -> None:
    built = build_site(site(tmp_path))
    feed = built.text("feed.xml")
    assert "srcset=&#34;https://example.org/sub/_img/" in feed or \
        "srcset=&quot;https://example.org/sub/_img/" in feed
    assert "srcset=&quot;/sub/" not in feed and "srcset=&#34;/sub/" not in feed


def test_bundle_image_relative_to_its_entry_is_sized_and_has_variants(tmp_path: Path) -> None:
    root = site(tmp_path, **{
        "content/entries/2025-03-21-trip/index.md": entry(
            "Trip", "2025-03-21 09:00", body="Intro.\n\n![The route](map.png)"),
        "content/entries/2025-03-21-trip/map.png": picture(300, 150),
    })
    built = build_site(root)
    img = images_of(built["2025/03/21/trip/"])[0]
    assert (img.get("src"), img.get("width"), img.get("height")) == ("map.png", "300", "150")
    webp = parse_html(built["2025/03/21/trip/"]).xpath("//main//source/@srcset")[0]
    assert webp.startswith("/sub/_img/map-") and "2025/03/21/trip/map.png" in built.files
    for url, _ in (c.split() for c in webp.split(", ")):
        assert url.removeprefix("/sub/") in built.files
