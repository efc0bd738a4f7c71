"""The Matrix channel's sync cursor: where `/sync` resumes, which thread roots still have
to be (re)built, and which history gaps still have to be read with `/messages`.

Stored as JSON by the engine, in the same transaction as the page it belongs to, so a
crash or a homeserver restart never moves it past unsaved escalations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Gap:
    """History of `room` not seen yet: from token `start` backwards to token `stop` (the
    previous `since`), or, on the first sync, back to `after_ms` (server time)."""

    room: str
    start: str
    stop: str | None = None
    after_ms: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"room": self.room, "from": self.start, "to": self.stop,
                "after": self.after_ms}


@dataclass(slots=True)
class SyncCursor:
    """`user`: whose stream `since` is (a token of another account is useless); `rooms`:
    the watched room IDs it was made for; `todo`: (room, root event) pairs to build;
    `gaps`: history to backfill; `encrypted`: rooms already reported as encrypted."""

    user: str = ""
    rooms: tuple[str, ...] = ()
    since: str | None = None
    todo: list[tuple[str, str]] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    encrypted: list[str] = field(default_factory=list)

    def add(self, room: str, root: str) -> None:
        pair = (room, root)
        if pair not in self.todo:
            self.todo.append(pair)

    def encode(self) -> str:
        return json.dumps({
            "v": 1, "user": self.user, "rooms": list(self.rooms), "since": self.since,
            "todo": [list(p) for p in self.todo], "gaps": [g.to_json() for g in self.gaps],
            "encrypted": self.encrypted}, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def decode(cls, text: str | None) -> SyncCursor:
        """ValueError for anything this module did not write."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            raise ValueError("the cursor is not JSON") from None
        if not isinstance(data, dict) or data.get("v") != 1:
            raise ValueError("the cursor is not a Matrix cursor")
        try:
            cursor = cls(
                user=_str(data["user"]), rooms=tuple(_str(r) for r in data["rooms"]),
                since=None if data["since"] is None else _str(data["since"]),
                todo=[(_str(r), _str(e)) for r, e in data["todo"]],
                gaps=[Gap(_str(g["room"]), _str(g["from"]),
                          None if g["to"] is None else _str(g["to"]),
                          None if g["after"] is None else _int(g["after"]))
                      for g in data["gaps"]],
                encrypted=[_str(r) for r in data.get("encrypted", [])])
        except (KeyError, TypeError, ValueError):
            raise ValueError("the cursor is damaged") from None
        return cursor


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("not a number")
    return value
