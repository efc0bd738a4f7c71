"""The in-memory store behind the demo escalation service.

Every create or change takes the next server sequence number; the changes feed lists each
record once, at its latest sequence, in sequence order. The sequence log is an append-only
list of seqs plus a ``seq -> id`` map of the live ones, so a page is a bisect and a walk of
``limit`` live entries (stale entries are compacted away once they are the majority).

Versions: records loaded at start keep theirs (1 for generated data); every later change
sets ``version = max(previous + 1, now_ms)`` so that changes made after a restart of the
demo server are always newer than anything a client cached before it.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .wire import decode, encode, gc_paused, iso

_ESC_NUMBER = re.compile(r"ESC-(\d+)\Z")
_CURSOR = re.compile(r"([A-Za-z0-9_-]{1,64})\.(\d{1,18})\Z")
_COMPACT_MIN = 1024
_FROZEN_FIELDS = frozenset({"id", "version"})
NOTE_PREFIX = {"notes": "note", "replies": "reply"}
# Set with a status change, cleared by the next one that does not carry them.
_STATUS_CONTEXT = ("status_reason", "duplicate_of")


class NotFound(KeyError):
    """No escalation with that id."""


class VersionMismatch(Exception):
    """The caller's base version is not the current one; ``current`` is the record now."""

    def __init__(self, current: dict[str, Any]) -> None:
        super().__init__(f"current version is {current.get('version')}")
        self.current = current


class CursorMalformed(ValueError):
    """A cursor that this server could never have issued (HTTP 400)."""


class CursorExpired(ValueError):
    """A cursor of another server instance or ahead of this one (HTTP 410)."""


@dataclass(frozen=True, slots=True)
class FeedPage:
    """One page of the changes feed: encoded records and the seq of the last one."""

    items: list[bytes]
    last_seq: int
    has_more: bool


@dataclass(frozen=True, slots=True)
class AppliedOp:
    """One write the store applied (for tests asserting "applied exactly once")."""

    kind: str
    escalation_id: str
    seq: int
    detail: dict[str, Any] = field(default_factory=dict)


