"""Managing saved views from the keyboard: reorder (Ctrl+1..9 follow) and delete."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.saved_views import SavedViewsDialog
from rr_desktop.store import views as store_views

from .conftest import FakeWorkspace
from .seed import write_elsewhere
from .test_triage_keys import active, press

ALT = Qt.KeyboardModifier.AltModifier


def own_views(workspace: FakeWorkspace) -> list[str]:
    with workspace.store.read() as db:
        return [v.name for v in store_views.saved_views(db) if not v.builtin]


def open_manager(qtbot: QtBot, window: MainWindow) -> SavedViewsDialog:
    press(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: active(window.findChild(QWidget, "commandPalette")))
    palette = window.findChild(QWidget, "commandPalette")
    qtbot.keyClicks(palette.finder.edit, "manage saved")  # type: ignore[union-attr]
    qtbot.keyClick(palette.finder.edit, Qt.Key.Key_Return)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: active(window.findChild(SavedViewsDialog)))
    dialog = window.findChild(SavedViewsDialog)
    assert dialog is not None
    return dialog


def test_reorder_and_delete_saved_views_from_the_keyboard(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    def save(db: sqlite3.Connection) -> None:
        for name, query in (("Legal", "cat:regulatory_legal"), ("Indonesia S0", "market:ID sev:0"),
                            ("Mine urgent", "assignee:me pri:0")):
            store_views.save_view(db, name, query)

    write_elsewhere(workspace.store, save)
    window.reload_views()
    dialog = open_manager(qtbot, window)
    assert dialog.names() == ["Legal", "Indonesia S0", "Mine urgent"]
    assert "[Ctrl+6]" in dialog.ui.viewList.item(0).text()
    assert not dialog.ui.upButton.isEnabled()  # the first one cannot go up

    lst = dialog.ui.viewList
    lst.setFocus()
    qtbot.keyClick(lst, Qt.Key.Key_Down)  # Indonesia S0
    qtbot.keyClick(lst, Qt.Key.Key_Up, ALT)
    qtbot.waitUntil(lambda: own_views(workspace)[0] == "Indonesia S0", timeout=5000)
    qtbot.waitUntil(lambda: not dialog.busy and dialog.names()[0] == "Indonesia S0")
    assert dialog.current_name() == "Indonesia S0"  # the moved view stays selected
    # The window follows at once: Ctrl+6 is now the moved view.
    dialog.close()
    press(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.views.current.title == "Indonesia S0", timeout=5000)

    dialog = open_manager(qtbot, window)
    lst = dialog.ui.viewList
    lst.setFocus()
    qtbot.keyClick(lst, Qt.Key.Key_End)  # Mine urgent
    qtbot.keyClick(lst, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QMessageBox)
                    or any(isinstance(w, QMessageBox) and w.isVisible()
                           for w in QApplication.topLevelWidgets()))
    box = next(w for w in QApplication.topLevelWidgets()
               if isinstance(w, QMessageBox) and w.isVisible())
    assert "Mine urgent" in box.text()
    qtbot.keyClick(box, Qt.Key.Key_Escape)  # No: nothing deleted
    qtbot.wait(100)
    assert own_views(workspace) == ["Indonesia S0", "Legal", "Mine urgent"]
    qtbot.waitUntil(lambda: active(dialog))
    lst.setFocus()
    qtbot.keyClick(lst, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: any(isinstance(w, QMessageBox) and w.isVisible()
                                for w in QApplication.topLevelWidgets()))
    box = next(w for w in QApplication.topLevelWidgets()
               if isinstance(w, QMessageBox) and w.isVisible())
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: own_views(workspace) == ["Indonesia S0", "Legal"], timeout=5000)
    qtbot.waitUntil(lambda: not dialog.busy and dialog.names() == ["Indonesia S0", "Legal"])
    assert dialog.current_name() == "Legal"
    assert "Deleted 'Mine urgent'" in dialog.ui.statusLabel.text()
    assert [v.title for v in window.views.views][-2:] == ["Indonesia S0", "Legal"]
    dialog.close()


def test_no_saved_views_says_how_to_make_one(qtbot: QtBot, window: MainWindow) -> None:
    dialog = open_manager(qtbot, window)
    assert dialog.names() == []
    assert "Save view" in dialog.ui.viewList.item(0).text()
    assert not dialog.ui.deleteButton.isEnabled()
    qtbot.keyClick(dialog.ui.viewList, Qt.Key.Key_Delete)  # nothing to delete: no prompt
    assert not any(isinstance(w, QMessageBox) and w.isVisible()
                   for w in QApplication.topLevelWidgets())
    dialog.close()
