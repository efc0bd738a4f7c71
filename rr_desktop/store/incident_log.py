"""The cache's copy of the incident event logs (docs/incidents.md).

Local events are written pending (`seq` NULL) in the caller's transaction, with the
incident's list row refolded; the sync engine pushes them in the order made and merges
the service's events back (`merge_pulled`). `state()` folds pushed events in the shared
order, then pending ones, so what the analyst sees offline is what the team will see.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain.incident import IncidentState, fold
from ..domain.incident_events import (
    format_time,
    new_event,
    new_uid,
    parse_time,
    validate_event,
)
from ..domain.sources import source_key_of
from .timecodec import from_epoch, to_epoch

_ORDERED = ("SELECT body FROM incident_event WHERE incident_uid = ? AND state != 'rejected' "
            "ORDER BY seq IS NULL, seq, n")


def events(db: sqlite3.Connection, uid: str) -> list[dict[str, Any]]:
    """One incident's events: pushed in `seq` order, then pending in the order made."""
    return [json.loads(body) for (body,) in db.execute(_ORDERED, (uid,))]


def state(db: sqlite3.Connection, uid: str) -> IncidentState:
    return fold(events(db, uid), uid)


def uid_of(db: sqlite3.Connection, incident_id: int) -> str | None:
    row = db.execute("SELECT uid FROM incident WHERE id = ?", (incident_id,)).fetchone()
    return None if row is None else row[0]


def id_of(db: sqlite3.Connection, uid: str) -> int | None:
    row = db.execute("SELECT id FROM incident WHERE uid = ?", (uid,)).fetchone()
    return None if row is None else int(row[0])


def _insert(db: sqlite3.Connection, event: Mapping[str, Any], seq: int | None,
            state_: str, channel_id: int | None = None) -> None:
    at = parse_time(str(event["at"]))
    db.execute(
        "INSERT INTO incident_event (uid, incident_uid, seq, kind, at, body, state, "
        "channel_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (event["uid"], event["incident"], seq, event["kind"],
         to_epoch(at) if at is not None else 0,
         json.dumps({k: v for k, v in event.items() if k != "seq"}, ensure_ascii=False),
         state_, channel_id))


def append(db: sqlite3.Connection, incident_uid: str, kind: str, actor: str, now: datetime,
           data: Mapping[str, Any], base: str | None = None,
           refresh_row: bool = True) -> dict[str, Any]:
    """A new local event, pending; ValueError (a sentence) when it is malformed."""
    event = new_event(incident_uid, kind, actor, now, data, base)
    _insert(db, event, None, "pending")
    if refresh_row:
        refresh(db, incident_uid)
    return event


def declare(db: sqlite3.Connection, title: str, actor: str, now: datetime, *,
            type_: str = "", severity: str = "S2", priority: str = "P2",
            markets: Sequence[str] = (), summary: str = "", incident_id: int | None = None,
            uid: str | None = None) -> tuple[int, str]:
    """A new incident (its row and its pending `declare` event): (local id, uid)."""
    uid = uid or new_uid()
    event = new_event(uid, "declare", actor, now,
                      {"title": " ".join(title.split()), "type": type_, "severity": severity,
                       "priority": priority, "markets": list(markets), "summary": summary})
    cur = db.execute(
        "INSERT INTO incident (id, uid, title, status, created_at, created_by, severity, "
        "priority) VALUES (?, ?, ?, 'active', ?, ?, ?, ?)",
        (incident_id, uid, event["data"]["title"], to_epoch(now), actor, severity, priority))
    assert cur.lastrowid is not None
    _insert(db, event, None, "pending")
    refresh(db, uid)
    return cur.lastrowid, uid


