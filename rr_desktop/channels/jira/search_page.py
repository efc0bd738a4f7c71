"""Splitting a search page into its issues without trusting its nesting depth (no
network)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import msgspec


class _Envelope(msgspec.Struct):
    issues: list[msgspec.Raw]
    nextPageToken: str | None = None
    isLast: bool | None = None


@dataclass(frozen=True, slots=True)
class SearchPage:
    """A search/jql response: raw issues, and the token of the next page (None: last)."""

    issues: list[bytes]
    next_token: str | None


_envelope = msgspec.json.Decoder(_Envelope)


def split_page(raw: bytes) -> SearchPage:
    """Split a search response into raw issues; ValueError if the page itself is broken.

    The fast path decodes with msgspec; a page too deeply nested for it (one hostile
    issue) is split by an iterative scanner so that only that issue is lost."""
    try:
        env = _envelope.decode(raw)
        issues = [bytes(i) for i in env.issues]
        token, last = env.nextPageToken, env.isLast
    except RecursionError:
        issues, token, last = _scan_page(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ValueError(str(exc)) from None
    return SearchPage(issues, None if last is True or not token else token)


_WS = b" \t\r\n"


def _skip_ws(buf: bytes, i: int) -> int:
    while i < len(buf) and buf[i] in _WS:
        i += 1
    return i


def _string_end(buf: bytes, i: int) -> int:
    i += 1
    while i < len(buf):
        c = buf[i]
        if c == 0x5C:  # backslash
            i += 2
            continue
        if c == 0x22:  # quote
            return i + 1
        i += 1
    raise ValueError("unterminated string")


def _value_end(buf: bytes, i: int) -> int:
    """Index just past the JSON value starting at i, found without recursion."""
    i = _skip_ws(buf, i)
    if i >= len(buf):
        raise ValueError("value expected")
    if buf[i] == 0x22:
        return _string_end(buf, i)
    if buf[i] in b"[{":
        depth = 0
        while i < len(buf):
            c = buf[i]
            if c == 0x22:
                i = _string_end(buf, i)
                continue
            if c in b"[{":
                depth += 1
            elif c in b"]}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise ValueError("unterminated array or object")
    j = i
    while j < len(buf) and buf[j] not in b",]}" and buf[j] not in _WS:
        j += 1
    return j


def _scan_page(buf: bytes) -> tuple[list[bytes], str | None, bool | None]:
    i = _skip_ws(buf, 0)
    if i >= len(buf) or buf[i] != 0x7B:
        raise ValueError("the page is not a JSON object")
    issues: list[bytes] | None = None
    token: Any = None
    last: Any = None
    i += 1
    while True:
        i = _skip_ws(buf, i)
        if i < len(buf) and buf[i] == 0x7D:
            break
        end = _string_end(buf, i) if i < len(buf) and buf[i] == 0x22 else -1
        if end < 0:
            raise ValueError("object key expected")
        key = json.loads(buf[i:end])
        i = _skip_ws(buf, end)
        if i >= len(buf) or buf[i] != 0x3A:
            raise ValueError("':' expected")
        start, i = i + 1, _value_end(buf, i + 1)
        if key == "issues":
            issues = _scan_array(buf, _skip_ws(buf, start), i)
        elif key in ("nextPageToken", "isLast"):
            try:
                value = json.loads(buf[start:i])
            except (ValueError, RecursionError):
                raise ValueError(f"{key} is not JSON") from None
            token, last = (value, last) if key == "nextPageToken" else (token, value)
        i = _skip_ws(buf, i)
        if i < len(buf) and buf[i] == 0x2C:
            i += 1
    if issues is None:
        raise ValueError("the page has no issues array")
    if not (token is None or isinstance(token, str)) or \
            not (last is None or isinstance(last, bool)):
        raise ValueError("nextPageToken or isLast has the wrong type")
    return issues, token, last


def _scan_array(buf: bytes, start: int, end: int) -> list[bytes]:
    if buf[start] != 0x5B:
        raise ValueError("issues is not an array")
    items, i = [], _skip_ws(buf, start + 1)
    while i < end - 1:
        j = _value_end(buf, i)
        if j <= i:
            raise ValueError("array item expected")
        items.append(buf[i:j].strip())
        i = _skip_ws(buf, j)
        if i < end - 1 and buf[i] == 0x2C:
            i = _skip_ws(buf, i + 1)
    return items
