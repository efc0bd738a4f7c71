"""A desktop's change of a source-backed escalation, queued in the intake cache's outbox
through the cache's own action API, and settled once the source answered (docs/hub.md,
"Channel sync on the hub").

Queueing uses what the desktop's triage actions use (store/outbox.py: record_local_update,
record_message): the optimistic edit, the outbox op with the source's version as its
base, the timeline event and the audit entry, in one transaction of the intake cache.
The same transaction writes two `store_meta` rows:

- `hub.request:<escalation>/<kind>/<key>` -> op id: the desktop's request (its
  Idempotency-Key, or for a PATCH its If-Match and fields). A retried request finds its op
  instead of queueing another: one op per request, and the engine sends each op exactly
  once by its op id (docs/sync.md).
- `hub.op:<op id>` -> who asked and for what, until the op settles. `waiting` is true while
  the request waits for the answer; once it stopped waiting (202), the intake settles it
  after a run (Intake.settle_waiting) and says what became of it.

A change the source refused or met with a conflict is withdrawn from the cache (the
conflict kept "theirs", the fields set back to the source's values), so the cache holds
the source's state again and the hub copies that.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..store.conflicts import resolve_conflict
from ..store.local_edits import EDITABLE_FIELDS, apply_fields
from ..store.outbox import NotReceived, audit, record_local_update, record_message

REQUEST = "hub.request:"
OP = "hub.op:"
ACTOR = "hub-sync"
_CONTEXT = ("status_reason", "duplicate_of")


@dataclass(frozen=True)
class Queued:
    """An op in the intake outbox for a desktop's change (op_id None: the source does not
    receive this change, it was applied in the cache only)."""

    op_id: str | None
    escalation_id: int


class NotQueued(Exception):
    """The change cannot go to the source; str() is the sentence for the desktop."""


class Behind(Exception):
    """The desktop edited a version of the source older than the intake holds: the
    source changed meanwhile (the hub had not copied it yet)."""

    def __init__(self, escalation_id: int) -> None:
        super().__init__(escalation_id)
        self.escalation_id = escalation_id


def queue(db: sqlite3.Connection, channel_id: int, external_id: str, api_id: str,
          kind: str, payload: Mapping[str, Any], key: str | None, analyst: str,
          desktop: str | None, now: datetime, seen_version: int | None = None) -> Queued:
    """Queue one change in the caller's intake write transaction. `seen_version`: the
    source's version the desktop edited; the cache holding a newer one raises Behind."""
    row = db.execute("SELECT id, remote_version FROM escalation WHERE channel_id = ? AND "
                     "external_id = ?", (channel_id, external_id)).fetchone()
    if row is None:
        raise NotQueued(f"{api_id} is no longer in the hub's copy of its source.")
    esc_id = int(row[0])
    request = f"{REQUEST}{api_id}/{kind}/{key}" if key else None
    if request is not None:
        found = db.execute("SELECT value FROM store_meta WHERE key = ?",
                           (request,)).fetchone()
        if found is not None:
            return Queued(found[0] or None, esc_id)
    if kind == "update":
        if seen_version is not None and int(row[1]) != seen_version:
            raise Behind(esc_id)
        op_id = _queue_update(db, channel_id, esc_id, payload, analyst, now)
    else:
        try:
            _, op_id = record_message(db, esc_id, kind, str(payload["text"]),
                                      str(payload["author"]), now)
        except NotReceived as exc:
            raise NotQueued(str(exc)) from None
    if request is not None:
        db.execute("INSERT INTO store_meta (key, value) VALUES (?, ?)", (request, op_id or ""))
    if op_id is not None:
        entry = {"api_id": api_id, "escalation": esc_id, "channel": channel_id, "kind": kind,
                 "analyst": analyst, "desktop": desktop, "waiting": True,
                 "fields": sorted(payload) if kind == "update" else []}
        db.execute("INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) "
                   "DO UPDATE SET value = excluded.value", (OP + op_id, json.dumps(entry)))
    return Queued(op_id, esc_id)