def refresh(db: sqlite3.Connection, uid: str) -> tuple[IncidentState, frozenset[int]]:
    """Refold one incident into its list row and its escalations' `incident_id`; returns
    the state and the escalation ids whose membership changed."""
    folded = state(db, uid)
    if folded.declared_at is None:
        return folded, frozenset()
    row = db.execute("SELECT id FROM incident WHERE uid = ?", (uid,)).fetchone()
    values = (folded.title, folded.status, folded.type, folded.severity, folded.priority,
              " ".join(folded.markets), to_epoch(folded.updated_at or folded.declared_at),
              len(folded.conflicts))
    if row is None:
        cur = db.execute(
            "INSERT INTO incident (title, status, type, severity, priority, markets, "
            "updated_at, conflicts, uid, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*values, uid, to_epoch(folded.declared_at), folded.declared_by))
        assert cur.lastrowid is not None
        incident_id = cur.lastrowid
    else:
        incident_id = int(row[0])
        db.execute("UPDATE incident SET title = ?, status = ?, type = ?, severity = ?, "
                   "priority = ?, markets = ?, updated_at = ?, conflicts = ? WHERE id = ?",
                   (*values, incident_id))
    return folded, _sync_membership(db, incident_id, folded)


def _channels_by_source(db: sqlite3.Connection) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for cid, kind, config, name in db.execute("SELECT id, kind, config, name FROM channel"):
        found.setdefault(source_key_of(kind, config, name), []).append(int(cid))
    return found


def _sync_membership(db: sqlite3.Connection, incident_id: int,
                     folded: IncidentState) -> frozenset[int]:
    """Escalations in this cache that the log links get `incident_id`; ones it no longer
    links lose it. Plain column writes: these are the log's own facts, not new events."""
    by_source = _channels_by_source(db)
    wanted: set[int] = set()
    for link in folded.links:
        for cid in by_source.get(link.source, ()):
            row = db.execute("SELECT id FROM escalation WHERE channel_id = ? AND "
                             "external_id = ?", (cid, link.external_id)).fetchone()
            if row is not None:
                wanted.add(int(row[0]))
    current = {int(r[0]) for r in db.execute(
        "SELECT id FROM escalation WHERE incident_id = ?", (incident_id,))}
    changed = (wanted - current) | (current - wanted)
    for esc_id in wanted - current:
        db.execute("UPDATE escalation SET incident_id = ? WHERE id = ?", (incident_id, esc_id))
    for esc_id in current - wanted:
        db.execute("UPDATE escalation SET incident_id = NULL WHERE id = ?", (esc_id,))
    return frozenset(changed)


def link_data(db: sqlite3.Connection, esc_id: int) -> dict[str, Any] | None:
    """The `link`/`unlink` data naming escalation `esc_id` (None: not in the cache)."""
    row = db.execute(
        "SELECT e.external_id, e.title, e.category, e.market, e.created_at, c.kind, "
        "c.config, c.name FROM escalation e JOIN channel c ON c.id = e.channel_id "
        "WHERE e.id = ?", (esc_id,)).fetchone()
    if row is None:
        return None
    ext, title, category, market, created, kind, config, name = row
    return {"source": source_key_of(kind, config, name),
            "external_id": str(ext), "title": str(title or "")[:1200],
            "category": str(category or "")[:200], "market": str(market or "")[:8],
            "reported_at": format_time(from_epoch(int(created))) if created else ""}


def membership_changed(db: sqlite3.Connection, esc_id: int, old: int | None,
                       new: int | None, actor: str, now: datetime) -> None:
    """An analyst moved escalation `esc_id` from incident `old` to `new` (either None):
    the logs get `unlink` and `link` events (store/local_edits.apply_local_fields)."""
    data = link_data(db, esc_id)
    if data is None:
        return
    if old is not None and (old_uid := uid_of(db, old)) is not None:
        append(db, old_uid, "unlink", actor, now,
               {"source": data["source"], "external_id": data["external_id"]},
               refresh_row=False)
    if new is not None and (new_uid_ := uid_of(db, new)) is not None:
        append(db, new_uid_, "link", actor, now, data, refresh_row=False)
    db.execute("UPDATE incident SET updated_at = ? WHERE id IN (?, ?)",
               (to_epoch(now), old, new))


def pending(db: sqlite3.Connection, limit: int = 100) -> list[dict[str, Any]]:
    """Local events not yet pushed, in the order they were made."""
    return [json.loads(body) for (body,) in db.execute(
        "SELECT body FROM incident_event WHERE state = 'pending' ORDER BY n LIMIT ?",
        (limit,))]


def pending_count(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT count(*) FROM incident_event WHERE state = 'pending'")
               .fetchone()[0])


def mark_pushed(db: sqlite3.Connection, stored: Mapping[str, Any], channel_id: int) -> None:
    """The service stored our event as `stored` (with its `seq`)."""
    db.execute("UPDATE incident_event SET seq = ?, state = 'sent', channel_id = ?, "
               "last_error = NULL WHERE uid = ?",
               (int(stored["seq"]), channel_id, stored["uid"]))


def mark_failed(db: sqlite3.Connection, uid: str, why: str, rejected: bool) -> str:
    """A push failed: kept pending (it is retried next run) or, refused by the service,
    set aside as rejected (shown, never folded); returns the incident uid."""
    db.execute("UPDATE incident_event SET attempts = attempts + 1, last_error = ?, "
               "state = CASE WHEN ? THEN 'rejected' ELSE state END WHERE uid = ?",
               (why[:2000], int(rejected), uid))
    row = db.execute("SELECT incident_uid FROM incident_event WHERE uid = ?",
                     (uid,)).fetchone()
    return "" if row is None else str(row[0])


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    """A local incident event not yet on the service (pending) or refused by it."""

    uid: str
    incident: str  # its title
    kind: str
    state: str
    attempts: int
    at: int
    last_error: str


def queued(db: sqlite3.Connection, limit: int = 1000) -> list[QueuedEvent]:
    """Pending and refused incident events, oldest first (the Outbox & sync view)."""
    return [QueuedEvent(*r) for r in db.execute(
        "SELECT e.uid, coalesce(i.title, e.incident_uid), e.kind, e.state, e.attempts, e.at, "
        "coalesce(e.last_error, '') FROM incident_event e LEFT JOIN incident i ON "
        "i.uid = e.incident_uid WHERE e.state != 'sent' ORDER BY e.n LIMIT ?", (limit,))]


def rejected(db: sqlite3.Connection) -> list[tuple[str, str, str, str]]:
    """(event uid, incident title, kind, why) of events the service refused."""
    return [tuple(r) for r in db.execute(
        "SELECT e.uid, coalesce(i.title, e.incident_uid), e.kind, coalesce(e.last_error, '') "
        "FROM incident_event e LEFT JOIN incident i ON i.uid = e.incident_uid "
        "WHERE e.state = 'rejected' ORDER BY e.n")]


def merge_pulled(db: sqlite3.Connection, pulled: Iterable[Mapping[str, Any]],
                 channel_id: int) -> tuple[set[str], frozenset[int], list[str]]:
    """Store events read from the service (ours come back with their `seq`); refold the
    incidents they touch. Returns (incident uids changed, escalation ids whose
    membership changed, problems: malformed events, kept out of the log)."""
    touched: set[str] = set()
    problems: list[str] = []
    for event in pulled:
        why = validate_event(event)
        raw_seq = event.get("seq")
        seq = raw_seq if isinstance(raw_seq, int) and not isinstance(raw_seq, bool) else -1
        if why is None and seq < 1:
            why = "it has no seq"
        if why is not None:
            problems.append(f"incident event {str(event.get('uid', '?'))[:40]}: {why}")
            continue
        known = db.execute("SELECT state, seq FROM incident_event WHERE uid = ?",
                           (event["uid"],)).fetchone()
        if known is None:
            # a service that lost its log numbers anew: ours at that seq goes again
            db.execute("UPDATE incident_event SET seq = NULL, state = 'pending' "
                       "WHERE seq = ?", (seq,))
            _insert(db, event, seq, "sent", channel_id)
        elif known[1] != seq:
            db.execute("UPDATE incident_event SET seq = ?, state = 'sent', channel_id = ? "
                       "WHERE uid = ?", (seq, channel_id, event["uid"]))
        else:
            continue
        touched.add(str(event["incident"]))
    changed: set[int] = set()
    for uid in touched:
        changed |= refresh(db, uid)[1]
    return touched, frozenset(changed), problems


def forget_unpushed(db: sqlite3.Connection, incident_id: int) -> bool:
    """Remove an incident nobody else has seen (none of its events pushed) and that no
    escalation is in: the undo of the batch that declared it."""
    uid = uid_of(db, incident_id)
    if uid is None:
        return False
    if db.execute("SELECT 1 FROM incident_event WHERE incident_uid = ? AND seq IS NOT NULL "
                  "LIMIT 1", (uid,)).fetchone() is not None:
        return False
    if db.execute("SELECT 1 FROM escalation WHERE incident_id = ? LIMIT 1",
                  (incident_id,)).fetchone() is not None:
        return False
    db.execute("DELETE FROM incident_event WHERE incident_uid = ?", (uid,))
    db.execute("DELETE FROM incident WHERE id = ?", (incident_id,))
    return True
