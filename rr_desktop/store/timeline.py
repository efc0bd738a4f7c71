"""An escalation's timeline as sentences: who did what, old -> new, why, and whether a local
change has reached its source. Everything the analyst wrote reads back in full; no event
shows as JSON or a Python repr. Plain text (the detail pane shows it literally)."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from typing import Any

FIELD_LABELS = {
    "status": "status", "severity": "severity", "urgency": "urgency",
    "assignee": "assignee", "tags": "tags", "priority": "priority",
    "snoozed_until": "snoozed until", "queue": "queue", "incident_id": "incident",
    "duplicate_of": "duplicate of",
}
# Derived or local by nature: no "stays on this machine" marker (priority follows severity
# and urgency on the source too).
_NO_DELIVERY = frozenset({"priority"})


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event as stored, with the state of the outbox op that carries it (if any):
    `delivery` is "pending" | "done" | "dead" | "conflict" | "withdrawn" | "local" (stays
    on this machine) | None (it came from the source, or needs no delivery).
    `reason_local`: the change goes to the source, its reason does not (a decline's reason
    on a source that takes the status only, docs/push-matrix.md)."""

    at: int
    kind: str
    field: str | None
    old: str | None
    new: str | None
    reason: str | None
    author: str | None
    source: str
    delivery: str | None = None
    error: str | None = None
    reason_local: bool = False

    def sentence(self) -> str:
        """The event as one sentence (a note's or reply's text follows in full)."""
        return describe_event(self)

    def delivery_text(self) -> str:
        text = delivery_text(self.delivery, self.error)
        if self.reason_local and text:
            text += "; the reason stays on this machine"
        return text


def delivery_state(source: str, kind: str, field: str | None, op_id: str | None,
                   op_state: str | None) -> str | None:
    """How far a local change got (see TimelineEntry.delivery)."""
    if source != "local" or (field in _NO_DELIVERY) or kind in ("created",
                                                                "conflict_resolved"):
        return None
    if op_id is None:
        return "local"
    return op_state or "withdrawn"


def reason_stays_local(field: str | None, reason: str | None, delivery: str | None,
                       pushes: frozenset[str] | None) -> bool:
    """Whether a status change that reaches its source leaves its reason behind: the
    channel's source takes the status but not `status_reason` (None: not recorded)."""
    return (field == "status" and bool(reason) and delivery not in (None, "local")
            and pushes is not None and "status_reason" not in pushes)


def delivery_text(delivery: str | None, error: str | None = None) -> str:
    return {
        None: "",
        "pending": "waiting to sync",
        "done": "sent",
        "dead": "refused by the source" + (f": {error}" if error else ""),
        "conflict": "conflict with the source: choose in Outbox & sync (g o)",
        "withdrawn": "withdrawn before it was sent",
        "local": "stays on this machine",
    }.get(delivery, delivery or "")


def value_text(field: str | None, value: str | None) -> str:
    """A stored value as the analyst reads it: words, not codes, lists or JSON."""
    if value is None or value == "":
        return "\u2014"
    if field == "status":
        return value.replace("_", " ")
    if field == "tags":
        return ", ".join(_words(value)) or "none"
    return value


def _words(value: str) -> list[str]:
    """Tags as stored: space separated, or (events written by older versions) a list
    written as a Python repr or JSON."""
    text = value.strip()
    if text.startswith("["):
        try:
            parsed: Any = json.loads(text)
        except json.JSONDecodeError:
            try:
                parsed = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                parsed = None
        if isinstance(parsed, list):
            return [str(p) for p in parsed]
    return text.split()


def _json_value(field: str | None, raw: str | None) -> str:
    """A conflict's value (stored as JSON) as text."""
    if raw is None:
        return "\u2014"
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return value_text(field, raw)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return value_text(field, None if value is None else str(value))


def describe_event(e: TimelineEntry) -> str:
    who = e.author or ("the source" if e.source == "remote" else "RR Desktop")
    label = FIELD_LABELS.get(e.field or "", (e.field or "").replace("_", " "))
    why = f" ({e.reason})" if e.reason else ""
    if e.kind == "field_change":
        change = f"{value_text(e.field, e.old)} \u2192 {value_text(e.field, e.new)}"
        if e.field == "priority":
            because = f", because {e.reason}" if e.reason else ""
            return f"Priority {change}{because}"
        if e.source == "remote":
            return f"Changed on the source: {label} {change}"
        if e.source == "sync":
            return f"Sync set {label} {change}{why}"
        return f"{who} set {label} {change}{why}"
    if e.kind == "note":
        return f"Internal note by {who}:\n{e.new or ''}"
    if e.kind == "reply":
        return f"Reply to the reporter by {who}:\n{e.new or ''}"
    if e.kind == "fact":
        return f"Fact logged by {who}:\n{e.new or ''}"
    if e.kind == "conflict":
        return (f"Conflict on {label}: the source has {_json_value(e.field, e.old)}, "
                f"you set {_json_value(e.field, e.new)}; choose mine, theirs or edit in "
                "Outbox & sync (g o)")
    if e.kind == "conflict_resolved":
        return (f"{who} resolved the conflict on {label}: {e.reason or 'resolved'}, "
                f"{_json_value(e.field, e.new)}")
    if e.kind == "created":
        return f"Created by {who}" + (f" ({e.reason})" if e.reason else "")
    text = f": {e.new}" if e.new else ""
    return f"{e.kind.replace('_', ' ').capitalize()} by {who}{text}{why}"
