"""The lead board (`g l`, docs/lead-board.md): every analyst with their open items by
priority, SLA at risk and breached, the oldest item nobody has touched, languages,
markets, shift time zone and whether they are on shift now. Sortable by any column
(a header click); Return opens the analyst's queue in the triage list, e edits their
skills, shift and capacity.

Counts are read on a worker (store/workload.py) when the board is shown and again, while
it is shown, whenever a write or a sync changed escalations or the roster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..domain import Priority
from ..domain.shift import ShiftSchedule
from ..store.changes import Changes
from ..store.timecodec import to_epoch
from ..store.workload import AnalystLoad, Workload, workload
from .context import AppContext
from .status import format_ago
from .team_metrics_view import TeamMetricsView

if TYPE_CHECKING:
    from .handover_view import Handover
    from .rebalance_view import Rebalance
from .text import format_time, one_line

REFRESH_DELAY_MS = 400  # a burst of writes (a batch, a sync's pages) re-reads once
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole
HEADERS = ("Analyst", "Open", *(p.name for p in Priority), "At risk", "Breached",
           "Oldest untouched", "Languages", "Markets", "Shift zone", "On shift", "Load")
COL_OPEN, COL_ON_SHIFT = 1, HEADERS.index("On shift")


class _Item(QTableWidgetItem):
    """A cell sorted by its key (numbers as numbers, times as times), not its text."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(SORT_ROLE), other.data(SORT_ROLE)
        if mine is None or theirs is None or type(mine) is not type(theirs):
            return super().__lt__(other)
        return bool(mine < theirs)


def shift_now(shift: ShiftSchedule | None, now_s: int, end: Any, start: Any) -> str:
    """"on, 3 h left" / "off, back in 14 h" / "not set"."""
    if shift is None:
        return "not set"
    if end is not None:
        return f"on, {format_ago(to_epoch(end) - now_s)} left"
    if start is not None:
        return f"off, back in {format_ago(to_epoch(start) - now_s)}"
    return "off"


