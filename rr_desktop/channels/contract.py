"""The contract every channel implements, in one place (docs/sync.md, "The contract of
every channel"; docs/adding-a-channel.md).

A channel encodes one API's documented contract and nothing else: no DB, no threads.
The sync engine calls `pull(cursor)` page by page and `push(mutation)` per outbox op.

- `ChannelClient`: what every client has. The records it hands over, `Incoming` and
  `Quarantined`, are domain records (rr_desktop/domain/incoming.py): the store takes
  them without importing any channel.
- Optional abilities are small protocols a client has or has not (`Closable`,
  `ConnectionTest`, `MailboxWatch`, `OrderedCursors`, `IncidentLog`), tested with
  `isinstance`.
- Errors are raised as the `ChannelError` kinds below so the engine can decide what to
  do; an error that carries a bad payload (`MalformedPage`, a refused feed) sets
  `quarantined` and the engine keeps it in quarantine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from ..domain import Analyst, Escalation, Incoming, Quarantined
from ..domain.push import Push


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
    quarantined: Quarantined | None = None  # a payload to keep in quarantine, if any


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


class MalformedPage(ServerError):
    """A page (or a whole answer) that is unusable as such: not JSON, not the shape the
    API documents. Its raw text is kept in quarantine, the read is retried and the cursor
    does not move."""

    def __init__(self, message: str, quarantined: Quarantined) -> None:
        super().__init__(message)
        self.quarantined = quarantined


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


@runtime_checkable
class Closable(Protocol):
    """A client that holds connections or files: `close()` releases them. Called when
    the app shuts, after a connection test, and on a client replaced while it runs."""

    def close(self) -> None: ...


@runtime_checkable
class ConnectionTest(Protocol):
    """A client that can test its settings against the source before they are saved:
    `check()` raises a ChannelError whose message is the verdict (auth failed,
    unreachable, TLS, wrong URL). Without it a channel is first tried at its first sync."""

    def check(self) -> None: ...


@runtime_checkable
class MailboxWatch(Protocol):
    """A client that can wait for its source to report new items (IMAP IDLE, the team
    hub's changes feed):
    `idle_wait(timeout)` blocks up to `timeout` seconds and says whether something came."""

    def idle_wait(self, timeout_s: float) -> bool: ...


@runtime_checkable
class NamesDesktop(Protocol):
    """A client that tells its server which desktop is calling (the team hub records it
    with each write): `name_desktop(id)` is called once, before its first request."""

    def name_desktop(self, desktop_id: str) -> None: ...


@runtime_checkable
class OrderedCursors(Protocol):
    """A client whose cursors have an order it can tell: `cursor_position` is where a
    cursor points in the source's change sequence (None: it cannot tell), so the engine
    notices a cursor that goes backwards."""

    def cursor_position(self, cursor: str) -> int | None: ...


@dataclass(frozen=True, slots=True)
class IncidentPage:
    """Incident events after a cursor (docs/incidents.md): `events` in the service's
    order, each with its `seq`; `next` the cursor to ask from next (the one asked for when
    the page is empty); `has_more`: more events follow; `malformed` one sentence per event
    that could not be read, naming its uid (kept out, the page goes on)."""

    events: list[dict[str, Any]]
    next: int
    has_more: bool
    malformed: list[str] = field(default_factory=list)


@runtime_checkable
class IncidentLog(Protocol):
    """A client that carries the team's incident logs (the rr_api service):
    `push_incident_event` stores one event (without `seq`) and returns it with its `seq`;
    the event's `uid` is the idempotency key, so a repeated uid returns the stored one and
    a retry after an ambiguous failure is safe. Refusals (a malformed event, an unknown
    kind, an incident never declared, a uid reused with another body) raise Rejected with
    the service's sentence; network trouble, 5xx and 429 the usual ChannelError kinds.
    `pull_incident_events` reads the events after a `seq`: a page unusable as a whole
    raises MalformedPage, a cursor the service no longer knows raises CursorExpired."""

    def push_incident_event(self, event: Mapping[str, Any]) -> dict[str, Any]: ...

    def pull_incident_events(self, after: int, limit: int) -> IncidentPage: ...


class PostmortemChanged(ChannelError):
    """A post-mortem write found another version on the service (412); `current` is the
    service's copy (docs/postmortems.md)."""

    def __init__(self, message: str, current: dict[str, Any]) -> None:
        super().__init__(message)
        self.current = current


@dataclass(frozen=True, slots=True)
class PostmortemPage:
    """Post-mortems changed on the service after a cursor, each whole with its `seq` and
    `version`; `malformed` one sentence per entry that could not be read."""

    postmortems: list[dict[str, Any]]
    next: int
    has_more: bool
    malformed: list[str] = field(default_factory=list)


@runtime_checkable
class PostmortemStore(Protocol):
    """A client that keeps the team's post-mortems (the rr_api service):
    `put_postmortem` stores one conditionally on `if_match` (None: create) and returns the
    stored copy with its new `version`; PostmortemChanged on a 412, Rejected on a refusal.
    `pull_postmortems` reads those changed after a `seq`."""

    def put_postmortem(self, uid: str, body: Mapping[str, Any],
                       if_match: int | None) -> dict[str, Any]: ...

    def pull_postmortems(self, after: int, limit: int) -> PostmortemPage: ...


def wire_value(record: Escalation, field: str) -> Any:
    """A record's editable field in the form `Mutation.payload` holds it ("triaged",
    "S1", "U2", [tags], an assignee id); KeyError for a field that is not editable."""
    if field == "status":
        return record.status.value
    if field == "severity":
        return record.severity.name
    if field == "urgency":
        return record.urgency.name
    if field == "tags":
        return list(record.tags)
    if field == "assignee":
        return record.assignee
    raise KeyError(field)


class TeamPlaybookChanged(ChannelError):
    """A team playbook write found another version on the hub (412); `current` is the
    hub's file now, None when it has none (docs/playbooks.md, "Team playbooks")."""

    def __init__(self, message: str, current: dict[str, Any] | None) -> None:
        super().__init__(message)
        self.current = current


@dataclass(frozen=True, slots=True)
class TeamPlaybookSet:
    """The team hub's playbook files: `files` as {name, version, updated_by, updated_at,
    text}; `unchanged` when the hub said nothing changed since `tag` (then `files` is
    empty); `malformed` one sentence per entry that could not be read, `unread` the
    names of those (a copy written earlier is kept)."""

    files: tuple[dict[str, Any], ...]
    tag: str | None
    unchanged: bool = False
    malformed: tuple[str, ...] = ()
    unread: tuple[str, ...] = ()


@runtime_checkable
class TeamPlaybooks(Protocol):
    """A client of a team hub that keeps the team's playbooks: `pull_playbooks` reads
    them (None: the server keeps none, like the reference service), `put_playbook` and
    `delete_playbook` are a lead's edits (TeamPlaybookChanged on a 412, Rejected on a
    refusal: 403 for an analyst, 422 for a file that fails the checks)."""

    def pull_playbooks(self, known_tag: str | None = None) -> TeamPlaybookSet | None: ...

    def put_playbook(self, name: str, text: str, if_match: int | None) -> dict[str, Any]: ...

    def delete_playbook(self, name: str, if_match: int | None = None) -> None: ...
