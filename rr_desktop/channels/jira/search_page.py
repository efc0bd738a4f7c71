"""Jira wire details that need no network: timestamps, JQL text, the sync cursor, and
splitting a search page into its issues without trusting its nesting depth.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

import msgspec

MINUTE_MS = 60_000
SEEN_CAP = 5_000
_PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,99}")
_ORDER_BY = re.compile(r"(?i)\border\s+by\b")


def parse_time(value: Any, what: str) -> datetime:
    """Jira's `2024-05-01T10:05:51.199+0000` (or any ISO 8601 with an offset)."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(f"{what} is missing or not a timestamp")
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a timestamp") from None
    if dt.tzinfo is None:
        raise ValueError(f"{what} {value!r} has no time zone")
    if not 1970 <= dt.year <= 9000:
        raise ValueError(f"{what} {value!r} is out of range")
    return dt


def to_ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def floor_minute(ms: int) -> int:
    return ms - ms % MINUTE_MS


def jql_time(ms: int, tz: tzinfo) -> str:
    """A JQL date literal ("yyyy-MM-dd HH:mm", minute precision) that Jira reads in the
    time zone of the querying account: so it is written in that zone."""
    return datetime.fromtimestamp(floor_minute(ms) / 1000, tz).strftime("%Y-%m-%d %H:%M")


def parse_projects(text: str) -> tuple[str, ...]:
    """Comma-separated project keys ("LEGAL, PROD"); ValueError names a bad one."""
    keys = tuple(k.strip().upper() for k in text.split(",") if k.strip())
    for key in keys:
        if not _PROJECT_KEY.fullmatch(key):
            raise ValueError(f"{key!r} is not a Jira project key")
    return keys


def check_filter(jql: str) -> str:
    jql = jql.strip()
    if _ORDER_BY.search(jql):
        raise ValueError("the JQL filter may not have an ORDER BY clause")
    if len(jql) > 4000:
        raise ValueError("the JQL filter is too long")
    return jql


def build_jql(projects: tuple[str, ...], extra: str, since: str | None) -> str:
    clauses = []
    if projects:
        clauses.append("project in (" + ", ".join(f'"{p}"' for p in projects) + ")")
    if extra:
        clauses.append(f"({extra})")
    if since:
        clauses.append(f'updated >= "{since}"')
    return " AND ".join(clauses) + " ORDER BY updated ASC, key ASC"


@dataclass(slots=True)
class Cursor:
    """What the engine stores between pulls (as JSON, opaque to it).

    `hw`: the highest `updated` (epoch ms) seen; `seen`: issue id -> `updated` of the
    issues already emitted inside the re-read window, so the overlap re-read emits only
    what changed; `since`/`token`: the current pass (its JQL lower bound and the
    nextPageToken of its next page), or `in_pass` False between passes."""

    hw: int | None = None
    seen: dict[str, int] = field(default_factory=dict)
    in_pass: bool = False
    since: int | None = None
    token: str | None = None

    def encode(self) -> str:
        state: dict[str, Any] = {"v": 1, "hw": self.hw, "seen": self.seen}
        if self.in_pass:
            state["pass"] = {"since": self.since, "token": self.token}
        return json.dumps(state, separators=(",", ":"), sort_keys=True)

    @classmethod
    def decode(cls, text: str | None) -> Cursor:
        """ValueError for anything this module did not write."""
        if not text:
            return cls()
        try:
            state = json.loads(text)
        except (ValueError, RecursionError):
            raise ValueError("the cursor is not JSON") from None
        if not isinstance(state, dict) or state.get("v") != 1:
            raise ValueError("the cursor is not a Jira cursor")
        hw, seen, pas = state.get("hw"), state.get("seen"), state.get("pass")
        if not (hw is None or _is_int(hw)) or not isinstance(seen, dict) or \
                not all(isinstance(k, str) and _is_int(v) for k, v in seen.items()):
            raise ValueError("the cursor's high-water mark is damaged")
        cursor = cls(hw, dict(seen))
        if pas is not None:
            if not isinstance(pas, dict):
                raise ValueError("the cursor's pass is damaged")
            since, token = pas.get("since"), pas.get("token")
            if not (since is None or _is_int(since)) or \
                    not (token is None or isinstance(token, str)):
                raise ValueError("the cursor's pass is damaged")
            cursor.in_pass, cursor.since, cursor.token = True, since, token
        return cursor

    def note(self, issue_id: str, updated: int, limit: int | None = None) -> None:
        """Remember an emitted issue; the high-water mark never passes `limit` (the
        server's clock plus slack), so one issue stamped in the future cannot make every
        later pass start after real changes."""
        self.seen[issue_id] = updated
        if limit is None or updated <= limit:
            self.hw = updated if self.hw is None else max(self.hw, updated)

    def prune(self, window_ms: int) -> None:
        """Forget what the next pass (from floor_minute(hw - window)) cannot return."""
        if self.hw is None:
            return
        floor = floor_minute(self.hw - window_ms)
        kept = sorted(((v, k) for k, v in self.seen.items() if v >= floor), reverse=True)
        self.seen = {k: v for v, k in kept[:SEEN_CAP]}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
