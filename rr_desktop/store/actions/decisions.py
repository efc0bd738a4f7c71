"""Triage decisions (KEYMAP keys 1, 2, 3, h, e): where an escalation goes next."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...domain import Status
from ..local_edits import local_text
from ..timecodec import to_epoch
from ..triage_result import count_phrase
from .base import (
    MAX_SNOOZE_S,
    ActionCommand,
    AskCanonical,
    AskReason,
    AskSnooze,
    Plan,
    Skip,
    TriageAction,
    check_reason,
)

DUPLICATE_REASONS = ("Same content", "Same account", "Same report, other channel")


def status_of(cur: Mapping[str, Any]) -> tuple[Status | None, str, bool]:
    """(status, how it reads, whether it is closed) of a snapshot."""
    try:
        status: Status | None = Status(cur["status"])
    except ValueError:
        status = None
    label = status.label if status is not None else str(cur["status"])
    return status, label, status is not None and not status.is_open


@dataclass(frozen=True, slots=True)
class Accept(TriageAction):
    """Accept into work: status -> triaged (key 1)."""

    kind = "accept"
    advances = True
    pushes = ("status",)
    commands = (ActionCommand("accept", "Accept into work", ("1",),
                              "Mark as triaged (accepted into work), then next"),)

    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        status, label, closed = status_of(cur)
        if status in (Status.NEW, Status.SNOOZED):
            return Plan(edits={"status": Status.TRIAGED.value}, done="accepted")
        return Skip(not closed, f"already {label}")

    def describe(self, n: int) -> tuple[str, str]:
        return f"accept {count_phrase(n)}", f"Accepted {count_phrase(n)}"


@dataclass(frozen=True, slots=True)
class Decline(TriageAction):
    """Decline with a reason (key 3): status -> declined."""

    reason: str
    kind = "decline"
    advances = True
    pushes = ("status", "status_reason")
    inputs = (AskReason("reason", "Decline {target}: why?", presets_setting="decline_reasons"),)
    commands = (ActionCommand("decline", "Decline\u2026", ("3",),
                              "Decline with a reason, then next"),)

    def why(self) -> str | None:
        return self.reason

    def validate(self, db: sqlite3.Connection, now: datetime) -> TriageAction:
        check_reason(self.reason, "decline")
        return self

    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        status, label, closed = status_of(cur)
        if status is Status.DECLINED:
            return Skip(True, "already declined")
        if closed:
            return Skip(False, f"already {label}")
        return Plan(edits={"status": Status.DECLINED.value},
                    context={"status_reason": self.reason.strip()}, done="declined")

    def describe(self, n: int) -> tuple[str, str]:
        return f"decline {count_phrase(n)}", f"Declined {count_phrase(n)}"


@dataclass(frozen=True, slots=True)
class MarkDuplicate(TriageAction):
    """Duplicate of `canonical_id` (key 2): status -> duplicate, duplicate_of kept locally."""

    canonical_id: int
    reason: str
    canonical_ref: str = ""  # how the analyst knows the canonical (its source's id)
    kind = "duplicate"
    advances = True
    pushes = ("status", "duplicate_of", "status_reason")
    keeps_local = ("duplicate_of",)
    inputs = (AskCanonical("canonical_id"),
              AskReason("reason", "{target} duplicates {canonical_id_ref}: why?",
                        DUPLICATE_REASONS))
    commands = (ActionCommand(
        "mark-duplicate", "Mark duplicate\u2026", ("2",),
        "Mark as a duplicate of another escalation (asks which, and why), then next"),)

    def why(self) -> str | None:
        return self.reason

    def validate(self, db: sqlite3.Connection, now: datetime) -> TriageAction:
        check_reason(self.reason, "mark a duplicate")
        canonical = _canonical(db, self.canonical_id)
        (external_id,) = db.execute("SELECT external_id FROM escalation WHERE id = ?",
                                    (canonical,)).fetchone()
        return MarkDuplicate(canonical, self.reason, str(external_id))

    @property
    def _canonical_name(self) -> str:
        return self.canonical_ref or f"#{self.canonical_id}"

    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        status, label, closed = status_of(cur)
        canonical = self.canonical_id
        if esc_id == canonical:
            return Skip(False, "is the canonical item itself")
        if status is Status.DUPLICATE and cur["duplicate_of"] == canonical:
            return Skip(True, f"already a duplicate of {self._canonical_name}")
        if closed and status is not Status.DUPLICATE:
            return Skip(False, f"already {label}")
        return Plan(edits={"status": Status.DUPLICATE.value},
                    local={"duplicate_of": canonical},
                    context={"duplicate_of": canonical, "status_reason": self.reason.strip()},
                    done=f"duplicate of {self._canonical_name}")

    def describe(self, n: int) -> tuple[str, str]:
        c, canonical = count_phrase(n), self._canonical_name
        return (f"mark {c} duplicate of {canonical}", f"Marked {c} duplicate of {canonical}")


def _canonical(db: sqlite3.Connection, esc_id: int) -> int:
    """The escalation at the end of `esc_id`'s own duplicate chain."""
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


