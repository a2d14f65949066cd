"""Errors that carry a source location, formatted compiler-style."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where in the sources a problem comes from."""

    path: PurePosixPath  #: relative to the site root, as users see it
    line: int | None = None  #: 1-based
    column: int | None = None  #: 1-based

    def __str__(self) -> str:
        text = str(self.path)
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text


class ChronicleError(Exception):
    """A problem the user can fix; carries a location and a hint."""

    kind = "error"

    def __init__(self, message: str, location: SourceLocation | None = None,
                 hint: str | None = None, context: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint
        #: the offending source line, shown under the message with a caret
        self.context = context

    def format(self) -> str:
        """Render as `path:line: error: message` plus hint and source line."""
        return _format(self.kind, self.message, self.location, self.hint, self.context)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form for `check --format json` and the serve overlay."""
        loc = self.location
        return {
            "kind": type(self).__name__,
            "message": self.message,
            "file": str(loc.path) if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "hint": self.hint,
        }

    def sort_key(self) -> tuple[str, int, str]:
        loc = self.location
        return (str(loc.path) if loc else "", (loc.line or 0) if loc else 0, self.message)

    def __str__(self) -> str:
        return self.format()


def _format(kind: str, message: str, location: SourceLocation | None, hint: str | None,
            context: str | None = None) -> str:
    where = f"{location}: " if location else ""
    lines = [f"{where}{kind}: {message}"]
    if context is not None:
        lines.append(f"    {context}")
        if location and location.column:
            lines.append("    " + " " * (location.column - 1) + "^")
    if hint:
        lines.append(f"  hint: {hint}")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class ChronicleWarning:
    """Input the build repaired or ignored: reported with its location, never raised.

    A plain value (not an exception) so that it can be cached with the parsed source it
    belongs to and reported again by every build that uses that source.
    """

    message: str
    location: SourceLocation | None = None
    hint: str | None = None
    #: what kind of problem, as `chronicle check` names it (`unknown-key`, `ignored-file`...)
    code: str = "warning"

    def format(self) -> str:
        """Render as `path:line: warning: message` plus hint."""
        return _format("warning", self.message, self.location, self.hint)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form (the last build's record); from_dict() reads it back."""
        loc = self.location
        return {"message": self.message, "file": str(loc.path) if loc else None,
                "line": loc.line if loc else None, "hint": self.hint, "code": self.code}

    @classmethod
    def from_dict(cls, data: dict) -> "ChronicleWarning":  # type: ignore[type-arg]
        """Raises KeyError, TypeError or ValueError when `data` is not a to_dict() result."""
        where = SourceLocation(PurePosixPath(data["file"]), data["line"]) if data["file"] else None
        return cls(str(data["message"]), where, data["hint"], str(data["code"]))

    def sort_key(self) -> tuple[str, int, str]:
        loc = self.location
        return (str(loc.path) if loc else "", (loc.line or 0) if loc else 0, self.message)


class ConfigError(ChronicleError):
    """chronicle.toml is broken or has unknown keys or wrong types."""


class FrontMatterError(ChronicleError):
    """Front matter is not valid YAML or a field has a bad value."""


class ContentError(ChronicleError):
    """A source file cannot be used (encoding, structure, Markdown blocks)."""


class TemplateError(ChronicleError):
    """A Jinja template failed to compile or render."""


class RouteConflict(ChronicleError):
    """Two sources would be written to the same URL."""


class UnsafePathError(ChronicleError):
    """A slug, alias or file name would escape the output folder."""


class XrefError(ChronicleError):
    """A cross-reference names an entry that does not exist."""


class OutputError(ChronicleError):
    """The output folder (or the folder it lives in) cannot be written, or is in use."""


class BuildFailed(Exception):
    """One or more errors stopped the build; all are reported together."""

    def __init__(self, errors: list[ChronicleError] | tuple[ChronicleError, ...]) -> None:
        self.errors = tuple(sorted(errors, key=ChronicleError.sort_key))
        super().__init__(self.format())

    def format(self) -> str:
        body = "\n".join(e.format() for e in self.errors)
        return f"{body}\nbuild failed: {counted(len(self.errors), 'error')}"


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`1 entry`, `2 entries`, `0 pages`: a count with its noun in the right number."""
    if count == 1:
        return f"{count} {noun}"
    if plural is None:
        plural = noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"
    return f"{count} {plural}"


def raise_collected(errors: list[ChronicleError]) -> None:
    """Raise BuildFailed at a stage boundary when a stage collected errors."""
    if errors:
        raise BuildFailed(errors)
