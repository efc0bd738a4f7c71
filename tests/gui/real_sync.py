"""The real app on a real sync, for GUI tests: `rr_desktop.workspace.Workspace` (the real
Store in a tmp data dir, the real `SyncEngine`, a real `RrApiChannel`) with one `rr_api`
channel pointing at the reference escalation service running in its own process
(tests/peers/reference_service.py), and the real `MainWindow` open on it.

F5 runs the real engine on the window's worker; `RealDesk.sync()` presses it and waits
for the window's readiness signal (`MainWindow.sync_reported`), never a fixed time. What
a test asserts afterwards is what the SERVICE holds, read through its own API
(`desk.served(esc_id)`, `desk.service.notes(...)`), plus what the analyst sees (the
table row, the detail pane, the status bar).

Use the `real_desk` fixture (tests/gui/conftest.py) for the default desk, or
`open_real_desk(**kw)` for one with a service started with fault injection or hostile
data (`service_args`) or more records (`count`).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from rr_desktop.channels.contract import ChannelClient
from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.domain import Channel
from rr_desktop.gui.main_window import MainWindow
from rr_desktop.paths import db_path
from rr_desktop.settings import save_setting
from rr_desktop.store import channel_state as cs
from rr_desktop.store.store import Store
from rr_desktop.sync.engine import SyncEngine, SyncReport
from rr_desktop.workspace import Workspace, record_pushes
from tests.peers.reference_service import ReferenceService

from .driving import active, press

CHANNEL = "ref"
ME = "a.tan"  # the first analyst of the service's roster (GET /v1/analysts)
SYNC_TIMEOUT_MS = 30_000


@dataclass(frozen=True, slots=True)
class QueuedOp:
    """One outbox row as the store holds it."""

    seq: int
    op_type: str
    payload: dict[str, Any]
    context: dict[str, Any]
    base: dict[str, Any]
    state: str
    attempts: int
    last_error: str | None


@dataclass
class RealDesk:
    """The reference service, the real workspace syncing it, and the window open on it."""

    qtbot: QtBot
    service: ReferenceService
    workspace: Workspace
    window: MainWindow
    reports: list[list[SyncReport]] = field(default_factory=list, repr=False)

    @property
    def store(self) -> Store:
        return self.workspace.store

    # -- syncing --------------------------------------------------------------------------

    def sync(self, key: Qt.Key = Qt.Key.Key_F5,
             modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
             ) -> list[SyncReport]:
        """Press F5 (or `key`) where the keyboard is and wait until the run's reports are
        out (the table was told what changed); returns them. A sync that was already
        running when the key was pressed is waited out too (F5 then queues another)."""
        window = self.window
        def focus_in_window() -> QWidget | None:
            focus = QApplication.focusWidget()
            return focus if focus is not None and window.isAncestorOf(focus) else None

        # After a dialog closed, the keyboard must be back in the window first.
        self.qtbot.waitUntil(lambda: active(window) and focus_in_window() is not None)
        target = focus_in_window()
        return self.wait_for_sync(lambda: press(self.qtbot, window, key, target=target,
                                                modifier=modifier))

    def wait_for_sync(self, start: Any) -> list[SyncReport]:
        """Call `start()` and wait for the sync it sets off to report (the last one, when
        a run was going already: its outcome is not the one asked for)."""
        window = self.window
        runs_before = len(self.reports)
        was_running = window.sync.is_running()
        got: list[list[SyncReport]] = []
        window.sync_reported.connect(got.append)
        try:
            start()
            wanted = 2 if was_running else 1
            self.qtbot.waitUntil(lambda: len(got) >= wanted, timeout=SYNC_TIMEOUT_MS)
            self.qtbot.waitUntil(lambda: not window.sync.is_running()
                                 or len(got) > wanted, timeout=SYNC_TIMEOUT_MS)
        finally:
            window.sync_reported.disconnect(got.append)
        self.reports.extend(got)
        assert len(self.reports) > runs_before
        return got[-1]

    def synced_cleanly(self, reports: Sequence[SyncReport]) -> None:
        """Assert a run reached the service without error, refusal or conflict."""
        for report in reports:
            assert report.error is None, report.error
            assert report.dead == 0 and report.conflicts == 0, report.summary()

    # -- the service's side --------------------------------------------------------------

    def external_id(self, esc_id: int) -> str:
        with self.store.read() as db:
            return str(db.execute("SELECT external_id FROM escalation WHERE id = ?",
                                  (esc_id,)).fetchone()[0])

    def local_id(self, external_id: str) -> int:
        with self.store.read() as db:
            return int(db.execute("SELECT id FROM escalation WHERE external_id = ?",
                                  (external_id,)).fetchone()[0])

    def served(self, esc_id: int) -> dict[str, Any]:
        """The escalation as the service holds it now (GET /v1/escalations/{id})."""
        return self.service.record(self.external_id(esc_id))

    def writes(self, esc_id: int) -> list[dict[str, Any]]:
        """The service's history of the writes it applied to the escalation (patches and
        facts), oldest first."""
        items: list[dict[str, Any]] = self.service.get(
            f"/v1/escalations/{self.external_id(esc_id)}/history")["items"]
        return [h for h in items if h["kind"] in ("patch", "fact")]

    # -- the cache's side ----------------------------------------------------------------

    def cached(self, esc_id: int, cols: str) -> tuple[Any, ...]:
        with self.store.read() as db:
            return tuple(db.execute(f"SELECT {cols} FROM escalation WHERE id = ?",
                                    (esc_id,)).fetchone())

    def outbox(self, esc_id: int | None = None, state: str | None = None) -> list[QueuedOp]:
        """Outbox rows (of one escalation, in one state), oldest first."""
        where: list[str] = []
        args: list[object] = []
        if esc_id is not None:
            where.append("escalation_id = ?")
            args.append(esc_id)
        if state is not None:
            where.append("state = ?")
            args.append(state)
        sql = ("SELECT seq, op_type, payload, context, base, state, attempts, last_error "
               "FROM outbox" + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY seq")
        with self.store.read() as db:
            return [QueuedOp(r[0], r[1], json.loads(r[2]), json.loads(r[3] or "{}"),
                             json.loads(r[4] or "{}"), r[5], r[6], r[7])
                    for r in db.execute(sql, args)]

    # -- what the analyst sees -----------------------------------------------------------

    def row_cells(self, esc_id: int) -> dict[str, str]:
        """The table row of `esc_id` as shown: {column header: text}."""
        model = self.window.model
        row = model.row_of(esc_id)
        assert row is not None, f"#{esc_id} is not in the view {self.window.views.current.title}"
        return {str(model.headerData(c, Qt.Orientation.Horizontal)):
                str(model.data(model.index(row, c, QModelIndex())) or "")
                for c in range(model.columnCount())}

    def status_message(self) -> str:
        return self.window.statusBar().currentMessage()

    def detail_shows(self, esc_id: int) -> str:
        """Wait until the detail pane shows `esc_id`; its meta line, title and text."""
        detail = self.window.detail
        self.qtbot.waitUntil(lambda: detail.escalation_id == esc_id
                             and not detail.is_pending(), timeout=5000)
        return "\n".join((detail.title.text(), detail.meta.text(),
                          detail.text.toPlainText()))

    def select(self, esc_id: int) -> None:
        """Make `esc_id` the current row (it must be in the view) and wait until the
        list has the keyboard and the pane shows it."""
        assert self.window.select_id(esc_id), f"#{esc_id} is not in the view"
        self.qtbot.waitUntil(lambda: self.window.current_id() == esc_id)
        self.detail_shows(esc_id)
        self.qtbot.waitUntil(lambda: active(self.window) and self.window.table.hasFocus())

    def view_ids(self) -> list[int]:
        model = self.window.model
        return [i for i in (model.id_at(r) for r in range(model.rowCount())) if i is not None]


def build_workspace(data_dir: Path, service: ReferenceService,
                    channel: str = CHANNEL) -> Workspace:
    """The workspace the app opens, with one `rr_api` channel at `service` (its token
    handed over in memory, as `Workspace.open` does with the keyring's)."""
    store = Store.open(db_path(data_dir))
    try:
        with store.write() as db:
            cs.ensure_channel(db, Channel(channel, "rr_api", {"base_url": service.url}))
        clients: dict[str, ChannelClient] = {
            channel: RrApiChannel(channel, service.url, service.token)}
        record_pushes(store, clients)
    except BaseException:
        store.close()
        raise
    return Workspace(data_dir, store, SyncEngine(store, clients))


def open_window(qtbot: QtBot, workspace: Workspace) -> MainWindow:
    """The real window on the workspace, shown, with the list's keyboard."""
    window = MainWindow(workspace, sync_interval_s=None)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.table.setFocus()
    qtbot.waitUntil(window.table.hasFocus)
    return window


def empty_cache(path: Path) -> Path:
    """A cache file as `Store.open` creates it (migrated, empty), to copy into each desk's
    data dir: creating one runs every migration (a third of a second)."""
    Store.open(path).close()
    return path


def open_desk(qtbot: QtBot, data_dir: Path, service: ReferenceService,
              me: str = ME, cache: Path | None = None) -> RealDesk:
    """The analyst `me` opens the app on a data dir without escalations (a copy of the
    empty `cache` if given) and presses F5: the first sync fills the cache and the roster
    from the service."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    save_setting(data_dir, "me", me)
    if cache is not None:
        shutil.copyfile(cache, db_path(data_dir))
    workspace = build_workspace(data_dir, service)
    try:
        window = open_window(qtbot, workspace)
    except BaseException:
        workspace.close()
        raise
    desk = RealDesk(qtbot, service, workspace, window)
    desk.synced_cleanly(desk.sync())
    window.refresh_view()  # now, not once the keys pause (nobody is typing yet)
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=10_000)
    if window.current_id() is None:
        window.table.select_row(0)
    desk.detail_shows(window.current_id() or 0)
    return desk


def close_desk(desk: RealDesk) -> None:
    desk.window.shutdown()
    desk.workspace.close()
