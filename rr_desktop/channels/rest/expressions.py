"""The paths of a REST mapping file, by its schema_version.

schema_version 1 files use the dotted-path subset of `jsonpath.py` (kept as it is, so
every file written for it reads the same forever); schema_version 2 files use JMESPath
(jmespath.org: a published specification with a compliance suite, implemented by the
`jmespath` package), which adds filters, functions and multi-selects, e.g.

    messages[0].id                        the first message's id
    comments[?internal == `false`]        only the public comments
    data."@links".next[0].uri             a key that is not an identifier: quoted
    join(', ', labels[*].name)            one text from a list

See docs/decisions/rest-mapping-expressions.md for the choice. Both kinds answer the
same small interface (`Path`): `get(document)` returns the value or MISSING, never raises
on any document; `set` writes through a path of plain keys (write-back bodies). The
empty path is the document itself in both versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from jmespath import exceptions as jmespath_errors
from jmespath.parser import ParsedResult, Parser

from . import jsonpath
from .jsonpath import MISSING, PathError

MAX_EXPRESSION = 1_000
_parser = Parser()


class Path(Protocol):
    """A compiled path of either version."""

    @property
    def text(self) -> str: ...

    @property
    def is_simple(self) -> bool: ...

    def get(self, document: Any) -> Any: ...

    def set(self, document: dict[str, Any], value: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class JmesPath:
    """A JMESPath expression; null and absent are both MISSING."""

    text: str
    parsed: ParsedResult | None  # None: the document itself
    keys: tuple[str, ...] | None  # the keys when the expression is a plain key path

    @property
    def is_simple(self) -> bool:
        return bool(self.keys)

    def get(self, document: Any) -> Any:
        if self.parsed is None:
            return document
        try:
            value = self.parsed.search(document)
        except (jmespath_errors.JMESPathError, RecursionError, TypeError, ValueError):
            return MISSING  # e.g. a function given the wrong type by a hostile record
        return MISSING if value is None else value

    def set(self, document: dict[str, Any], value: Any) -> None:
        if not self.keys:
            raise PathError(f"{self.text!r}: only plain keys can be written")
        node = document
        for key in self.keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[self.keys[-1]] = value


def _plain_keys(node: Mapping[str, Any]) -> tuple[str, ...] | None:
    if node.get("type") == "field":
        return (str(node["value"]),)
    if node.get("type") == "subexpression":
        out: list[str] = []
        for child in node.get("children", []):
            keys = _plain_keys(child)
            if keys is None:
                return None
            out += keys
        return tuple(out)
    return None


def compile_path(text: str, version: int) -> Path:
    """A path of a schema_version `version` file; PathError says what is wrong."""
    if version <= 1:
        return jsonpath.parse(text)
    if not isinstance(text, str):
        raise PathError("a path must be text")
    if len(text) > MAX_EXPRESSION:
        raise PathError(f"expression is {len(text)} characters long (max {MAX_EXPRESSION})")
    if not text.strip() or text.strip() == "@":
        return JmesPath(text, None, None)
    try:
        parsed = _parser.parse(text)
    except jmespath_errors.JMESPathError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PathError(f"{text!r} is not a JMESPath expression ({first})") from None
    return JmesPath(text, parsed, _plain_keys(parsed.parsed))


__all__ = ["MISSING", "JmesPath", "Path", "PathError", "compile_path"]
