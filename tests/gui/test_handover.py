"""The shift handover pack on the real window: Ctrl+Shift+H shows it, Export writes real
Markdown, HTML and PDF files read back here, Record handover makes the next pack start
there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QLineEdit
from pytestqt.qtbot import QtBot

from rr_desktop.domain import Status
from rr_desktop.gui.handover_view import HandoverDialog
from rr_desktop.gui.main_window import MainWindow
from rr_desktop.store import triage_actions as ta
from rr_desktop.store.handover import LAST_KEY

from .conftest import FakeWorkspace
from .driving import CTRL, SHIFT, active, press
from .seed import write_elsewhere

OPEN = tuple(s.value for s in Status if s.is_open)
NOTE = "Partner call moved to 09:00 <b>Dublin</b>"


def open_pack(qtbot: QtBot, window: MainWindow) -> HandoverDialog:
    with qtbot.waitSignal(window.lead_board.handover.shown, timeout=5000) as blocker:
        press(qtbot, window, Qt.Key.Key_H, modifier=CTRL | SHIFT)
    dialog: HandoverDialog = blocker.args[0]
    qtbot.waitUntil(lambda: active(dialog))
    return dialog


def export(qtbot: QtBot, window: MainWindow, dialog: HandoverDialog, path: Path) -> str:
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: active(dialog.findChild(QFileDialog, "exportHandover")))
    files = dialog.findChild(QFileDialog, "exportHandover")
    files.findChild(QLineEdit, "fileNameEdit").setText(str(path))
    with qtbot.waitSignal(window.lead_board.handover.exported, timeout=5000) as blocker:
        files.accept()
    return str(blocker.args[0])


def test_handover_pack_shown_exported_and_recorded(qtbot: QtBot, window: MainWindow,
                                                   workspace: FakeWorkspace,
                                                   tmp_path: Path) -> None:
    me = window.ctx.me
    assert me

    def seed(db: Any) -> tuple[list[str], str]:
        esc = db.execute("SELECT id, external_id FROM escalation ORDER BY id LIMIT 1").fetchone()
        ta.apply_action(db, ta.AddNote(NOTE), [esc[0]], me, window.ctx.clock())
        urgent = [r[0] for r in db.execute(
            f"SELECT external_id FROM escalation WHERE priority <= 1 AND status IN "
            f"({', '.join('?' * len(OPEN))}) ORDER BY priority, created_at, id", OPEN)]
        return urgent, esc[1]
    urgent, noted = write_elsewhere(workspace.store, seed)
    assert urgent  # the seeded desk has open P0/P1 items

    dialog = open_pack(qtbot, window)
    shown = dialog.text.toPlainText()
    assert shown.startswith("Shift handover\nHanded over by " + me)
    section = shown.split("Open P0/P1 items")[1].split("\n\n")[0]
    assert [line.split(" ")[2].rstrip(":") for line in section.splitlines()[1:]] == urgent
    assert f"{noted}: {NOTE}" in shown  # plain text: the tags show as typed
    assert "no handover recorded yet" in shown

    md = Path(export(qtbot, window, dialog, tmp_path / "pack.md")).read_text(encoding="utf-8")
    assert md.startswith("# Shift handover") and "## Open P0/P1 items" in md
    assert "Partner call moved to 09:00 \\<b\\>Dublin\\<" in md
    html = Path(export(qtbot, window, dialog, tmp_path / "pack.html")).read_text(
        encoding="utf-8")
    assert "Partner call moved to 09:00 &lt;b&gt;Dublin&lt;/b&gt;" in html
    assert "<b>" not in html
    pdf = Path(export(qtbot, window, dialog, tmp_path / "pack.pdf")).read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000

    with qtbot.waitSignal(window.lead_board.handover.recorded, timeout=5000):
        qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    assert not dialog.record_button.isEnabled()
    with workspace.store.read() as db:
        recorded = int(db.execute("SELECT value FROM store_meta WHERE key = ?",
                                  (LAST_KEY,)).fetchone()[0])
    assert recorded == int(dialog.pack.built_at.timestamp())
    qtbot.keyClick(dialog.text, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())

    # The next pack starts at the recorded handover: the note is behind it.
    again = open_pack(qtbot, window)
    text = again.text.toPlainText()
    assert again.pack.since.timestamp() == recorded
    assert "since the last handover at" in text and NOTE not in text
    qtbot.keyClick(again.text, Qt.Key.Key_Escape)
