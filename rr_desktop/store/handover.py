"""The shift handover pack read from the cache, and the record of each handover
(docs/lead-board.md, "Shift handover"; the text is domain/handover.py).

The time of the last handover is the `store_meta` key `handover.last_at` (epoch
seconds), and the newest timeline event its pack saw `handover.last_event` (the next pack
lists changes and notes after it); each handover is also an audit event
`handover.recorded` (who, when, what the pack held), so the history stays.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from ..domain import Priority, Status
from ..domain.handover import (
    FieldChange,
    HandoverPack,
    IncidentEntry,
    NextShift,
    NoteEntry,
    PackItem,
    next_shift,
    pack_since,
)
from .outbox import audit
from .roster import roster
from .timecodec import from_epoch, to_epoch
from .timeline import value_text

LAST_KEY = "handover.last_at"
LAST_EVENT_KEY = "handover.last_event"
CHANGED_FIELDS = ("priority", "severity", "status")
_OPEN = tuple(s.value for s in Status if s.is_open)
_MARKS = ", ".join("?" * len(_OPEN))
_ITEM = "SELECT id, external_id, title, priority, status, assignee"


def last_handover(db: sqlite3.Connection) -> datetime | None:
    row = db.execute("SELECT value FROM store_meta WHERE key = ?", (LAST_KEY,)).fetchone()
    try:
        return None if row is None else from_epoch(int(row[0]))
    except ValueError:  # an unreadable value reads as never handed over
        return None


def _last_event(db: sqlite3.Connection) -> int:
    """The newest event the last recorded pack saw (0: none recorded, or unreadable)."""
    row = db.execute("SELECT value FROM store_meta WHERE key = ?",
                     (LAST_EVENT_KEY,)).fetchone()
    try:
        return 0 if row is None else int(row[0])
    except ValueError:
        return 0


def record_handover(db: sqlite3.Connection, pack: HandoverPack, actor: str) -> None:
    """The next pack starts at this one's time, after the last event it saw."""
    at = to_epoch(pack.built_at)
    db.executemany("INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO "
                   "UPDATE SET value = excluded.value",
                   [(LAST_KEY, str(at)), (LAST_EVENT_KEY, str(pack.last_event_id))])
    audit(db, actor, "handover.recorded", pack.built_at, None, None,
          since=to_epoch(pack.since), next_analyst=pack.next_shift.analyst_id,
          until=to_epoch(pack.next_shift.until), urgent=len(pack.urgent),
          sla=len(pack.sla), incidents=len(pack.incidents), changes=len(pack.changes),
          notes=len(pack.notes))


def build_pack(db: sqlite3.Connection, outgoing: str, now: datetime) -> HandoverPack:
    """The pack for `now`: everything since the last recorded handover."""
    since, recorded = pack_since(last_handover(db), now)
    newest = int(db.execute("SELECT coalesce(max(id), 0) FROM escalation_event").fetchone()[0])
    after = _last_event(db) if recorded else 0
    shifts = [(e.analyst.id, e.analyst.name, e.profile.shift) for e in roster(db)
              if e.profile.shift is not None]
    nxt = next_shift(now, outgoing, [(a, n, s) for a, n, s in shifts if s is not None])
    return HandoverPack(now, since, recorded, outgoing, nxt, _urgent(db),
                        _sla(db, now, nxt), _incidents(db),
                        _changes(db, to_epoch(since), after),
                        _notes(db, outgoing, to_epoch(since), after), newest)


def _item(row: tuple[int, str, str, int, str, str | None], note: str = "") -> PackItem:
    esc_id, ref, title, pri, status, assignee = row
    return PackItem(esc_id, ref, title, Priority(min(max(int(pri), 0), len(Priority) - 1)),
                    status, assignee, note)


def _urgent(db: sqlite3.Connection) -> tuple[PackItem, ...]:
    return tuple(_item(r) for r in db.execute(
        f"{_ITEM} FROM escalation WHERE priority <= ? AND status IN ({_MARKS}) "
        "ORDER BY priority, created_at, id", (int(Priority.P1), *_OPEN)))