class EscalationStore:
    """Thread-safe records, changes feed, notes/replies and idempotency keys.

    Records handed to the constructor are owned by the store from then on. Callbacks given
    to :meth:`update` and :meth:`create` run under the store's lock and must not call it.
    """

    def __init__(self, records: Iterable[dict[str, Any]] = (), *, instance: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.instance = instance or secrets.token_hex(4)
        if not _CURSOR.match(f"{self.instance}.0"):
            raise ValueError(f"instance must be 1..64 of [A-Za-z0-9_-]: {self.instance!r}")
        self._clock = clock
        self._lock = threading.RLock()
        self._records: dict[str, dict[str, Any]] = {}
        self._encoded: dict[str, bytes] = {}
        self._order: list[str] = []
        self._seq_of: dict[str, int] = {}
        self._id_at: dict[int, str] = {}
        self._log: list[int] = []
        self._seq = 0
        self._stale = 0
        self._max_number = 0
        self._notes: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._note_counter: Counter[str] = Counter()
        self._idempotent: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._ops: list[AppliedOp] = []
        self._patches: Counter[str] = Counter()
        with gc_paused():
            self._load(list(records))

    # -- queries ---------------------------------------------------------------------------

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __contains__(self, escalation_id: object) -> bool:
        with self._lock:
            return escalation_id in self._records

    def now(self) -> float:
        """The store's clock (epoch seconds); server time in responses comes from it."""
        return self._clock()

    @property
    def max_seq(self) -> int:
        with self._lock:
            return self._seq

    def id_at(self, index: int) -> str:
        """The id of the ``index``-th record in creation order (for picking samples)."""
        with self._lock:
            return self._order[index]

    def get(self, escalation_id: str) -> dict[str, Any] | None:
        """A private copy of the record, or None."""
        with self._lock:
            if escalation_id not in self._records:
                return None
            return decode(self._bytes(escalation_id))  # type: ignore[no-any-return]

    def encoded(self, escalation_id: str) -> tuple[int, bytes] | None:
        """``(version, JSON bytes)`` of the record as served, or None."""
        with self._lock:
            rec = self._records.get(escalation_id)
            if rec is None:
                return None
            return int(rec["version"]), self._bytes(escalation_id)

    def cursor(self, seq: int) -> str:
        """The opaque cursor for "everything after ``seq``"."""
        return f"{self.instance}.{seq}"

    def parse_cursor(self, cursor: str | None) -> int:
        """The seq a cursor stands for (0 for none); raises CursorMalformed/CursorExpired."""
        if not cursor:
            return 0
        match = _CURSOR.match(cursor)
        if match is None:
            raise CursorMalformed("malformed cursor")
        if match.group(1) != self.instance:
            raise CursorExpired("the cursor belongs to another server instance")
        seq = int(match.group(2))
        if seq > self.max_seq:
            raise CursorExpired("the cursor is ahead of this server")
        return seq

    def page(self, after_seq: int, limit: int) -> FeedPage:
        """Up to ``limit`` records changed after ``after_seq``, each at its latest seq."""
        with self._lock:
            if after_seq > self._seq:
                raise CursorExpired("the cursor is ahead of this server")
            log, id_at = self._log, self._id_at
            i, end = bisect_right(log, after_seq), len(log)
            items: list[bytes] = []
            last = after_seq
            while i < end and len(items) < limit:
                seq = log[i]
                i += 1
                escalation_id = id_at.get(seq)
                if escalation_id is not None:
                    items.append(self._bytes(escalation_id))
                    last = seq
            # The newest log entry is always live, so anything after `last` is more to read.
            return FeedPage(items, last, bool(log) and log[-1] > last)

    def notes(self, escalation_id: str) -> list[dict[str, Any]]:
        return self._list("notes", escalation_id)

    def replies(self, escalation_id: str) -> list[dict[str, Any]]:
        return self._list("replies", escalation_id)

    def patch_count(self, escalation_id: str) -> int:
        """How many PATCHes were applied to the escalation."""
        with self._lock:
            return self._patches[escalation_id]

    def applied(self, escalation_id: str | None = None) -> list[AppliedOp]:
        """The log of applied writes, optionally for one escalation."""
        with self._lock:
            return [op for op in self._ops
                    if escalation_id is None or op.escalation_id == escalation_id]

    # -- changes ---------------------------------------------------------------------------

    def add(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Store a new record (a copy) as a server-side create; returns it as stored."""
        rec: dict[str, Any] = decode(encode(record))
        with self._lock:
            if rec.get("id") in self._records:
                raise ValueError(f"escalation {rec.get('id')!r} exists already")
            return self._add_locked(rec)

    def create(self, make: Callable[[int], Mapping[str, Any]]) -> dict[str, Any]:
        """Create ``make(n)`` where n is one above the highest ``ESC-<n>`` number so far."""
        with self._lock:
            rec: dict[str, Any] = decode(encode(make(self._max_number + 1)))
            if rec.get("id") in self._records:
                raise ValueError(f"escalation {rec.get('id')!r} exists already")
            return self._add_locked(rec)

    def mutate(self, escalation_id: str, **fields: Any) -> dict[str, Any]:
        """A server-side change of top-level fields (e.g. a concurrent edit in a test)."""
        return self.update(escalation_id, lambda _rec: fields)

    def update(self, escalation_id: str,
               change: Callable[[dict[str, Any]], Mapping[str, Any] | None]) -> dict[str, Any]:
        """Atomically apply ``change(copy_of_record)`` (fields to set); returns the result.
        When ``change`` returns None (it decided against a change, seeing the record as it
        is now), nothing changes: no new version, nothing in the feed."""
        with self._lock:
            if escalation_id not in self._records:
                raise NotFound(escalation_id)
            fields = change(decode(self._bytes(escalation_id)))
            if fields is None:
                return decode(self._bytes(escalation_id))  # type: ignore[no-any-return]
            return self._apply(escalation_id, fields, "mutate")

    def patch(self, escalation_id: str, base_version: int,
              fields: Mapping[str, Any]) -> dict[str, Any]:
        """Apply a client PATCH if ``base_version`` is current, else VersionMismatch."""
        with self._lock:
            rec = self._records.get(escalation_id)
            if rec is None:
                raise NotFound(escalation_id)
            if rec["version"] != base_version:
                raise VersionMismatch(decode(self._bytes(escalation_id)))
            duplicate_of = fields.get("duplicate_of")
            if duplicate_of is not None and (duplicate_of not in self._records
                                             or duplicate_of == escalation_id):
                raise NotFound(str(duplicate_of))
            if "status" in fields:  # a status change carries its own reason, or none
                fields = {**{k: None for k in _STATUS_CONTEXT}, **fields}
            self._patches[escalation_id] += 1
            return self._apply(escalation_id, fields, "patch")

    def add_fact(self, escalation_id: str, text: str, author: str,
                 idempotency_key: str | None = None) -> tuple[dict[str, Any], bool]:
        """Append an evolving fact to the record (a change: new version, in the feed);
        ``(record, created)``. A repeated key returns the record and changes nothing."""
        with self._lock:
            if escalation_id not in self._records:
                raise NotFound(escalation_id)
            key = (escalation_id, "facts", idempotency_key) if idempotency_key else None
            if key is not None and key in self._idempotent:
                return decode(self._bytes(escalation_id)), False
            now = iso(int(self._clock()))
            facts = [*self._records[escalation_id].get("facts", []),
                     {"at": now, "text": text, "author": author}]
            record = self._apply(escalation_id, {"facts": facts}, "fact")
            if key is not None:
                self._idempotent[key] = {"version": record["version"]}
            return record, True

    def history(self, escalation_id: str) -> list[dict[str, Any]]:
        """Every change applied to the escalation since the service started, oldest first:
        what a client's writes did, for anyone to check (exactly once, nothing lost)."""
        with self._lock:
            if escalation_id not in self._records:
                raise NotFound(escalation_id)
            return [{"seq": op.seq, "kind": op.kind, "detail": op.detail}
                    for op in self._ops if op.escalation_id == escalation_id]

    def add_note(self, escalation_id: str, kind: str, text: str, author: str,
                 idempotency_key: str | None = None) -> tuple[dict[str, Any], bool]:
        """Post a note or reply; ``(response, created)``. A repeated key returns the first
        response and stores nothing."""
        prefix = NOTE_PREFIX[kind]
        with self._lock:
            if escalation_id not in self._records:
                raise NotFound(escalation_id)
            key = (escalation_id, kind, idempotency_key) if idempotency_key else None
            if key is not None and key in self._idempotent:
                return dict(self._idempotent[key]), False
            self._note_counter[kind] += 1
            note = {"id": f"{prefix}-{self._note_counter[kind]}",
                    "escalation_id": escalation_id, "text": text, "author": author,
                    "created_at": iso(int(self._clock()))}
            self._notes.setdefault((escalation_id, kind), []).append(note)
            if key is not None:
                self._idempotent[key] = note
            self._ops.append(AppliedOp(prefix, escalation_id, self._seq, {"id": note["id"]}))
            return dict(note), True

    # -- internals (lock held) -------------------------------------------------------------

    def _list(self, kind: str, escalation_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(n) for n in self._notes.get((escalation_id, kind), [])]

    def _bytes(self, escalation_id: str) -> bytes:
        data = self._encoded.get(escalation_id)
        if data is None:
            data = self._encoded[escalation_id] = encode(self._records[escalation_id])
        return data

    def _load(self, records: list[dict[str, Any]]) -> None:
        """Bulk version of :meth:`_insert` for the initial records (100k in a blink)."""
        # The initial feed is ordered like a real one: by last change, then id.
        ordered = sorted(records, key=lambda r: (str(r.get("updated_at", "")), str(r["id"])))
        ids = [str(r["id"]) for r in ordered]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate ids in the initial records")
        seqs = list(range(1, len(ids) + 1))
        self._records = dict(zip(ids, ordered, strict=True))
        self._order = [str(r["id"]) for r in records]
        self._log = seqs
        self._id_at = dict(zip(seqs, ids, strict=True))
        self._seq_of = dict(zip(ids, seqs, strict=True))
        self._seq = len(ids)
        numbers = (m.group(1) for m in map(_ESC_NUMBER.match, ids) if m)
        self._max_number = max(map(int, numbers), default=0)

    def _insert(self, rec: dict[str, Any]) -> None:
        escalation_id = str(rec["id"])
        self._records[escalation_id] = rec
        self._order.append(escalation_id)
        match = _ESC_NUMBER.match(escalation_id)
        if match:
            self._max_number = max(self._max_number, int(match.group(1)))
        self._bump(escalation_id)

    def _add_locked(self, rec: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(rec.get("id"), str) or not rec["id"]:
            raise ValueError("a record needs a non-empty string id")
        now = self._clock()
        rec["version"] = max(int(rec.get("version") or 1), int(now * 1000))
        rec.setdefault("created_at", iso(int(now)))
        rec.setdefault("updated_at", rec["created_at"])
        self._insert(rec)
        self._ops.append(AppliedOp("add", rec["id"], self._seq))
        return decode(self._bytes(rec["id"]))  # type: ignore[no-any-return]

    def _apply(self, escalation_id: str, fields: Mapping[str, Any], kind: str
               ) -> dict[str, Any]:
        frozen = _FROZEN_FIELDS & set(fields)
        if frozen:
            raise ValueError(f"cannot change {sorted(frozen)}")
        rec = self._records[escalation_id]
        now = self._clock()
        rec.update(decode(encode(dict(fields))))  # a deep copy: no aliasing with callers
        rec["version"] = max(int(rec["version"]) + 1, int(now * 1000))
        if "updated_at" not in fields:
            rec["updated_at"] = iso(int(now))
        self._encoded.pop(escalation_id, None)
        self._bump(escalation_id)
        self._ops.append(AppliedOp(kind, escalation_id, self._seq, dict(fields)))
        return decode(self._bytes(escalation_id))  # type: ignore[no-any-return]

    def _bump(self, escalation_id: str) -> None:
        self._seq += 1
        old = self._seq_of.get(escalation_id)
        if old is not None:
            del self._id_at[old]
            self._stale += 1
        self._seq_of[escalation_id] = self._seq
        self._id_at[self._seq] = escalation_id
        self._log.append(self._seq)
        if self._stale > _COMPACT_MIN and self._stale * 2 > len(self._log):
            self._log = [s for s in self._log if s in self._id_at]
            self._stale = 0