def _queue_update(db: sqlite3.Connection, channel_id: int, esc_id: int,
                  payload: Mapping[str, Any], analyst: str, now: datetime) -> str | None:
    fields = {f: v for f, v in payload.items() if f in EDITABLE_FIELDS}
    context = {k: payload[k] for k in _CONTEXT if payload.get(k) is not None}
    canonical = context.get("duplicate_of")
    if canonical is not None:  # the hub's id -> the cache's, within the same channel
        name = db.execute("SELECT name FROM channel WHERE id = ?", (channel_id,)).fetchone()[0]
        prefix = f"{name}:"
        found = db.execute(
            "SELECT id FROM escalation WHERE channel_id = ? AND external_id = ?",
            (channel_id, str(canonical).removeprefix(prefix))).fetchone() \
            if str(canonical).startswith(prefix) else None
        if found is None:
            del context["duplicate_of"]
        else:
            context["duplicate_of"] = int(found[0])
    before = db.execute("SELECT coalesce(max(id), 0) FROM escalation_event").fetchone()[0]
    record_local_update(db, esc_id, fields, analyst, context.get("status_reason"), now,
                        context)
    found = db.execute("SELECT op_id FROM escalation_event WHERE id > ? AND escalation_id = ? "
                       "AND op_id IS NOT NULL ORDER BY id DESC LIMIT 1",
                       (before, esc_id)).fetchone()
    if found is not None:
        return str(found[0])
    # Nothing new to send (the cache shows these values already): an unsent op of this
    # escalation carrying them is the one to wait for; without one, the source holds them.
    pending = db.execute("SELECT op_id, payload FROM outbox WHERE escalation_id = ? AND "
                         "op_type = 'update' AND state = 'pending' ORDER BY seq DESC LIMIT 1",
                         (esc_id,)).fetchone()
    if pending is not None and set(fields) & set(json.loads(pending[1])):
        return str(pending[0])
    return None


@dataclass(frozen=True)
class OpState:
    state: str | None  # pending | done | conflict | dead | None (gone: cancelled)
    last_error: str | None
    escalation_id: int


def op_state(db: sqlite3.Connection, op_id: str) -> OpState:
    row = db.execute("SELECT state, last_error, escalation_id FROM outbox WHERE op_id = ?",
                     (op_id,)).fetchone()
    return OpState(None, None, 0) if row is None else OpState(row[0], row[1], int(row[2]))


def withdraw(db: sqlite3.Connection, op_id: str, why: str, now: datetime) -> None:
    """Take a refused or conflicting op back: each conflict keeps the source's value, and
    fields still queued go back to the values the source holds; the op ends 'dead' with
    `why`, so it is never sent. The cache then shows the source's state."""
    for (conflict_id,) in db.execute("SELECT id FROM conflict WHERE op_id = ? AND "
                                     "resolved_at IS NULL", (op_id,)).fetchall():
        resolve_conflict(db, conflict_id, "theirs", ACTOR, now)
    row = db.execute("SELECT seq, escalation_id, channel_id, op_type, payload, base, state "
                     "FROM outbox WHERE op_id = ?", (op_id,)).fetchone()
    if row is None:
        return
    seq, esc_id, channel_id, op_type, payload, base, state = row
    left = json.loads(payload)
    if op_type == "update" and left and state in ("pending", "dead"):
        old = json.loads(base)
        apply_fields(db, esc_id, {f: old.get(f) for f in left if f in old}, now)
    if state in ("pending", "conflict"):
        db.execute("UPDATE outbox SET state = 'dead', last_error = ? WHERE seq = ?",
                   (why, seq))
    audit(db, ACTOR, "hub_withdrawn", now, esc_id, channel_id, op_id=op_id, why=why)


def entry(db: sqlite3.Connection, op_id: str) -> dict[str, Any] | None:
    row = db.execute("SELECT value FROM store_meta WHERE key = ?", (OP + op_id,)).fetchone()
    return None if row is None else dict(json.loads(row[0]))


def stop_waiting(db: sqlite3.Connection, op_id: str) -> None:
    db.execute("UPDATE store_meta SET value = json_set(value, '$.waiting', json('false')) "
               "WHERE key = ?", (OP + op_id,))


def forget(db: sqlite3.Connection, op_id: str) -> None:
    db.execute("DELETE FROM store_meta WHERE key = ?", (OP + op_id,))


def unwatched(db: sqlite3.Connection) -> list[tuple[str, dict[str, Any]]]:
    """Ops forwarded from the hub that nobody waits for any more: (op id, entry)."""
    rows = db.execute("SELECT key, value FROM store_meta WHERE key LIKE 'hub.op:%' AND "
                      "json_extract(value, '$.waiting') = 0").fetchall()
    return [(str(k)[len(OP):], dict(json.loads(v))) for k, v in rows]


def nobody_waits(db: sqlite3.Connection) -> None:
    """At start: requests of a previous run of the hub are gone; their ops settle later."""
    db.execute("UPDATE store_meta SET value = json_set(value, '$.waiting', json('false')) "
               "WHERE key LIKE 'hub.op:%'")
