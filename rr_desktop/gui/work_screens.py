"""The pages beyond triage that work on incidents and data: the incident list and screen,
the post-mortem drafts and editor, the SQL console. Built together so the main window
wires one object (its modes, handlers, chord watching) and so screens that lead to each
other (an incident's post-mortem) are connected here, not in the window."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QWidget

from ..keymap import Mode
from .commands import CommandRegistry
from .context import AppContext
from .incident_screens import IncidentScreens
from .pages import Pages
from .postmortem_screens import PostmortemScreens
from .sqlconsole.console import SqlConsole


class WorkScreens(QObject):
    def __init__(self, ctx: AppContext, pages: Pages, open_dialog: Callable[[QDialog], None],
                 back_to_triage: Callable[[], None], open_escalation: Callable[[int], None],
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx, self.pages = ctx, pages
        self.console = SqlConsole(ctx)
        pages.add_console(self.console)
        self.postmortems = PostmortemScreens(ctx, pages, open_dialog, parent)
        self.incidents = IncidentScreens(ctx, pages, open_dialog, back_to_triage,
                                         open_escalation, parent)

    def modes(self) -> dict[Mode, list[QWidget]]:
        """The widgets whose focus puts each of these pages' modes in force."""
        return {Mode.SQL: [self.console], Mode.POSTMORTEM: [self.postmortems.editor],
                Mode.DRAFTS: [self.postmortems.drafts.table]}

    def handlers(self) -> dict[str, Callable[[], object]]:
        return {**self.incidents.handlers(), **self.postmortems.handlers(),
                **self.console.handlers(), "go-sql": self.pages.show_console,
                "incident-postmortem": self.incident_postmortem}

    def attach(self, commands: CommandRegistry) -> None:
        self.incidents.attach(commands)

    def shutdown(self) -> None:
        """The window closes: an open post-mortem's last typing is saved, a running
        query stopped."""
        self.postmortems.close()
        self.console.shutdown()

    def incident_postmortem(self) -> None:
        """On an incident's screen: its post-mortem (made from the cached incident when it
        has none, offline too)."""
        uid = self.incidents.view.uid
        if uid is None or not self.incidents.view.isVisible():
            self.ctx.notifier.info("Open an incident first: g i lists them")
            return
        self.postmortems.open_postmortem_for(uid)
