"""Read queries behind the Outbox & sync view: queued and dead ops, quarantined records.
(Channel freshness is `channel_state.channel_statuses`; conflicts are `conflicts.py`.)"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class QueuedOp:
    """A local change waiting for (or refused by) its source channel."""

    seq: int
    channel: str
    escalation_id: int
    title: str
    op_type: str
    summary: str
    state: str
    attempts: int
    next_attempt_at: int
    last_error: str | None
    created_at: int
    external_id: str = ""


@dataclass(frozen=True, slots=True)
class QuarantinedRecord:
    """A record a channel sent that failed validation, with its raw payload."""

    id: int
    channel: str
    external_id: str | None
    reason: str
    raw: str
    received_at: int


def queued_ops(db: sqlite3.Connection, limit: int = 1000) -> list[QueuedOp]:
    """Pending, conflicting and dead ops, oldest first."""
    return _ops(db, "o.state IN ('pending', 'conflict', 'dead') ORDER BY o.seq LIMIT ?",
                (limit,))


def refused_since(db: sqlite3.Connection, after_seq: int, limit: int = 20) -> list[QueuedOp]:
    """Changes the source refused for good (dead), newer than op `after_seq`, newest
    last: what the window announces once in a banner."""
    return _ops(db, "o.state = 'dead' AND o.seq > ? ORDER BY o.seq LIMIT ?",
                (after_seq, limit))


def refused_seqs(db: sqlite3.Connection) -> set[int]:
    """Every change the sources refused for good, still waiting for the analyst."""
    return {int(r[0]) for r in db.execute("SELECT seq FROM outbox WHERE state = 'dead'")}


def queued_count(db: sqlite3.Connection, channel: str) -> int:
    """Changes waiting to go to channel `channel` (pending, not refused)."""
    row = db.execute("SELECT count(*) FROM outbox o JOIN channel c ON c.id = o.channel_id "
                     "WHERE c.name = ? AND o.state = 'pending'", (channel,)).fetchone()
    return int(row[0])


def _ops(db: sqlite3.Connection, where: str, args: tuple[object, ...]) -> list[QueuedOp]:
    rows = db.execute(
        "SELECT o.seq, c.name, o.escalation_id, e.title, o.op_type, o.payload, o.state, "
        "o.attempts, o.next_attempt_at, o.last_error, o.created_at, e.external_id "
        "FROM outbox o JOIN channel c ON c.id = o.channel_id "
        f"JOIN escalation e ON e.id = o.escalation_id WHERE {where}", args).fetchall()
    return [QueuedOp(r[0], r[1], r[2], r[3], r[4], _summary(r[4], r[5]), r[6], r[7], r[8],
                     r[9], r[10], r[11]) for r in rows]


def _summary(op_type: str, payload_text: str) -> str:
    try:
        payload = json.loads(payload_text)
    except json.JSONDecodeError:
        return op_type
    if op_type in ("note", "reply", "fact"):
        text = str(payload.get("text", ""))
        return f"{op_type}: {text[:80]}"
    return ", ".join(f"{k} \u2192 {v}" for k, v in payload.items())


def quarantined(db: sqlite3.Connection, limit: int = 1000) -> list[QuarantinedRecord]:
    rows = db.execute(
        "SELECT q.id, c.name, q.external_id, q.reason, q.raw, q.received_at "
        "FROM quarantine q JOIN channel c ON c.id = q.channel_id "
        "ORDER BY q.received_at DESC, q.id DESC LIMIT ?", (limit,)).fetchall()
    return [QuarantinedRecord(*r) for r in rows]


def retry_dead(db: sqlite3.Connection, seq: int) -> bool:
    """Give a dead op another go (after the analyst fixed the cause)."""
    return bool(db.execute("UPDATE outbox SET state = 'pending', attempts = 0, "
                           "next_attempt_at = 0 WHERE seq = ? AND state = 'dead'",
                           (seq,)).rowcount)


def reset_backoff(db: sqlite3.Connection) -> None:
    """"Sync now" means now (docs/sync.md rule 11): queued changes are due at once and rate
    limit waits are forgotten."""
    db.execute("UPDATE outbox SET next_attempt_at = 0 WHERE state = 'pending'")
    db.execute("UPDATE channel SET rate_limited_until = NULL")
