"""The triage actions as data: what each one is, how it reads in a toast or the undo menu,
and what input is valid (checked before anything is written). Applied by
store/triage_actions.py, which re-exports every name here."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from ..domain import Severity, Urgency
from . import incidents
from .local_edits import local_text
from .timecodec import to_epoch
from .triage_result import count_phrase

MAX_REASON = 2_000
MAX_TEXT = 100_000
MAX_NAME = 64
MAX_SNOOZE_S = 366 * 86400


@dataclass(frozen=True, slots=True)
class Accept:
    """Accept into work: status -> triaged (key 1)."""


@dataclass(frozen=True, slots=True)
class Decline:
    """Decline with a reason (key 3): status -> declined."""

    reason: str


@dataclass(frozen=True, slots=True)
class MarkDuplicate:
    """Duplicate of `canonical_id` (key 2): status -> duplicate, duplicate_of kept locally."""

    canonical_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class Snooze:
    """Hide from Triage until `until` (key h); the status stays, the snooze is local."""

    until: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Unsnooze:
    """Bring snoozed items back now."""


@dataclass(frozen=True, slots=True)
class Resolve:
    """Resolve / done (key e): status -> resolved."""


@dataclass(frozen=True, slots=True)
class SetSeverity:
    """Set severity (key s); priority is re-derived and the change recorded with why."""

    severity: Severity


@dataclass(frozen=True, slots=True)
class SetUrgency:
    """Set urgency (key y); priority is re-derived and the change recorded with why."""

    urgency: Urgency


@dataclass(frozen=True, slots=True)
class Assign:
    """Assign to an analyst id, or unassign with None (keys a, i)."""

    assignee: str | None


@dataclass(frozen=True, slots=True)
class Tag:
    """Add and remove tags (key l); tags are single words."""

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MoveQueue:
    """Move to a local queue / team column such as "apac-tier1" or "legal-review" (key v)."""

    queue: str


@dataclass(frozen=True, slots=True)
class EscalateToIncident:
    """Add to an existing incident, or create one titled `new_title` (key f)."""

    incident_id: int | None = None
    new_title: str | None = None


@dataclass(frozen=True, slots=True)
class AddNote:
    """An internal note on the source channel (key m)."""

    text: str


@dataclass(frozen=True, slots=True)
class LogFact:
    """An evolving fact, kept on the local timeline (key m)."""

    text: str


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply to the reporter on the source channel (key r)."""

    text: str


TriageAction = (Accept | Decline | MarkDuplicate | Snooze | Unsnooze | Resolve | SetSeverity
                | SetUrgency | Assign | Tag | MoveQueue | EscalateToIncident | AddNote
                | LogFact | Reply)


_KINDS: dict[type, str] = {
    Accept: "accept", Decline: "decline", MarkDuplicate: "duplicate", Snooze: "snooze",
    Unsnooze: "unsnooze", Resolve: "resolve", SetSeverity: "severity", SetUrgency: "urgency",
    Assign: "assign", Tag: "tag", MoveQueue: "queue", EscalateToIncident: "incident",
    AddNote: "note", LogFact: "fact", Reply: "reply",
}


def kind_of(action: TriageAction) -> str:
    """A short stable name ("decline"), used in the audit log and the undo log."""
    return _KINDS[type(action)]


def describe(action: TriageAction, n: int) -> tuple[str, str]:
    """(imperative, past) sentences for `n` escalations: ("decline 100 escalations",
    "Declined 100 escalations"). The imperative follows "Undo: " in menus."""
    c = count_phrase(n)
    match action:
        case Accept():
            return f"accept {c}", f"Accepted {c}"
        case Decline():
            return f"decline {c}", f"Declined {c}"
        case MarkDuplicate(canonical_id=canonical):
            return (f"mark {c} duplicate of #{canonical}",
                    f"Marked {c} duplicate of #{canonical}")
        case Snooze(until=until):
            when = local_text("snoozed_until", to_epoch(until))
            return f"snooze {c} until {when}", f"Snoozed {c} until {when}"
        case Unsnooze():
            return f"wake {c}", f"Woke {c}"
        case Resolve():
            return f"resolve {c}", f"Resolved {c}"
        case SetSeverity(severity=sev):
            return f"set {sev.name} on {c}", f"Set {sev.name} on {c}"
        case SetUrgency(urgency=urg):
            return f"set {urg.name} on {c}", f"Set {urg.name} on {c}"
        case Assign(assignee=who):
            if who is None:
                return f"unassign {c}", f"Unassigned {c}"
            return f"assign {c} to {who}", f"Assigned {c} to {who}"
        case Tag(add=add, remove=remove):
            change = " ".join([*(f"+{t}" for t in add), *(f"-{t}" for t in remove)])
            return f"tag {c} {change}", f"Tagged {c} {change}"
        case MoveQueue(queue=queue):
            return f"move {c} to {queue.strip()}", f"Moved {c} to {queue.strip()}"
        case EscalateToIncident(incident_id=iid, new_title=title):
            target = f"#{iid}" if iid is not None else f"new incident \"{title}\""
            return f"add {c} to {target}", f"Added {c} to {target}"
        case AddNote():
            return f"add a note to {c}", f"Queued a note on {c}"
        case LogFact():
            return f"log a fact on {c}", f"Logged a fact on {c}"
        case Reply():
            return f"reply on {c}", f"Queued a reply on {c}"
    raise TypeError(f"not a triage action: {action!r}")


