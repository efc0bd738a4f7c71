"""The main window: the triage table and the detail pane side by side, channel freshness
in the status bar, background sync through the job helper."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..keymap import COMMANDS, Command, KeymapError, Mode, with_overrides
from ..settings import Settings, load_settings
from ..store.database import Store
from ..store.views import saved_views
from ..sync.engine import SyncProgress, SyncReport
from .bridge import SyncBridge, SyncRunner
from .commands import CommandRegistry
from .dialogs import AboutDialog, SyncDetailsDialog
from .jobs import JobRunner
from .lookups import Lookups
from .outbox_actions import OutboxActions
from .palette import CommandPalette, ShortcutOverlay
from .saved_views import SavedViewsDialog
from .status import ChannelStatusBar
from .sync_view import SyncView
from .text import one_line
from .toast import UndoToast
from .triage.actions import TriageController
from .triage.detail import DetailPane
from .triage.duplicates import DuplicateList
from .triage.model import TriageModel
from .triage.view import TriageView
from .view_switcher import ViewSwitcher
from .window_commands import window_handlers
from .window_state import restore_window_state, save_window_state
from .workspace_actions import WorkspaceActions

log = logging.getLogger("rr_desktop.gui")

WINDOW_TITLE = "RR Desktop"
PROGRESS_REFRESH_MS = 1500  # while a sync runs, show arriving rows this often
SELECT_WHEN_LISTED_S = 5.0
RESORT_DELAY_MS = 300  # after an action, re-sort the view once the keys pause this long
AGE_REPAINT_MS = 60_000


class WorkspaceLike(Protocol):
    """What the window needs of `rr_desktop.workspace.Workspace` (tests pass stand-ins)."""

    @property
    def store(self) -> Store: ...

    @property
    def engine(self) -> SyncRunner: ...


class MainWindow(QMainWindow):
    """The triage page (view bar, table, detail pane, undo toast) and the Outbox & sync
    page; every key is a command of `rr_desktop.keymap`.

    Public API: `start_background_sync()`, `sync_now()`, `refresh_view(changed_ids)`,
    `shutdown()`, `current_id()`, `select_id(id)`, `show_triage_page()`,
    `show_sync_page()`; attributes `model`, `table`, `detail`, `channels`, `commands`,
    `triage` (TriageController), `views` (ViewSwitcher), `sync_view`, `toast`, `sync`,
    `jobs`, `settings`, `me`.

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
        self.engine = workspace.engine
        self.data_dir: Path = getattr(workspace, "data_dir", None) or self.store.path.parent
        self.settings: Settings = load_settings(self.data_dir)
        self.me = self.settings.me
        # One worker is taken by a running sync; two more keep view reads, duplicate
        # lookups and triage writes from queueing behind each other.
        self.jobs = JobRunner(self, max_workers=3)
        self.lookups = Lookups(self.store.path)
        self._closed = False

        with self.store.read() as conn:
            views = saved_views(conn, self.me)
        self.views = ViewSwitcher(self, views)
        self.model = TriageModel(self.store.path, self.views.current, parent=self)
        self.table = TriageView()
        self.table.setModel(self.model)
        self.detail = DetailPane(self.store.path)
        self.duplicates = DuplicateList(self.store.path, self.jobs)
        self.duplicates.setMaximumHeight(170)
        self.detail.add_footer(self.duplicates)
        self.duplicates.activated.connect(self.open_escalation)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([880, 480])
        self.toast = UndoToast()
        triage_page = QWidget()
        triage_page.setObjectName("triagePage")
        column = QVBoxLayout(triage_page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.views.bar)
        column.addWidget(self.splitter, 1)
        column.addWidget(self.toast)
        self.sync_view = SyncView(self.store.path)
        self.pages = QStackedWidget()
        self.pages.addWidget(triage_page)
        self.pages.addWidget(self.sync_view)
        self.setCentralWidget(self.pages)

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
        self.detail.shown.connect(self._on_detail_shown)
        self.table.activated.connect(lambda _index: self.open_detail())  # double-click
        self.model.ids_loaded.connect(self._on_ids_loaded)
        self._pending_changed: set[int] = set()
        self._select_when_listed: tuple[int, float] | None = None
        self._progress_refresh = QTimer(self)
        self._progress_refresh.setSingleShot(True)
        self._progress_refresh.setInterval(PROGRESS_REFRESH_MS)
        self._progress_refresh.timeout.connect(self.refresh_view)
        # After an action the changed rows show at once; the view re-sorts once the keys
        # pause (rows do not jump under the cursor mid-burst, and the id re-read does not
        # compete with the next action for the interpreter).
        self._resort = QTimer(self)
        self._resort.setSingleShot(True)
        self._resort.setInterval(RESORT_DELAY_MS)
        self._resort.timeout.connect(self.refresh_view)
        self._age_timer = QTimer(self)  # the Age and SLA columns move with the clock
        self._age_timer.timeout.connect(self._tick)
        self._age_timer.start(AGE_REPAINT_MS)

        self.triage = TriageController(self)
        self.outbox = OutboxActions(self)
        self.services = WorkspaceActions(self)
        self.check_cache = self.services.check_cache
        self.start_channel = self.services.start_channel
        self.toast.undo_requested.connect(self.triage.undo)
        self.commands = CommandRegistry(
            self, {Mode.LIST: [self.table], Mode.DETAIL: [self.detail],
                   Mode.OUTBOX: [self.sync_view]},
            has_selection=lambda: self.table.current_id() is not None)
        self.commands.refused.connect(lambda m: self.statusBar().showMessage(m, 4000))
        self.commands.register_all(window_handlers(self), self._keymap())
        self.commands.build_menus(self.menuBar())

        self.resize(1360, 820)
        self._on_ids_loaded(self.model.rowCount())
        if self.model.rowCount():
            self.table.select_row(0)
        restore_window_state(self)
        self.services.apply_sla_settings()
        self.services.watch_mailboxes()
        self.table.setFocus()
        for problem in self.settings.problems:
            self.statusBar().showMessage(one_line(problem), 10_000)

    def _keymap(self) -> tuple[Command, ...]:
        try:
            return with_overrides(self.settings.get("keymap"))
        except KeymapError as exc:
            message = f"Keymap settings not applied: {one_line(str(exc))}"
            QTimer.singleShot(0, lambda: self.statusBar().showMessage(message, 15_000))
            return COMMANDS

    # -- public API ----------------------------------------------------------------------

    def start_background_sync(self) -> None:
        """Sync now, then every `sync_interval_s` seconds after the previous run."""
        self.sync.start()

    def sync_now(self) -> None:
        """F5: sync every channel now; waits for rate limits and backoff are reset."""
        self.statusBar().showMessage("Syncing\u2026", 3000)
        self.outbox.sync_now_resetting_backoff()

    def reload_views(self) -> None:
        """Re-read the view list (Ctrl+1..9 follow it) after saved views changed."""
        with self.store.read() as conn:
            self.views.views = saved_views(conn, self.me)

    def manage_views(self) -> None:
        dialog = SavedViewsDialog(self.store, self.jobs, self)
        dialog.changed.connect(self.reload_views)
        self.open_dialog(dialog)

    def views_saved(self, name: str) -> None:
        """A view was saved: reload the list (Ctrl+1..9 follow it) and show it."""
        self.reload_views()
        n = next(i for i, v in enumerate(self.views.views) if v.title == name)
        self.statusBar().showMessage(
            f"Saved view {name!r}" + (f": Ctrl+{n + 1}" if n < 9 else ""), 6000)
        self.views.show_view(self.views.views[n])

    def is_closed(self) -> bool:
        return self._closed

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
        self.show_triage_page()
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def back_to_list_if_lost(self, previous: QWidget | None = None) -> None:
        """After a dialog closed: focus goes back where it was (the list or the detail
        pane), or to the list."""
        if QApplication.activeWindow() is not self:
            self.activateWindow()
        if previous is not None and previous.isVisible():
            previous.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        focus = QApplication.focusWidget()
        if focus is None or not self.isAncestorOf(focus):
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_triage_page(self) -> None:
        self.pages.setCurrentIndex(0)

    def show_sync_page(self) -> None:
        self.sync_view.refresh()
        self.pages.setCurrentIndex(1)
        self.sync_view.show_conflicts() if self.sync_view.current_conflict() else \
            self.sync_view.tabs.currentWidget().setFocus()

    def toggle_split(self) -> None:
        self.detail.setVisible(not self.detail.isVisible())
        if not self.detail.isVisible():
            self.table.setFocus()

    def refresh_view(self, changed_ids: set[int] | frozenset[int] = frozenset()) -> None:
        """Re-read the view's ids on a worker, then swap them in on the GUI thread (the
        current row stays on its escalation) and redraw `changed_ids`."""
        self._pending_changed |= changed_ids
        if not self._closed:
            self.views.refresh()

    def refresh_view_soon(self) -> None:
        """Re-sort the view RESORT_DELAY_MS after the last call (a burst sorts once)."""
        if not self._closed:
            self._resort.start()

    def apply_ids(self, ids: object) -> None:
        """Swap in freshly read ids of the current view and redraw what changed."""
        if self._closed:
            return
        changed, self._pending_changed = self._pending_changed, set()
        self.model.load_ids(ids)  # type: ignore[arg-type]
        self.model.refresh_rows(changed)
        self.detail.forget(changed)
        if self.detail.escalation_id in changed:
            self.detail.refresh()

    def show_palette(self) -> None:
        self.open_dialog(CommandPalette(self.commands, self))

    def show_shortcuts(self) -> None:
        self.open_dialog(ShortcutOverlay(self.commands, self.commands.current_mode(), self))

    def open_dialog(self, dialog: QDialog) -> None:
        """Open a window-modal helper dialog; focus returns where it was afterwards."""
        focus = QApplication.focusWidget()
        previous = focus if focus is not None and self.isAncestorOf(focus) else None
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _code: self.back_to_list_if_lost(previous))
        dialog.open()
        dialog.activateWindow()

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
        """Save window state, cancel background work, wait for it up to `timeout` s,
        close read connections. Idempotent; called by closeEvent."""
        if self._closed:
            return
        save_window_state(self)
        self.services.stop()
        self._closed = True
        started = time.monotonic()
        self._progress_refresh.stop()
        self._resort.stop()
        self._age_timer.stop()
        self.duplicates.stop()
        if not self.sync.stop(timeout):
            log.warning("sync did not stop within %.1f s; leaving it to finish", timeout)
        self.jobs.shutdown(max(timeout - (time.monotonic() - started), 0.5))
        self.channels.close_db()
        self.detail.close_db()
        self.sync_view.close_db()
        self.lookups.close()
        self.model.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Qt override: stop syncing before the window goes away."""
        self.shutdown()
        super().closeEvent(event)

    # -- internals -----------------------------------------------------------------------

    def composer_submit(self, advance: bool) -> None:
        prompt = self.triage.prompt
        submit = getattr(prompt, "submit", None)
        if callable(submit):
            submit(advance)

    def _tick(self) -> None:
        self.table.viewport().update()
        self.triage.wake_snoozes()

    def show_when_listed(self, esc_id: int) -> None:
        """An escalation just created: shown in the detail pane at once, and selected in
        the table when the view's re-read (started here) lists it, if it does within a
        few seconds (never later: the cursor must not jump on a later refresh)."""
        self.detail.show_escalation(esc_id)
        self._select_when_listed = (esc_id, time.monotonic() + SELECT_WHEN_LISTED_S)
        self.refresh_view()

    def _on_ids_loaded(self, count: int) -> None:
        pending, self._select_when_listed = self._select_when_listed, None
        if pending is not None and time.monotonic() < pending[1]:
            self.select_id(pending[0])
        self.count_label.setText(f"{count:,} escalation{'s' if count != 1 else ''}")
        self.view_refreshed.emit(count)

    def _on_current_id(self, esc_id: int) -> None:
        self.detail.show_escalation_soon(esc_id if esc_id >= 0 else None)
        self.detail.prefetch([i for i in (self.model.id_at(self.table.currentIndex().row() + d)
                                          for d in (1, 2, 3)) if i is not None])

    def open_escalation(self, esc_id: int) -> None:
        """Show an escalation: its row if the view has it, else just the detail pane."""
        if not self.select_id(esc_id):
            self.detail.show_escalation(esc_id)

    def _on_detail_shown(self, esc_id: int) -> None:
        """The window title names the escalation shown (plain text, capped); its
        duplicate suggestions are looked up on a worker."""
        if not self._closed:
            self.duplicates.show_for(esc_id if esc_id >= 0 else None)
        title = one_line(self.detail.title.text()) if esc_id >= 0 else ""
        if len(title) > 80:
            title = title[:79] + "\u2026"
        self.setWindowTitle(f"{title} \u2014 {WINDOW_TITLE}" if title else WINDOW_TITLE)

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
        if self.pages.currentIndex() == 1:
            self.sync_view.refresh()
        self.sync_reported.emit(reports)

    def _on_sync_failed(self, message: str) -> None:
        self.channels.sync_ended()
        self.statusBar().showMessage(one_line(f"Sync failed: {message}"), 10_000)
