"""The main window: layout and wiring only. The triage page (view bar, table, detail pane,
undo toast) and the Outbox & sync page; the status bar; every key a command of
`rr_desktop.keymap`. Screens and controllers get an `AppContext`, never this window, and
everything redraws from the context's one `changes_applied` signal."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QResizeEvent
from PySide6.QtWidgets import QApplication, QDialog, QMainWindow, QWidget

from ..keymap import Command, KeymapError, Mode, all_commands, with_overrides
from ..settings import Settings, load_settings
from ..store.actions import ACTION_TYPES, TriageAction
from ..store.changes import Changes
from ..store.views import saved_views
from .bridge import SyncBridge, WorkspaceLike
from .cache_check import check_cache
from .channel_actions import ChannelActions
from .commands import CommandRegistry, CommandTarget
from .context import AppContext
from .identity import IdentityChooser
from .jobs import JobRunner
from .lead_board import LeadBoard
from .lookups import Lookups
from .mailbox_watch import MailboxWatcher
from .notifier import Notifier
from .outbox_actions import OutboxActions
from .pages import Pages
from .sla_settings import apply_sla_settings
from .status_area import StatusArea
from .surge_suggestion import SurgeSuggestions
from .sync_outcomes import SyncOutcomes
from .sync_view import SyncView
from .table_export import TableExporter
from .text import one_line, set_display_zone
from .triage.actions import TriageController
from .triage.model import TriageModel
from .triage.page import TriagePage
from .triage.selection import TableSelection
from .triage.view import TriageView
from .view_switcher import ViewSwitcher
from .window_dialogs import WindowDialogs
from .window_state import restore_window_state, save_window_state
from .work_screens import WorkScreens

log = logging.getLogger("rr_desktop.gui")

WINDOW_TITLE = "RR Desktop"
SELECT_WHEN_LISTED_S = 5.0
RESORT_DELAY_MS = 300  # after an action, re-sort the view once the keys pause this long
AGE_REPAINT_MS = 60_000


class MainWindow(QMainWindow):
    """The window of the app.

    Public API: `start_background_sync()`, `sync_now()`, `refresh_view()`, `shutdown()`,
    `current_id()`, `select_id(id)`; attributes `ctx` (AppContext), `model`, `table`,
    `detail`, `channels`, `commands`, `triage` (TriageController), `views` (ViewSwitcher),
    `pages` (which page shows), `sync_view`, `lead_board`, `toast`, `sync`, `jobs`,
    `settings`.

    Signals:
      view_refreshed(int): the table's ids were (re)loaded; the new row count;
      sync_reported(list): a background sync ended with these `SyncReport`s (after the
        table was told what changed).
    """

    view_refreshed = Signal(int)
    sync_reported = Signal(list)

    def __init__(self, workspace: WorkspaceLike, *, sync_interval_s: float | None = 30.0,
                 parent: QWidget | None = None,
                 actions: Sequence[type[TriageAction]] = ACTION_TYPES) -> None:
        super().__init__(parent)
        self.setWindowTitle(WINDOW_TITLE)
        self.setObjectName("mainWindow")
        self.store = workspace.store
        self.engine = workspace.engine
        self.data_dir: Path = getattr(workspace, "data_dir", None) or self.store.path.parent
        self.settings: Settings = load_settings(self.data_dir)
        set_display_zone(self.settings.zone)
        # One worker is taken by a running sync; two more keep view reads, duplicate
        # lookups and triage writes from queueing behind each other.
        self.jobs = JobRunner(self, max_workers=3)
        self.notifier = Notifier(self)
        self.ctx = AppContext(self.store, self.jobs, self.settings, self.data_dir,
                              self.notifier, self.settings.me, parent=self)
        self.store.forbid_writes_from(threading.get_ident())
        self.lookups = Lookups(self.store.path)
        self._closed = False

        with self.store.read() as conn:
            views = saved_views(conn, self.ctx.me)
        self.model = TriageModel(self.store.path, views[0], parent=self)
        self.table = TriageView()
        self.table.setModel(self.model)
        self.selection = TableSelection(self.table, self.model)
        self.views = ViewSwitcher(self.ctx, self.model, self.table, views, self)
        page = TriagePage(self.store.path, self.jobs, self.table, self.views.bar)
        self.detail, self.duplicates, self.splitter = page.detail, page.duplicates, page.splitter
        self.fold, self.toast, self.banner = page.fold, page.toast, page.banner
        self.sync_view = SyncView(self.store.path)
        self.lead_board = LeadBoard(self.ctx, self.open_dialog)
        self.pages = Pages(page, self.sync_view, self.lead_board, self.ctx)
        self.setCentralWidget(self.pages)
        self.work = WorkScreens(self.ctx, self.pages, self.open_dialog, self.back_to_list,
                                self.open_escalation, self)
        self.incidents, self.postmortems = self.work.incidents, self.work.postmortems

        self.status = StatusArea(self.statusBar(), self.store.path, self)
        self.channels, self.count_label = self.status.channels, self.status.count
        self.identity_label, self.chord_label = self.status.identity, self.status.chord
        self.selection_label = self.status.selection

        self.sync = SyncBridge(workspace.engine, self.jobs, sync_interval_s, self)
        self.identity = IdentityChooser(self.ctx, self.lookups, self, self.open_dialog)
        self.triage = TriageController(self.ctx, self.selection, self.lookups, self.toast,
                                       self, self.back_to_list_if_lost,
                                       lambda: self.views.current.text(), self.identity.ask,
                                       actions)
        self.outbox = OutboxActions(self.ctx, self.sync_view, self.sync.sync_now, self,
                                    self.open_dialog)
        self.channel_actions = ChannelActions(self.ctx, self.engine, self, self.open_dialog)
        self.mailboxes = MailboxWatcher(self)
        self.sync_outcomes = SyncOutcomes(self.ctx, self.sync, self.channels, self)
        self.commands = CommandRegistry(
            self, {Mode.LIST: [self.table], Mode.DETAIL: [self.detail],
                   Mode.OUTBOX: [self.sync_view], Mode.SEARCH: [self.views.bar],
                   Mode.LEAD: [self.lead_board], **self.work.modes()},
            has_selection=lambda: self.table.current_id() is not None)
        self.exporter = TableExporter(self.ctx, self.pages.currentWidget, self.open_dialog, self)
        self.dialogs = WindowDialogs(self.ctx, self.commands, self.views, self.channels, self,
                                     self.open_dialog, self.sync_now, self.data_dir)
        self.surge = SurgeSuggestions(self.ctx, self.views, self.banner, self.triage,
                                      self.commands, self)
        self._wire()
        self.commands.refused.connect(self.notifier.info)
        self.commands.chord_pending.connect(self.chord_label.setText)
        self.commands.register_all(self._handlers(), self._keymap(actions))
        self.work.attach(self.commands)
        self.commands.watch_chords([self.table, self.detail.text, *self.sync_view.tables(),
                                    self.lead_board.table, self.lead_board.metrics.table])
        self.commands.build_menus(
            self.menuBar(), closed=lambda: QTimer.singleShot(0, self.back_to_list_if_lost))
        self._name_saved_views()

        self._pending_select: tuple[int, float] | None = None
        self._resort = QTimer(self)
        self._resort.setSingleShot(True)
        self._resort.setInterval(RESORT_DELAY_MS)
        self._resort.timeout.connect(self.refresh_view)
        self._age_timer = QTimer(self)  # the Age and SLA columns move with the clock
        self._age_timer.timeout.connect(self._tick)
        self._age_timer.start(AGE_REPAINT_MS)

        self.resize(1360, 820)
        self._on_ids_loaded(self.model.rowCount())
        if self.model.rowCount():
            self.table.select_row(0)
        self._restore_state()
        apply_sla_settings(self.ctx)
        self.mailboxes.watch(self.engine.clients)
        self._show_identity()
        self.table.setFocus()
        if not self.ctx.me:  # first start: who are you? (never the OS login)
            QTimer.singleShot(0, lambda: None if self._closed else self.identity.ask())
        for problem in self.settings.problems:
            self.notifier.warn(problem, 10_000)

    # -- wiring --------------------------------------------------------------------------

    def _wire(self) -> None:
        self.notifier.notice.connect(self.status.show_notice)
        self.notifier.problem.connect(self.banner.raise_problem)
        self.notifier.resolved.connect(self.banner.resolve)
        self.banner.action_requested.connect(lambda name: self.commands.run(name))
        self.banner.dismissed.connect(self.sync_outcomes.dismissed)
        self.ctx.changes_applied.connect(self._on_changes)
        self.sync_outcomes.progress_shown.connect(self.refresh_view)
        self.sync_outcomes.reported.connect(self.sync_reported.emit)
        self.channels.details_requested.connect(self.dialogs.sync_details)
        self.table.current_id_changed.connect(self._on_current_id)
        self.detail.shown.connect(self._on_detail_shown)
        self.table.activated.connect(lambda _index: self.open_detail())  # double-click
        self.model.ids_loaded.connect(self._on_ids_loaded)
        self.duplicates.activated.connect(self.open_escalation)
        self.views.page_wanted.connect(self.pages.show_triage)
        self.views.list_focus_wanted.connect(self.back_to_list)
        self.views.count_changed.connect(self.count_label.setText)
        self.pages.trends_built.connect(lambda view: self.commands.add_page(Mode.TRENDS, view))
        self.lead_board.queue_requested.connect(
            lambda who: self.views.show_search("All", f"assignee:{who} is:open"))
        self.table.sort_requested.connect(self.views.sort_by)
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: self._show_selection_count())
        self.model.modelReset.connect(self._show_selection_count)
        self.toast.undo_requested.connect(self.triage.undo)
        self.triage.prompt_opened.connect(self._on_prompt)
        self.triage.escalation_created.connect(self._on_escalation_created)
        self.triage.view_saved.connect(self.views.show_saved)
        self.channel_actions.channel_started.connect(self._on_channel_started)
        self.identity_label.clicked.connect(lambda: self.identity.ask())
        self.ctx.identity_changed.connect(self._on_identity_changed)
        self.mailboxes.mail_arrived.connect(self.sync.sync_channel,
                                            Qt.ConnectionType.QueuedConnection)

    def _handlers(self) -> dict[str, Callable[[], object]]:
        t, views = self.table, self.views

        def go(name: str) -> Callable[[], None]:
            return lambda: views.show_view(views.view_named(name))

        handlers: dict[str, Callable[[], object]] = {
            "next-item": lambda: t.move_current(1),
            "previous-item": lambda: t.move_current(-1),
            "first-item": lambda: t.select_row(0),
            "last-item": lambda: t.select_row(self.model.rowCount() - 1),
            "open-detail": self.open_detail,
            "back-to-list": self.back_to_list,
            "clear-selection": t.clear_selection_keep_current,
            "toggle-select": t.toggle_current,
            "extend-down": lambda: t.extend_selection(1),
            "extend-up": lambda: t.extend_selection(-1),
            "select-all": t.selectAll,
            "palette": self.dialogs.palette,
            "search": views.focus_search,
            "go-triage": go("Triage"), "go-mine": go("Mine"), "go-snoozed": go("Snoozed"),
            "go-sla": go("SLA at risk"), "go-all": go("All"),
            "go-outbox": self.pages.show_sync,
            "go-lead": self.pages.show_lead,
            **self.pages.lead_handlers(), **self.pages.trends_handlers(),
            "export-table": self.exporter.ask,
            "next-tab": lambda: self.pages.step_tab(1),
            "previous-tab": lambda: self.pages.step_tab(-1),
            "toggle-split": self.toggle_split,
            "sync-now": self.sync_now,
            "sync-details": lambda: self.dialogs.sync_details(None),
            "shortcuts": self.dialogs.shortcuts,
            "about": self.dialogs.about,
            "manage-views": self.dialogs.manage_views,
            "choose-identity": self.identity.ask,
            "sort-by": self.dialogs.sort,
            "quit": self.close,
            **self.triage.handlers(),
            **self.outbox.handlers(),
            **self.channel_actions.handlers(),
            **self.work.handlers(),
            **self.surge.handlers(),
        }
        for n in range(1, 10):
            handlers[f"view-{n}"] = partial(views.show_index, n - 1)
        return handlers

    def _keymap(self, actions: Sequence[type[TriageAction]]) -> tuple[Command, ...]:
        try:
            return with_overrides(self.settings.get("keymap"), all_commands(actions))
        except KeymapError as exc:
            self.notifier.warn(f"Keymap settings not applied: {exc}", 15_000)
            return all_commands(actions)

    def _restore_state(self) -> None:
        saved = restore_window_state(self.data_dir, self, self.splitter,
                                     self.table.horizontalHeader())
        if not saved.detail_visible:
            self.detail.hide()
            self.notifier.info("The detail pane is hidden: Return shows it, Ctrl+\\ toggles "
                               "it", 10_000)
        if saved.view_title and saved.view_title != self.views.current.title:
            view = self.views.view_named(saved.view_title)
            if view is not None:
                self.views.show_view(view)

    # -- public API ----------------------------------------------------------------------

    @property
    def me(self) -> str:
        return self.ctx.me

    def start_background_sync(self) -> None:
        """Sync now, then every `sync_interval_s` seconds after the previous run."""
        self.sync.start()

    def sync_now(self) -> None:
        """F5: sync every channel now; waits for rate limits and backoff are reset, and
        the run's outcome is said when it ends, whatever it is."""
        self.sync_outcomes.requested()
        self.outbox.sync_now_resetting_backoff()

    def check_cache(self) -> None:
        check_cache(self.ctx, self)

    def start_channel(self, name: str) -> None:
        self.channel_actions.start_channel(name)

    def reload_views(self) -> None:
        """Re-read the view list (Ctrl+1..9 follow it) after saved views changed."""
        self.views.reload()
        self._name_saved_views()

    def _name_saved_views(self) -> None:
        """Ctrl+1..9 in the View menu and the palette say which view they open."""
        for n in range(1, 10):
            view = self.views.views[n - 1] if n <= len(self.views.views) else None
            self.commands.set_title(f"view-{n}", f"View: {view.title}" if view is not None
                                    else f"Saved view {n} (none yet)")

    def is_closed(self) -> bool:
        return self._closed

    def current_id(self) -> int | None:
        return self.table.current_id()

    def select_id(self, esc_id: int) -> bool:
        return self.selection.select_id(esc_id)

    def open_detail(self) -> None:
        """Return / o: the detail pane of the current escalation, shown if it was hidden
        (in a narrow window it takes the list's place until u or Esc)."""
        if self.table.currentIndex().isValid():
            self.fold.open_detail()

    def back_to_list(self) -> None:
        self.pages.show_triage()
        self.fold.back_to_list()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Qt override: a narrow window folds the detail pane away (triage/fold.py)."""
        super().resizeEvent(event)
        self.fold.fit(self.width())

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

    def toggle_split(self) -> None:
        self.fold.toggle()

    def refresh_view(self) -> None:
        """Re-read the view's ids on a worker, then swap them in (the current row stays
        on its escalation)."""
        if not self._closed:
            self.views.refresh()

    def open_dialog(self, dialog: QDialog) -> None:
        """Open a window-modal helper dialog; focus returns where it was afterwards."""
        focus = QApplication.focusWidget()
        previous = focus if focus is not None and self.isAncestorOf(focus) else None
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _code: self.back_to_list_if_lost(previous))
        self._on_prompt(dialog)
        dialog.open()
        dialog.activateWindow()

    def open_escalation(self, esc_id: int) -> None:
        """Show an escalation: its row if the view has it, else just the detail pane."""
        if not self.select_id(esc_id):
            self.detail.show_escalation(esc_id)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Save window state, cancel background work, wait for it up to `timeout` s,
        close read connections. Idempotent; called by closeEvent."""
        if self._closed:
            return
        save_window_state(self.data_dir, self, self.splitter, self.table.horizontalHeader(),
                          self.views.current.title, self.fold.detail_visible)
        self.mailboxes.stop()
        self._closed = True
        self.ctx.closed = True
        started = time.monotonic()
        self.sync_outcomes.stop()
        self._resort.stop()
        self._age_timer.stop()
        self.duplicates.stop()
        if not self.sync.stop(timeout):
            log.warning("sync did not stop within %.1f s; leaving it to finish", timeout)
        self.jobs.shutdown(max(timeout - (time.monotonic() - started), 0.5))
        self.store.forbid_writes_from(None)
        self.work.shutdown()  # the last typing of an open post-mortem is saved
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

    def _on_prompt(self, dialog: QDialog) -> None:
        """A prompt, picker or form opened: its keys come from the registry too."""
        if isinstance(dialog, CommandTarget):
            self.commands.add_target(dialog)

    def _on_changes(self, changes: Changes) -> None:
        """Every write's "what changed" (an action, an undo, a sync, a resolution): the
        rows that changed paint at once, the detail pane follows, and the view re-sorts
        once the keys pause (rows do not jump under the cursor mid-burst)."""
        if changes.all_rows:
            self.model.refresh_rows(set(self.model.cached_ids()))
            self.detail.refresh_soon()
            self._resort.start()
        elif changes.escalations:
            self.model.refresh_rows(changes.escalations)
            self.detail.forget(changes.escalations)
            if self.detail.target_id in changes.escalations:
                self.detail.refresh_soon()  # the changed row paints first
            self._resort.start()
        if changes.views:
            self.reload_views()
        if changes.outbox or changes.channels:  # counts re-read once the burst is over
            self.channels.refresh_soon()
            if self.pages.sync_shown():
                self.sync_view.refresh()
        if changes.channels:
            self.mailboxes.watch(self.engine.clients)
        if changes.roster:
            self.identity.roster_changed()
            self._show_identity()

    def _show_selection_count(self) -> None:
        self.status.show_selection(self.table.selected_count(), self.table.marking)

    def _show_identity(self) -> None:
        me = self.ctx.me
        self.identity_label.show_identity(me, self.lookups.analyst_name(me) if me else None)

    def _on_identity_changed(self, _me: str) -> None:
        """Mine, `assignee:me` and the saved views follow who the analyst is."""
        self._show_identity()
        self.reload_views()
        current = self.views.view_named(self.views.current.title)
        if current is not None:
            self.views.show_view(current)

    def _tick(self) -> None:
        self.table.viewport().update()
        self.triage.wake_snoozes()

    def _on_escalation_created(self, esc_id: int, channel: str) -> None:
        if channel not in self.engine.clients:
            self.start_channel(channel)
        self.show_when_listed(esc_id)

    def _on_channel_started(self, _name: str) -> None:
        self.mailboxes.watch(self.engine.clients)
        self.channels.refresh()
        self.sync_now()

    def show_when_listed(self, esc_id: int) -> None:
        """An escalation just created becomes the current row when the view's re-read
        (started here) lists it, if it does within a few seconds (never later: the
        cursor must not jump on a later refresh). Until then the pane keeps showing the
        current row: what is shown is what the next key acts on."""
        self._pending_select = (esc_id, time.monotonic() + SELECT_WHEN_LISTED_S)
        self.refresh_view()

    def _on_ids_loaded(self, count: int) -> None:
        pending, self._pending_select = self._pending_select, None
        if pending is not None and time.monotonic() < pending[1] \
                and not self.select_id(pending[0]):
            self.notifier.info(f"{self.lookups.reference(pending[0], title=False)} is not in "
                               f"the view {self.views.current.title!r}: g e (All) lists it",
                               8000)
        self.count_label.setText(f"{count:,} escalation{'s' if count != 1 else ''}")
        self.view_refreshed.emit(count)

    def _on_current_id(self, esc_id: int) -> None:
        self.detail.show_escalation_soon(esc_id if esc_id >= 0 else None)
        self.detail.prefetch([i for i in (self.model.id_at(self.table.currentIndex().row() + d)
                                          for d in (1, 2, 3)) if i is not None])

    def _on_detail_shown(self, esc_id: int) -> None:
        """The window title names the escalation shown (plain text, capped); its
        duplicate suggestions are looked up on a worker."""
        if not self._closed:
            self.duplicates.show_for(esc_id if esc_id >= 0 else None)
        title = one_line(self.detail.title.text()) if esc_id >= 0 else ""
        if len(title) > 80:
            title = title[:79] + "\u2026"
        self.setWindowTitle(f"{title} \u2014 {WINDOW_TITLE}" if title else WINDOW_TITLE)
