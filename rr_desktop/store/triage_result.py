"""What a triage write changed (STYLE habit 3): the GUI redraws only `changed_ids`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """What happened to one escalation of a batch. `ok` is False when the escalation did
    not end up as asked (not in the cache, already declined...); `changed` says whether
    anything was written for it."""

    escalation_id: int
    ok: bool
    message: str
    changed: bool = False


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """The result of an action, an undo or a redo: the ids whose rows changed, one outcome
    per requested id (in request order), the undo-log batch (None when nothing changed)
    and a sentence for the toast ("Declined 100 escalations")."""

    changed_ids: frozenset[int]
    outcomes: tuple[ActionOutcome, ...]
    undo_id: int | None
    description: str

    @property
    def failed(self) -> tuple[ActionOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)


def count_phrase(n: int) -> str:
    """"1 escalation", "100 escalations"."""
    return f"{n:,} escalation" + ("" if n == 1 else "s")
