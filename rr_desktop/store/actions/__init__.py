"""Triage actions, one class each (see actions/base.py), in the order their commands are
listed in menus, the command palette, the `?` overlay and the README."""

from __future__ import annotations

from .base import (
    ActionCommand,
    AskAnalyst,
    AskCanonical,
    AskIncident,
    AskQueue,
    AskReason,
    AskSnooze,
    AskTags,
    AskText,
    Identity,
    Input,
    Plan,
    Skip,
    TriageAction,
)
from .decisions import Accept, Decline, MarkDuplicate, Resolve, Snooze, Unsnooze
from .fields import Assign, AssignEach, EscalateToIncident, MoveQueue, SetSeverity, SetUrgency, Tag
from .messages import AddNote, LogFact, Reply

ACTION_TYPES: tuple[type[TriageAction], ...] = (
    Accept, MarkDuplicate, Decline, Snooze, Resolve, SetSeverity, SetUrgency, Assign, Tag,
    MoveQueue, EscalateToIncident, AddNote, Reply, LogFact, Unsnooze,
)

__all__ = [
    "ACTION_TYPES", "Accept", "ActionCommand", "AddNote", "AskAnalyst", "AskCanonical",
    "AskIncident", "AskQueue", "AskReason", "AskSnooze", "AskTags", "AskText", "Assign",
    "AssignEach",
    "Decline", "EscalateToIncident", "Identity", "Input", "LogFact", "MarkDuplicate",
    "MoveQueue", "Plan", "Reply", "Resolve", "SetSeverity", "SetUrgency", "Skip", "Snooze",
    "Tag", "TriageAction", "Unsnooze", "count_phrase",
]
