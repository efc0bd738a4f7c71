"""The contract every channel implements (see shared/design/SYNC.md).

A channel encodes one API's documented contract and nothing else: no DB, no threads.
The sync engine calls `pull(cursor)` page by page and `push(mutation)` per outbox op.
Errors are raised as the exceptions below so the engine can decide what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ..domain import Analyst, Escalation
from ..domain.push import Push

RAW_CAP = 64 * 1024  # bytes of a bad record's payload kept in quarantine


@dataclass(frozen=True, slots=True)
class Incoming:
    """A validated record with the hash of the payload it came from; `raw`, when the
    channel keeps it, is that payload (quarantined with the record if the cache cannot
    store it, see store/ingest.py)."""

    record: Escalation
    payload_hash: str
    raw: bytes | str | None = None


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record that failed validation: kept with its reason and a capped raw copy."""

    external_id: str | None
    reason: str
    raw: str

    @classmethod
    def of(cls, external_id: str | None, reason: str, raw: str) -> Quarantined:
        if len(raw) > RAW_CAP:
            raw = raw[:RAW_CAP] + f"\n[... truncated, {len(raw)} characters in all]"
        return cls(external_id, reason, raw)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a channel's changes feed.

    `problem`: a sentence for the user about the feed as a whole that is not an error
    of the run (every row of an imported file rejected): the engine puts it in the run's
    summary and keeps it as the channel's last error until a run without one."""

    items: list[Incoming]
    quarantined: list[Quarantined]
    next_cursor: str | None
    done: bool
    remote_time: datetime | None = None
    scope: str = "default"
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Mutation:
    """One outbox op as the channel sees it.

    op_type "update": `payload` holds field -> new value (status, assignee, severity,
    urgency, tags) and `context` what goes with them (`status_reason`, `duplicate_of`:
    the external id of the escalation duplicated); "note" / "fact" / "reply": `payload`
    holds text and author. `base_version` is the remote version the analyst saw; `op_id`
    is the idempotency key.
    """

    op_id: str
    op_type: str
    external_id: str
    payload: dict[str, Any]
    base_version: int
    base: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PushResult:
    """What the server holds after a successful push (for echo suppression)."""

    remote_version: int | None
    record: Incoming | None = None


class ChannelError(Exception):
    """Base of everything a channel raises; `str()` is one clear sentence for the user.

    `ambiguous` is True when a write may have been applied although no usable answer came
    back (the connection broke mid-answer, the answer was too slow or too large): its
    outcome is unknown and must be settled by reading the record back or replaying with
    the same idempotency key, never by giving up on it.
    """

    retryable = False
    ambiguous = False


class AuthError(ChannelError):
    """Credentials refused (401/403): the user must fix them; retrying will not help."""


class NetworkError(ChannelError):
    """Host unreachable, connection dropped, timeout: retry with backoff.

    `ambiguous` is True when the request may have been applied (response lost).
    """

    retryable = True

    def __init__(self, message: str, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.ambiguous = ambiguous


class ServerError(ChannelError):
    """5xx or an unusable response: retry with backoff."""

    retryable = True


class TooSlow(NetworkError):
    """The answer did not arrive in full within its deadline (or the run's): the server
    sends too slowly. Not retried within the run."""

    retryable = False


class TooLarge(ChannelError):
    """The answer is larger than the size cap (measured after decompression)."""

    def __init__(self, message: str, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.ambiguous = ambiguous


class RateLimited(ChannelError):
    """429 (or a documented limit reached): wait `retry_after` seconds; not a failure."""

    retryable = True

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CursorExpired(ChannelError):
    """The cursor is no longer valid (410, expired token, UIDVALIDITY change): resync."""


class VersionConflict(ChannelError):
    """A conditional write found a newer version on the server; `current` is its record."""

    def __init__(self, message: str, current: Incoming) -> None:
        super().__init__(message)
        self.current = current


class Rejected(ChannelError):
    """A non-retryable 4xx for this op: it goes to the dead-letter state."""


class ChannelClient(Protocol):
    """What the sync engine needs from a channel. `pushes`: what its source receives
    of local changes (domain/push.py; empty: a source with no write API, whose triage
    lives in the cache and survives the source's own edits)."""

    name: str

    @property
    def pushes(self) -> frozenset[Push]: ...

    def pull(self, cursor: str | None) -> Page: ...

    def push(self, mutation: Mutation) -> PushResult: ...

    def fetch(self, external_id: str) -> Incoming: ...

    def analysts(self) -> list[Analyst]: ...
