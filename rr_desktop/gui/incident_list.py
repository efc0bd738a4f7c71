"""The incident list (`g i`): every incident in the cache, most recently changed first,
with its status, severity, priority, markets, how many escalations are linked, when it
last changed and whether a field is in conflict. Enter opens the incident screen; c
declares a new incident. Each row is folded from the incident's event log on a worker."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..domain.incident import IncidentState
from ..store import incident_log
from ..store.changes import Changes
from . import theme
from .context import AppContext
from .incident_section import Row, Section, when

HEADERS = ("Title", "Status", "Severity", "Priority", "Markets", "Linked", "Updated",
           "Conflict")


def read_incidents(db: sqlite3.Connection, limit: int = 500) -> list[IncidentState]:
    uids = [r[0] for r in db.execute(
        "SELECT uid FROM incident WHERE uid IS NOT NULL "
        "ORDER BY coalesce(updated_at, created_at) DESC, id DESC LIMIT ?", (limit,))]
    return [s for s in (incident_log.state(db, uid) for uid in uids)
            if s.declared_at is not None]


def incident_rows(states: list[IncidentState]) -> list[Row]:
    rows = []
    for s in states:
        conflict = ("\u26a0 " + ", ".join(c.field for c in s.conflicts)) if s.conflicts \
            else ""
        rows.append(Row((s.title, s.status, s.severity, s.priority, ", ".join(s.markets),
                         str(len(s.links)), when(s.updated_at), conflict), s.uid,
                        theme.ERROR_FG if s.conflicts else
                        (theme.MUTED_FG if s.status == "closed" else None),
                        bool(s.conflicts), s.title))
    return rows


class IncidentList(QWidget):
    """Signals: refreshed(int): the list was re-read (how many incidents)."""

    refreshed = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("incidentList")
        self.ctx = ctx
        self.section = Section("Incidents", HEADERS, "incidentListSection")
        self.table = self.section.table
        hint = QLabel("j/k move \u00b7 Enter opens \u00b7 c declares an incident \u00b7 in "
                      "triage, x selects escalations and f groups them into an incident "
                      "\u00b7 g t goes back to triage")
        hint.setObjectName("viewHint")
        hint.setTextFormat(Qt.TextFormat.PlainText)
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(hint)
        layout.addWidget(self.section, 1)
        self.states: dict[str, IncidentState] = {}
        self._reading = False
        self._stale = False
        self._select_next: str | None = None
        ctx.changes_applied.connect(self._on_changes)

    def refresh(self, select: str | None = None) -> None:
        if select is not None:
            self._select_next = select
        if self._reading:
            self._stale = True
            return
        self._reading, self._stale = True, False
        job = self.ctx.run_read("incidents", read_incidents,
                                failure="Could not read the incidents", on_done=self._show)
        if job is None:
            self._reading = False
            return
        job.finished.connect(self._read_done)

    def current_uid(self) -> str | None:
        return self.section.current_key()

    def step_row(self, delta: int) -> None:
        self.section.step_row(delta)

    def showEvent(self, event: QShowEvent) -> None:
        """Qt override: re-read each time the list is shown."""
        super().showEvent(event)
        self.refresh()

    def _show(self, states: list[IncidentState]) -> None:
        self.states = {s.uid: s for s in states}
        self.section.set_rows(incident_rows(states))
        if self._select_next is not None and self.section.select_key(self._select_next):
            self._select_next = None
        self.refreshed.emit(len(states))

    def _read_done(self) -> None:
        self._reading = False
        if self._stale:
            self.refresh()

    def _on_changes(self, changes: Changes) -> None:
        if self.isVisible() and (changes.incidents or changes.escalations
                                 or changes.all_rows):
            self.refresh()
