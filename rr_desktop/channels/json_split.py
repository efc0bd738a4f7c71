"""Splitting a JSON page into its records without decoding them, so one bad record cannot
make its whole page malformed.

A page decoder (msgspec, json) fails the whole page for what is wrong inside one record:
a lone `\\ud800` escape, bytes that are not UTF-8, a record nested 200,000 deep. When that
happens a channel can call `split_items` to find each record's bytes by their brackets
alone (iteratively: no recursion, whatever the depth) and validate each on its own; the
rest of the page (cursor, flags) is decoded from the page with the list emptied.

A UTF-8 byte order mark before the page is dropped (RFC 8259 section 8.1 lets a parser
ignore one); `strip_bom` is for the channels' fast path too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

BOM = b"\xef\xbb\xbf"
_WS = b" \t\r\n"
_STRUCTURE = re.compile(rb'["\[\]{}]')
_STRING_END = re.compile(rb'["\\]')
_SCALAR_END = re.compile(rb"[,}\]\s]")


class NotSplittable(ValueError):
    """The page's own structure is broken (not just a record in it)."""


@dataclass(frozen=True, slots=True)
class SplitPage:
    """`envelope`: the page with the list replaced by `[]`; `items`: each element's bytes."""

    envelope: bytes
    items: list[bytes]


def strip_bom(body: bytes) -> bytes:
    return body[len(BOM):] if body.startswith(BOM) else body


def split_items(body: bytes, key: str = "items") -> SplitPage:
    """Find the list at top-level `key` of the JSON object `body` and split it into its
    elements' bytes. Raises NotSplittable when the object itself cannot be walked."""
    body = strip_bom(body)
    i = _skip_ws(body, 0)
    if body[i:i + 1] != b"{":
        raise NotSplittable("the page is not a JSON object")
    i = _skip_ws(body, i + 1)
    while i < len(body) and body[i:i + 1] != b"}":
        if body[i:i + 1] != b'"':
            raise NotSplittable(f"expected a member name at byte {i}")
        name_end = _string_end(body, i)
        try:
            name = json.loads(body[i:name_end].decode("utf-8", "replace"))
        except ValueError:
            name = None
        i = _skip_ws(body, name_end)
        if body[i:i + 1] != b":":
            raise NotSplittable(f"expected ':' at byte {i}")
        start = _skip_ws(body, i + 1)
        end = _value_end(body, start)
        if name == key and body[start:start + 1] == b"[":
            return SplitPage(body[:start] + b"[]" + body[end:], _elements(body, start, end))
        i = _skip_ws(body, end)
        if body[i:i + 1] == b",":
            i = _skip_ws(body, i + 1)
    raise NotSplittable(f"the page has no {key!r} list")


def _elements(body: bytes, start: int, end: int) -> list[bytes]:
    out: list[bytes] = []
    i = _skip_ws(body, start + 1)
    while i < end - 1:
        value_end = _value_end(body, i)
        out.append(body[i:value_end])
        i = _skip_ws(body, value_end)
        if body[i:i + 1] == b",":
            i = _skip_ws(body, i + 1)
        elif i < end - 1:
            raise NotSplittable(f"expected ',' at byte {i}")
    return out


def _skip_ws(body: bytes, i: int) -> int:
    while i < len(body) and body[i] in _WS:
        i += 1
    return i


def _string_end(body: bytes, i: int) -> int:
    """Index just past the string starting at `i` (a '"')."""
    pos = i + 1
    while True:
        m = _STRING_END.search(body, pos)
        if m is None:
            raise NotSplittable(f"unterminated string at byte {i}")
        if m.group() == b'"':
            return m.end()
        pos = m.end() + 1  # skip the escaped character


def _value_end(body: bytes, i: int) -> int:
    """Index just past the value starting at `i`, counting brackets (no recursion)."""
    first = body[i:i + 1]
    if first == b'"':
        return _string_end(body, i)
    if first not in (b"{", b"["):
        m = _SCALAR_END.search(body, i)
        end = m.start() if m else len(body)
        if end == i:
            raise NotSplittable(f"expected a value at byte {i}")
        return end
    depth = 0
    pos = i
    while True:
        m = _STRUCTURE.search(body, pos)
        if m is None:
            raise NotSplittable(f"unclosed {first.decode()} at byte {i}")
        char = m.group()
        if char == b'"':
            pos = _string_end(body, m.start())
            continue
        depth += 1 if char in (b"{", b"[") else -1
        pos = m.end()
        if depth == 0:
            return pos
