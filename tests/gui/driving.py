"""Driving the real window from the keyboard the way an analyst does: keys go to the
widget that has the focus, prompts are answered once they have the keyboard, and every
wait is a readiness check (a signal, a condition), never a fixed sleep."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


def active(dialog: QWidget | None) -> bool:
    """Whether `dialog` is shown and has the keyboard. The offscreen platform activates
    windows asynchronously and may hand activation back to the main window when the
    previous prompt closes (a window manager would not): ask again until it sticks."""
    if dialog is None or not dialog.isVisible():
        return False
    if QApplication.activeWindow() is not dialog:
        dialog.activateWindow()
        return False
    return True


def has_keyboard(window: MainWindow, widget: QWidget) -> bool:
    focus = QApplication.focusWidget()
    return active(window) and (widget.hasFocus()
                               or (focus is not None and widget.isAncestorOf(focus)))


def press(qtbot: QtBot, window: MainWindow, *keys: Any, target: QWidget | None = None,
          modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """Press `keys` (a str is typed, a Qt.Key clicked with `modifier`) in `target` (the
    list by default) once it has the keyboard."""
    widget = target or window.table
    qtbot.waitUntil(lambda: has_keyboard(window, widget))
    for key in keys:
        if isinstance(key, str):
            qtbot.keyClicks(widget, key)
        else:
            qtbot.keyClick(widget, key, modifier)


def act(qtbot: QtBot, window: MainWindow, *keys: Any, target: QWidget | None = None,
        timeout: int = 5000) -> Any:
    """Press keys that run a triage action and wait until its write landed; returns the
    action's result (`TriageController.applied`'s argument)."""
    with qtbot.waitSignal(window.triage.applied, timeout=timeout) as blocker:
        press(qtbot, window, *keys, target=target)
    return blocker.args[0]


def prompt(qtbot: QtBot, window: MainWindow, previous: QWidget | None = None) -> Any:
    """The triage prompt that is open and has the keyboard (not `previous`)."""
    qtbot.waitUntil(lambda: window.triage.prompt is not previous
                    and active(window.triage.prompt))
    return window.triage.prompt


def type_text(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Type `text` into `widget`: ASCII as key presses, anything else as an input
    method commits it (Thai, Hindi and the like come from an IME, never as key codes;
    QTest aborts on a key click of a character outside Latin-1)."""
    run = ""
    for ch in text:
        if ch.isascii():
            run += ch
            continue
        if run:
            qtbot.keyClicks(widget, run)
            run = ""
        event = QInputMethodEvent()
        event.setCommitString(ch)
        QApplication.sendEvent(widget.focusProxy() or widget, event)
    if run:
        qtbot.keyClicks(widget, run)


def answer(qtbot: QtBot, window: MainWindow, edit: QWidget, text: str,
           key: Qt.Key = Qt.Key.Key_Return,
           modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> Any:
    """Type `text` into a prompt's `edit` and submit it with `key`; waits for the action's
    write and returns its result."""
    type_text(qtbot, edit, text)
    with qtbot.waitSignal(window.triage.applied, timeout=5000) as blocker:
        qtbot.keyClick(edit, key, modifier)
    return blocker.args[0]


def export_to(qtbot: QtBot, window: MainWindow, path: Path, target: object) -> None:
    """Ctrl+Shift+E where `target` has the keyboard, then the file typed in the dialog."""
    press(qtbot, window, Qt.Key.Key_E, target=target, modifier=CTRL | SHIFT)  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: active(window.findChild(QFileDialog, "exportTable")))
    dialog = window.findChild(QFileDialog, "exportTable")
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    name.setText(str(path))
    with qtbot.waitSignal(window.exporter.exported, timeout=10_000):
        qtbot.keyClick(name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.findChild(QFileDialog, "exportTable") is None)
