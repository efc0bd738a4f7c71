"""A small, safe dotted-path syntax for picking values out of JSON documents.

    data.items            key "data", then key "items"
    fields.priority.name  nested keys
    reporter.0.name       "0" indexes a list (or is the key "0" of an object)
    reporter[0].name      the same, with an explicit index; [-1] is the last element
    labels[*].name        every element of a list: the result is a list
    meta["next.page"]     a key that contains dots or brackets
    ""                    the document itself

No evaluation, no filters, no recursion beyond what is written: a path is parsed once into
steps and applied with plain dict/list lookups, so a hostile document cannot make it do
anything but return a value or MISSING.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

MAX_PATH = 300
MAX_STEPS = 32


class PathError(ValueError):
    """A path that does not follow the syntax above; str() says where."""


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()

# A step is ("key", str) | ("index", int) | ("each", None) | ("key_or_index", str).
Step = tuple[str, Any]
_NAME = re.compile(r"[^.\[\]\"]+")
_INDEX = re.compile(r"\[(-?\d{1,9})\]")
_QUOTED = re.compile(r'\[("(?:[^"\\]|\\.)*")\]')


@dataclass(frozen=True, slots=True)
class JsonPath:
    """A parsed path; `get(document)` returns the value or MISSING."""

    text: str
    steps: tuple[Step, ...]

    def __str__(self) -> str:
        return self.text

    @property
    def is_simple(self) -> bool:
        """Only object keys (no index, no wildcard): usable to build a request body."""
        return bool(self.steps) and all(kind in ("key", "key_or_index")
                                        for kind, _ in self.steps)

    def get(self, document: Any) -> Any:
        return _walk(document, self.steps)

    def set(self, document: dict[str, Any], value: Any) -> None:
        """Put `value` at this (simple) path in `document`, creating objects on the way."""
        if not self.is_simple:
            raise PathError(f"{self.text!r}: only plain keys can be written")
        node = document
        for _, key in self.steps[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[self.steps[-1][1]] = value


def parse(text: str) -> JsonPath:
    """Parse a path; PathError says what is wrong and where."""
    if not isinstance(text, str):
        raise PathError("a path must be text")
    if len(text) > MAX_PATH:
        raise PathError(f"path is {len(text)} characters long (max {MAX_PATH})")
    steps: list[Step] = []
    pos = 0
    n = len(text)
    expect_segment = True  # at the start, or right after a dot
    while pos < n:
        ch = text[pos]
        if ch == ".":
            if expect_segment:
                raise PathError(f"{text!r}: empty segment at position {pos}")
            expect_segment = True
            pos += 1
            continue
        if ch == "[":
            if expect_segment and steps:
                raise PathError(f"{text!r}: '[' right after '.' at position {pos}")
            if text.startswith("[*]", pos):
                steps.append(("each", None))
                pos += 3
            elif m := _INDEX.match(text, pos):
                steps.append(("index", int(m.group(1))))
                pos = m.end()
            elif m := _QUOTED.match(text, pos):
                try:
                    steps.append(("key", json.loads(m.group(1))))
                except ValueError:
                    raise PathError(f"{text!r}: bad escape in the key at position {pos}") \
                        from None
                pos = m.end()
            else:
                raise PathError(f"{text!r}: expected [N], [*] or [\"key\"] at position {pos}")
            expect_segment = False
            continue
        if not expect_segment:
            raise PathError(f"{text!r}: expected '.' or '[' at position {pos}")
        m = _NAME.match(text, pos)
        if m is None:
            raise PathError(f"{text!r}: unexpected {ch!r} at position {pos}")
        name = m.group(0)
        is_int = name.lstrip("-").isdigit() and len(name) <= 10
        steps.append(("key_or_index", name) if is_int else ("key", name))
        pos = m.end()
        expect_segment = False
    if expect_segment and text:
        raise PathError(f"{text!r}: ends with '.'")
    if len(steps) > MAX_STEPS:
        raise PathError(f"{text!r}: more than {MAX_STEPS} steps")
    return JsonPath(text, tuple(steps))


def format_path(keys: list[str | int]) -> str:
    """The path text for a list of object keys (str) and list indexes (int)."""
    out: list[str] = []
    for key in keys:
        if isinstance(key, int):
            out.append(f"[{key}]")
        elif key and _NAME.fullmatch(key) and not key.lstrip("-").isdigit():
            out.append(("." if out else "") + key)
        else:
            out.append("[" + json.dumps(key, ensure_ascii=False) + "]")
    return "".join(out)


def _walk(node: Any, steps: tuple[Step, ...]) -> Any:
    for i, (kind, arg) in enumerate(steps):
        if kind == "each":
            if not isinstance(node, list):
                return MISSING
            rest = steps[i + 1:]
            found = [_walk(element, rest) for element in node]
            return [v for v in found if v is not MISSING]
        node = _step(node, kind, arg)
        if node is MISSING:
            return MISSING
    return node


def _step(node: Any, kind: str, arg: Any) -> Any:
    if isinstance(node, dict):
        if kind == "index":
            return MISSING
        return node.get(arg, MISSING)
    if isinstance(node, list) and kind in ("index", "key_or_index"):
        index = int(arg)
        if -len(node) <= index < len(node):
            return node[index]
    return MISSING
