"""The keys of views, prompts and the window no other test pressed, each checked by what it
shows or stores: g m / g s / g a and Ctrl+2..9 (which escalations each view lists),
Shift+J, Enter in the search box, Alt+1..9 presets, Alt+Down in the saved views
manager, About / Sync details / Who am I from the palette, Ctrl+Q.

These stay on this machine, so they run on the cache-only workspace (`window`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from pytestqt.qtbot import QtBot

from rr_desktop.domain import Status
from rr_desktop.domain.sla import SlaState
from rr_desktop.gui.dialogs import AboutDialog, SyncDetailsDialog
from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.saved_views import SavedViewsDialog
from rr_desktop.settings import load_settings, save_setting
from rr_desktop.store import views as store_views
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import to_epoch, utcnow

from .conftest import FakeWorkspace
from .driving import ALT, CTRL, SHIFT, act, active, press, prompt
from .seed import ME, choose_identity, write_elsewhere

REASONS = [f"Preset reason {n}" for n in range(1, 10)]
SAVED = [("Legal", "cat:regulatory_legal"), ("Indonesia S0", "market:ID sev:0"),
         ("Mine urgent", "assignee:me pri:0"), ("Philippines", "market:PH")]


@pytest.fixture
def workspace(store: Store, tmp_path: object) -> FakeWorkspace:
    """Nine decline reasons (Alt+1..9) in the settings, and four saved views (Ctrl+6..9)."""
    from pathlib import Path

    data_dir = Path(str(tmp_path))
    choose_identity(data_dir)
    save_setting(data_dir, "decline_reasons", REASONS)

    def save(db: sqlite3.Connection) -> None:
        for name, query in SAVED:
            store_views.save_view(db, name, query)

    write_elsewhere(store, save)
    return FakeWorkspace(store, data_dir=data_dir)


def ids_shown(window: MainWindow) -> list[int]:
    model = window.model
    return [i for i in (model.id_at(r) for r in range(model.rowCount())) if i is not None]


def go(qtbot: QtBot, window: MainWindow, key: Qt.Key, title: str) -> list[int]:
    """g + key: the view `title` is shown; the ids it lists."""
    press(qtbot, window, Qt.Key.Key_G, key)
    qtbot.waitUntil(lambda: window.views.current.title == title and not window.views.partial,
                    timeout=5000)
    return ids_shown(window)


def ctrl_digit(qtbot: QtBot, window: MainWindow, n: int, title: str) -> None:
    press(qtbot, window, getattr(Qt.Key, f"Key_{n}"), modifier=CTRL)
    qtbot.waitUntil(lambda: window.views.current.title == title, timeout=5000)


def query(store: Store, sql: str, *args: object) -> set[int]:
    with store.read() as db:
        return {r[0] for r in db.execute(sql, args)}


OPEN = tuple(s.value for s in Status if s.is_open)


def test_g_m_lists_my_open_escalations_and_follows_who_i_am(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    mine = go(qtbot, window, Qt.Key.Key_M, "Mine")
    marks = ",".join("?" * len(OPEN))
    assert set(mine) == query(workspace.store, "SELECT id FROM escalation WHERE assignee = ?"
                              f" AND status IN ({marks})", ME, *OPEN) != set()
    assert all(window.model.row_at(r).assignee == ME for r in range(len(mine)))


def test_g_s_lists_what_was_snoozed(qtbot: QtBot, window: MainWindow,
                                    workspace: FakeWorkspace) -> None:
    assert go(qtbot, window, Qt.Key.Key_S, "Snoozed") == []
    go(qtbot, window, Qt.Key.Key_T, "Triage")
    esc = window.current_id()
    assert esc is not None
    press(qtbot, window, Qt.Key.Key_H)
    dialog = prompt(qtbot, window)
    qtbot.keyClick(dialog.when, Qt.Key.Key_2, ALT)  # preset 2: 4h
    assert dialog.when.text() == "4h"
    qtbot.keyClicks(dialog.reason, "Waiting for the partner")
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    assert go(qtbot, window, Qt.Key.Key_S, "Snoozed") == [esc]
    until = window.model.row_at(0).snoozed_until
    assert until is not None and 3.9 * 3600 < until - to_epoch(utcnow()) <= 4 * 3600


def test_g_a_lists_exactly_the_open_escalations_whose_sla_is_at_risk(
        qtbot: QtBot, window: MainWindow) -> None:
    """What the view's query selects agrees with what each row's SLA state says."""
    now = to_epoch(utcnow())
    all_rows = go(qtbot, window, Qt.Key.Key_E, "All")
    late = {window.model.id_at(r) for r in range(len(all_rows))
            if window.model.row_at(r).status.is_open
            and window.model.row_at(r).sla_state(now) in (SlaState.AT_RISK,
                                                          SlaState.BREACHED)}
    at_risk = go(qtbot, window, Qt.Key.Key_A, "SLA at risk")
    assert late and set(at_risk) == late
    assert window.count_label.text() == f"{len(late):,} escalations"


def test_ctrl_digits_open_the_built_in_then_the_saved_views(
        qtbot: QtBot, window: MainWindow) -> None:
    for n, title in enumerate(["Mine", "Snoozed", "SLA at risk", "All"], start=2):
        ctrl_digit(qtbot, window, n, title)
    for n, (title, _q) in enumerate(SAVED, start=6):
        ctrl_digit(qtbot, window, n, title)
        assert window.views.current.search == "" and window.views.current.title == title
    qtbot.waitUntil(lambda: not window.views.partial, timeout=5000)
    shown = [window.model.row_at(r) for r in range(window.model.rowCount())]
    assert shown and all(r is not None and r.market == "PH" for r in shown)


def test_ctrl_digit_of_an_empty_slot_says_how_to_fill_it(qtbot: QtBot, window: MainWindow,
                                                         workspace: FakeWorkspace) -> None:
    def drop(db: sqlite3.Connection) -> None:
        store_views.delete_view(db, "Philippines")

    write_elsewhere(workspace.store, drop)
    window.reload_views()
    press(qtbot, window, Qt.Key.Key_9, modifier=CTRL)
    assert window.statusBar().currentMessage().startswith("No saved view there yet")
    assert window.views.current.title == "Triage"


def test_shift_j_extends_the_selection_and_an_action_takes_it_all(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    first, second, third = (window.model.id_at(r) for r in range(3))
    press(qtbot, window, Qt.Key.Key_J, modifier=SHIFT)
    press(qtbot, window, Qt.Key.Key_J, modifier=SHIFT)
    assert window.table.selected_count() == 3
    assert window.selection_label.text() == "3 selected"
    act(qtbot, window, Qt.Key.Key_E)
    with workspace.store.read() as db:
        statuses = [db.execute("SELECT status FROM escalation WHERE id = ?", (i,)).fetchone()[0]
                    for i in (first, second, third)]
    assert statuses == ["resolved"] * 3


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Down])
def test_return_or_down_in_the_search_box_goes_to_the_results(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace, key: Qt.Key) -> None:
    press(qtbot, window, Qt.Key.Key_Slash)
    search = window.views.bar.search
    qtbot.waitUntil(search.hasFocus)
    qtbot.keyClicks(search, "market:PH")
    qtbot.keyClick(search, key)  # at once, not after the typing pause
    qtbot.waitUntil(lambda: window.table.hasFocus() and window.views.current.search
                    == "market:PH", timeout=5000)
    qtbot.waitUntil(lambda: set(ids_shown(window)) == query(
        workspace.store, "SELECT id FROM escalation WHERE market = 'PH' AND status = 'new'"),
        timeout=5000)
    act(qtbot, window, Qt.Key.Key_1)  # the list has the keys: accept works on a result


def test_alt_digits_fill_in_each_preset_reason(qtbot: QtBot, window: MainWindow,
                                               workspace: FakeWorkspace) -> None:
    esc = window.current_id()
    press(qtbot, window, Qt.Key.Key_3)
    dialog = prompt(qtbot, window)
    for n in range(1, 10):
        qtbot.keyClick(dialog.edit, getattr(Qt.Key, f"Key_{n}"), ALT)
        assert dialog.edit.text() == REASONS[n - 1]
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    with workspace.store.read() as db:
        reason = db.execute("SELECT reason FROM escalation_event WHERE escalation_id = ? "
                            "AND field = 'status'", (esc,)).fetchone()[0]
    assert reason == REASONS[8]


def palette_run(qtbot: QtBot, window: MainWindow, words: str) -> None:
    """Ctrl+K, type `words`, Enter: the palette runs the best match."""
    press(qtbot, window, Qt.Key.Key_K, modifier=CTRL)
    qtbot.waitUntil(lambda: active(window.findChild(QWidget, "commandPalette")))
    palette = window.findChild(QWidget, "commandPalette")
    qtbot.keyClicks(palette.finder.edit, words)  # type: ignore[union-attr]
    qtbot.keyClick(palette.finder.edit, Qt.Key.Key_Return)  # type: ignore[union-attr]


def shown_dialog(qtbot: QtBot, kind: type[QDialog]) -> QDialog:
    qtbot.waitUntil(lambda: any(isinstance(w, kind) and w.isVisible()
                                for w in QApplication.topLevelWidgets()))
    return next(w for w in QApplication.topLevelWidgets()
                if isinstance(w, kind) and w.isVisible())


def test_alt_down_moves_a_saved_view_and_ctrl_6_follows(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    palette_run(qtbot, window, "manage saved")
    dialog = shown_dialog(qtbot, SavedViewsDialog)
    assert isinstance(dialog, SavedViewsDialog)
    qtbot.waitUntil(lambda: active(dialog))
    lst = dialog.ui.viewList
    lst.setFocus()
    lst.setCurrentRow(0)  # Legal
    qtbot.keyClick(lst, Qt.Key.Key_Down, ALT)
    qtbot.waitUntil(lambda: not dialog.busy and dialog.names()[:2] == ["Indonesia S0",
                                                                       "Legal"], timeout=5000)
    with workspace.store.read() as db:
        assert [v.name for v in store_views.saved_views(db) if not v.builtin] == [
            "Indonesia S0", "Legal", "Mine urgent", "Philippines"]
    assert dialog.current_name() == "Legal"  # the moved view stays selected
    dialog.close()
    ctrl_digit(qtbot, window, 6, "Indonesia S0")
    ctrl_digit(qtbot, window, 7, "Legal")


def test_about_from_the_palette_says_version_and_data_dir(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    from rr_desktop import __version__

    palette_run(qtbot, window, "About")
    dialog = shown_dialog(qtbot, AboutDialog)
    assert dialog.ui.versionLabel.text() == f"Version {__version__}"  # type: ignore[attr-defined]
    assert str(workspace.data_dir) in dialog.ui.dataDirLabel.text()  # type: ignore[attr-defined]
    dialog.close()


def test_sync_details_from_the_palette_shows_the_channel(
        qtbot: QtBot, window: MainWindow) -> None:
    palette_run(qtbot, window, "Sync details")
    dialog = shown_dialog(qtbot, SyncDetailsDialog)
    ui = dialog.ui  # type: ignore[attr-defined]
    assert ui.channelValue.text() == "demo (rr_api)"
    assert ui.queueValue.text().startswith("0 waiting, 0 failed for good")
    dialog.close()


def test_who_am_i_from_the_palette_changes_me_and_mine(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    palette_run(qtbot, window, "Who am I")
    qtbot.waitUntil(lambda: active(window.identity.prompt))
    chooser = window.identity.prompt
    assert chooser is not None
    qtbot.keyClicks(chooser.finder.edit, "Budi")
    qtbot.keyClick(chooser.finder.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.me == "budi")
    assert load_settings(workspace.data_dir or window.data_dir).me == "budi"
    assert "Budi Santoso" in window.identity_label.text()
    mine = go(qtbot, window, Qt.Key.Key_M, "Mine")
    assert mine and all(window.model.row_at(r).assignee == "budi" for r in range(len(mine)))


def test_ctrl_q_quits_and_the_next_start_opens_where_it_was(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    go(qtbot, window, Qt.Key.Key_E, "All")
    press(qtbot, window, Qt.Key.Key_Q, modifier=CTRL)
    qtbot.waitUntil(lambda: not window.isVisible())
    assert window.is_closed()
    again = MainWindow(workspace, sync_interval_s=None)
    qtbot.addWidget(again)
    try:
        qtbot.waitUntil(lambda: again.views.current.title == "All", timeout=5000)
    finally:
        again.shutdown()


@pytest.fixture(autouse=True)
def _no_dialog_left(qtbot: QtBot) -> Iterator[None]:
    yield
    for w in QApplication.topLevelWidgets():
        if isinstance(w, QDialog) and w.isVisible():
            w.close()