def _reason(reason: str, verb: str) -> None:
    if not reason.strip():
        raise ValueError(f"A reason is required to {verb}: say in a few words why.")
    if len(reason) > MAX_REASON:
        raise ValueError(f"A reason can be at most {MAX_REASON:,} characters.")


def _text(text: str, what: str) -> None:
    if not text.strip():
        raise ValueError(f"The {what} is empty; write something first.")
    if len(text) > MAX_TEXT:
        raise ValueError(f"A {what} can be at most {MAX_TEXT:,} characters.")


def _name(value: str, what: str) -> None:
    if not value.strip():
        raise ValueError(f"The {what} name is empty.")
    if len(value.strip()) > MAX_NAME or any(not ch.isprintable() for ch in value):
        raise ValueError(f"A {what} name is at most {MAX_NAME} printable characters.")


def validate(db: sqlite3.Connection, action: TriageAction, now: datetime) -> int | None:
    """Raise ValueError (a sentence) when the action cannot run; for MarkDuplicate return
    the canonical item at the end of its own duplicate chain."""
    match action:
        case Decline(reason=reason):
            _reason(reason, "decline")
        case Snooze(until=until, reason=reason):
            _reason(reason, "snooze")
            left = to_epoch(until) - to_epoch(now)
            if left <= 0:
                raise ValueError("A snooze must end in the future; pick a later time.")
            if left > MAX_SNOOZE_S:
                raise ValueError("A snooze can last at most a year.")
        case MarkDuplicate(canonical_id=canonical, reason=reason):
            _reason(reason, "mark a duplicate")
            return _canonical(db, canonical)
        case SetSeverity(severity=sev):
            if not isinstance(sev, Severity):
                raise ValueError(f"{sev!r} is not a severity; use S0, S1, S2 or S3.")
        case SetUrgency(urgency=urg):
            if not isinstance(urg, Urgency):
                raise ValueError(f"{urg!r} is not an urgency; use U0, U1, U2 or U3.")
        case Assign(assignee=who):
            if who is not None:
                _name(who, "assignee")
        case Tag(add=add, remove=remove):
            if not add and not remove:
                raise ValueError("Say which tags to add or remove.")
            for tag in (*add, *remove):
                if not tag or any(ch.isspace() for ch in tag) or len(tag) > MAX_NAME:
                    raise ValueError(f"Tags are single words of at most {MAX_NAME} "
                                     f"characters; {tag!r} is not one.")
            if set(add) & set(remove):
                raise ValueError("A tag cannot be added and removed at once.")
        case MoveQueue(queue=queue):
            _name(queue, "queue")
        case EscalateToIncident(incident_id=iid, new_title=title):
            if (iid is None) == (title is None):
                raise ValueError("Choose an incident or give a title for a new one "
                                 "(one of the two).")
            if title is not None:
                incidents.clean_title(title)
            elif (found := incidents.get_incident(db, int(iid or 0))) is None:
                raise ValueError(f"Incident #{iid} does not exist.")
            elif found.status != "open":
                raise ValueError(f"Incident #{iid} is closed; choose an open one.")
        case AddNote(text=text):
            _text(text, "note")
        case LogFact(text=text):
            _text(text, "fact")
        case Reply(text=text):
            _text(text, "reply")
    return None


def _canonical(db: sqlite3.Connection, esc_id: int) -> int:
    seen = {esc_id}
    row = db.execute("SELECT duplicate_of FROM escalation WHERE id = ?", (esc_id,)).fetchone()
    if row is None:
        raise ValueError(f"Escalation #{esc_id} is not in the cache, so nothing can be "
                         "marked a duplicate of it.")
    while row is not None and row[0] is not None and row[0] not in seen:
        esc_id = row[0]
        seen.add(esc_id)
        row = db.execute("SELECT duplicate_of FROM escalation WHERE id = ?",
                         (esc_id,)).fetchone()
    return esc_id
