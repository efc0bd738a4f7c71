"""Zendesk's answers as this channel reads them (the export page, comments, users, ticket
fields, the signed-in user) and the export's request budget (no I/O)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from .records import Comment, User

EXPORT_WINDOW_S = 60.0


class ExportPage(msgspec.Struct):
    """Incremental Ticket Export, Cursor Based: `tickets`, `after_cursor`, `end_of_stream`
    (plus the `users` sideload)."""

    tickets: list[msgspec.Raw]
    end_of_stream: bool
    after_cursor: str | None = None
    users: list[msgspec.Raw] = []


class _Meta(msgspec.Struct):
    has_more: bool = False
    after_cursor: str | None = None


class CommentsPage(msgspec.Struct):
    """List Comments with cursor pagination and the `users` sideload."""

    comments: list[Comment]
    meta: _Meta = msgspec.field(default_factory=_Meta)
    users: list[User] = []


class UsersPage(msgspec.Struct):
    """List Users with cursor pagination."""

    users: list[User]
    meta: _Meta = msgspec.field(default_factory=_Meta)


class _TicketField(msgspec.Struct):
    id: int


class TicketFieldsPage(msgspec.Struct):
    """List Ticket Fields (offset pagination: `next_page` is the next page's URL)."""

    ticket_fields: list[_TicketField]
    next_page: str | None = None


class TicketResponse(msgspec.Struct):
    """Show Ticket / Update Ticket: `ticket` (+ the `users` sideload)."""

    ticket: msgspec.Raw
    users: list[msgspec.Raw] = []


class Me(msgspec.Struct):
    """Show the Currently Authenticated User (an anonymous user has no id)."""

    id: int | None = None
    role: str | None = None
    email: str | None = None


class MeResponse(msgspec.Struct):
    user: Me


@dataclass
class Thread:
    """A ticket's latest comments, oldest first, with the users they name."""

    comments: list[Comment] = field(default_factory=list)
    skip_first: bool = False
    raw: bytes = b""
    users: dict[int, User] = field(default_factory=dict)


@dataclass
class Memo:
    """An export page whose comments are being fetched: a 429 on the comments does not
    spend another export request when the engine retries the same cursor."""

    key: str
    page: ExportPage
    remote_time: datetime | None
    at: float
    threads: dict[int, Thread] = field(default_factory=dict)


def norm_text(text: str) -> str:
    return " ".join(text.split())


def as_text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def raw_id(raw: bytes) -> str | None:
    """The id of a record that failed validation, if it has a usable one."""
    try:
        value = msgspec.json.decode(raw, type=dict[str, Any]).get("id")
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return str(value)[:40] if isinstance(value, int | str) and value != "" else None


def lenient_users(raws: list[msgspec.Raw]) -> dict[int, User]:
    """Sideloaded users by id; a malformed one is skipped (it only names people)."""
    out: dict[int, User] = {}
    for raw in raws:
        try:
            user = msgspec.json.decode(raw, type=User)
        except (msgspec.DecodeError, msgspec.ValidationError):
            continue
        out[user.id] = user
    return out


class ExportBudget:
    """The export endpoints allow `per_minute` requests a minute (10, or 30 with the High
    Volume add-on). We count our own requests in a sliding minute and wait before the
    server would answer 429, so the budget is never burnt on refusals."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = max(per_minute, 1)
        self._clock = clock
        self._sent: deque[float] = deque()

    def take(self) -> float:
        """0 and the request is counted, or the seconds to wait before one may go."""
        now = self._clock()
        while self._sent and now - self._sent[0] >= EXPORT_WINDOW_S:
            self._sent.popleft()
        if len(self._sent) >= self.per_minute:
            return max(EXPORT_WINDOW_S - (now - self._sent[0]), 0.001)
        self._sent.append(now)
        return 0.0
