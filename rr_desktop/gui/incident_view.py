"""The incident screen (docs/incident-screen.md): the header (status and stage times,
severity and priority with history, markets, roles, metrics, conflicts) over five
sections: the timeline, the playbook checklist with its statutory clocks, stakeholder
requests, containment actions and linked escalations. Tab / Shift+Tab move between the
sections, j/k within one; the keys that write are in incident_actions.py.

The incident is folded from its event log on a worker (store/incident_log.py) when it is
opened and again whenever a write or a sync changed incidents or escalations; clocks and
overdue requests are re-judged every minute without a read."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from ..domain.incident import IncidentState
from ..store import incident_log
from ..store.changes import Changes
from .context import AppContext
from .incident_checklist import ChecklistSection
from .incident_containment import ContainmentSection
from .incident_header import IncidentHeader
from .incident_links import LinksSection, link_key
from .incident_requests import RequestsSection
from .incident_section import Section
from .incident_timeline import TimelineSection

TICK_MS = 60_000


@dataclass(slots=True)
class IncidentRead:
    state: IncidentState
    local_id: int | None
    members: dict[str, int] = field(default_factory=dict)  # link key -> escalation id


def read_incident(db: sqlite3.Connection, uid: str) -> IncidentRead:
    """The folded incident and which of its linked escalations this cache holds."""
    local = incident_log.id_of(db, uid)
    read = IncidentRead(incident_log.state(db, uid), local)
    if local is not None:
        for (esc_id,) in db.execute("SELECT id FROM escalation WHERE incident_id = ?",
                                    (local,)).fetchall():
            data = incident_log.link_data(db, int(esc_id))
            if data is not None:
                read.members[link_key(data["source"], data["external_id"])] = int(esc_id)
    return read


class IncidentView(QWidget):
    """The page behind Enter on the incident list. Signals: refreshed(str): the incident
    (its uid) was re-read and shown."""

    refreshed = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("incidentView")
        self.ctx = ctx
        self.uid: str | None = None
        self.state: IncidentState | None = None
        self.members: dict[str, int] = {}
        self.header = IncidentHeader()
        self.timeline = TimelineSection()
        self.checklist = ChecklistSection()
        self.requests = RequestsSection()
        self.containment = ContainmentSection()
        self.links = LinksSection()
        self.sections: list[Section] = [self.timeline, self.checklist, self.requests,
                                        self.containment, self.links]
        self._current = 0
        hint = QLabel("m fact \u00b7 p pin \u00b7 s status \u00b7 v severity \u00b7 y priority "
                      "\u00b7 o role \u00b7 r resolve conflict \u00b7 b playbook \u00b7 space "
                      "tick \u00b7 e evidence \u00b7 q request \u00b7 a answer \u00b7 n / d "
                      "containment \u00b7 w sitrep \u00b7 Enter / x linked escalation \u00b7 "
                      "Tab section \u00b7 u back \u00b7 ? all keys")
        hint.setObjectName("viewHint")
        hint.setTextFormat(Qt.TextFormat.PlainText)
        hint.setWordWrap(True)
        grid = QGridLayout()
        grid.addWidget(self.timeline, 0, 0, 2, 1)
        grid.addWidget(self.checklist, 0, 1)
        grid.addWidget(self.requests, 1, 1)
        grid.addWidget(self.containment, 2, 0)
        grid.addWidget(self.links, 2, 1)
        grid.setRowStretch(0, 5)  # the checklist and its clocks: the work itself
        grid.setRowStretch(1, 2)
        grid.setRowStretch(2, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.header)
        layout.addWidget(hint)
        layout.addLayout(grid, 1)
        self._reading = False
        self._stale = False
        self._tick = QTimer(self)
        self._tick.timeout.connect(self.show_now)
        self._tick.start(TICK_MS)
        ctx.changes_applied.connect(self._on_changes)

    # -- public ----------------------------------------------------------------------

    def open(self, uid: str) -> None:
        """Show incident `uid` (read on a worker), the timeline focused."""
        if uid != self.uid:
            self.uid, self.state, self.members = uid, None, {}
            for section in self.sections:
                section.set_rows([])
        self.refresh()
        self.focus_section(0)

    def refresh(self) -> None:
        uid = self.uid
        if uid is None:
            return
        if self._reading:
            self._stale = True
            return
        self._reading, self._stale = True, False
        job = self.ctx.run_read("incident", lambda db: read_incident(db, uid),
                                failure="Could not read the incident", on_done=self._show)
        if job is None:
            self._reading = False
            return
        job.finished.connect(self._read_done)

    def show_now(self) -> None:
        """Show the state read last, judged against the clock now."""
        state = self.state
        if state is None:
            return
        now = self.ctx.clock()
        self.header.show_state(state)
        self.timeline.show_state(state)
        self.checklist.show_state(state, now)
        self.requests.show_state(state, now)
        self.containment.show_state(state)
        self.links.show_state(state, self.members)

    def current_section(self) -> Section:
        return self.sections[self._current]

    def focus_section(self, index: int) -> None:
        self._current = index % len(self.sections)
        self.sections[self._current].table.setFocus(Qt.FocusReason.TabFocusReason)

    def step_section(self, delta: int) -> None:
        self.focus_section(self._focused_index() + delta)

    def step_row(self, delta: int) -> None:
        self.sections[self._focused_index()].step_row(delta)

    # -- internals -------------------------------------------------------------------

    def _focused_index(self) -> int:
        for n, section in enumerate(self.sections):
            if section.table.hasFocus():
                self._current = n
        return self._current

    def _show(self, read: IncidentRead) -> None:
        if read.state.uid != self.uid:
            return
        self.state, self.members = read.state, read.members
        self.show_now()
        self.refreshed.emit(read.state.uid)

    def _read_done(self) -> None:
        self._reading = False
        if self._stale:
            self.refresh()

    def _on_changes(self, changes: Changes) -> None:
        if self.uid is not None and self.isVisible() and (
                changes.incidents or changes.escalations or changes.all_rows):
            self.refresh()
