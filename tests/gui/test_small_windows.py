"""A usable window down to 1024x640 and below: the columns that matter least step aside
so title, SLA and assignee stay in view; below 1024 px the detail pane folds away behind
Return and comes back with u."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.triage.columns import Column
from rr_desktop.gui.triage.view import TITLE_MIN_PX

from .test_triage_keys import press

SHOTS = Path("/tmp/rr-small-windows")


def in_view(window: MainWindow, column: int) -> bool:
    table = window.table
    if table.isColumnHidden(column):
        return False
    left = table.columnViewportPosition(column)
    return left >= 0 and left + table.columnWidth(column) <= table.viewport().width() + 1


def resized(qtbot: QtBot, window: MainWindow, width: int, height: int, name: str) -> None:
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.width() == width)
    QApplication.processEvents()
    SHOTS.mkdir(exist_ok=True)
    window.grab().save(str(SHOTS / f"{name}.png"))


def test_columns_step_aside_and_the_pane_folds(qtbot: QtBot, window: MainWindow) -> None:
    resized(qtbot, window, 1024, 640, "1024x640")
    for col in (Column.SEVERITY, Column.PRIORITY, Column.TITLE, Column.SLA,
                Column.ASSIGNEE):
        assert in_view(window, col), col
    assert window.table.columnWidth(Column.TITLE) >= TITLE_MIN_PX
    resized(qtbot, window, 900, 600, "900x600")
    assert not window.detail.isVisible()  # folded: the list has the width
    for col in (Column.SLA, Column.ASSIGNEE, Column.TITLE):
        assert in_view(window, col), col
    press(qtbot, window, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.detail.isVisible() and not window.table.isVisible())
    press(qtbot, window, Qt.Key.Key_U, target=window.detail.text)
    qtbot.waitUntil(lambda: window.table.isVisible() and not window.detail.isVisible())
    resized(qtbot, window, 600, 400, "600x400")
    assert in_view(window, Column.TITLE)
    assert window.table.columnWidth(Column.TITLE) >= TITLE_MIN_PX
    resized(qtbot, window, 1360, 820, "1360x820")
    assert window.detail.isVisible() and all(
        not window.table.isColumnHidden(c) for c in Column)
