"""The lead board's Team metrics tab (docs/lead-board.md, "Team metrics"): per analyst
over the last day, week or month: items triaged, median times to triage and to contain,
SLA breaches, reopen rate; exported to CSV or XLSX. Read and written on workers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..metrics_export import HEADERS, Cell, export_metrics, metric_rows
from ..store.roster import roster
from ..store.team_metrics import metrics_for
from .context import AppContext
from .text import one_line

PERIODS = (("Last 24 hours", timedelta(days=1)), ("Last 7 days", timedelta(days=7)),
           ("Last 30 days", timedelta(days=30)))
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


class _Item(QTableWidgetItem):
    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(SORT_ROLE), other.data(SORT_ROLE)
        if isinstance(mine, int | float) and isinstance(theirs, int | float):
            return mine < theirs
        return super().__lt__(other)


class TeamMetricsView(QWidget):
    """Signals: refreshed(int): the figures were re-read (how many analysts);
    exported(str): a file was written (its path)."""

    refreshed = Signal(int)
    exported = Signal(str)

    def __init__(self, ctx: AppContext, open_dialog: Callable[[QDialog], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("teamMetrics")
        self.ctx, self._open_dialog = ctx, open_dialog
        self.period = QComboBox()
        self.period.setObjectName("metricsPeriod")
        for title, _span in PERIODS:
            self.period.addItem(title)
        self.period.setCurrentIndex(1)
        self.period.currentIndexChanged.connect(lambda _n: self.refresh())
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("metricsTable")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSortingEnabled(True)
        note = QLabel("Triaged: first move out of new; times from creation; breaches: "
                      "later than the severity's acknowledge or contain target; reopen "
                      "rate: resolved items moved back to an open status. Export: Ctrl+K, "
                      "\u201cExport team metrics\u201d.")
        note.setObjectName("viewHint")
        note.setTextFormat(Qt.TextFormat.PlainText)
        note.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.period)
        top.addWidget(note, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self.rows: list[tuple[Cell, ...]] = []
        self.span: tuple[datetime, datetime] | None = None
        self._export_after_read = False

    def window_of_time(self) -> tuple[datetime, datetime]:
        end = self.ctx.clock()
        return end - PERIODS[self.period.currentIndex()][1], end

    def refresh(self) -> None:
        start, end = self.window_of_time()

        def read(db: Any) -> tuple[list[tuple[Cell, ...]], tuple[datetime, datetime]]:
            names = {e.analyst.id: e.analyst.name for e in roster(db)}
            return metric_rows(metrics_for(db, start, end), names), (start, end)

        self.ctx.run_read("team-metrics", read, failure="Could not read the team metrics",
                          on_done=self._show)

    def ask_export(self) -> None:
        """A save dialog (.xlsx or .csv); the file is written on a worker."""
        if self.span is None:  # not read yet: read them, then ask
            self._export_after_read = True
            self.refresh()
            return
        default = self.ctx.data_dir / f"team-metrics-{self.span[1]:%Y%m%d}.xlsx"
        dialog = QFileDialog(self, "Export team metrics", str(default),
                             "Spreadsheet (*.xlsx);;CSV (*.csv)")
        dialog.setObjectName("exportMetrics")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.fileSelected.connect(lambda name: self.export(Path(name)))
        self._open_dialog(dialog)

    def export(self, path: Path) -> None:
        if self.span is None:
            return
        if path.suffix.lower() not in (".csv", ".xlsx"):
            path = path.with_suffix(".xlsx")
        rows, (start, end) = list(self.rows), self.span

        def write(_progress: Any, _cancel: Any) -> Path:
            export_metrics(path, rows, start, end)
            return path

        def done(written: Path) -> None:
            self.ctx.notifier.info(f"Exported the team metrics of {len(rows)} analysts to "
                                   f"{written}", 8000)
            self.exported.emit(str(written))

        self.ctx.run_job("export-metrics", write, failure="Could not export the team metrics",
                         on_done=done)

    def _show(self, result: tuple[list[tuple[Cell, ...]], tuple[datetime, datetime]]) -> None:
        self.rows, self.span = result
        table = self.table
        table.setSortingEnabled(False)
        table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            for c, value in enumerate(row):
                item = _Item("" if value is None else one_line(str(value)))
                item.setData(SORT_ROLE, value if isinstance(value, int | float) else -1.0
                             if value is None else str(value))
                table.setItem(r, c, item)
        table.setSortingEnabled(True)
        table.resizeColumnsToContents()
        self.refreshed.emit(len(self.rows))
        if self._export_after_read:
            self._export_after_read = False
            self.ask_export()
