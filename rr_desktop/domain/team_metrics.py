"""Team metrics for coaching (docs/lead-board.md, "Team metrics"): per analyst over a
period, from each escalation's status history. Pure: the same history, the same figures.

- triaged: items whose first move out of `new` falls in the period, credited to whoever
  made it (the author of a local change; for a change the source made, the item's
  assignee); time to triage: that moment minus the item's creation;
- contained: items whose first move to `contained` falls in the period, credited the
  same way; time to contain: that moment minus creation;
- SLA breaches: of those, triages later than the acknowledge target for the item's
  severity, plus containments later than the contain target (each counts once);
- reopen rate: of the items they resolved or closed in the period, the share moved back
  to an open status afterwards (by anyone, whenever).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from .enums import Severity, Status

_DONE = frozenset({Status.RESOLVED.value, Status.CLOSED.value})
_OPEN = frozenset(s.value for s in Status if s.is_open)


@dataclass(frozen=True, slots=True)
class StatusChange:
    at: datetime
    old: str
    new: str
    author: str | None  # None: the source made it


@dataclass(frozen=True, slots=True)
class ItemHistory:
    escalation_id: int
    created_at: datetime
    severity: Severity
    assignee: str | None
    changes: tuple[StatusChange, ...]  # oldest first


@dataclass(frozen=True, slots=True)
class SlaTargets:
    """Seconds from creation, by severity."""

    acknowledge_s: Mapping[Severity, int]
    contain_s: Mapping[Severity, int]


@dataclass(frozen=True, slots=True)
class AnalystMetrics:
    analyst: str
    triaged: int
    median_triage_s: float | None
    contained: int
    median_contain_s: float | None
    sla_breaches: int
    resolved: int
    reopened: int

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.resolved if self.resolved else None


@dataclass
class _Tally:
    triage_s: list[float]
    contain_s: list[float]
    breaches: int = 0
    resolved: int = 0
    reopened: int = 0


def team_metrics(items: Iterable[ItemHistory], targets: SlaTargets, start: datetime,
                 end: datetime) -> list[AnalystMetrics]:
    """Per analyst with anything in [start, end), by analyst id."""
    tallies: dict[str, _Tally] = {}

    def tally(who: str) -> _Tally:
        return tallies.setdefault(who, _Tally([], []))

    for item in items:
        changes = sorted(item.changes, key=lambda c: c.at)
        triage = next((c for c in changes if c.old == Status.NEW.value
                       and c.new != Status.NEW.value), None)
        contain = next((c for c in changes if c.new == Status.CONTAINED.value), None)
        for change, kind in ((triage, "triage"), (contain, "contain")):
            who = None if change is None else (change.author or item.assignee)
            if change is None or who is None or not start <= change.at < end:
                continue
            took = (change.at - item.created_at).total_seconds()
            t = tally(who)
            (t.triage_s if kind == "triage" else t.contain_s).append(took)
            target = (targets.acknowledge_s if kind == "triage"
                      else targets.contain_s).get(item.severity)
            if target is not None and took > target:
                t.breaches += 1
        for n, change in enumerate(changes):
            who = change.author or item.assignee
            if change.new not in _DONE or change.old in _DONE or who is None \
                    or not start <= change.at < end:
                continue
            t = tally(who)
            t.resolved += 1
            if any(later.new in _OPEN for later in changes[n + 1:]):
                t.reopened += 1
    return [AnalystMetrics(who, len(t.triage_s), _median(t.triage_s), len(t.contain_s),
                           _median(t.contain_s), t.breaches, t.resolved, t.reopened)
            for who, t in sorted(tallies.items())]


def _median(values: list[float]) -> float | None:
    return float(median(values)) if values else None
