"""The sync cursor: the high-water mark of `updated`, the issues already emitted inside
the re-read window, and the pass in progress (JSON, opaque to the engine)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .jql import floor_minute

SEEN_CAP = 5_000


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
