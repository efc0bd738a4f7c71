"""What the window does with the workspace beyond triage: set up channels while running
(their clients go to the sync engine at once), watch mailboxes with IMAP IDLE, apply the
SLA targets from settings, and check the cache's integrity after the first paint."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox

from ..domain.sla import SlaPolicy
from ..store import sla_sql
from ..store.channel_state import list_channels
from .text import one_line

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger("rr_desktop.gui")
IDLE_TIMEOUT_S = 25.0
IDLE_RETRY_S = 30.0


class WorkspaceActions(QObject):
    """Channel setup, mailbox watching, SLA settings and the cache check for a window.

    Signals: mail_arrived(str): a watched mailbox reported new mail (the channel name);
    the window syncs."""

    mail_arrived = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self._stop = threading.Event()
        self._watched: set[str] = set()
        self.mail_arrived.connect(lambda _name: self.w.sync_now(),
                                  Qt.ConnectionType.QueuedConnection)

    def handlers(self) -> dict[str, Callable[[], object]]:
        return {"add-channel": self.add_channel, "import-spreadsheet": self.import_spreadsheet}

    def stop(self) -> None:
        self._stop.set()

    # -- channels ----------------------------------------------------------------------

    def add_channel(self) -> None:
        from .channel_setup import ChannelSetupDialog

        dialog = ChannelSetupDialog(self.w.store, self.w.jobs, self.w)
        dialog.channel_saved.connect(self.start_channel)
        self.w.open_dialog(dialog)

    def import_spreadsheet(self) -> None:
        from .spreadsheet_import import SpreadsheetImportDialog

        dialog = SpreadsheetImportDialog(self.w.store, self.w.jobs, self.w)
        dialog.imported.connect(lambda channel: self.start_channel(channel.name))
        self.w.open_dialog(dialog)

    def start_channel(self, name: str) -> None:
        """A channel was saved: build its client off the GUI thread (the keyring may be
        slow), hand it to the sync engine and sync now."""
        from ..workspace import build_client

        add = getattr(self.w.engine, "add_client", None)
        if add is None or self.w.is_closed():
            return
        store = self.w.store

        def work(_p: object, _c: object) -> object:
            with store.read() as db:
                channel = next(c for c in list_channels(db) if c.name == name)
            return build_client(channel)

        def landed(client: object) -> None:
            old = add(name, client)
            if old is not None and old is not client:
                QTimer.singleShot(60_000, getattr(old, "close", lambda: None))
            self.watch_mailboxes()
            self.w.channels.refresh()
            self.w.sync_now()

        self.w.jobs.run("start-channel", work, on_success=landed,
                        on_failure=lambda exc: self.w.statusBar().showMessage(
                            one_line(f"{name}: cannot start syncing: {exc}"), 10_000))

    def watch_mailboxes(self) -> None:
        """One daemon thread per client offering `idle_wait` (IMAP IDLE): new mail
        starts a sync at once instead of at the next interval."""
        for name, client in dict(getattr(self.w.engine, "clients", {})).items():
            wait = getattr(client, "idle_wait", None)
            if wait is None or name in self._watched:
                continue
            self._watched.add(name)
            threading.Thread(target=self._watch, args=(name, wait), daemon=True,
                             name=f"idle-{name}").start()

    def _watch(self, name: str, wait: Callable[[float], bool]) -> None:
        while not self._stop.is_set():
            try:
                if wait(IDLE_TIMEOUT_S) and not self._stop.is_set():
                    self.mail_arrived.emit(name)
            except Exception as exc:
                log.info("%s: IDLE stopped (%s); retrying in %.0f s", name, exc, IDLE_RETRY_S)
                self._stop.wait(IDLE_RETRY_S)

    # -- settings and checks -------------------------------------------------------------

    def apply_sla_settings(self) -> None:
        """settings.json "sla" -> the cache's SLA policy (deadlines recomputed when it
        differs); a bad value is reported and the current policy stays."""
        raw = self.w.settings.get("sla")
        if not raw:
            return
        try:
            policy = SlaPolicy.from_dict(raw)
        except ValueError as exc:
            self.w.statusBar().showMessage(one_line(f"SLA settings not applied: {exc}"),
                                           15_000)
            return
        store = self.w.store

        def work(_p: Any, _c: Any) -> int:
            with store.write() as db:
                if sla_sql.load_policy(db) == policy:
                    return 0
                return sla_sql.save_policy(db, policy)

        def landed(changed: int) -> None:
            if changed:
                self.w.refresh_view()

        self.w.jobs.run("sla-policy", work, on_success=landed)

    def check_cache(self) -> None:
        """PRAGMA quick_check on a worker (seconds at 1M rows); a damaged cache is
        reported in a dialog saying what to do, and nothing else changes."""
        if self.w.is_closed():
            return
        store = self.w.store
        self.w.jobs.run("quick-check", lambda _p, _c: store.quick_check(),
                        on_success=self._cache_checked)

    def _cache_checked(self, problem: object) -> None:
        if problem is None or self.w.is_closed():
            return
        text = (f"The local cache file {self.w.store.path} is damaged "
                f"({one_line(str(problem))}).\n\nYour queued changes may not all be readable. "
                "Quit RR Desktop, move the file aside (keep it for support) and start again: "
                "everything is synced again from the channels.")
        box = QMessageBox(QMessageBox.Icon.Warning, "Cache damaged", text,
                          QMessageBox.StandardButton.Ok, self.w)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setObjectName("cacheDamaged")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.w.statusBar().showMessage("The cache file is damaged: see the message", 30_000)
