"""What every triage action is: one class that validates its input, plans its writes for
one escalation, describes itself, says what reaches the source and whether the cursor
moves on, and names the commands (keys) that run it and what they ask the analyst first.

Adding an action is one class in this package plus its entry in `ACTION_TYPES`
(actions/__init__.py) and its test: the keymap, the menus, the command palette, the `?`
overlay and the README table pick up its commands, and the GUI asks for its `inputs`
with the prompts it already has (docs/recipes.md).
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

MAX_REASON = 2_000
MAX_TEXT = 100_000
MAX_NAME = 64
MAX_SNOOZE_S = 366 * 86400


# -- what an action asks before it runs (the GUI has one prompt per kind) -----------------


@dataclass(frozen=True, slots=True)
class Input:
    """Something the analyst gives before the action runs; fills argument `key`."""

    key: str


@dataclass(frozen=True, slots=True)
class AskReason(Input):
    """A short reason. `question` may name `{target}`, an earlier answer `{key}` and, for
    an escalation an earlier answer named, `{key_ref}` (its source id and title); presets
    are one key away, from the action itself or from a list setting (`presets_setting`)."""

    question: str = "Why?"
    presets: tuple[str, ...] = ()
    presets_setting: str | None = None


@dataclass(frozen=True, slots=True)
class AskCanonical(Input):
    """The escalation the targets duplicate (suggested duplicates first)."""


@dataclass(frozen=True, slots=True)
class AskSnooze(Input):
    """When to bring the targets back; fills `key` and `reason`."""


@dataclass(frozen=True, slots=True)
class AskAnalyst(Input):
    """An analyst of the roster (or none)."""


@dataclass(frozen=True, slots=True)
class AskQueue(Input):
    """A queue from the `queues` setting."""


@dataclass(frozen=True, slots=True)
class AskIncident(Input):
    """An open incident, or the title of a new one; fills `incident_id` or `new_title`."""


@dataclass(frozen=True, slots=True)
class AskTags(Input):
    """Tags to add and remove; fills `add` and `remove`."""


@dataclass(frozen=True, slots=True)
class Identity(Input):
    """Filled with the analyst's own id (never asked, never the OS login)."""


@dataclass(frozen=True, slots=True)
class AskText(Input):
    """Text written in the composer (`kind`: note, reply); fills `key`, plus
    `as_fact` when a note may be logged as a fact instead."""

    kind: str = "note"


# -- the commands that run an action ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActionCommand:
    """A registered command running an action: its keymap entry, fixed arguments
    (`params`, e.g. the severity of "s 0") and, when they differ from the action's own,
    the inputs it takes (`inputs`, e.g. "assign to me" asks nothing)."""

    name: str
    title: str
    keys: tuple[str, ...]
    help: str
    params: tuple[tuple[str, Any], ...] = ()
    modes: tuple[str, ...] = ("list", "detail")
    inputs: tuple[Input, ...] | None = None


# -- what an action writes for one escalation ---------------------------------------------


@dataclass(slots=True)
class Plan:
    """The writes for one escalation: source fields (wire values, pushed where the
    channel's source receives them), what the source receives with them (`context`: a
    decline's reason, the local id of the escalation duplicated), local columns, a
    message (note | reply | fact, text), and the outcome's word ("accepted")."""

    edits: dict[str, Any] = field(default_factory=dict)
    local: dict[str, Any] = field(default_factory=dict)
    message: tuple[str, str] | None = None
    done: str = "done"
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Skip:
    """Nothing to write for one escalation: `ok` says whether it is as asked already."""

    ok: bool
    message: str


class TriageAction(ABC):
    """One triage decision or edit, applied to one escalation or a batch.

    Class attributes say what it is: `kind` (stable name in the audit and undo logs),
    `advances` (the cursor moves on, KEYMAP rule 3), `pushes` (what reaches the source
    channel, for the push matrix), `keeps_local` (what stays on this machine), `inputs`
    (asked before it runs) and `commands` (its keys)."""

    __slots__ = ()

    kind: ClassVar[str]
    advances: ClassVar[bool] = False
    pushes: ClassVar[tuple[str, ...]] = ()
    keeps_local: ClassVar[tuple[str, ...]] = ()
    inputs: ClassVar[tuple[Input, ...]] = ()
    commands: ClassVar[tuple[ActionCommand, ...]] = ()

    @classmethod
    def inputs_of(cls, command: ActionCommand) -> tuple[Input, ...]:
        """What `command` asks before the action runs."""
        return cls.inputs if command.inputs is None else command.inputs

    @classmethod
    def build(cls, values: Mapping[str, Any]) -> TriageAction:
        """The action from a command's params and the analyst's answers."""
        return cls(**values)

    def why(self) -> str | None:
        """The analyst's reason, for the timeline and audit (actions that ask for one)."""
        return None

    def validate(self, db: sqlite3.Connection, now: datetime) -> TriageAction:
        """Raise ValueError (a sentence the GUI shows as it is) when the action cannot run;
        return it, normalised where needed. Runs before anything is written."""
        return self

    def prepare(self, db: sqlite3.Connection, actor: str, now: datetime,
                detail: dict[str, Any]) -> int | None:
        """Batch-level writes before the items (a new incident); returns an id the
        plans use. `detail` keeps what undo needs to know."""
        return None

    @abstractmethod
    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        """The writes for escalation `esc_id` whose tracked columns are `cur`."""

    @abstractmethod
    def describe(self, n: int) -> tuple[str, str]:
        """(imperative, past) sentences for `n` escalations: ("decline 100 escalations",
        "Declined 100 escalations"). The imperative follows "Undo: " in menus."""


def check_reason(reason: str, verb: str) -> None:
    if not reason.strip():
        raise ValueError(f"A reason is required to {verb}: say in a few words why.")
    if len(reason) > MAX_REASON:
        raise ValueError(f"A reason can be at most {MAX_REASON:,} characters.")


def check_text(text: str, what: str) -> None:
    if not text.strip():
        raise ValueError(f"The {what} is empty; write something first.")
    if len(text) > MAX_TEXT:
        raise ValueError(f"A {what} can be at most {MAX_TEXT:,} characters.")


def check_name(value: str, what: str) -> None:
    if not value.strip():
        raise ValueError(f"The {what} name is empty.")
    if len(value.strip()) > MAX_NAME or any(not ch.isprintable() for ch in value):
        raise ValueError(f"A {what} name is at most {MAX_NAME} printable characters.")
