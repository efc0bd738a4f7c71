"""The window's pages, one at a time: the triage page, Outbox & sync (`g o`), the lead
board (`g l`), the incident list (`g i`) and an incident's screen, Trends (`g r`, built on
first use: Qt Charts loads only then). Which page shows, and the keys that move between a
page's tabs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QStackedWidget, QWidget

from .context import AppContext
from .lead_board import LeadBoard
from .sqlconsole.console import SqlConsole
from .sync_view import SyncView

if TYPE_CHECKING:
    from .incident_list import IncidentList
    from .incident_view import IncidentView

TRIAGE_PAGE, SYNC_PAGE, LEAD_PAGE = 0, 1, 2


class Pages(QStackedWidget):
    """The central widget: `triage`, `sync_view`, `lead_board` and `trends` (None until
    first shown), one shown. Signals: trends_built(QWidget): the trends page exists."""

    trends_built = Signal(QWidget)

    def __init__(self, triage: QWidget, sync_view: SyncView, lead_board: LeadBoard,
                 ctx: AppContext | None = None) -> None:
        super().__init__()
        self.sync_view, self.lead_board = sync_view, lead_board
        self._ctx = ctx
        self.trends: Any = None  # gui/trends_view.TrendsView once built
        for page in (triage, sync_view, lead_board):
            self.addWidget(page)
        self.incident_list: IncidentList | None = None
        self.incident_view: IncidentView | None = None

    def add_incidents(self, incident_list: IncidentList, view: IncidentView) -> None:
        """The incident pages (gui/incident_screens.py), after the first three."""
        self.incident_list, self.incident_view = incident_list, view
        self.addWidget(incident_list)
        self.addWidget(view)

    def show_incidents(self) -> None:
        """g i (and u on an incident): the incident list, re-read, its table focused."""
        if self.incident_list is not None:
            self.setCurrentWidget(self.incident_list)
            self.incident_list.refresh()
            self.incident_list.table.setFocus()

    def show_incident(self, uid: str) -> None:
        """Enter on the list: that incident's screen."""
        if self.incident_view is not None:
            self.setCurrentWidget(self.incident_view)
            self.incident_view.open(uid)

    def show_triage(self) -> None:
        self.setCurrentIndex(TRIAGE_PAGE)

    def show_sync(self) -> None:
        """g o: re-read, then a conflict to resolve first if there is one."""
        view = self.sync_view
        view.refresh()
        self.setCurrentIndex(SYNC_PAGE)
        view.show_conflicts() if view.current_conflict() else view.tabs.currentWidget().setFocus()

    def sync_shown(self) -> bool:
        return self.currentIndex() == SYNC_PAGE

    def show_lead(self) -> None:
        """g l: the lead board (re-read as it shows), its table focused."""
        self.setCurrentIndex(LEAD_PAGE)
        self.lead_board.table.setFocus()

    def lead_handlers(self) -> dict[str, Callable[[], object]]:
        """The lead board's commands (docs/lead-board.md)."""
        board = self.lead_board
        return {"lead-open-queue": board.open_queue, "lead-edit-analyst": board.edit_current,
                "export-team-metrics": self.export_team_metrics,
                # built on first use (lead_board.py): not looked up before the key
                "handover": lambda: board.handover.build(),
                "lead-rebalance": lambda: board.rebalance.propose()}

    def show_trends(self) -> None:
        """g r: the trends page (built the first time), read again as it shows."""
        if self.trends is None and self._ctx is not None:
            from .trends_view import TrendsView  # Qt Charts loads on the first `g r` only
            self.trends = TrendsView(self._ctx)
            self.addWidget(self.trends)
            self.trends_built.emit(self.trends)
        if self.trends is not None:
            self.setCurrentWidget(self.trends)
            self.trends.show_page()

    def trends_handlers(self) -> dict[str, Callable[[], object]]:
        """The trends page's commands (docs/trends.md); they show the page first."""
        def on_trends(name: str) -> Callable[[], object]:
            def run() -> object:
                if self.trends is None or self.currentWidget() is not self.trends:
                    self.show_trends()
                return getattr(self.trends, name)() if self.trends is not None else None
            return run
        return {"go-trends": self.show_trends,
                "trends-recommend": on_trends("recommend"),
                "trends-export": on_trends("ask_export"),
                "trends-export-chart": on_trends("ask_export_chart")}

    def export_team_metrics(self) -> None:
        """The lead board's Team metrics tab, then where to save them."""
        self.show_lead()
        self.lead_board.show_metrics()
        self.lead_board.metrics.ask_export()

    def add_console(self, console: SqlConsole) -> None:
        """The SQL console page (`g q`, docs/sql-console.md)."""
        self.sql_console = console
        self.addWidget(console)

    def show_console(self) -> None:
        self.setCurrentWidget(self.sql_console)
        self.sql_console.focus_editor()

    def step_tab(self, delta: int) -> None:
        """Ctrl+Tab / Ctrl+Shift+Tab: the next or previous tab of the page shown."""
        page = self.lead_board if self.currentIndex() == LEAD_PAGE else self.sync_view
        page.step_tab(delta)
