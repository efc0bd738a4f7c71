"""Triage edits of an escalation's fields (KEYMAP keys s, y, a, i, l, v, f)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...domain import Severity, Urgency
from .. import incident_log, incidents
from ..outbox import audit
from ..triage_result import count_phrase
from .base import (
    MAX_NAME,
    ActionCommand,
    AskAnalyst,
    AskIncident,
    AskQueue,
    AskTags,
    Identity,
    Plan,
    Skip,
    TriageAction,
    check_name,
)


@dataclass(frozen=True, slots=True)
class SetSeverity(TriageAction):
    """Set severity (key s); priority is re-derived and the change recorded with why."""

    severity: Severity
    kind = "severity"
    pushes = ("severity",)
    commands = tuple(ActionCommand(f"severity-{n}", f"Severity S{n}", (f"S, {n}",),
                                   f"Set severity to S{n}", (("severity", Severity(n)),))
                     for n in range(4))

    def validate(self, db: sqlite3.Connection, now: datetime) -> TriageAction:
        if not isinstance(self.severity, Severity):
            raise ValueError(f"{self.severity!r} is not a severity; use S0, S1, S2 or S3.")
        return self

    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        if cur["severity"] == int(self.severity):
            return Skip(True, f"already {self.severity.name}")
        return Plan(edits={"severity": self.severity.name}, done=f"severity {self.severity.name}")

    def describe(self, n: int) -> tuple[str, str]:
        name, c = self.severity.name, count_phrase(n)
        return f"set {name} on {c}", f"Set {name} on {c}"


@dataclass(frozen=True, slots=True)
class SetUrgency(TriageAction):
    """Set urgency (key y); priority is re-derived and the change recorded with why."""

    urgency: Urgency
    kind = "urgency"
    pushes = ("urgency",)
    commands = tuple(ActionCommand(f"urgency-{n}", f"Urgency U{n}", (f"Y, {n}",),
                                   f"Set urgency to U{n}", (("urgency", Urgency(n)),))
                     for n in range(4))

    def validate(self, db: sqlite3.Connection, now: datetime) -> TriageAction:
        if not isinstance(self.urgency, Urgency):
            raise ValueError(f"{self.urgency!r} is not an urgency; use U0, U1, U2 or U3.")
        return self

    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        if cur["urgency"] == int(self.urgency):
            return Skip(True, f"already {self.urgency.name}")
        return Plan(edits={"urgency": self.urgency.name}, done=f"urgency {self.urgency.name}")

    def describe(self, n: int) -> tuple[str, str]:
        name, c = self.urgency.name, count_phrase(n)
        return f"set {name} on {c}", f"Set {name} on {c}"


@dataclass(frozen=True, slots=True)
class Assign(TriageAction):
    """Assign to an analyst id, or unassign with None (keys a, i)."""

    assignee: str | None
    kind = "assign"
    pushes = ("assignee",)
    inputs = (AskAnalyst("assignee"),)
    commands = (
        ActionCommand("assign", "Assign\u2026", ("A",), "Assign to an analyst (picker)"),
        ActionCommand("assign-me", "Assign to me", ("I",), "Assign to yourself",
                      inputs=(Identity("assignee"),)),
    )

    def validate(self, db: sqlite3.Connection, now: datetime) -> TriageAction:
        if self.assignee is not None:
            check_name(self.assignee, "assignee")
        return self

    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        who = self.assignee
        if cur["assignee"] == who:
            return Skip(True, f"already assigned to {who}" if who else "already unassigned")
        return Plan(edits={"assignee": who}, done=f"assigned to {who}" if who else "unassigned")

    def describe(self, n: int) -> tuple[str, str]:
        c = count_phrase(n)
        if self.assignee is None:
            return f"unassign {c}", f"Unassigned {c}"
        return f"assign {c} to {self.assignee}", f"Assigned {c} to {self.assignee}"


@dataclass(frozen=True, slots=True)
class AssignEach(TriageAction):
    """Each escalation to its own analyst in one batch: the lead board's rebalance (`b`,
    docs/lead-board.md). `moves`: (escalation id, assignee expected now, new assignee); an
    item whose assignee changed since the proposal is left alone. The same push, audit
    (`triage.assign`) and undo as Assign; no keys of its own."""

    moves: tuple[tuple[int, str | None, str], ...]
    kind = "assign"
    pushes = ("assignee",)

    def validate(self, db: sqlite3.Connection, now: datetime) -> TriageAction:
        for _esc, _was, who in self.moves:
            check_name(who, "assignee")
        return self

    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        move = next((m for m in self.moves if m[0] == esc_id), None)
        if move is None:
            return Skip(False, "not in the proposal")
        _esc, was, who = move
        if cur["assignee"] == who:
            return Skip(True, f"already assigned to {who}")
        if cur["assignee"] != was:
            return Skip(False, f"reassigned to {cur['assignee'] or 'nobody'} since the "
                               "proposal")
        return Plan(edits={"assignee": who}, done=f"assigned to {who}")

    def describe(self, n: int) -> tuple[str, str]:
        c = count_phrase(n)
        return f"rebalance {c}", f"Rebalanced {c}"


@dataclass(frozen=True, slots=True)
class Tag(TriageAction):
    """Add and remove tags (key l); tags are single words."""

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    kind = "tag"
    pushes = ("tags",)
    inputs = (AskTags("add"),)
    commands = (ActionCommand("tags", "Labels / tags\u2026", ("L",), "Add or remove tags"),)

    def validate(self, db: sqlite3.Connection, now: datetime) -> TriageAction:
        if not self.add and not self.remove:
            raise ValueError("Say which tags to add or remove.")
        for tag in (*self.add, *self.remove):
            if not tag or any(ch.isspace() for ch in tag) or len(tag) > MAX_NAME:
                raise ValueError(f"Tags are single words of at most {MAX_NAME} "
                                 f"characters; {tag!r} is not one.")
        if set(self.add) & set(self.remove):
            raise ValueError("A tag cannot be added and removed at once.")
        return self

    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        tags = [t for t in str(cur["tags"] or "").split() if t not in self.remove]
        tags += [t for t in self.add if t not in tags]
        if " ".join(tags) == (cur["tags"] or ""):
            return Skip(True, "tags unchanged")
        return Plan(edits={"tags": tags}, done="tags " + (" ".join(tags) or "cleared"))

    def describe(self, n: int) -> tuple[str, str]:
        change = " ".join([*(f"+{t}" for t in self.add), *(f"-{t}" for t in self.remove)])
        c = count_phrase(n)
        return f"tag {c} {change}", f"Tagged {c} {change}"


@dataclass(frozen=True, slots=True)
class MoveQueue(TriageAction):
    """Move to a local queue / team column such as "apac-tier1" or "legal-review" (key v)."""

    queue: str
    kind = "queue"
    keeps_local = ("queue",)
    inputs = (AskQueue("queue"),)
    commands = (ActionCommand("move-queue", "Move to queue\u2026", ("V",),
                              "Move to another queue"),)

    def validate(self, db: sqlite3.Connection, now: datetime) -> TriageAction:
        check_name(self.queue, "queue")
        return self

    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        name = self.queue.strip()
        if cur["queue"] == name:
            return Skip(True, f"already in {name}")
        return Plan(local={"queue": name}, done=f"moved to {name}")

    def describe(self, n: int) -> tuple[str, str]:
        name, c = self.queue.strip(), count_phrase(n)
        return f"move {c} to {name}", f"Moved {c} to {name}"


@dataclass(frozen=True, slots=True)
class EscalateToIncident(TriageAction):
    """Add to an existing incident, or create one titled `new_title` (key f)."""

    incident_id: int | None = None
    new_title: str | None = None
    kind = "incident"
    keeps_local = ("incident_id",)
    inputs = (AskIncident("incident_id"),)
    commands = (ActionCommand("escalate-incident", "Escalate to incident\u2026", ("F",),
                              "Add to an incident, or create one by title"),)

    def validate(self, db: sqlite3.Connection, now: datetime) -> TriageAction:
        iid, title = self.incident_id, self.new_title
        if (iid is None) == (title is None):
            raise ValueError("Choose an incident or give a title for a new one "
                             "(one of the two).")
        if title is not None:
            incidents.clean_title(title)
        elif (found := incidents.get_incident(db, int(iid or 0))) is None:
            raise ValueError(f"Incident #{iid} does not exist.")
        elif found.status == "closed":
            raise ValueError(f"Incident #{iid} is closed; choose an open one.")
        return self

    def prepare(self, db: sqlite3.Connection, actor: str, now: datetime,
                detail: dict[str, Any]) -> int | None:
        if self.incident_id is not None:
            return self.incident_id
        assert self.new_title is not None
        made = incidents.create_incident(db, self.new_title, actor, now)
        detail["created_incident"] = {"id": made, "title": incidents.clean_title(self.new_title),
                                      "uid": incident_log.uid_of(db, made)}
        audit(db, actor, "incident_created", now, None, None, incident_id=made,
              title=detail["created_incident"]["title"])
        return made

    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        if cur["incident_id"] == prepared:
            return Skip(True, f"already in incident #{prepared}")
        return Plan(local={"incident_id": prepared}, done=f"added to #{prepared}")

    def describe(self, n: int) -> tuple[str, str]:
        target = (f"#{self.incident_id}" if self.incident_id is not None
                  else f"new incident \"{self.new_title}\"")
        c = count_phrase(n)
        return f"add {c} to {target}", f"Added {c} to {target}"