@dataclass(frozen=True, slots=True)
class Snooze(TriageAction):
    """Hide from Triage until `until` (key h); the status stays, the snooze is local."""

    until: datetime
    reason: str
    kind = "snooze"
    advances = True
    keeps_local = ("snoozed_until",)
    inputs = (AskSnooze("until"),)
    commands = (ActionCommand(
        "snooze", "Snooze\u2026", ("H",),
        "Hide until later (1 h, 4 h, tomorrow, custom) with a reason, then next"),)

    def why(self) -> str | None:
        return self.reason

    def validate(self, db: sqlite3.Connection, now: datetime) -> TriageAction:
        check_reason(self.reason, "snooze")
        left = to_epoch(self.until) - to_epoch(now)
        if left <= 0:
            raise ValueError("A snooze must end in the future; pick a later time.")
        if left > MAX_SNOOZE_S:
            raise ValueError("A snooze can last at most a year.")
        return self

    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        _status, label, closed = status_of(cur)
        if closed:
            return Skip(False, f"already {label}: nothing to snooze")
        until_s = to_epoch(self.until)
        if cur["snoozed_until"] == until_s:
            return Skip(True, "already snoozed until then")
        return Plan(local={"snoozed_until": until_s},
                    done=f"snoozed until {local_text('snoozed_until', until_s)}")

    def describe(self, n: int) -> tuple[str, str]:
        when = local_text("snoozed_until", to_epoch(self.until))
        c = count_phrase(n)
        return f"snooze {c} until {when}", f"Snoozed {c} until {when}"


@dataclass(frozen=True, slots=True)
class Unsnooze(TriageAction):
    """Bring snoozed items back now."""

    kind = "unsnooze"
    keeps_local = ("snoozed_until",)

    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        if cur["snoozed_until"] is None:
            return Skip(True, "not snoozed")
        return Plan(local={"snoozed_until": None}, done="back in the queue")

    def describe(self, n: int) -> tuple[str, str]:
        return f"wake {count_phrase(n)}", f"Woke {count_phrase(n)}"


@dataclass(frozen=True, slots=True)
class Resolve(TriageAction):
    """Resolve / done (key e): status -> resolved."""

    kind = "resolve"
    advances = True
    pushes = ("status",)
    commands = (ActionCommand("resolve", "Resolve", ("E",), "Mark as resolved, then next"),)

    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        status, label, closed = status_of(cur)
        if status in (Status.RESOLVED, Status.CLOSED):
            return Skip(True, f"already {label}")
        if closed:
            return Skip(False, f"already {label}")
        return Plan(edits={"status": Status.RESOLVED.value}, done="resolved")

    def describe(self, n: int) -> tuple[str, str]:
        return f"resolve {count_phrase(n)}", f"Resolved {count_phrase(n)}"
