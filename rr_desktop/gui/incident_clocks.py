"""Statutory clocks of a playbook run as the incident screen shows them: when each runs
out, how long is left, and whether it is at risk or breached, read by the domain's one
rule (domain/statutory_clock.py, docs/playbooks.md). Pure (no Qt): the screen colours
the result with the theme's SLA colours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain.incident import IncidentState, PlaybookRun
from ..domain.sla import SlaState
from ..domain.statutory_clock import ClockState, StatutoryClock, read_statutory_clock

_SHOWN = {ClockState.RUNNING: SlaState.OK, ClockState.AT_RISK: SlaState.AT_RISK,
          ClockState.BREACHED: SlaState.BREACHED, ClockState.MET: SlaState.OK}


@dataclass(frozen=True, slots=True)
class ClockView:
    run: PlaybookRun
    clock: StatutoryClock
    started: datetime | None  # None: waits for the step that starts it
    deadline: datetime | None
    remaining: timedelta | None
    state: SlaState | None  # OK, AT_RISK or BREACHED; None while not started


def clock_view(run: PlaybookRun, clock: StatutoryClock, declared_at: datetime,
               now: datetime) -> ClockView:
    reading = read_statutory_clock(clock, declared_at, run.steps_done_at(), now)
    if reading.state is ClockState.NOT_STARTED:
        return ClockView(run, clock, None, None, None, None)
    return ClockView(run, clock, reading.started_at, reading.deadline, reading.remaining,
                     _SHOWN[reading.state])


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
