"""The incident list and the incident screen wired together: their pages, their
commands (keymap Mode.INCIDENTS and Mode.INCIDENT) and where Enter on a linked
escalation goes. Built by the main window, which only registers what this returns."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QWidget

from ..keymap import Mode
from ..store import incident_log
from .commands import CommandRegistry
from .context import AppContext
from .incident_actions import IncidentActions
from .incident_list import IncidentList
from .incident_view import IncidentView
from .pages import Pages


class IncidentScreens(QObject):
    def __init__(self, ctx: AppContext, pages: Pages, open_dialog: Callable[[QDialog], None],
                 back_to_triage: Callable[[], None], open_escalation: Callable[[int], None],
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx, self.pages = ctx, pages
        self.list = IncidentList(ctx)
        self.view = IncidentView(ctx)

        def in_triage(esc_id: int) -> None:
            back_to_triage()
            open_escalation(esc_id)
        self.actions = IncidentActions(ctx, self.view, open_dialog, parent, in_triage)
        pages.add_incidents(self.list, self.view)

    def handlers(self) -> dict[str, Callable[[], object]]:
        return {"go-incidents": self.pages.show_incidents,
                "incidents-next": lambda: self.list.step_row(1),
                "incidents-previous": lambda: self.list.step_row(-1),
                "incidents-open": self.open_current,
                "incidents-declare": lambda: self.actions.declare(self._declared),
                "incident-next-row": lambda: self.view.step_row(1),
                "incident-previous-row": lambda: self.view.step_row(-1),
                "incident-next-section": lambda: self.view.step_section(1),
                "incident-previous-section": lambda: self.view.step_section(-1),
                "incident-back": self.pages.show_incidents,
                **self.actions.handlers()}

    def attach(self, commands: CommandRegistry) -> None:
        """Make the incident keys live on their pages (after `register_all`)."""
        commands.add_mode_widget(Mode.INCIDENTS, self.list)
        commands.add_mode_widget(Mode.INCIDENT, self.view)
        commands.watch_chords([self.list.table, *(s.table for s in self.view.sections)])

    def open_current(self) -> None:
        uid = self.list.current_uid()
        if uid is None:
            self.ctx.notifier.info("No incident selected: c declares one")
            return
        self.pages.show_incident(uid)

    def _declared(self, incident_id: int) -> None:
        def shown(uid: str | None) -> None:
            if uid is not None:
                self.list.refresh(select=uid)
        self.ctx.run_read("incident-uid", lambda db: incident_log.uid_of(db, incident_id),
                          failure="Could not read the incident", on_done=shown)
