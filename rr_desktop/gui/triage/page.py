"""The triage page's layout: the problem banner, the view bar, the list and the detail
pane side by side (the pane folds away in a narrow window, fold.py), and the undo toast."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from ..banner import ProblemBanner
from ..jobs import JobRunner
from ..toast import UndoToast
from .detail import DetailPane
from .duplicates import DuplicateList
from .fold import DetailFold
from .view import TriageView

DUPLICATES_MAX_PX = 170


class TriagePage(QWidget):
    """Holds the page's widgets: `banner`, `splitter` (`table` | `detail`, with the
    `duplicates` under the detail text), `toast`, and the `fold`."""

    def __init__(self, db_path: Path, jobs: JobRunner, table: TriageView, bar: QWidget,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("triagePage")
        self.table = table
        self.detail = DetailPane(db_path)
        self.duplicates = DuplicateList(db_path, jobs)
        self.duplicates.setMaximumHeight(DUPLICATES_MAX_PX)
        self.detail.add_footer(self.duplicates)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(table)
        self.splitter.addWidget(self.detail)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([880, 480])
        self.fold = DetailFold(self.splitter, table, self.detail)
        self.toast = UndoToast()
        self.banner = ProblemBanner()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(bar)
        column.addWidget(self.splitter, 1)
        column.addWidget(self.toast)
