"""The repo's own example site builds, and every link in it resolves, at its sub-path and others."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import build_site
from tests.e2e.invariants import assert_site_ok

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("base_url", [None, "https://mirror.example/deep/sub/path/"])
def test_example_site_links_all_resolve(base_url: str | None) -> None:
    built = build_site(REPO, base_url=base_url)
    assert len(built.loaded.site.entries) >= 15
    assert_site_ok(built)


def test_example_site_has_a_live_entry_with_quotes_notes_and_comment_thread() -> None:
    site = build_site(REPO).loaded.site
    live = [e for e in site.entries if e.live_blog and e.quotes and e.comments]
    assert live, "issue 3 asks for a live-updated example entry with quotes and comments"
    assert any(reply.replies for c in live[0].comments for reply in c.replies) or \
        any(c.replies for c in live[0].comments)
