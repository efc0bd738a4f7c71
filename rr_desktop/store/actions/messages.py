"""Messages written on an escalation (KEYMAP keys m, r): internal notes, evolving facts,
replies to the reporter."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..triage_result import count_phrase
from .base import ActionCommand, AskText, Plan, Skip, TriageAction, check_text


@dataclass(frozen=True, slots=True)
class AddNote(TriageAction):
    """An internal note on the source channel (key m); the composer may log it as an
    evolving fact instead (`LogFact`)."""

    text: str
    kind = "note"
    pushes = ("note",)
    inputs = (AskText("text", "note"),)
    commands = (ActionCommand("note", "Internal note / log a fact\u2026", ("M",),
                              "Write an internal note or log an evolving fact"),)

    @classmethod
    def build(cls, values: Mapping[str, Any]) -> TriageAction:
        if values.get("as_fact"):
            return LogFact(str(values["text"]))
        return cls(str(values["text"]))

    def validate(self, db: sqlite3.Connection, now: datetime) -> TriageAction:
        check_text(self.text, "note")
        return self

    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        return Plan(message=("note", self.text.strip()), done="note queued")

    def describe(self, n: int) -> tuple[str, str]:
        return f"add a note to {count_phrase(n)}", f"Queued a note on {count_phrase(n)}"


@dataclass(frozen=True, slots=True)
class LogFact(TriageAction):
    """An evolving fact on the timeline (key m, as a fact); sent to sources that keep
    facts."""

    text: str
    kind = "fact"
    pushes = ("fact",)

    def validate(self, db: sqlite3.Connection, now: datetime) -> TriageAction:
        check_text(self.text, "fact")
        return self

    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        return Plan(message=("fact", self.text.strip()), done="fact logged")

    def describe(self, n: int) -> tuple[str, str]:
        return f"log a fact on {count_phrase(n)}", f"Logged a fact on {count_phrase(n)}"


@dataclass(frozen=True, slots=True)
class Reply(TriageAction):
    """A reply to the reporter on the source channel (key r)."""

    text: str
    kind = "reply"
    pushes = ("reply",)
    inputs = (AskText("text", "reply"),)
    commands = (ActionCommand("reply", "Reply on source\u2026", ("R",),
                              "Reply to the reporter on the source channel"),)

    def validate(self, db: sqlite3.Connection, now: datetime) -> TriageAction:
        check_text(self.text, "reply")
        return self

    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        return Plan(message=("reply", self.text.strip()), done="reply queued")

    def describe(self, n: int) -> tuple[str, str]:
        return f"reply on {count_phrase(n)}", f"Queued a reply on {count_phrase(n)}"
