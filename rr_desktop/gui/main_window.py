"""The main window: the triage table and the detail pane side by side, channel freshness
in the status bar, background sync through the job helper."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QWidget

from ..store.database import Store
from ..store.triage_queries import ViewFilter
from ..sync.engine import SyncProgress, SyncReport
from .bridge import SyncBridge, SyncRunner
from .commands import DEFAULT_COMMANDS, CommandRegistry, Scope
from .dialogs import AboutDialog, SyncDetailsDialog
from .jobs import JobRunner
from .status import ChannelStatusBar
from .text import one_line
from .triage.detail import DetailPane
from .triage.model import TRIAGE_VIEW, TriageModel, read_view_ids
from .triage.view import TriageView

log = logging.getLogger("rr_desktop.gui")

WINDOW_TITLE = "RR Desktop"
PROGRESS_REFRESH_MS = 1500  # while a sync runs, show arriving rows this often
AGE_REPAINT_MS = 60_000


class WorkspaceLike(Protocol):
    """What the window needs of `rr_desktop.workspace.Workspace` (tests pass stand-ins)."""

    @property
    def store(self) -> Store: ...

    @property
    def engine(self) -> SyncRunner: ...


class MainWindow(QMainWindow):
    """Triage list + detail pane; keeps the current escalation stable across syncs.

    Public API for the CLI and later issues: `start_background_sync()`, `sync_now()`,
    `refresh_view(changed_ids)`, `shutdown()`, `current_id()`, `select_id(id)`,
    attributes `model`, `table`, `detail`, `channels`, `commands`, `sync`, `jobs`.

    Signals:
      view_refreshed(int): the table's ids were (re)loaded; the new row count;
      sync_reported(list): a background sync ended with these `SyncReport`s (after the
        table was told what changed).
    """

    view_refreshed = Signal(int)
    sync_reported = Signal(list)

    def __init__(self, workspace: WorkspaceLike, *, sync_interval_s: float | None = 30.0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(WINDOW_TITLE)
        self.setObjectName("mainWindow")
        self.store = workspace.store
        self.data_dir: Path = getattr(workspace, "data_dir", self.store.path.parent)
        self.jobs = JobRunner(self, max_workers=2)
        self.model = TriageModel(self.store.path, TRIAGE_VIEW, parent=self)
        self.table = TriageView()
        self.table.setModel(self.model)
        self.detail = DetailPane(self.store.path)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("mainSplitter")
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([880, 480])
        self.setCentralWidget(splitter)

        self.channels = ChannelStatusBar(self.store.path, self)
        self.count_label = QLabel()
        self.count_label.setObjectName("rowCount")
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.statusBar().addPermanentWidget(self.channels)
        self.statusBar().addPermanentWidget(self.count_label)
        self.statusBar().setSizeGripEnabled(False)

        self.sync = SyncBridge(workspace.engine, self.jobs, sync_interval_s, self)
        self.sync.progress.connect(self._on_sync_progress)
        self.sync.finished.connect(self._on_sync_finished)
        self.sync.failed.connect(self._on_sync_failed)
        self.channels.details_requested.connect(self.show_sync_details)

        self.table.current_id_changed.connect(self._on_current_id)
        self.table.activated.connect(lambda _index: self.open_detail())  # double-click
        self.model.ids_loaded.connect(self._on_ids_loaded)
        self._ids_job_running = False
        self._ids_again = False
        self._pending_changed: set[int] = set()
        self._closed = False
        self._progress_refresh = QTimer(self)
        self._progress_refresh.setSingleShot(True)
        self._progress_refresh.setInterval(PROGRESS_REFRESH_MS)
        self._progress_refresh.timeout.connect(self.refresh_view)
        self._age_timer = QTimer(self)  # the Age column moves with the clock
        self._age_timer.timeout.connect(self.table.viewport().update)
        self._age_timer.start(AGE_REPAINT_MS)

        self.commands = CommandRegistry(self, {Scope.LIST: [self.table],
                                               Scope.DETAIL: [self.detail]})
        self.commands.register_all(DEFAULT_COMMANDS, {
            "next-item": lambda: self.table.move_current(1),
            "previous-item": lambda: self.table.move_current(-1),
            "first-item": lambda: self.table.select_row(0),
            "last-item": lambda: self.table.select_row(self.model.rowCount() - 1),
            "open-detail": self.open_detail,
            "back-to-list": self.back_to_list,
            "clear-selection": self.table.clearSelection,
            "sync-now": self.sync_now,
            "sync-details": lambda: self.show_sync_details(None),
            "quit": self.close,
            "about": self.show_about,
        })
        self.commands.build_menus(self.menuBar())

        self.resize(1360, 820)
        self._on_ids_loaded(self.model.rowCount())
        if self.model.rowCount():
            self.table.select_row(0)
        self.table.setFocus()

    # -- public API ----------------------------------------------------------------------

    def start_background_sync(self) -> None:
        """Sync now, then every `sync_interval_s` seconds after the previous run."""
        self.sync.start()

    def sync_now(self) -> None:
        self.statusBar().showMessage("Syncing\u2026", 3000)
        self.sync.sync_now()

    def current_id(self) -> int | None:
        return self.table.current_id()

    def select_id(self, esc_id: int) -> bool:
        row = self.model.row_of(esc_id)
        if row is None:
            return False
        self.table.select_row(row)
        return True

    def open_detail(self) -> None:
        if self.table.currentIndex().isValid():
            self.detail.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def back_to_list(self) -> None:
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def refresh_view(self, changed_ids: set[int] | frozenset[int] = frozenset()) -> None:
        """Re-read the view's ids on a worker, then swap them in on the GUI thread (the
        current row stays on its escalation) and redraw `changed_ids`."""
        self._pending_changed |= changed_ids
        if self._closed:
            return
        if self._ids_job_running:
            self._ids_again = True
            return
        self._ids_job_running = True
        path, view = self.store.path, self.model.view
        job = self.jobs.run("view-ids", lambda _progress, _cancel: read_view_ids(path, view),
                            on_success=lambda ids: self._apply_ids(view, ids))
        job.finished.connect(self._ids_job_done)

    def show_sync_details(self, channel: str | None) -> None:
        self.channels.refresh()
        statuses = self.channels.statuses
        if not statuses:
            self.statusBar().showMessage("No channels configured", 5000)
            return
        chosen = next((s for s in statuses if s.name == channel), None) or next(
            (s for s in statuses if s.last_error), statuses[0])
        dialog = SyncDetailsDialog(chosen, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.ui.syncNowButton.clicked.connect(self.sync_now)
        dialog.open()

    def show_about(self) -> None:
        dialog = AboutDialog(self.data_dir, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel background work, wait for it up to `timeout` s, close read connections.
        Idempotent; called by closeEvent."""
        if self._closed:
            return
        self._closed = True
        started = time.monotonic()
        self._progress_refresh.stop()
        self._age_timer.stop()
        if not self.sync.stop(timeout):
            log.warning("sync did not stop within %.1f s; leaving it to finish", timeout)
        self.jobs.shutdown(max(timeout - (time.monotonic() - started), 0.5))
        self.channels.close_db()
        self.detail.close_db()
        self.model.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Qt override: stop syncing before the window goes away."""
        self.shutdown()
        super().closeEvent(event)

    # -- internals -----------------------------------------------------------------------

    def _apply_ids(self, view: ViewFilter, ids: object) -> None:
        if self._closed:
            return
        changed, self._pending_changed = self._pending_changed, set()
        if view == self.model.view:
            self.model.load_ids(ids)  # type: ignore[arg-type]
        self.model.refresh_rows(changed)
        if self.detail.escalation_id in changed:
            self.detail.refresh()

    def _ids_job_done(self) -> None:
        self._ids_job_running = False
        if self._ids_again:
            self._ids_again = False
            self.refresh_view()

    def _on_ids_loaded(self, count: int) -> None:
        self.count_label.setText(f"{count:,} escalation{'s' if count != 1 else ''}")
        self.view_refreshed.emit(count)

    def _on_current_id(self, esc_id: int) -> None:
        self.detail.show_escalation_soon(esc_id if esc_id >= 0 else None)

    def _on_sync_progress(self, progress: SyncProgress) -> None:
        self.channels.on_progress(progress)
        if progress.phase == "pull" and progress.items and not self._progress_refresh.isActive():
            self._progress_refresh.start()

    def _on_sync_finished(self, reports: list[SyncReport]) -> None:
        self._progress_refresh.stop()
        self.channels.sync_ended()
        changed: set[int] = set()
        for report in reports:
            changed |= report.changed_ids
        failed = [r for r in reports if r.error]
        if failed:
            self.statusBar().showMessage(one_line("; ".join(r.summary() for r in failed)),
                                         10_000)
        elif changed:
            self.statusBar().showMessage(f"Sync done: {len(changed):,} changed", 5000)
        if changed or self._pending_changed:
            self.refresh_view(changed)
        self.sync_reported.emit(reports)

    def _on_sync_failed(self, message: str) -> None:
        self.channels.sync_ended()
        self.statusBar().showMessage(one_line(f"Sync failed: {message}"), 10_000)
