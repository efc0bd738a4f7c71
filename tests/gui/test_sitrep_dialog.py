"""The sitrep dialog on an incident folded from a scripted timeline, from the keyboard:
the team draft, Alt+A and Down for the executives' one (an edit to the team's is kept),
Alt+C copies, Ctrl+Enter records it as sent (refused while a hole is left)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from rr_desktop.domain.incident import fold
from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.sitrep_dialog import SitrepDialog
from tests.unit.test_sitrep import T0, TOKYO, ev, scripted

from .driving import ALT, CTRL, active, type_text


def _open(qtbot: QtBot, window: MainWindow, dialog: SitrepDialog) -> SitrepDialog:
    window.open_dialog(dialog)
    qtbot.waitUntil(lambda: active(dialog) and dialog.editor.hasFocus())
    return dialog


def test_draft_edit_switch_copy_and_record_from_the_keyboard(
        qtbot: QtBot, window: MainWindow) -> None:
    state = fold(scripted())
    dialog = _open(qtbot, window, SitrepDialog(state, T0 + timedelta(hours=2), TOKYO,
                                               parent=window))
    team = dialog.text()
    assert "CONDITIONS" in team and "NEEDS" in team and "Livestreamed attack clips" in team
    qtbot.keyClick(dialog.editor, Qt.Key.Key_End, CTRL)
    qtbot.keyClick(dialog.editor, Qt.Key.Key_Return)
    type_text(qtbot, dialog.editor, "Called NZ liaison at 13:00")
    edited = dialog.text()

    qtbot.keyClick(dialog.editor, Qt.Key.Key_A, ALT)
    qtbot.waitUntil(dialog.audience.hasFocus)
    qtbot.keyClick(dialog.audience, Qt.Key.Key_Down)
    assert dialog.current_audience() == "exec"
    assert "NEXT STEPS" in dialog.text() and "CONDITIONS" not in dialog.text()
    qtbot.keyClick(dialog.audience, Qt.Key.Key_Up)
    assert dialog.text() == edited  # the team edit was kept

    with qtbot.waitSignal(dialog.copied):
        qtbot.keyClick(dialog.audience, Qt.Key.Key_C, ALT)
    assert QGuiApplication.clipboard().text() == edited

    dialog.editor.setFocus()
    qtbot.waitUntil(dialog.editor.hasFocus)
    with qtbot.waitSignal(dialog.recorded) as sent:
        qtbot.keyClick(dialog.editor, Qt.Key.Key_Return, CTRL)
    assert sent.args == ["team", edited.strip()]
    assert not dialog.isVisible()


def test_a_hole_is_written_over_before_recording(qtbot: QtBot, window: MainWindow,
                                                 tmp_path: Path) -> None:
    state = fold([ev("declare", 0, {"title": "Rumour wave", "type": "", "severity": "S2",
                                    "priority": "P2", "markets": ["PH"], "summary": ""})])
    dialog = _open(qtbot, window, SitrepDialog(state, T0 + timedelta(minutes=30), TOKYO,
                                               tmp_path, "exec", window))
    got: list[tuple[str, str]] = []
    dialog.recorded.connect(lambda a, t: got.append((a, t)))
    qtbot.keyClick(dialog.editor, Qt.Key.Key_Return, CTRL)
    assert got == [] and dialog.isVisible()
    assert "[summary?]" in dialog.message.text()
    assert dialog.editor.textCursor().selectedText() == "[summary?]"
    type_text(qtbot, dialog.editor, "Coordinated rumours about a typhoon evacuation")
    with qtbot.waitSignal(dialog.recorded):
        qtbot.keyClick(dialog.editor, Qt.Key.Key_Return, CTRL)
    [(audience, text)] = got
    assert audience == "exec" and "Coordinated rumours about a typhoon" in text
    assert "[" not in text
