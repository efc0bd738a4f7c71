"""The triage table's columns, each defined once: header, explanation, the widest value
it should show unelided, and how a row reads in it (text, colour, weight, tooltip).

Adding a column is one `ColumnSpec` in `COLUMNS` plus its test (docs/recipes.md); the
model, the view's sizing and the header tooltips all read it from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from ...domain import Priority, Severity
from ...domain.sla import SlaState
from ...store.triage_queries import TriageRow
from .. import theme
from ..text import format_age, format_time, one_line, plain_tooltip, time_details

RAISED_RECENTLY_S = 6 * 3600
Cell = Callable[[TriageRow, int], Any]


def _none(_r: TriageRow, _now: int) -> None:
    return None


def _no(_r: TriageRow, _now: int) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column. Cell functions take the row and the time (epoch seconds); a `live`
    column moves with the clock and is computed when painted, the others once per row
    read. `stretch`: the column takes the width the others leave."""

    key: str
    header: str
    help: str
    sample: str
    text: Cell
    fg: Cell = _none
    bold: Cell = _no
    tooltip: Cell = _none
    live: bool = False
    stretch: bool = False
    sort: str = ""  # its `sort:` key (store/search.py SORT_KEYS)
    keep: int = 9  # in a narrow window, columns with the lowest `keep` go first


def sla_text(state: SlaState | None, due_at: int | None, now_s: int) -> str:
    """The SLA cell: a symbol for the state (never colour alone) and the time left."""
    if state is None:
        return ""
    if state is SlaState.PAUSED:
        return "\u23f8 paused"
    if state is SlaState.BREACHED and due_at is None:
        return "\u2716 met late"  # closed, but a target was missed
    if state is SlaState.MET or due_at is None:
        return "\u2713 met"
    left = due_at - now_s
    if state is SlaState.BREACHED:
        return f"\u2716 -{format_age(-left)}"
    mark = "\u26a0 " if state is SlaState.AT_RISK else ""
    return f"{mark}{format_age(left)}"


def _raised(r: TriageRow, now: int) -> bool:
    return r.priority_raised_at is not None and now - r.priority_raised_at < RAISED_RECENTLY_S


def _priority_tip(r: TriageRow, _now: int) -> str:
    if r.priority_raised_at is not None:
        return f"{r.priority.name}, raised {format_time(r.priority_raised_at)}"
    return r.priority.name


def _sla_tip(r: TriageRow, now: int) -> str:
    state = r.sla_state(now)
    if r.is_snoozed(now) and r.status.is_open and r.snoozed_until is not None:
        due = f"; the next clock is due {format_time(r.sla_due_at)}" if r.sla_due_at else ""
        return f"Snoozed until {format_time(r.snoozed_until)}{due}"
    if r.sla_due_at is None or state is None:
        return "No SLA clock running"
    return f"{state.value.replace('_', ' ')}: due {time_details(r.sla_due_at, r.market)}"


def _sla_cell(r: TriageRow, now: int) -> str:
    if r.is_snoozed(now) and r.status.is_open:  # out of the queue until then: say so
        return f"\u23f8 snoozed {format_age(r.snoozed_until - now)}" \
            if r.snoozed_until is not None else "\u23f8 snoozed"
    return sla_text(r.sla_state(now), r.sla_due_at, now)


def _sla_fg(r: TriageRow, now: int) -> Any:
    if r.is_snoozed(now) and r.status.is_open:
        return theme.SLA_FG.get(SlaState.PAUSED)
    state = r.sla_state(now)
    return theme.SLA_FG.get(state) if state is not None else theme.MUTED_FG


COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("severity", "Sev", "Severity, the impact if unaddressed: S0 critical ... S3 low",
               "S0", lambda r, _n: r.severity.name,
               fg=lambda r, _n: theme.SEVERITY_FG[r.severity],
               bold=lambda r, _n: r.severity <= Severity.S1,
               tooltip=lambda r, _n: r.severity.label, sort="sev"),
    ColumnSpec("priority", "Pri", "Priority, P0 first; \u25b2 = raised in the last 6 hours",
               "P0 \u25b2",
               lambda r, n: f"{r.priority.name} \u25b2" if _raised(r, n) else r.priority.name,
               fg=lambda r, _n: theme.PRIORITY_FG[r.priority],
               bold=lambda r, _n: r.priority <= Priority.P1, tooltip=_priority_tip, sort="pri"),
    ColumnSpec("status", "Status", "Where the escalation is in its lifecycle",
               "waiting on partner", lambda r, _n: r.status.label,
               tooltip=lambda r, _n: r.status.label, sort="status", keep=4),
    ColumnSpec("market", "Market", "Country (ISO 3166)", "NZ",
               lambda r, _n: one_line(r.market), sort="market", keep=2),
    ColumnSpec("channel", "Channel", "Where the escalation came from", "helpdesk",
               lambda r, _n: one_line(r.channel), sort="channel", keep=1),
    ColumnSpec("title", "Title", "As reported (untrusted text, shown literally)", "",
               lambda r, _n: one_line(r.title), tooltip=lambda r, _n: plain_tooltip(r.title),
               stretch=True, sort="title"),
    ColumnSpec("age", "Age", "Time since the escalation was created", "59 min",
               lambda r, n: format_age(n - r.created_at), fg=lambda r, _n: theme.MUTED_FG,
               tooltip=lambda r, _n: f"Created {time_details(r.created_at, r.market)}",
               live=True, sort="age", keep=3),
    ColumnSpec("sla", "SLA", "Time left on the next SLA clock (acknowledge, contain, "
               "resolve): \u26a0 at risk, \u2716 breached (or met late), \u23f8 paused while "
               "waiting or snoozed", "\u26a0 59 min", _sla_cell,
               fg=_sla_fg, bold=lambda r, n: r.sla_state(n) is SlaState.BREACHED
               and not (r.is_snoozed(n) and r.status.is_open),
               tooltip=_sla_tip, live=True, sort="sla"),
    ColumnSpec("assignee", "Assignee", "Who is working on it", "s.wulandari",
               lambda r, _n: one_line(r.assignee) if r.assignee else "\u2014",
               fg=lambda r, _n: None if r.assignee else theme.MUTED_FG, sort="assignee", keep=5),
)

Column = IntEnum("Column", [(c.key.upper(), i) for i, c in enumerate(COLUMNS)])  # type: ignore[misc]
"""Column numbers by name (Column.TITLE), in display order."""
