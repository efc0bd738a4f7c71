"""Statutory clocks of a playbook run as the incident screen shows them: when each runs
out, how long is left, and whether it is at risk (a quarter or less of its time left)
or breached. Pure (no Qt): the screen colours the result with the theme's SLA colours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain.incident import ClockSpec, IncidentState, PlaybookRun
from ..domain.sla import SlaState

AT_RISK_SHARE = 0.25  # at risk once this share of the clock's time or less is left


@dataclass(frozen=True, slots=True)
class ClockView:
    run: PlaybookRun
    clock: ClockSpec
    started: datetime | None  # None: waits for the step that starts it
    deadline: datetime | None
    remaining: timedelta | None
    state: SlaState | None  # OK, AT_RISK or BREACHED; None while not started


def clock_view(run: PlaybookRun, clock: ClockSpec, declared_at: datetime,
               now: datetime) -> ClockView:
    started = run.clock_start(clock, declared_at)
    if started is None:
        return ClockView(run, clock, None, None, None, None)
    total = timedelta(hours=clock.hours)
    deadline = started + total
    remaining = deadline - now
    if remaining <= timedelta(0):
        state = SlaState.BREACHED
    elif remaining <= total * AT_RISK_SHARE:
        state = SlaState.AT_RISK
    else:
        state = SlaState.OK
    return ClockView(run, clock, started, deadline, remaining, state)


def clocks(state: IncidentState, now: datetime) -> list[ClockView]:
    """Every clock of every run of the incident, in run and playbook order."""
    declared = state.declared_at
    if declared is None:
        return []
    return [clock_view(run, c, declared, now) for run in state.runs for c in run.clocks]


def span(delta: timedelta | None) -> str:
    """"—" (not reached), "45 min", "3 h 20 min", "2 d 4 h"."""
    if delta is None:
        return "\u2014"
    minutes = int(abs(delta).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, mins = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def remaining_text(view: ClockView) -> str:
    """The clock's cell: a symbol for the state (never colour alone) and the time."""
    if view.state is None:
        return f"not started (starts at {view.clock.starts})"
    if view.state is SlaState.BREACHED:
        return f"\u2716 breached {span(view.remaining)} ago"
    mark = "\u26a0 " if view.state is SlaState.AT_RISK else ""
    return f"{mark}{span(view.remaining)} left"
