""""Export table…" (Ctrl+Shift+E, docs/sql-console.md): whatever table has focus, or the
page's main table, to XLSX or CSV with the rows and columns as shown (visual column
order, hidden columns and rows left out, the texts the cells show).

A page or widget can say what it exports by implementing `ExportableTable`
(`export_table() -> TableSnapshot | None`): the SQL console (every row of its result)
does; the incident list can. Otherwise a focused table view is read as shown: the triage
view by its ids in view order, rows read in chunks on the worker (a million rows never
pass through the GUI thread); other tables (lead board, Outbox & sync) are small and
read cell by cell. The file is written on a worker, atomically (tabular_export.py).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QTableView, QTabWidget, QWidget

from ..store.connections import raw_reader
from ..store.triage_queries import rows_by_id
from ..tabular_export import Cell, TableSnapshot, write_table
from .context import AppContext
from .triage.columns import COLUMNS
from .triage.model import TriageModel

CHUNK = 500
WIDGET_ROWS_CAP = 200_000  # a table widget holding more is not "a small table"
_NAMES = {"leadTable": "lead-board", "metricsTable": "team-metrics",
          "syncChannels": "channels", "syncConflicts": "conflicts", "syncOps": "outbox",
          "syncQuarantine": "quarantined", "syncIncidentEvents": "incident-changes",
          "incidentListSectionTable": "incidents"}


@runtime_checkable
class ExportableTable(Protocol):
    """A page or widget that knows what its table export holds."""

    def export_table(self) -> TableSnapshot | None: ...


def _visible_columns(view: QTableView) -> list[int]:
    header = view.horizontalHeader()
    logical = (header.logicalIndex(v) for v in range(header.count()))
    return [c for c in logical if not header.isSectionHidden(c)]


def triage_snapshot(view: QTableView, model: TriageModel, now_s: int) -> TableSnapshot:
    """The triage view's rows in its order, its shown columns with their texts at
    `now_s` (the Age and SLA columns as they read at that moment)."""
    cols = [COLUMNS[c] for c in _visible_columns(view)]
    ids, path = model.ids(), model.db_path

    def rows(cancel: threading.Event) -> Iterator[Sequence[Cell]]:
        conn = raw_reader(path)
        try:
            for start in range(0, len(ids), CHUNK):
                if cancel.is_set():
                    raise InterruptedError("export cancelled")
                chunk = list(ids[start:start + CHUNK])
                got = rows_by_id(conn, chunk)
                for esc_id in chunk:
                    r = got.get(esc_id)
                    if r is not None:  # deleted since the view was read: not there any more
                        yield [c.text(r, now_s) for c in cols]
        finally:
            conn.close()

    slug = re.sub(r"[^\w-]+", "-", model.view.title.lower()).strip("-") or "view"
    return TableSnapshot(slug, tuple(c.header for c in cols), rows)


def view_snapshot(view: QTableView, name: str) -> TableSnapshot:
    """Any (small) table view as shown: its rows in view order, shown columns, texts."""
    model = view.model()
    cols = _visible_columns(view)
    headers = tuple(str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in cols)
    shown: list[list[Cell]] = []
    for row in range(min(model.rowCount(), WIDGET_ROWS_CAP)):
        if view.isRowHidden(row):
            continue
        shown.append([_text(model.data(model.index(row, c))) for c in cols])
    return TableSnapshot(name, headers, lambda _cancel: shown)


def _text(value: Any) -> Cell:
    return "" if value is None else str(value)


class TableExporter(QObject):
    """Signals: exported(str, int): a file was written (path, rows)."""

    exported = Signal(str, int)

    def __init__(self, ctx: AppContext, page: Callable[[], QWidget | None],
                 open_dialog: Callable[[QDialog], None], parent: QObject | None = None,
                 clock: Callable[[], float] = lambda: datetime.now().timestamp()) -> None:
        super().__init__(parent)
        self.ctx, self._page, self._open_dialog, self._clock = ctx, page, open_dialog, clock
        self._folder: Path | None = None

    def snapshot(self) -> TableSnapshot | None:
        """What Export table writes now: the focused table, or the page's main one."""
        focus = QApplication.focusWidget()
        chain: list[QWidget] = []
        while focus is not None:
            chain.append(focus)
            focus = focus.parentWidget()
        for widget in chain:  # a page saying what it exports wins (the SQL console)
            if isinstance(widget, ExportableTable):
                return widget.export_table()
        for widget in chain:
            if isinstance(widget, QTableView):
                return self._of_view(widget)
        page = self._page()
        if isinstance(page, ExportableTable):
            return page.export_table()
        table = _main_table(page)
        return self._of_view(table) if table is not None else None

    def ask(self) -> None:
        """Ctrl+Shift+E: where to save (XLSX or CSV), then written on a worker."""
        snap = self.snapshot()
        if snap is None:
            self.ctx.notifier.info("Nothing to export here: focus a table (or run a query "
                                   "in the SQL console) first")
            return
        folder = self._folder or Path(QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation) or Path.home())
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        owner = self.parent()
        dialog = QFileDialog(owner if isinstance(owner, QWidget) else None, "Export table",
                             str(folder / f"{snap.name}-{stamp}.xlsx"),
                             "Spreadsheet (*.xlsx);;CSV (*.csv)")
        dialog.setObjectName("exportTable")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.fileSelected.connect(lambda name: self.export(snap, Path(name)))
        self._open_dialog(dialog)

    def export(self, snap: TableSnapshot, path: Path) -> None:
        """Write `snap` to `path` (.xlsx unless it ends in .csv) on a worker."""
        if path.suffix.lower() not in (".csv", ".xlsx"):
            path = path.with_name(path.name + ".xlsx")
        self._folder = path.parent

        def write(_progress: Any, cancel: threading.Event) -> int:
            return write_table(path, snap.headers, snap.rows(cancel), sheet=snap.name)

        def done(count: int) -> None:
            self.ctx.notifier.info(f"Exported {count:,} row{'s' if count != 1 else ''} to "
                                   f"{path}", 8000)
            self.exported.emit(str(path), count)

        self.ctx.run_job("export-table", write, failure=f"Could not export to {path.name}",
                         on_done=done)

    def _of_view(self, view: QTableView) -> TableSnapshot:
        model = view.model()
        if isinstance(model, TriageModel):
            return triage_snapshot(view, model, int(self._clock()))
        return view_snapshot(view, _NAMES.get(view.objectName(), view.objectName() or "table"))


def _main_table(page: QWidget | None) -> QTableView | None:
    """A page's table: its `table`, or the table of its current tab."""
    if page is None:
        return None
    table = getattr(page, "table", None)
    tabs = getattr(page, "tabs", None)
    if isinstance(tabs, QTabWidget):
        current = tabs.currentWidget()
        if isinstance(current, QTableView):
            return current
        found = current.findChild(QTableView) if current is not None else None
        if found is not None:
            return found
    return table if isinstance(table, QTableView) else None
