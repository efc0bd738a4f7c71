"""The keyboard, closed gaps: a waiting chord is shown, Return shows a hidden detail pane,
Ctrl+Tab moves between the Outbox tabs, the selection is counted, saved views are named
in the View menu, columns sort (header click and a command), a search says where it
looks and offers everything, an unknown operator is flagged."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.triage.prompts import PickPrompt
from rr_desktop.store import views as store_views

from .conftest import FakeWorkspace
from .seed import triage_order, write_elsewhere
from .test_triage_keys import act, active, press


def test_a_waiting_chord_is_shown_until_its_second_key(qtbot: QtBot,
                                                       window: MainWindow) -> None:
    press(qtbot, window, Qt.Key.Key_S)
    hint = window.chord_label.text()
    assert hint.startswith("s \u2026") and "0 Severity S0" in hint and "3 Severity S3" in hint
    act(qtbot, window, Qt.Key.Key_0)
    assert window.chord_label.text() == ""
    press(qtbot, window, Qt.Key.Key_G)
    assert "t Go to Triage" in window.chord_label.text()
    press(qtbot, window, Qt.Key.Key_Escape)
    assert window.chord_label.text() == ""


def test_return_shows_a_hidden_detail_pane(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClick(window.table, Qt.Key.Key_Backslash, Qt.KeyboardModifier.ControlModifier)
    assert not window.detail.isVisible()
    press(qtbot, window, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.detail.isVisible() and window.detail.text.hasFocus())


def test_ctrl_tab_moves_between_the_outbox_tabs(qtbot: QtBot, window: MainWindow) -> None:
    press(qtbot, window, Qt.Key.Key_G, Qt.Key.Key_O)
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 1)
    tabs = window.sync_view.tabs
    start = tabs.currentIndex()
    focus = window.sync_view.tabs.currentWidget()
    qtbot.keyClick(focus, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentIndex() == (start + 1) % tabs.count()
    qtbot.keyClick(tabs.currentWidget(), Qt.Key.Key_Backtab,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert tabs.currentIndex() == start


def test_the_selection_is_counted(qtbot: QtBot, window: MainWindow) -> None:
    assert window.selection_label.text() == ""
    press(qtbot, window, "x")
    press(qtbot, window, Qt.Key.Key_J)
    press(qtbot, window, "x")
    assert window.selection_label.text() == "2 selected"
    press(qtbot, window, Qt.Key.Key_Escape)
    assert window.selection_label.text() == ""


def test_the_view_menu_names_saved_views(qtbot: QtBot, window: MainWindow,
                                         workspace: FakeWorkspace) -> None:
    write_elsewhere(workspace.store,
                    lambda db: store_views.save_view(db, "Indonesia S0", "market:ID sev:0"))
    window.reload_views()
    menu = window.menuBar().findChild(QMenu, "menu-view")
    texts = [a.text() for a in menu.actions()]
    assert "View: Triage\tCtrl+1" in texts and "View: Indonesia S0\tCtrl+6" in texts
    assert "Saved view 7 (none yet)\tCtrl+7" in texts


def test_columns_sort_by_header_click_and_back(qtbot: QtBot, window: MainWindow,
                                               workspace: FakeWorkspace) -> None:
    window.views.show_view(window.views.view_named("All"))
    qtbot.waitUntil(lambda: window.views.current.title == "All")
    header = window.table.horizontalHeader()
    market = next(i for i in range(window.model.columnCount())
                  if window.model.headerData(i, Qt.Orientation.Horizontal) == "Market")

    def markets() -> list[str]:
        return [window.model.index(r, market).data() for r in range(window.model.rowCount())]

    with qtbot.waitSignal(window.views.view_changed, timeout=5000):
        header.sectionClicked.emit(market)
    assert markets() == sorted(markets()) and header.isSortIndicatorShown()
    assert "sorted by market" in window.views.bar.title.text()
    with qtbot.waitSignal(window.views.view_changed, timeout=5000):
        header.sectionClicked.emit(market)
    assert markets() == sorted(markets(), reverse=True)
    with qtbot.waitSignal(window.views.view_changed, timeout=5000):
        header.sectionClicked.emit(market)  # third click: triage order again
    assert [window.model.id_at(r) for r in range(window.model.rowCount())] == \
        triage_order(workspace.store)
    assert not header.isSortIndicatorShown()
    # The same through the keyboard: Sort by... from the palette's command.
    window.commands.run("sort-by")
    qtbot.waitUntil(lambda: active(window.findChild(PickPrompt)))
    picker = window.findChild(PickPrompt)
    qtbot.keyClicks(picker.finder.edit, "Age")
    with qtbot.waitSignal(window.views.view_changed, timeout=5000):
        qtbot.keyClick(picker.finder.edit, Qt.Key.Key_Return)
    assert window.views.current.sort == "age"


def test_a_search_says_where_it_looks_and_offers_everything(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    press(qtbot, window, Qt.Key.Key_Slash)
    search = window.views.bar.search
    qtbot.waitUntil(search.hasFocus)
    qtbot.keyClicks(search, "markt:NZ")
    qtbot.waitUntil(lambda: "markt: is not an operator (did you mean market:?)"
                    in window.views.bar.problems.text(), timeout=3000)
    search.clear()
    qtbot.keyClicks(search, "status:declined")  # none are declined in Triage's view
    qtbot.waitUntil(lambda: "Nothing in Triage: Ctrl+Enter searches every escalation"
                    in window.views.bar.problems.text(), timeout=3000)
    assert "searching in it" in window.views.bar.title.text()
    with qtbot.waitSignal(window.views.view_changed, timeout=5000):
        qtbot.keyClick(search, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.views.current.title == "All" and window.views.current.search == \
        "status:declined"
