"""STAGE 2: bytes -> Document: decode, split front matter keeping line offsets, load YAML."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import yaml

from chronicle_ssg.errors import ChronicleWarning, ContentError, FrontMatterError, SourceLocation
from chronicle_ssg.text import FORBIDDEN, forbidden_warning, strip_forbidden

try:  # libyaml is several times faster; both are safe loaders
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

MAX_SOURCE_BYTES = 50 * 1024 * 1024
MAX_LINE_WARNINGS = 10  #: per file; a file full of them gets one more that counts the rest
MAX_YAML_NODES = 500_000


@dataclass(frozen=True, slots=True)
class Document:
    """A source file split into front matter and Markdown body."""

    rel: PurePosixPath  #: path relative to the site root; the entry's id
    meta: dict[str, Any]  #: front matter as loaded (plain YAML types)
    key_lines: dict[str, int]  #: 1-based line of each top-level front-matter key
    body: str  #: the Markdown after the closing '---'
    body_line: int  #: 1-based line where the body starts
    digest: str  #: sha256 of the raw bytes: the cache key
    lines: tuple[str, ...] = field(default=(), repr=False)  #: source lines for error context
    #: what the parser repaired (characters removed), reported by every build using it
    warnings: tuple[ChronicleWarning, ...] = ()


@dataclass(frozen=True, slots=True)
class DataFile:
    """A loaded YAML data file (comments) with the lines of its keys."""

    value: Any
    #: 1-based lines: "key", list items "key.0", and keys of mappings in lists "key.0.sub"
    key_lines: dict[str, int]
    warnings: tuple[ChronicleWarning, ...] = ()


def decode_source(raw: bytes, rel: PurePosixPath) -> tuple[str, tuple[ChronicleWarning, ...]]:
    """UTF-8 (a BOM is dropped), CRLF and CR become LF, forbidden characters are removed.

    Returns the text and a warning per line that lost characters. Anything that is not
    UTF-8 is an error.
    """
    if len(raw) > MAX_SOURCE_BYTES:
        raise ContentError(f"file is larger than {MAX_SOURCE_BYTES // 2**20} MB",
                           SourceLocation(rel), hint="split it into several entries")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ContentError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                           SourceLocation(rel, line),
                           hint="save the file as UTF-8 in your editor") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return strip_forbidden_lines(text, rel)


def strip_forbidden_lines(text: str, rel: PurePosixPath,
                          first_line: int = 1) -> tuple[str, tuple[ChronicleWarning, ...]]:
    """strip_forbidden() line by line, with one warning per line that lost characters
    (at most MAX_LINE_WARNINGS, then one that counts the rest)."""
    if not FORBIDDEN.search(text):
        return text, ()
    warnings: list[ChronicleWarning] = []
    lines = text.split("\n")
    dirty = [number for number, line in enumerate(lines) if FORBIDDEN.search(line)]
    for number in dirty:
        lines[number], removed = strip_forbidden(lines[number])
        if len(warnings) < MAX_LINE_WARNINGS:
            warnings.append(forbidden_warning(removed, SourceLocation(rel, first_line + number)))
    if len(dirty) > MAX_LINE_WARNINGS:
        warnings.append(ChronicleWarning(
            f"{len(dirty) - MAX_LINE_WARNINGS} more lines had such characters removed",
            SourceLocation(rel, first_line + dirty[MAX_LINE_WARNINGS])))
    return "\n".join(lines), tuple(warnings)


def split_front_matter(text: str, rel: PurePosixPath) -> tuple[str, int, str, int]:
    """Return (yaml_text, yaml_first_line, body, body_line); lines are 1-based."""
    if not text.strip():
        raise ContentError("file is empty", SourceLocation(rel, 1),
                           hint="start with front matter: ---, title: ..., date: ..., ---")
    first, _, rest = text.partition("\n")
    if first.rstrip() != "---":
        raise ContentError("no front matter: the file must start with a line '---'",
                           SourceLocation(rel, 1),
                           hint="add ---, title: ..., date: ..., --- at the top")
    lines = rest.split("\n")
    for index, line in enumerate(lines):
        if line.rstrip() in ("---", "..."):
            yaml_text = "\n".join(lines[:index])
            body = "\n".join(lines[index + 1:])
            return yaml_text, 2, body, index + 3
    raise ContentError("front matter is never closed with a line '---'",
                       SourceLocation(rel, 1), hint="add a line '---' after the last key")


def load_yaml(text: str, rel: PurePosixPath, first_line: int = 1,
              warnings: list[ChronicleWarning] | None = None) -> tuple[Any, dict[str, int]]:
    """Safe-load YAML; return the value and the line of each top-level key.

    Python object tags are refused by the safe loader; aliases are refused outright so
    that an alias bomb cannot blow up memory. Forbidden characters written as escapes
    ("\\x01", "\\uFFFE") are removed, with a warning added to `warnings`.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}
        _check_nodes(node, rel, first_line, warnings if warnings is not None else [])
        value = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark else first_line
        column = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise FrontMatterError(f"invalid YAML: {problem}", SourceLocation(rel, line, column),
                               hint=_yaml_hint(problem)) from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(f"invalid YAML: {exc}", SourceLocation(rel, first_line)) from None
    except (ValueError, OverflowError) as exc:  # e.g. date: 2025-13-45 is YAML but no date
        raise FrontMatterError(f"invalid value: {exc}", SourceLocation(rel, _bad_value_line(node, first_line)),
                               hint="use a real date such as 2025-03-18") from None
    finally:
        loader.dispose()
    key_lines = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key_lines[str(key_node.value)] = first_line + key_node.start_mark.line
            if isinstance(value_node, yaml.SequenceNode):  # list items: "key.0", "key.1"...
                for number, item in enumerate(value_node.value):
                    key_lines[f"{key_node.value}.{number}"] = first_line + item.start_mark.line
                    if isinstance(item, yaml.MappingNode):  # records: "comments.0.author"
                        for sub_key, _ in item.value:
                            key_lines[f"{key_node.value}.{number}.{sub_key.value}"] = \
                                first_line + sub_key.start_mark.line
    return value, key_lines


