"""The triage table widget: dense, whole-row selection, one line per escalation."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractItemModel,
    QItemSelectionModel,
    QModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHeaderView, QTableView, QWidget

from .. import theme
from .columns import COLUMNS
from .model import ID_ROLE

_CELL_PADDING = 24  # item padding (theme.qss) + focus frame + breathing room
TITLE_MIN_PX = 160  # below this, lower-priority columns make room for the title


class TriageView(QTableView):
    """A QTableView set up for triage: rows of uniform height, no word wrap, no grid, no
    editing, no sorting (the order is the triage order of the store).

    Signals: current_id_changed(int): the current row now shows this escalation id (-1:
    no current row); sort_requested(str): a header was clicked: its column's sort key.
    """

    current_id_changed = Signal(int)
    sort_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("triageTable")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(False)
        self.setTabKeyNavigation(False)
        self.setCornerButtonEnabled(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        theme.apply_table_palette(self)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vheader = self.verticalHeader()
        vheader.hide()
        vheader.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vheader.setMinimumSectionSize(1)
        vheader.setDefaultSectionSize(self.fontMetrics().height() + 8)
        hheader = self.horizontalHeader()
        hheader.setHighlightSections(False)
        hheader.setSectionsMovable(True)
        hheader.setStretchLastSection(False)
        hheader.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        hheader.setSectionsClickable(True)
        hheader.setSortIndicatorShown(False)  # shown while a view is sorted by a column
        hheader.sectionClicked.connect(self._header_clicked)
        self._last_id = -1
        self._last_row = -1
        self.marking = False  # x / Shift+J built a selection: moving keeps it
        self._after_paint: list[Callable[[], None]] = []

    def setModel(self, model: QAbstractItemModel | None) -> None:
        """Qt override: also sizes the columns and tracks the current escalation."""
        super().setModel(model)
        if model is None:
            return
        header = self.horizontalHeader()
        bold = QFont(header.font())
        bold.setBold(True)
        header_fm, cell_fm = QFontMetrics(bold), self.fontMetrics()
        for col, spec in enumerate(COLUMNS):
            if spec.stretch:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
                continue
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            self.setColumnWidth(col, max(header_fm.horizontalAdvance(spec.header),
                                         cell_fm.horizontalAdvance(spec.sample))
                                + _CELL_PADDING)
        self.selectionModel().currentRowChanged.connect(self._on_current_row)
        model.layoutChanged.connect(self._after_relayout)
        model.modelReset.connect(self._after_relayout)
        model.rowsInserted.connect(self._after_relayout)  # an empty view gets rows

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Qt override: in a narrow window the columns that matter least step aside
        (ColumnSpec.keep), so the title, SLA and assignee stay in view."""
        super().resizeEvent(event)
        self.fit_columns()

    def fit_columns(self) -> None:
        """Hide the lowest-`keep` columns until the title has TITLE_MIN_PX; show them
        again when there is room."""
        model = self.model()
        if model is None:
            return
        width = self.viewport().width()
        fixed = {i: self.columnWidth(i) for i, c in enumerate(COLUMNS) if not c.stretch}
        shown = set(fixed)
        for i in sorted(fixed, key=lambda i: COLUMNS[i].keep):
            if sum(fixed[j] for j in shown) + TITLE_MIN_PX <= width:
                break
            if COLUMNS[i].keep < 9:
                shown.discard(i)
        for i in fixed:
            if self.isColumnHidden(i) == (i in shown):
                self.setColumnHidden(i, i not in shown)

    def show_sort(self, sort: str) -> None:
        """The header's sort arrow for a `sort:` value ("-sla"; "" is triage order)."""
        header = self.horizontalHeader()
        key = sort.lstrip("-")
        column = next((i for i, c in enumerate(COLUMNS) if c.sort == key), None)
        header.setSortIndicatorShown(column is not None)
        if column is not None:
            header.setSortIndicator(column, Qt.SortOrder.DescendingOrder if sort.startswith(
                "-") else Qt.SortOrder.AscendingOrder)

    def _header_clicked(self, column: int) -> None:
        if 0 <= column < len(COLUMNS) and COLUMNS[column].sort:
            self.sort_requested.emit(COLUMNS[column].sort)

    def after_next_paint(self, fn: Callable[[], None]) -> None:
        """Run `fn` once the table has painted (work that would slow the paint waits for
        it); at once-ish when the table is not shown (no paint is coming)."""
        self._after_paint.append(fn)
        if not self.isVisible():
            QTimer.singleShot(0, self._run_after_paint)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Qt override: paint, then hand over to what waited for the paint."""
        super().paintEvent(event)
        if self._after_paint:
            QTimer.singleShot(0, self._run_after_paint)

    def _run_after_paint(self) -> None:
        waiting, self._after_paint = self._after_paint, []
        for fn in waiting:
            fn()

    def current_id(self) -> int | None:
        index = self.currentIndex()
        if not index.isValid():
            return None
        value = index.data(ID_ROLE)
        return int(value) if value is not None else None

    def move_current(self, delta: int) -> None:
        """Select the row `delta` rows from the current one (clamped), as j/k do."""
        model = self.model()
        if model is None or model.rowCount() == 0:
            return
        index = self.currentIndex()
        row = 0 if not index.isValid() else index.row() + delta
        row = max(0, min(row, model.rowCount() - 1))
        self.select_row(row)

    def select_row(self, row: int, extend: bool = False) -> None:
        """Make `row` current. It becomes the only selected row, unless a selection is
        being built (x, Shift+J/K): then the selection stays, extended if `extend`."""
        model = self.model()
        if model is None or not 0 <= row < model.rowCount():
            return
        column = max(self.currentIndex().column(), 0)
        index = model.index(row, column)
        flag = QItemSelectionModel.SelectionFlag
        if extend:
            command = flag.Select | flag.Rows
        elif self.marking:
            command = flag.NoUpdate
        else:
            command = flag.ClearAndSelect | flag.Rows
        self.selectionModel().setCurrentIndex(index, command)
        self.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)

    def toggle_current(self) -> None:
        """x: add the current row to the selection or take it out."""
        index = self.currentIndex()
        if not index.isValid():
            return
        flag = QItemSelectionModel.SelectionFlag
        if not self.marking:  # the row selected by moving is not a mark yet
            self.marking = True
            self.selectionModel().clearSelection()
        self.selectionModel().select(index, flag.Toggle | flag.Rows)

    def extend_selection(self, delta: int) -> None:
        """Shift+J / Shift+K: select the current row and the next/previous one."""
        index = self.currentIndex()
        model = self.model()
        if not index.isValid() or model is None:
            return
        flag = QItemSelectionModel.SelectionFlag
        self.marking = True
        self.selectionModel().select(index, flag.Select | flag.Rows)
        row = max(0, min(index.row() + delta, model.rowCount() - 1))
        self.select_row(row, extend=True)

    def selectAll(self) -> None:
        """Qt override: Ctrl+A selects the view (a batch), keeping the current row."""
        self.marking = True
        super().selectAll()

    def clear_selection_keep_current(self) -> None:
        """Esc: drop the batch selection; the current row stays current and selected."""
        self.marking = False
        index = self.currentIndex()
        self.clearSelection()
        if index.isValid():
            flag = QItemSelectionModel.SelectionFlag
            self.selectionModel().select(index, flag.Select | flag.Rows)

    def selected_count(self) -> int:
        selection = self.selectionModel().selection()
        return sum(selection.at(i).height() for i in range(selection.count()))

    def _on_current_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._announce(current)

    def _after_relayout(self, *_args: object) -> None:
        # After a reload the current row follows its escalation (persistent index). If
        # that escalation left the view, stay at the same position instead of nowhere;
        # in a view that had no rows, the first one becomes current (and highlighted:
        # the next key acts on what the analyst sees).
        model = self.model()
        if model is None:
            return
        if not self.currentIndex().isValid() and model.rowCount() > 0:
            self.select_row(min(max(self._last_row, 0), model.rowCount() - 1))
        self._announce(self.currentIndex())

    def _announce(self, index: QModelIndex) -> None:
        value = index.data(ID_ROLE) if index.isValid() else None
        esc_id = int(value) if value is not None else -1
        self._last_row = index.row() if index.isValid() else self._last_row
        if esc_id != self._last_id:
            self._last_id = esc_id
            self.current_id_changed.emit(esc_id)
