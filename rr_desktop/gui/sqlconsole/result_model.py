"""The console's results grid model: the rows read so far of a running query, more read
(one page on the console's worker) as the view scrolls near the end, never all at once
and never more than `MAX_GRID_ROWS` (an export writes them all)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from ...query import QueryResult
from ...query.session import Row
from .. import theme
from ..text import one_line, plain_tooltip

MAX_GRID_ROWS = 100_000
CELL_CHARS = 300  # a cell shows this much of a long text; the tooltip shows more
TIP_CHARS = 2000
ModelIndex = QModelIndex | QPersistentModelIndex
FetchMore = Callable[[QueryResult], None]


def cell_text(value: Any) -> str:
    """A value as the grid shows it (NULL for SQL's null, a blob by its size)."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"<{len(value):,} bytes>"
    text = one_line(str(value))
    return text if len(text) <= CELL_CHARS else text[:CELL_CHARS - 1] + "\u2026"


class ResultModel(QAbstractTableModel):
    """Signals: rows_added(int): the rows held now (after a page arrived)."""

    rows_added = Signal(int)

    def __init__(self, fetch_more: FetchMore) -> None:
        super().__init__()
        self._fetch_more = fetch_more
        self.columns: tuple[str, ...] = ()
        self.rows: list[Row] = []
        self.result: QueryResult | None = None
        self.fetching = False

    def show(self, result: QueryResult | None, columns: Sequence[str],
             rows: list[Row]) -> None:
        self.beginResetModel()
        self.result, self.columns, self.rows = result, tuple(columns), rows
        self.fetching = False
        self.endResetModel()

    def append(self, rows: list[Row]) -> None:
        """A page arrived (on the GUI thread)."""
        self.fetching = False
        room = MAX_GRID_ROWS - len(self.rows)
        rows = rows[:max(room, 0)]
        if rows:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(rows) - 1)
            self.rows.extend(rows)
            self.endInsertRows()
        self.rows_added.emit(len(self.rows))

    @property
    def capped(self) -> bool:
        return len(self.rows) >= MAX_GRID_ROWS and self.result is not None \
            and not self.result.exhausted

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        """Qt override."""
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        """Qt override."""
        return 0 if parent.isValid() else len(self.columns)

    def canFetchMore(self, parent: ModelIndex) -> bool:
        """Qt override: more rows wait while the query is not exhausted (under the cap)."""
        r = self.result
        return (not parent.isValid() and r is not None and not r.exhausted
                and not self.fetching and len(self.rows) < MAX_GRID_ROWS)

    def fetchMore(self, parent: ModelIndex) -> None:
        """Qt override: the view scrolled near the end: read one page on the worker."""
        if self.canFetchMore(parent) and self.result is not None:
            self.fetching = True
            self._fetch_more(self.result)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Qt override: column names; rows numbered."""
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.columns[section] if 0 <= section < len(self.columns) else None
        return section + 1

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Qt override: cells as plain text; NULL muted; numbers right-aligned."""
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        value = self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(value)
        if role == Qt.ItemDataRole.ForegroundRole and value is None:
            return theme.MUTED_FG
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and isinstance(value, str) \
                and len(value) > CELL_CHARS // 3:
            return plain_tooltip(value[:TIP_CHARS])
        if role == Qt.ItemDataRole.UserRole:
            return value
        return None
