"""One section of the incident screen: a heading over a read-only table whose rows carry
a key (an event, step, request, action or link), so the current row stays on its item
across refreshes. Cells are untrusted text, shown plain (`one_line`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..store.timecodec import to_epoch
from .text import format_time, one_line
from .theme import apply_table_palette

KEY_ROLE = Qt.ItemDataRole.UserRole


def when(at: datetime | None) -> str:
    """A time in the analyst's zone, or "—"."""
    return "\u2014" if at is None else format_time(to_epoch(at))


@dataclass(frozen=True, slots=True)
class Row:
    """One row: its cells, the key of what it shows, a colour and weight for the
    whole row (colour never alone: the cells say it in words too), a tooltip."""

    cells: Sequence[str]
    key: str
    fg: QColor | None = None
    bold: bool = False
    tip: str = ""


class Section(QWidget):
    """A titled table; `set_rows` keeps the current row on its key."""

    def __init__(self, title: str, headers: Sequence[str], name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.title = title
        self.heading = QLabel(title)
        self.heading.setObjectName("incidentSectionTitle")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.table = QTableWidget(0, len(headers))
        self.table.setObjectName(f"{name}Table")
        self.table.setHorizontalHeaderLabels(list(headers))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Interactive)
        apply_table_palette(self.table)
        self.setFocusProxy(self.table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)

    def set_rows(self, rows: Sequence[Row]) -> None:
        keep = self.current_key()
        table = self.table
        table.setRowCount(len(rows))
        for n, row in enumerate(rows):
            for col, text in enumerate(row.cells):
                item = QTableWidgetItem(one_line(text))
                item.setData(KEY_ROLE, row.key)
                if row.fg is not None:
                    item.setForeground(row.fg)
                if row.bold:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                if row.tip:
                    item.setToolTip(one_line(row.tip))
                table.setItem(n, col, item)
        self.heading.setText(f"{self.title} ({len(rows)})")
        table.resizeColumnsToContents()
        if keep is not None and self.select_key(keep):
            return
        if rows:
            table.setCurrentCell(0, 0)

    def current_key(self) -> str | None:
        item = self.table.item(self.table.currentRow(), 0) \
            if self.table.currentRow() >= 0 else None
        return None if item is None else str(item.data(KEY_ROLE))

    def select_key(self, key: str) -> bool:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(KEY_ROLE) == key:
                self.table.setCurrentCell(row, 0)
                return True
        return False

    def step_row(self, delta: int) -> None:
        count = self.table.rowCount()
        if count:
            row = max(0, min(self.table.currentRow() + delta, count - 1))
            self.table.setCurrentCell(row, 0)

    def texts(self) -> list[list[str]]:
        """Every row's cell texts as shown (tests and the clipboard read these)."""
        t = self.table
        return [[(t.item(r, c).text() if t.item(r, c) is not None else "")  # type: ignore[union-attr]
                 for c in range(t.columnCount())] for r in range(t.rowCount())]