def _sla(db: sqlite3.Connection, now: datetime, nxt: NextShift) -> tuple[PackItem, ...]:
    """Open items whose running SLA clock turns at risk (or is due) before the next
    shift ends, already breached ones first."""
    now_s, until = to_epoch(now), to_epoch(nxt.until)
    items = []
    for *row, due, risk in db.execute(
            f"{_ITEM}, sla_due_at, sla_risk_at FROM escalation WHERE status IN ({_MARKS}) "
            "AND (sla_risk_at <= ? OR sla_due_at <= ?) ORDER BY sla_due_at, id",
            (*_OPEN, until, until)):
        if due is not None and due <= now_s:
            note = f"breached since {_hm(due)}"
        elif due is not None and due <= until:
            note = f"breaches at {_hm(due)}" + (f", at risk from {_hm(risk)}"
                                                if risk is not None else "")
        else:
            note = f"at risk from {_hm(risk)}, due {_hm(due) if due else 'later'}"
        items.append(_item((*row,), note))
    return tuple(items)


def _hm(at: int) -> str:
    return f"{from_epoch(at):%Y-%m-%d %H:%M} UTC"


def _incidents(db: sqlite3.Connection) -> tuple[IncidentEntry, ...]:
    out = []
    for inc_id, title in db.execute(
            "SELECT id, title FROM incident WHERE status != 'closed' ORDER BY id").fetchall():
        facts = []
        for esc_id, ref, esc_title, stored in db.execute(
                "SELECT id, external_id, title, facts FROM escalation WHERE incident_id = ? "
                "ORDER BY id", (inc_id,)).fetchall():
            facts.append((ref, esc_title, _latest_fact(db, esc_id, stored)))
        out.append(IncidentEntry(inc_id, title, tuple(facts)))
    return tuple(out)


def _latest_fact(db: sqlite3.Connection, esc_id: int, stored: str) -> str:
    """The newest of the source's facts and the facts logged here."""
    best: tuple[int, str] | None = None
    try:
        source = json.loads(stored or "[]")
    except json.JSONDecodeError:
        source = []
    for f in source if isinstance(source, list) else []:
        if isinstance(f, dict) and isinstance(f.get("at"), int) and f.get("text") and (
                best is None or f["at"] >= best[0]):
            best = (f["at"], str(f["text"]))
    row = db.execute("SELECT at, new FROM escalation_event WHERE escalation_id = ? AND "
                     "kind = 'fact' AND new IS NOT NULL ORDER BY at DESC, id DESC LIMIT 1",
                     (esc_id,)).fetchone()
    if row is not None and (best is None or row[0] >= best[0]):
        best = (int(row[0]), str(row[1]))
    return "" if best is None else f"{best[1]} ({_hm(best[0])})"


def _value(field: str, value: str | None) -> str:
    if field == "severity" and value is not None and value.isdigit():
        return f"S{value}"
    return value_text(field, value)


def _changes(db: sqlite3.Connection, since_s: int, after: int) -> tuple[FieldChange, ...]:
    """Field changes at or after `since_s`, or (a handover recorded) after event `after`."""
    marks = ", ".join("?" * len(CHANGED_FIELDS))
    return tuple(
        FieldChange(int(at), ref, field, _value(field, old), _value(field, new),
                    author or ("the source" if source == "remote" else "RR Desktop"))
        for at, ref, field, old, new, author, source in db.execute(
            "SELECT ev.at, e.external_id, ev.field, ev.old, ev.new, ev.author, ev.source "
            "FROM escalation_event ev JOIN escalation e ON e.id = ev.escalation_id "
            f"WHERE ev.kind = 'field_change' AND ev.field IN ({marks}) AND "
            + ("ev.id > ? " if after else "ev.at >= ? ") + "ORDER BY ev.at, ev.id",
            (*CHANGED_FIELDS, after or since_s)))


def _notes(db: sqlite3.Connection, author: str, since_s: int,
           after: int) -> tuple[NoteEntry, ...]:
    return tuple(NoteEntry(int(at), ref, text) for at, ref, text in db.execute(
        "SELECT ev.at, e.external_id, ev.new FROM escalation_event ev "
        "JOIN escalation e ON e.id = ev.escalation_id WHERE ev.kind = 'note' AND "
        "ev.author = ? AND " + ("ev.id > ? " if after else "ev.at >= ? ")
        + "AND ev.new IS NOT NULL ORDER BY ev.at, ev.id", (author, after or since_s)))