class LeadBoard(QWidget):
    """The page behind `g l`.

    Signals: queue_requested(str): show this analyst's open escalations (their id);
    refreshed(int): the board was re-read (how many rows)."""

    queue_requested = Signal(str)
    refreshed = Signal(int)

    def __init__(self, ctx: AppContext, open_dialog: Callable[[QDialog], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("leadBoard")
        self.ctx, self._open_dialog = ctx, open_dialog
        heading = QLabel("Lead board")
        heading.setObjectName("viewTitle")
        heading.setTextFormat(Qt.TextFormat.PlainText)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("leadTable")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_OPEN, Qt.SortOrder.DescendingOrder)
        self.summary = QLabel()
        self.summary.setObjectName("leadSummary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        hint = QLabel("Return opens the analyst's queue (reassign there with a: suggestions "
                      "come first) \u00b7 e edits skills, shift and capacity \u00b7 b proposes a "
                      "rebalance \u00b7 a header "
                      "click sorts \u00b7 Ctrl+Tab shows the team metrics \u00b7 g t goes "
                      "back to triage.")
        hint.setObjectName("viewHint")
        hint.setTextFormat(Qt.TextFormat.PlainText)
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(heading)
        layout.addWidget(hint)
        self.metrics = TeamMetricsView(ctx, open_dialog)
        self._handover: Handover | None = None  # built when first used: imported then
        self._rebalance: Rebalance | None = None  # (start-up stays as fast as before)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("leadTabs")
        workload_page = QWidget()
        page = QVBoxLayout(workload_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.addWidget(self.table, 1)
        page.addWidget(self.summary)
        self.tabs.addTab(workload_page, "Workload")
        self.tabs.addTab(self.metrics, "Team metrics")
        self.tabs.currentChanged.connect(lambda _n: self.refresh())
        layout.addWidget(self.tabs, 1)
        self.rows: dict[str, AnalystLoad] = {}
        self._reading = False
        self._stale = True
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(REFRESH_DELAY_MS)
        self._soon.timeout.connect(self.refresh)
        ctx.changes_applied.connect(self._on_changes)

    # -- public ----------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the counts on a worker (one read at a time; a request meanwhile
        reads again after it), and the team metrics when their tab is shown."""
        if self.tabs.currentWidget() is self.metrics:
            self.metrics.refresh()
        if self._reading:
            self._stale = True
            return
        self._reading, self._stale = True, False
        now = self.ctx.clock()
        job = self.ctx.run_read("lead-board", lambda db: workload(db, now),
                                failure="Could not read the lead board", on_done=self._show)
        if job is None:
            self._reading = False
            return
        job.finished.connect(self._read_done)

    def current_analyst(self) -> AnalystLoad | None:
        """The analyst of the current row of the tab shown."""
        table = self.metrics.table if self.tabs.currentWidget() is self.metrics \
            else self.table
        row = table.currentRow()
        item = table.item(row, 0) if row >= 0 else None
        if item is None:
            return None
        return self.rows.get(str(item.data(ID_ROLE)) if table is self.table else item.text())

    def show_metrics(self) -> None:
        """The Team metrics tab, its table focused."""
        self.tabs.setCurrentWidget(self.metrics)
        self.metrics.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def step_tab(self, delta: int) -> None:
        """Ctrl+Tab / Ctrl+Shift+Tab: Workload and Team metrics, the table focused."""
        self.tabs.setCurrentIndex((self.tabs.currentIndex() + delta) % self.tabs.count())
        shown = self.metrics.table if self.tabs.currentWidget() is self.metrics \
            else self.table
        shown.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def select_analyst(self, analyst_id: str) -> bool:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(ID_ROLE) == analyst_id:
                self.table.setCurrentCell(row, 0)
                return True
        return False

    def open_queue(self) -> None:
        """Return: the current analyst's open escalations in the triage list."""
        row = self.current_analyst()
        if row is None:
            self.ctx.notifier.info("The lead board has no analyst selected")
            return
        self.queue_requested.emit(row.analyst.id)

    def edit_current(self) -> None:
        """e: the analyst's skills, shift and capacity (roster analysts only)."""
        row = self.current_analyst()
        if row is None:
            self.ctx.notifier.info("The lead board has no analyst selected")
            return
        if not row.on_roster:
            self.ctx.notifier.info(f"{one_line(row.analyst.id)} is not on any source's "
                                   "roster: there is nothing to keep their fields with")
            return
        from .analyst_profile import AnalystProfileDialog  # first use: off start-up

        dialog = AnalystProfileDialog(self.ctx, row.analyst, row.profile, self)
        self._open_dialog(dialog)

    @property
    def handover(self) -> Handover:
        """Ctrl+Shift+H's pack (gui/handover_view.py), built on first use."""
        if self._handover is None:
            from .handover_view import Handover

            self._handover = Handover(self.ctx, self._open_dialog, self)
        return self._handover

    @property
    def rebalance(self) -> Rebalance:
        """b's proposal (gui/rebalance_view.py), built on first use."""
        if self._rebalance is None:
            from .rebalance_view import Rebalance

            self._rebalance = Rebalance(self.ctx, self._open_dialog, self)
        return self._rebalance

    # -- internals -------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        """Qt override: the board is re-read each time it is shown."""
        super().showEvent(event)
        self.refresh()

    def _on_changes(self, changes: Changes) -> None:
        if changes.escalations or changes.roster or changes.all_rows:
            if self.isVisible():
                self._soon.start()
            else:
                self._stale = True

    def _read_done(self) -> None:
        self._reading = False
        if self._stale and self.isVisible():
            self.refresh()

    def _show(self, board: Workload) -> None:
        current = self.current_analyst()
        keep = current.analyst.id if current is not None else None
        now = self.ctx.clock()
        now_s = to_epoch(now)
        table = self.table
        sorting = table.horizontalHeader().sortIndicatorSection(), \
            table.horizontalHeader().sortIndicatorOrder()
        table.setSortingEnabled(False)
        table.setRowCount(len(board.rows))
        self.rows = {r.analyst.id: r for r in board.rows}
        for n, row in enumerate(board.rows):
            for col, (text, key, tip) in enumerate(self._cells(row, now, now_s)):
                item = _Item(one_line(text))
                item.setData(SORT_ROLE, key)
                item.setData(ID_ROLE, row.analyst.id)
                if tip:
                    item.setToolTip(tip)
                table.setItem(n, col, item)
        table.setSortingEnabled(True)
        table.sortByColumn(*sorting)
        table.resizeColumnsToContents()
        if not (keep and self.select_analyst(keep)) and table.rowCount():
            table.setCurrentCell(0, 0)
        total = sum(r.open_items for r in board.rows)
        on_shift = sum(1 for r in board.rows
                       if r.profile.shift is not None and r.profile.shift.on_shift(now))
        self.summary.setText(
            f"{len(board.rows)} analysts, {on_shift} on shift now \u00b7 {total} open items "
            f"assigned \u00b7 {board.unassigned_open} open and unassigned")
        self.refreshed.emit(len(board.rows))

    @staticmethod
    def _cells(r: AnalystLoad, now: Any, now_s: int) -> list[tuple[str, Any, str]]:
        a, p = r.analyst, r.profile
        name = a.name if r.on_roster else f"{a.id} (not on the roster)"
        oldest = ("", -1, "") if r.oldest_new_at is None else (
            f"{format_ago(now_s - r.oldest_new_at)} ({r.oldest_new_ref})",
            now_s - r.oldest_new_at, f"created {format_time(r.oldest_new_at)}, still new")
        shift = p.shift
        end = shift.shift_end(now) if shift is not None else None
        start = shift.next_start(now) if shift is not None and end is None else None
        state = shift_now(shift, now_s, end, start)
        state_key = 0 if end is not None else (1 if shift is not None else 2)
        load = f"{r.open_items} / {p.capacity}" if p.capacity else f"{r.open_items} / -"
        load_key = r.open_items / p.capacity if p.capacity else float(r.open_items)
        skills = ", ".join(s.label for s in p.skills)
        return [
            (name, a.name.lower(), f"{a.id}" + (f" \u00b7 handles {skills}" if skills else "")),
            (str(r.open_items), r.open_items, ""),
            *((str(n), n, "") for n in r.by_priority),
            (str(r.at_risk), r.at_risk, "open items whose SLA is at risk, not yet breached"),
            (str(r.breached), r.breached, "open items past their SLA deadline"),
            oldest,
            (" ".join(a.languages), " ".join(a.languages), ""),
            (" ".join(a.markets), " ".join(a.markets), ""),
            (shift.zone if shift else "", shift.zone if shift else "",
             shift.text() if shift else "no shift set: e edits it"),
            (state, state_key, shift.text() if shift else ""),
            (load, load_key, "open items / capacity"),
        ]
