"""The stakeholder request ledger: per function, what was asked, of whom, when, due, the
answer, blocking or not. Overdue open requests are highlighted (and say so in words);
blocking ones are marked."""

from __future__ import annotations

from datetime import datetime

from ..domain.incident import IncidentState
from ..domain.sla import SlaState
from . import theme
from .incident_section import Row, Section, when

FUNCTIONS = ("Public Policy", "Legal", "Product", "Engineering", "Comms",
             "Law-Enforcement Response", "Market team")
HEADERS = ("Function", "Asked of", "Question", "Asked", "Due", "Blocking", "Status",
           "Answer")


def request_rows(state: IncidentState, now: datetime) -> list[Row]:
    rows = []
    for r in state.requests:
        overdue = r.overdue(now)
        due = when(r.due) if r.due is not None else "no due time"
        if overdue:
            due = f"\u2716 OVERDUE since {due}"
        fg = theme.SLA_FG[SlaState.BREACHED] if overdue else (
            theme.MUTED_FG if r.status != "open" else None)
        rows.append(Row((r.function, r.asked_of, r.question, f"{when(r.asked_at)} "
                         f"{r.asked_by}", due, "BLOCKING" if r.blocking else "no",
                         r.status, r.answer), r.uid, fg, overdue or
                        (r.blocking and r.status == "open"), r.question))
    return rows


class RequestsSection(Section):
    def __init__(self) -> None:
        super().__init__("Stakeholder requests", HEADERS, "incidentRequests")

    def show_state(self, state: IncidentState, now: datetime) -> None:
        self.set_rows(request_rows(state, now))
        overdue = sum(1 for r in state.requests if r.overdue(now))
        blocking = sum(1 for r in state.requests if r.blocking and r.status == "open")
        if overdue or blocking:
            self.heading.setText(f"{self.heading.text()} \u00b7 {overdue} overdue \u00b7 "
                                 f"{blocking} blocking")
