"""The pipeline's shape: stages import only earlier stages; the CLI starts without heavy imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "chronicle_ssg"

#: earlier stages first; a module may import only modules before it in this list
ORDER = ["errors", "text", "paths", "slugs", "dates", "i18n", "config", "discover", "parse", "blocks",
         "highlight", "markdown", "comments", "model", "images", "assemble", "route", "contexts", "render", "write",
         "search", "build"]
#: tools above the pipeline: they may use any stage, and no stage may import them
IMPORTERS = ["importers.common", "importers.wordpress", "importers.jekyll", "importers.hugo"]
#: which third-party library each stage alone may import
LIBRARY_OWNERS = {"yaml": {"parse", "importers.common"}, "frontmatter": {"parse"},
                  "markdown_it": {"markdown", "blocks"}, "mdit_py_plugins": {"markdown", "blocks"},
                  "jinja2": {"render"}, "watchdog": {"watch"},
                  "pygments": {"highlight"}, "pagefind": {"search"}, "msgspec": {"cache"},
                  "PIL": {"images"}, "babel": {"i18n"}}


def imports_in(source: str) -> list[tuple[str, int, bool]]:
    """(imported name, line, at module level) for every runtime import in a module's source.

    Imports under `if TYPE_CHECKING:` are skipped: they never run, so they add no dependency.
    """
    tree = ast.parse(source)
    top_level = {id(node) for node in tree.body}
    type_only = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.If)
                 and "TYPE_CHECKING" in ast.unparse(node.test) for inner in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found += [(name, node.lineno, id(node) in top_level) for name in names]
    return found


def imports_of(module: str) -> list[tuple[str, int, bool]]:
    return imports_in((PACKAGE / f"{module.replace('.', '/')}.py").read_text("utf-8"))


def all_modules() -> list[str]:
    return [p.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".")
            for p in sorted(PACKAGE.rglob("*.py")) if p.stem != "__init__"]


def later_stages(module: str, source: str) -> list[tuple[str, int]]:
    """Stages that `module` imports although they come after it in ORDER."""
    allowed = set(ORDER[:ORDER.index(module)]) | {module}
    found = set()
    for name, line, _ in imports_in(source):
        parts = name.split(".")
        if parts[0] == "chronicle_ssg" and len(parts) > 1 and parts[1] in ORDER \
                and parts[1] not in allowed:
            found.add((parts[1], line))
    return sorted(found)


@pytest.mark.parametrize("module", ORDER)
def test_stage_imports_only_earlier_stages(module: str) -> None:
    later = later_stages(module, (PACKAGE / f"{module}.py").read_text("utf-8"))
    assert not later, f"chronicle_ssg/{module}.py imports later stages: {later}"


def test_backward_import_is_caught_even_inside_a_function() -> None:
    source = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
              "    from chronicle_ssg.render import Renderer\n"
              "def f():\n    from chronicle_ssg.model import Entry\n")
    assert later_stages("parse", source) == [("model", 5)]


@pytest.mark.parametrize("library", sorted(LIBRARY_OWNERS))
def test_each_library_is_imported_by_its_stage_only(library: str) -> None:
    offenders = []
    for module in all_modules():
        if module in LIBRARY_OWNERS[library]:
            continue
        for name, line, _ in imports_of(module):
            if name.split(".")[0] == library:
                offenders.append(f"{module}:{line}")
    assert not offenders, f"{library} imported outside {LIBRARY_OWNERS[library]}: {offenders}"


def test_cli_imports_stages_only_inside_commands() -> None:
    eager = [(name, line) for name, line, top in imports_of("cli")
             if top and name.startswith("chronicle_ssg.") and name.split(".")[1] in ORDER]
    assert not eager, f"cli.py imports stages at module level: {eager}"


def test_importing_the_cli_loads_no_heavy_library() -> None:
    code = ("import sys, chronicle_ssg.cli; "
            "print(' '.join(sorted(m for m in ('jinja2', 'markdown_it', 'watchdog', 'yaml', 'pygments', 'pagefind', 'PIL', 'babel') "
            "if m in sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""


def test_every_importer_module_is_classified() -> None:
    found = [m for m in all_modules() if m.startswith("importers.")]
    assert sorted(found) == sorted(IMPORTERS)


@pytest.mark.parametrize("module", ORDER)
def test_no_stage_imports_an_importer(module: str) -> None:
    uses = [(name, line) for name, line, _ in imports_of(module)
            if name.startswith("chronicle_ssg.importers")]
    assert not uses, f"chronicle_ssg/{module}.py imports the importers: {uses}"


def test_cli_imports_the_importers_lazily() -> None:
    eager = [(name, line) for name, line, top in imports_of("cli")
             if top and name.startswith("chronicle_ssg.importers")]
    assert not eager
