"""Priority = f(severity, urgency, deadline proximity, reach signals), with its explanation.

The base comes from the severity x urgency matrix; close deadlines and large reach each
raise it one step (at most two steps in all, never above P0). Pure functions only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .enums import Priority, ReporterType, Severity, Urgency
from .escalation import PriorityAssessment

# Rows: severity S0..S3; columns: urgency U0..U3.
_MATRIX: tuple[tuple[Priority, ...], ...] = (
    (Priority.P0, Priority.P0, Priority.P1, Priority.P1),
    (Priority.P1, Priority.P1, Priority.P2, Priority.P2),
    (Priority.P2, Priority.P2, Priority.P3, Priority.P3),
    (Priority.P3, Priority.P3, Priority.P4, Priority.P4),
)

DEADLINE_NEAR = timedelta(hours=6)
VIEWS_HIGH = 1_000_000
SHARES_HIGH = 50_000
_STATUTORY = frozenset({ReporterType.REGULATOR, ReporterType.LAW_ENFORCEMENT})
_MAX_BUMP = 2


@dataclass(frozen=True, slots=True)
class PriorityFacts:
    """Everything priority depends on; nothing else may change it."""

    severity: Severity
    urgency: Urgency
    deadline_at: datetime | None = None
    views: int = 0
    shares: int = 0
    reporter_type: ReporterType = ReporterType.USER


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return f"{max(int(delta.total_seconds() // 60), 0)} min"
    return f"{hours:.0f} h"


def _count(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 1_000:
        return f"{n / 1_000:.0f}k"
    return str(n)


def assess_priority(facts: PriorityFacts, now: datetime) -> PriorityAssessment:
    """Derive priority and say why, e.g. "P0 because S0 x U1; regulator deadline 3 h away"."""
    base = _MATRIX[facts.severity][facts.urgency]
    reasons = [f"{facts.severity.name} x {facts.urgency.name} gives {base.name}"]
    bumps = 0
    if facts.deadline_at is not None:
        left = facts.deadline_at - now
        who = "regulator" if facts.reporter_type in _STATUTORY else "partner"
        if left <= timedelta(0):
            bumps += 1
            reasons.append(f"{who} deadline passed {_hours(-left)} ago")
        elif left <= DEADLINE_NEAR:
            bumps += 1
            reasons.append(f"{who} deadline {_hours(left)} away")
    if facts.views >= VIEWS_HIGH:
        bumps += 1
        reasons.append(f"{_count(facts.views)} views")
    elif facts.shares >= SHARES_HIGH:
        bumps += 1
        reasons.append(f"{_count(facts.shares)} shares")
    bumps = min(bumps, _MAX_BUMP)
    priority = Priority(max(base - bumps, Priority.P0))
    if priority != base:
        reasons[0] = f"{facts.severity.name} x {facts.urgency.name} gives {base.name}, raised"
    return PriorityAssessment(priority, tuple(reasons))


def priority_change(
    old: PriorityFacts, new: PriorityFacts, now: datetime
) -> tuple[PriorityAssessment, PriorityAssessment] | None:
    """(before, after) when the new facts change the priority at `now`, else None."""
    before = assess_priority(old, now)
    after = assess_priority(new, now)
    if before.priority == after.priority:
        return None
    return before, after
