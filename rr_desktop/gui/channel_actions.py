"""Setting up channels while the app runs: add one (any kind), import a spreadsheet as
one, and start syncing a channel just saved (its client goes to the sync engine at once)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QDialog, QWidget

from ..channels.contract import Closable
from ..store.channel_state import list_channels
from .bridge import SyncRunner
from .context import AppContext

OLD_CLIENT_GRACE_MS = 60_000  # a run may still use the replaced client; close it later


class ChannelActions(QObject):
    """File > Add channel, Import spreadsheet; `start_channel(name)`.

    Signals: channel_started(str): the channel's client is in the engine; sync it."""

    channel_started = Signal(str)

    def __init__(self, ctx: AppContext, engine: SyncRunner, parent: QWidget,
                 open_dialog: Any) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.engine = engine
        self._parent = parent
        self._open_dialog = open_dialog

    def handlers(self) -> dict[str, Any]:
        return {"add-channel": self.add_channel, "import-spreadsheet": self.import_spreadsheet}

    def add_channel(self) -> None:
        from .channel_setup import ChannelSetupDialog

        dialog: QDialog = ChannelSetupDialog(self.ctx.store, self.ctx.jobs, self._parent)
        dialog.channel_saved.connect(self.start_channel)  # type: ignore[attr-defined]
        self._open_dialog(dialog)

    def import_spreadsheet(self) -> None:
        from .spreadsheet_import import SpreadsheetImportDialog

        dialog: QDialog = SpreadsheetImportDialog(self.ctx.store, self.ctx.jobs, self._parent)
        dialog.imported.connect(  # type: ignore[attr-defined]
            lambda channel: self.start_channel(channel.name))
        self._open_dialog(dialog)

    def start_channel(self, name: str) -> None:
        """A channel was saved: build its client off the GUI thread (the keyring may be
        slow), hand it to the sync engine; `channel_started` follows."""
        from ..store.desktop_identity import desktop_id
        from ..workspace import build_client, record_pushes

        def build(_p: object, _c: object) -> object:
            with self.ctx.store.read() as db:
                channel = next(c for c in list_channels(db) if c.name == name)
            client = build_client(channel, desktop_id(self.ctx.store))
            record_pushes(self.ctx.store, {name: client})
            return client

        def landed(client: object) -> None:
            old = self.engine.add_client(name, client)
            if isinstance(old, Closable) and old is not client:
                QTimer.singleShot(OLD_CLIENT_GRACE_MS, old.close)
            self.channel_started.emit(name)

        self.ctx.run_job("start-channel", build, failure=f"{name}: cannot start syncing",
                         on_done=landed)
