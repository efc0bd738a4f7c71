"""The post-mortem drafts (`g d`): every post-mortem in the cache, newest change first,
with its review state, when it last changed, whether it still has to reach the service,
and how many sections wait for a merge. Enter opens one in the editor. Below, the action
items of every post-mortem, by due date: open ones past due are marked, so they are
tracked until done (docs/postmortems.md)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..domain.sla import SlaState
from . import theme
from .postmortem_editor import STATES
from .text import format_time, one_line

COLUMNS = ("Post-mortem", "State", "Updated", "Sync", "Merges")
ID_ROLE = Qt.ItemDataRole.UserRole

DraftRow = tuple[int, str, str, int, bool, int]
ACTION_COLUMNS = ("Due", "Action", "Owner", "Post-mortem", "Done")
ActionRow = tuple[date, str, str, str, bool]  # due, text, owner, post-mortem title, done


class DraftsPage(QWidget):
    """`table` lists the drafts (`show_rows`). Signals: open_requested(int): open this
    post-mortem (Enter, a double-click)."""

    open_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("postmortemDrafts")
        self.heading = QLabel("Post-mortems")
        self.heading.setObjectName("draftsHeading")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.empty = QLabel("No post-mortem yet: open an incident and choose "
                            "\u201cPost-mortem\u2026\u201d, or File, New post-mortem\u2026")
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("draftsTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.doubleClicked.connect(lambda _index: self.open_current())
        self.action_items_heading = QLabel("Action items")
        self.action_items_heading.setObjectName("draftsActionsHeading")
        self.action_items_heading.setTextFormat(Qt.TextFormat.PlainText)
        self.action_items = QTableWidget(0, len(ACTION_COLUMNS))
        self.action_items.setObjectName("actionItemsTable")
        self.action_items.setHorizontalHeaderLabels(list(ACTION_COLUMNS))
        self.action_items.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.action_items.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.action_items.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.action_items.verticalHeader().hide()
        self.action_items.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.action_items_heading)
        layout.addWidget(self.action_items, 2)

    def show_actions(self, rows: list[ActionRow], today: date) -> None:
        """Every action item still in its post-mortem, by due date; open ones past due
        in the breached colour and said so."""
        self.action_items.setRowCount(len(rows))
        overdue = 0
        for r, (due, text, owner, title, done) in enumerate(rows):
            late = not done and due < today
            overdue += late
            cells = (("\u2716 overdue " if late else "") + due.isoformat(), one_line(text),
                     owner or "no owner", one_line(title), "done" if done else "open")
            for c, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if late:
                    item.setForeground(theme.SLA_FG[SlaState.BREACHED])
                elif done:
                    item.setForeground(theme.MUTED_FG)
                self.action_items.setItem(r, c, item)
        still_open = sum(1 for row in rows if not row[4])
        self.action_items_heading.setText(f"Action items ({still_open} open"
                                     + (f", {overdue} overdue)" if overdue else ")"))

    def show_rows(self, rows: list[DraftRow], recovered: Collection[int] = ()) -> None:
        """(id, title, state, updated_at, dirty, open merges) rows; the current row stays
        on its post-mortem."""
        keep = self.current_id()
        self.table.setRowCount(len(rows))
        for r, (pm_id, title, state, updated, dirty, merges) in enumerate(rows):
            shown = one_line(title) + ("  (recovered after a crash)" if pm_id in recovered
                                       else "")
            cells = (shown, STATES.get(state, state), format_time(updated),
                     "not yet synced" if dirty else "synced",
                     str(merges) if merges else "")
            for c, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setData(ID_ROLE, pm_id)
                self.table.setItem(r, c, item)
        self.empty.setVisible(not rows)
        target = next((r for r, row in enumerate(rows) if row[0] == keep), 0)
        if rows:
            self.table.setCurrentCell(target, 0)

    def current_id(self) -> int | None:
        item = self.table.item(self.table.currentRow(), 0)
        return None if item is None else int(item.data(ID_ROLE))

    def open_current(self) -> None:
        pm_id = self.current_id()
        if pm_id is not None:
            self.open_requested.emit(pm_id)
