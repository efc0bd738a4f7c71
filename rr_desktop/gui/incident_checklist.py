"""The playbook section: each run's checklist (space ticks the selected step, e records
evidence or a note; each tick is timestamped into the timeline) and its statutory clocks
below, at risk and breached ones in the theme's SLA colours and words."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QAbstractItemView, QTableWidget

from ..domain.incident import IncidentState
from ..domain.sla import SlaState
from . import theme
from .incident_clocks import clocks, remaining_text
from .incident_section import Row, Section, when

HEADERS = ("Done", "Step", "Role", "Required", "Done at", "Evidence / note", "Playbook")
CLOCK_HEADERS = ("Clock", "Market", "Deadline", "Left", "Playbook")


def step_key(run: str, step: str) -> str:
    return f"{run}\n{step}"


def split_key(key: str) -> tuple[str, str]:
    run, _, step = key.partition("\n")
    return run, step


def step_rows(state: IncidentState) -> list[Row]:
    rows = []
    for run in state.runs:
        for st in run.steps:
            done = "\u2713 done" if st.done else "to do"
            extra = " \u00b7 ".join(x for x in (st.evidence_text, st.note) if x)
            wanted = f" (evidence: {st.evidence})" if st.evidence and not extra else ""
            rows.append(Row((done, st.title, st.role, "required" if st.required else "",
                             f"{when(st.done_at)} {st.done_by}".strip() if st.done else "",
                             extra + wanted, run.title or run.playbook),
                            step_key(run.run, st.id), theme.MUTED_FG if st.done else None,
                            tip=st.evidence))
    return rows


def clock_rows(state: IncidentState, now: datetime) -> list[Row]:
    rows = []
    for v in clocks(state, now):
        fg = theme.SLA_FG.get(v.state) if v.state is not None else theme.MUTED_FG
        legal = " (Legal confirms)" if v.clock.legal_confirm else ""
        rows.append(Row((v.clock.title + legal, v.clock.market or "all",
                         when(v.deadline) if v.deadline else "\u2014", remaining_text(v),
                         v.run.title or v.run.playbook),
                        f"{v.run.run}\n{v.clock.id}", fg,
                        v.state in (SlaState.AT_RISK, SlaState.BREACHED)))
    return rows


class ChecklistSection(Section):
    def __init__(self) -> None:
        super().__init__("Playbook checklist", HEADERS, "incidentChecklist")
        self.clocks = Section("Statutory clocks", CLOCK_HEADERS, "incidentClocks")
        self.clocks.table.setFocusPolicy(self.clocks.table.focusPolicy().NoFocus)
        self.clocks.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.layout().addWidget(self.clocks)  # type: ignore[union-attr]
        self.clock_table: QTableWidget = self.clocks.table

    def show_state(self, state: IncidentState, now: datetime) -> None:
        self.set_rows(step_rows(state))
        rows = clock_rows(state, now)
        self.clocks.set_rows(rows)
        self._fit_clocks(len(rows))

    def _fit_clocks(self, count: int) -> None:
        """The clocks take the height of their rows (at most five), the checklist the
        rest: the steps are what the analyst works through."""
        table = self.clock_table
        shown = max(1, min(count, 5))
        rows = sum(table.rowHeight(r) for r in range(min(shown, table.rowCount()))) \
            or shown * table.verticalHeader().defaultSectionSize()
        bar = table.horizontalScrollBar().sizeHint().height()
        table.setFixedHeight(table.horizontalHeader().height() + rows + bar
                             + 2 * table.frameWidth())