def _bad_value_line(node: yaml.Node | None, first_line: int) -> int:
    """The line of the first timestamp-looking scalar that is not a real date."""
    import datetime as dt
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop(0)
        if isinstance(current, yaml.MappingNode):
            stack.extend(v for _, v in current.value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
        elif current.tag == "tag:yaml.org,2002:timestamp":
            try:
                dt.date.fromisoformat(current.value[:10])
            except ValueError:
                return first_line + current.start_mark.line
    return first_line


def _yaml_hint(problem: str) -> str | None:
    if "mapping values" in problem:
        return "quote values that contain ': ', e.g. title: \"Q&A: the call\""
    if "constructor" in problem or "tag" in problem:
        return "front matter holds plain data only: strings, numbers, dates, lists"
    return None


def _check_nodes(root: yaml.Node, rel: PurePosixPath, first_line: int,
                 warnings: list[ChronicleWarning]) -> None:
    """Refuse aliases and oversized documents before constructing any value; remove
    forbidden characters from scalars (the node is changed in place).

    An alias is the very node its anchor made, so its own mark points at the anchor; the
    line reported is that of the key (or list) that uses it, which is what the author wrote.
    """
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, root.start_mark.line)]
    while stack:
        node, used_at = stack.pop()
        if id(node) in seen:
            raise FrontMatterError("YAML aliases (*name) are not supported in front matter",
                                   SourceLocation(rel, first_line + used_at),
                                   hint="write the value out in full")
        seen.add(id(node))
        if len(seen) > MAX_YAML_NODES:
            raise FrontMatterError("front matter is too large", SourceLocation(rel, first_line))
        if isinstance(node, yaml.ScalarNode) and FORBIDDEN.search(node.value):
            node.value, removed = strip_forbidden(node.value)
            warnings.append(forbidden_warning(
                removed, SourceLocation(rel, first_line + node.start_mark.line)))
        # children are pushed in reverse so they are visited in document order: the
        # anchor is met first and the alias second
        if isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                stack.extend(((value, key.start_mark.line), (key, key.start_mark.line)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, node.start_mark.line) for item in reversed(node.value))


def parse_data_file(raw: bytes, rel: PurePosixPath) -> DataFile:
    """Load a YAML data file (comments) with the lines of its keys."""
    text, decoded = decode_source(raw, rel)
    warnings = list(decoded)
    value, key_lines = load_yaml(text, rel, 1, warnings)
    return DataFile(value, key_lines, tuple(warnings))


def parse_document(raw: bytes, rel: PurePosixPath) -> Document:
    """Decode a Markdown source and split it into front matter and body."""
    digest = hashlib.sha256(raw).hexdigest()
    text, decoded = decode_source(raw, rel)
    warnings = list(decoded)
    yaml_text, yaml_line, body, body_line = split_front_matter(text, rel)
    meta, key_lines = load_yaml(yaml_text, rel, yaml_line, warnings)
    if not isinstance(meta, dict):
        raise FrontMatterError("front matter must be a mapping of keys to values",
                               SourceLocation(rel, yaml_line),
                               hint="write key: value lines between the --- lines")
    bad_keys = [k for k in meta if not isinstance(k, str)]
    if bad_keys:
        raise FrontMatterError(f"front-matter key {bad_keys[0]!r} is not a string",
                               SourceLocation(rel, yaml_line))
    return Document(rel, meta, key_lines, body, body_line, digest,
                    tuple(yaml_text.split("\n")), tuple(warnings))
