"""The item the analyst sees is the item the next key acts on (issue: an S0 declined
unseen): after every move and action the detail pane, the window title and the table's
current row name the same escalation, and on a fresh start the first row is current."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.sync.engine import SyncReport

from .conftest import FakeWorkspace
from .seed import add, choose_identity, escalation, make_store
from .test_triage_keys import act, press, prompt


def settled(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.detail.is_pending() and not window.jobs.active(),
                    timeout=5000)


def assert_shown_is_current(window: MainWindow) -> None:
    current = window.current_id()
    assert current is not None
    assert window.detail.escalation_id == current
    row = window.selection.row(current)
    assert row is not None and window.detail.title.text().startswith(row.title[:40])
    assert row.title[:40] in window.windowTitle()


def test_after_accept_the_pane_shows_the_next_item(qtbot: QtBot, window: MainWindow) -> None:
    first, second = window.model.id_at(0), window.model.id_at(1)
    act(qtbot, window, Qt.Key.Key_1)
    settled(qtbot, window)
    assert window.current_id() == second != first
    assert_shown_is_current(window)


def test_every_advancing_action_keeps_pane_and_cursor_together(
        qtbot: QtBot, window: MainWindow) -> None:
    for keys in ([Qt.Key.Key_1], [Qt.Key.Key_E], [Qt.Key.Key_1], [Qt.Key.Key_E]):
        act(qtbot, window, *keys)
        settled(qtbot, window)
        assert_shown_is_current(window)
    # Decline asks first: the prompt names the item it will decline.
    shown = window.current_id()
    assert shown is not None
    press(qtbot, window, Qt.Key.Key_3)
    decline = prompt(qtbot, window)
    row = window.selection.row(shown)
    assert row is not None
    texts = " ".join(label.text() for label in decline.findChildren(type(decline.error)))
    assert row.title[:30] in texts
    decline.reject()


def test_the_first_row_is_current_on_a_fresh_start(qtbot: QtBot,
                                                   workspace: FakeWorkspace) -> None:
    win = MainWindow(workspace, sync_interval_s=None)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    try:
        assert win.current_id() == win.model.id_at(0)
        assert win.table.selectionModel().isRowSelected(0)
        settled(qtbot, win)
        assert_shown_is_current(win)
    finally:
        win.shutdown()


def test_on_a_fresh_cache_the_first_synced_row_becomes_current(qtbot: QtBot,
                                                               tmp_path: Path) -> None:
    """A new data dir: the table is empty until the first sync lands; then the most
    urgent item is current (highlighted, in the pane) and j goes to the second."""
    store = make_store(tmp_path, 0)
    choose_identity(tmp_path)
    workspace = FakeWorkspace(store, data_dir=tmp_path)

    def first_sync(_progress: object, _cancel: object) -> list[SyncReport]:
        ids = add(store, [escalation(n) for n in range(30)])
        return [SyncReport("demo", received=30, changed=30, changed_ids=set(ids))]

    workspace.engine.step = first_sync  # type: ignore[assignment]
    win = MainWindow(workspace, sync_interval_s=None)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    try:
        assert win.model.rowCount() == 0 and win.current_id() is None
        win.start_background_sync()
        qtbot.waitUntil(lambda: win.model.rowCount() == 30, timeout=5000)
        qtbot.waitUntil(lambda: win.current_id() == win.model.id_at(0), timeout=5000)
        assert win.table.selectionModel().isRowSelected(0)
        settled(qtbot, win)
        assert_shown_is_current(win)
        win.activateWindow()
        win.table.setFocus()
        qtbot.waitUntil(win.table.hasFocus)
        qtbot.keyClick(win.table, Qt.Key.Key_J)
        assert win.current_id() == win.model.id_at(1)
    finally:
        win.shutdown()
        store.close()
