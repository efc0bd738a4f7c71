"""What a write changed (STYLE habit 3; Anki's OpChanges): every operation reports it, and
each screen redraws only what it shows of it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Changes:
    """`escalations`: rows whose fields changed (redraw them; views may re-order);
    `views`: the saved views changed (Ctrl+1..9, the View menu); `outbox`: queued
    changes, conflicts or quarantine changed; `channels`: channel rows or their sync
    state changed; `incidents`, `roster`: those tables changed."""

    escalations: frozenset[int] = frozenset()
    views: bool = False
    outbox: bool = False
    channels: bool = False
    incidents: bool = False
    roster: bool = False
    all_rows: bool = False

    @classmethod
    def of_escalations(cls, ids: Iterable[int], outbox: bool = True) -> Changes:
        """Rows changed by a local edit (which queues changes for the source)."""
        return cls(frozenset(ids), outbox=outbox)

    def __or__(self, other: Changes) -> Changes:
        return Changes(self.escalations | other.escalations, self.views or other.views,
                       self.outbox or other.outbox, self.channels or other.channels,
                       self.incidents or other.incidents, self.roster or other.roster,
                       self.all_rows or other.all_rows)

    def __bool__(self) -> bool:
        return bool(self.escalations) or self.views or self.outbox or self.channels \
            or self.incidents or self.roster or self.all_rows


NOTHING = Changes()
