from __future__ import annotations

from datetime import timedelta

from rr_desktop.domain import (
    Priority,
    PriorityFacts,
    ReporterType,
    Severity,
    Urgency,
    assess_priority,
    priority_change,
)
from tests.factories import T0


def test_matrix_gives_base_priority() -> None:
    assert assess_priority(PriorityFacts(Severity.S0, Urgency.U0), T0).priority == Priority.P0
    assert assess_priority(PriorityFacts(Severity.S3, Urgency.U3), T0).priority == Priority.P4
    assert assess_priority(PriorityFacts(Severity.S2, Urgency.U1), T0).priority == Priority.P2


def test_close_regulator_deadline_raises_and_explains() -> None:
    facts = PriorityFacts(Severity.S1, Urgency.U2, T0 + timedelta(hours=3),
                          reporter_type=ReporterType.REGULATOR)
    a = assess_priority(facts, T0)
    assert a.priority == Priority.P1
    assert "regulator deadline 3 h away" in a.explain()


def test_reach_and_deadline_raise_at_most_two_steps() -> None:
    facts = PriorityFacts(Severity.S3, Urgency.U3, T0 - timedelta(hours=1), views=5_000_000)
    a = assess_priority(facts, T0)
    assert a.priority == Priority.P2
    assert any("deadline passed" in r for r in a.reasons)
    assert any("5.0M views" in r for r in a.reasons)


def test_priority_change_only_when_it_changes() -> None:
    old = PriorityFacts(Severity.S2, Urgency.U2, views=10_000)
    assert priority_change(old, PriorityFacts(Severity.S2, Urgency.U2, views=20_000), T0) is None
    change = priority_change(old, PriorityFacts(Severity.S2, Urgency.U2, views=1_200_000), T0)
    assert change is not None
    before, after = change
    assert (before.priority, after.priority) == (Priority.P3, Priority.P2)
