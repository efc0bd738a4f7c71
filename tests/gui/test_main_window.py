"""The first window, driven with the keyboard, on a cache built in tmp_path (no network)."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from rr_desktop.domain import Channel, Severity, Urgency
from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.triage.columns import Column
from rr_desktop.gui.triage.model import ID_ROLE
from rr_desktop.keymap import COMMANDS
from rr_desktop.store.channel_state import ensure_channel, record_error, record_success
from rr_desktop.sync.engine import SyncProgress, SyncReport

from .conftest import FakeWorkspace
from .seed import NOW, add, escalation, triage_order, write_elsewhere

HOSTILE = "<b>x</b><img src=http://127.0.0.1:1/x>"


def settle(qtbot: QtBot, win: MainWindow) -> None:
    """Wait for the detail pane, which renders right after the table moves."""
    qtbot.waitUntil(lambda: not win.detail.is_pending())


def title_of(workspace: FakeWorkspace, esc_id: int) -> str:
    with workspace.store.read() as db:
        return str(db.execute("SELECT title FROM escalation WHERE id = ?",
                              (esc_id,)).fetchone()[0])


def test_table_shows_rows_in_triage_order(window: MainWindow,
                                          workspace: FakeWorkspace) -> None:
    model = window.model
    assert window.windowTitle().endswith("RR Desktop")
    assert [model.index(r, 0).data(ID_ROLE) for r in range(model.rowCount())] == \
        triage_order(workspace.store)
    assert window.count_label.text() == "40 escalations"
    assert window.table.currentIndex().row() == 0


def test_keys_move_open_and_return(qtbot: QtBot, window: MainWindow,
                                   workspace: FakeWorkspace) -> None:
    table, detail = window.table, window.detail
    qtbot.keyClick(table, Qt.Key.Key_J)
    assert table.currentIndex().row() == 1
    settle(qtbot, window)
    esc_id = window.current_id()
    assert esc_id is not None
    assert detail.escalation_id == esc_id
    assert detail.title.text() == title_of(workspace, esc_id)
    assert "Links and context for item" in detail.text.toPlainText()
    qtbot.keyClick(table, Qt.Key.Key_J)
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert table.currentIndex().row() == 3
    qtbot.keyClick(table, Qt.Key.Key_K)
    qtbot.keyClick(table, Qt.Key.Key_Up)
    assert table.currentIndex().row() == 1
    qtbot.keyClick(table, Qt.Key.Key_K)
    qtbot.keyClick(table, Qt.Key.Key_K)  # clamps at the top
    assert table.currentIndex().row() == 0

    qtbot.keyClick(table, Qt.Key.Key_Return)
    qtbot.waitUntil(detail.text.hasFocus)
    qtbot.keyClick(detail.text, Qt.Key.Key_J)  # j works in the detail pane too
    assert table.currentIndex().row() == 1
    settle(qtbot, window)
    assert detail.escalation_id == window.current_id()
    qtbot.keyClick(detail.text, Qt.Key.Key_U)
    qtbot.waitUntil(table.hasFocus)
    qtbot.keyClick(table, Qt.Key.Key_O)
    qtbot.waitUntil(detail.text.hasFocus)
    qtbot.keyClick(detail.text, Qt.Key.Key_Escape)
    qtbot.waitUntil(table.hasFocus)
    qtbot.keyClick(table, Qt.Key.Key_End)
    assert table.currentIndex().row() == window.model.rowCount() - 1


def test_hostile_title_shows_literally_and_fetches_nothing(qtbot: QtBot,
                                                           workspace: FakeWorkspace) -> None:
    canary = socket.socket()
    canary.bind(("127.0.0.1", 0))
    canary.listen(8)
    canary.settimeout(0.2)
    port = canary.getsockname()[1]
    probe = f"<img src=http://127.0.0.1:{port}/t.png><a href='file:///etc/passwd'>p</a>"
    add(workspace.store, [
        escalation(900, title=HOSTILE, severity=Severity.S0, urgency=Urgency.U0,
                   created_at=NOW, updated_at=NOW),
        escalation(901, title=probe, body=probe + "\u202e\u200b", reporter=probe,
                   severity=Severity.S0, urgency=Urgency.U0, created_at=NOW, updated_at=NOW),
    ])
    win = MainWindow(workspace, sync_interval_s=None)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    for esc_title in (HOSTILE, probe):
        with workspace.store.read() as db:
            esc_id = db.execute("SELECT id FROM escalation WHERE title = ?",
                                (esc_title,)).fetchone()[0]
        assert win.select_id(esc_id)
        settle(qtbot, win)
        row = win.table.currentIndex().row()
        assert win.model.index(row, Column.TITLE).data() == esc_title
        assert win.detail.title.text() == esc_title
        assert win.detail.title.textFormat() == Qt.TextFormat.PlainText
        win.grab()  # paint everything once
    text = win.detail.text.toPlainText()
    assert probe + "[U+202E][U+200B]" in text
    assert f"reporter: {probe}" in text
    # Every label in the window is plain text (docs/security.md: checked over the widget tree).
    labels = win.findChildren(QLabel)
    assert labels and all(lbl.textFormat() == Qt.TextFormat.PlainText for lbl in labels)
    QApplication.processEvents()
    with pytest.raises(TimeoutError):
        canary.accept()
    canary.close()
    win.shutdown()


def test_background_sync_adds_rows_and_keeps_the_current_escalation(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    window.table.select_row(5)
    current = window.current_id()
    seen: list[SyncProgress] = []
    window.sync.progress.connect(seen.append)

    def step(progress: Callable[[SyncProgress], None],
             cancel: threading.Event) -> list[SyncReport]:
        changed = add(workspace.store, [
            escalation(700 + n, severity=Severity.S0, urgency=Urgency.U0, created_at=NOW,
                       updated_at=NOW) for n in range(3)])
        progress(SyncProgress("demo", "pull", 1, 3, 0))
        return [SyncReport("demo", pages=1, received=3, changed=3, changed_ids=set(changed))]

    workspace.engine.step = step
    with qtbot.waitSignal(window.view_refreshed, timeout=5000) as blocker:
        window.sync_now()
    assert blocker.args == [43]
    assert workspace.engine.threads and workspace.engine.threads[0] != "MainThread"
    assert seen and seen[-1].items == 3
    assert window.current_id() == current
    settle(qtbot, window)
    assert window.detail.escalation_id == current
    assert window.table.currentIndex().row() > 5  # new P0 items arrived above it


def test_sync_changes_redraw_rows_and_detail(qtbot: QtBot, window: MainWindow,
                                             workspace: FakeWorkspace) -> None:
    current = window.current_id()
    assert current is not None
    with workspace.store.read() as db:
        ext = db.execute("SELECT external_id FROM escalation WHERE id = ?",
                         (current,)).fetchone()[0]
    n = int(ext[4:])
    original = escalation(n)

    def step(progress: Callable[[SyncProgress], None],
             cancel: threading.Event) -> list[SyncReport]:
        from dataclasses import replace
        changed = add(workspace.store, [replace(original, remote_version=2,
                                                title="Updated on the source")])
        return [SyncReport("demo", changed=1, changed_ids=set(changed))]

    workspace.engine.step = step
    with qtbot.waitSignal(window.sync_reported, timeout=5000):
        window.sync_now()
    qtbot.waitUntil(lambda: window.detail.title.text() == "Updated on the source")
    row = window.table.currentIndex().row()
    assert window.model.index(row, Column.TITLE).data() == "Updated on the source"


def test_status_bar_shows_channel_state(qtbot: QtBot, window: MainWindow,
                                        workspace: FakeWorkspace) -> None:
    label = window.channels.label("demo")
    assert label is not None and label.text() == "demo: not synced yet"
    def succeeded(db: sqlite3.Connection) -> int:
        cid = ensure_channel(db, Channel("demo", "rr_api", {}))
        record_success(db, cid, NOW, None)
        return cid

    cid = write_elsewhere(workspace.store, succeeded)
    window.channels.refresh()
    assert label.text().startswith("demo: synced ")
    write_elsewhere(workspace.store,
                    lambda db: record_error(db, cid, "<b>HTTP 503</b> from server", NOW))
    window.channels.refresh()
    assert label.text() == "demo: failing: <b>HTTP 503</b> from server"  # literal text
    assert label.property("state") == "error"


def test_close_cancels_a_running_sync(qtbot: QtBot, workspace: FakeWorkspace) -> None:
    started, stopped = threading.Event(), threading.Event()

    def step(progress: Callable[[SyncProgress], None],
             cancel: threading.Event) -> list[SyncReport]:
        started.set()
        cancel.wait(30)
        stopped.set()
        return [SyncReport("demo", cancelled=True)]

    workspace.engine.step = step
    win = MainWindow(workspace, sync_interval_s=None)
    qtbot.addWidget(win)
    win.show()
    win.start_background_sync()
    assert started.wait(5)
    t0 = time.monotonic()
    win.close()
    assert stopped.is_set()
    assert time.monotonic() - t0 < 5


def test_no_key_conflicts(window: MainWindow) -> None:
    assert window.commands.conflicts() == []
    names = {c.name for c in window.commands.commands()}
    assert {"next-item", "previous-item", "open-detail", "back-to-list", "sync-now"} <= names
    assert names == {c.name for c in COMMANDS}  # every command of the keymap is live


def test_huge_body_is_truncated_for_display(qtbot: QtBot, workspace: FakeWorkspace) -> None:
    add(workspace.store, [escalation(950, body="A", severity=Severity.S0,
                                     urgency=Urgency.U0, created_at=NOW, updated_at=NOW)])
    with workspace.store.write() as db:  # a cache written before bodies were cut on ingest
        db.execute("UPDATE escalation SET body = ? WHERE external_id = 'ESC-000950'",
                   ("A" * 1_200_000,))
    win = MainWindow(workspace, sync_interval_s=None)
    qtbot.addWidget(win)
    with workspace.store.read() as db:
        esc_id = db.execute("SELECT id FROM escalation WHERE external_id = 'ESC-000950'"
                            ).fetchone()[0]
    assert win.select_id(esc_id)
    settle(qtbot, win)
    text = win.detail.text.toPlainText()
    assert text.count("A" * 1000) == 300  # shown in lines of 1,000: Qt lays long lines out
    assert "first 300,000 of 1,200,000 characters" in text  # in quadratic time
    win.shutdown()
