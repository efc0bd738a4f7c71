"""The preview and rejected-rows tables of the spreadsheet import dialog."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QWidget

from ..channels import spreadsheet as ss
from .text import one_line, plain_tooltip

CELL_CHARS = 300  # shown of one cell; the tooltip shows more
TIP_CHARS = 2000
_Index = QModelIndex | QPersistentModelIndex


class RowsModel(QAbstractTableModel):
    """A plain read-only table of preview rows: "Row", optionally "Problem", then one
    column per field. Untrusted cell text is shown on one line with invisible and
    direction-changing characters revealed; item views never render it as rich text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._columns: list[tuple[str, str]] = []
        self._rows: list[ss.PreviewRow] = []

    def set_rows(self, columns: Sequence[tuple[str, str]], rows: Sequence[ss.PreviewRow]) -> None:
        """`columns`: (key, title); keys are field names, "#row" and "#problem"."""
        self.beginResetModel()
        self._columns = list(columns)
        self._rows = list(rows)
        self.endResetModel()

    def text(self, row: int, column: int) -> str:
        item, key = self._rows[row], self._columns[column][0]
        special = {"#row": str(item.number), "#problem": item.error or ""}
        return special[key] if key in special else item.cells.get(key, "")

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows) or \
                index.column() >= len(self._columns):
            return None
        text = self.text(index.row(), index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            shown = one_line(text[: CELL_CHARS * 2])
            return shown if len(shown) <= CELL_CHARS else shown[: CELL_CHARS - 1] + "\u2026"
        if role == Qt.ItemDataRole.ToolTipRole and len(text) > 40:
            return plain_tooltip(text[:TIP_CHARS])
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self._columns) and \
                orientation == Qt.Orientation.Horizontal:
            return self._columns[section][1]
        return None
