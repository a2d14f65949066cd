"""Issue 12: with `chronicle serve` running, `chronicle new update` is a file change like
any edit: the page is rebuilt with the new update and open tabs are told to reload."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import entry, make_site
from serving import EventStream, fetch, running_chronicle, subprocess_env

CONFIG = '''\
title = "Served"
base_url = "https://example.org/sub/"
timezone = "Europe/Berlin"
live_window_hours = 0
'''
CALL = "content/2025-03-18-call.md"


def test_new_update_reaches_an_open_page(tmp_path: Path, site_env: dict[str, str]) -> None:
    site = make_site(tmp_path, {CALL: entry("The call", body="Intro.", live=True)}, config=CONFIG)
    page = "/sub/2025/03/18/call/"
    env = subprocess_env(site_env)
    with running_chronicle(site, env, "serve", "--port", "0") as server:
        assert b"The first update follows soon." in fetch(server, page)[2]
        with EventStream(server, "/sub/__chronicle/events") as events:
            events.wait_connected()
            added = subprocess.run(
                [sys.executable, "-m", "chronicle_ssg", "new", "update", "call",
                 "**Breaking:** the call is on.", "--time", "2025-03-18 16:45",
                 "--source", str(site)], capture_output=True, text=True, env=env, check=False)
            assert added.returncode == 0, added.stderr
            assert added.stdout == f"added an update at 2025-03-18 16:45 CET to {CALL}:9 (1 update)\n"
            assert events.next_event()[0] == "reload"
            body = fetch(server, page)[2]
            assert b'id="update-2025-03-18-1645"' in body
            assert b"<strong>Breaking:</strong> the call is on." in body
            assert "Live \u00b7 1 update<".encode() in body
        assert server.stop() == 0
