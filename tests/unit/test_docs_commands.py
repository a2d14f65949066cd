"""The commands the README and the publishing docs give work as written: in a virtual
environment (Debian and Ubuntu refuse a bare `pip install .`), and CI runs the very test
command the README shows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text("utf-8")
FIRST = "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/chronicle build"
TESTS = ("python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && "
         ".venv/bin/python -m pytest -q")
PIN = "chronicle-ssg @ git+https://github.com/OWNER/chronicle@v0.1.0"


def sh_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", text, re.S)]


def test_the_readme_starts_with_commands_that_make_and_use_a_virtual_environment() -> None:
    assert sh_blocks(README)[:2] == [FIRST, TESTS]
    assert not re.search(r"^\s*(python3? -m )?pip install", README, re.M)


def test_the_readme_names_the_python_it_needs() -> None:
    needed = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"][
        "requires-python"]
    assert needed == ">=3.11"
    assert "Python 3.11 or newer" in README.split("## What chronicle is")[0]


def test_ci_runs_the_readmes_test_command_as_written() -> None:
    ci = (REPO / ".ci/run").read_text("utf-8")
    assert f'readme_test_command="{TESTS}"' in ci
    assert 'bash -c "$readme_test_command" || status=$?' in ci
    assert "python -m pip install" not in ci


def test_venv_is_ignored_by_git() -> None:
    assert ".venv/" in (REPO / ".gitignore").read_text("utf-8").splitlines()


def test_publishing_docs_install_chronicle_pinned_from_git() -> None:
    publishing = (REPO / "docs/publishing.md").read_text("utf-8")
    assert f'.venv/bin/pip install "{PIN}"' in publishing
    assert f"```text\n{PIN}\n```" in publishing  # requirements.txt for Netlify
    workflow = (REPO / "docs/github-actions.yml").read_text("utf-8")
    assert f'CHRONICLE: "{PIN}"' in workflow
