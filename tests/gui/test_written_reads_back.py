"""Every text the analyst writes reads back in the detail pane, in full and as plain text,
with how far it got (waiting to sync, sent, stays on this machine); facts count."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor, QTextDocument
from pytestqt.qtbot import QtBot

from rr_desktop.domain.push import Push
from rr_desktop.gui.main_window import MainWindow
from rr_desktop.store import channel_state as cs

from .conftest import FakeWorkspace
from .seed import write_elsewhere
from .test_triage_keys import press, prompt

NOTE = "Called the partner in Jakarta.\nEvidence by 14:00 WIB <b>not markup</b>"
FACT = "Re-uploaded 40 times in the last hour"
SHOTS = Path("/tmp/rr-detail-pane")
REPLY = "Thank you: we removed the video and are watching for copies."


def compose(qtbot: QtBot, window: MainWindow, key: Qt.Key, text: str,
            as_fact: bool = False) -> None:
    press(qtbot, window, key, target=window.detail.text)
    composer = prompt(qtbot, window)
    if as_fact:
        composer.as_fact.setChecked(True)
    composer.editor.setPlainText(text)
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(composer.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.detail.is_pending())


def pane(window: MainWindow) -> str:
    return window.detail.text.toPlainText()


def test_note_fact_and_reply_read_back_in_full(qtbot: QtBot, window: MainWindow,
                                               workspace: FakeWorkspace) -> None:
    esc = window.current_id()
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.detail.text.hasFocus())
    compose(qtbot, window, Qt.Key.Key_M, NOTE)
    compose(qtbot, window, Qt.Key.Key_M, FACT, as_fact=True)
    compose(qtbot, window, Qt.Key.Key_R, REPLY)
    assert window.detail.escalation_id == esc
    text = pane(window)
    assert "Internal note by aditi: \u2014 waiting to sync" in text
    assert "    Called the partner in Jakarta." in text
    assert "    Evidence by 14:00 WIB <b>not markup</b>" in text  # literal, in full
    assert f"    {FACT}" in text and "Fact logged by aditi:" in text
    assert f"    {REPLY}" in text and "Reply to the reporter by aditi:" in text
    facts = text.split("Facts (")[1]
    assert facts.startswith("2)") and f"aditi: {FACT}" in facts  # the seed's fact + ours
    assert "['" not in text and '{"' not in text  # no repr, no JSON
    # What the analyst sees (looked at while writing this test): /tmp/rr-detail-pane.
    SHOTS.mkdir(exist_ok=True)
    window.detail.text.moveCursor(QTextCursor.MoveOperation.End)
    assert window.detail.text.find("Facts (", QTextDocument.FindFlag.FindBackward)
    window.detail.text.verticalScrollBar().setValue(
        window.detail.text.cursorRect().top() + window.detail.text.verticalScrollBar().value())
    window.grab().save(str(SHOTS / "note-fact-reply.png"))


def test_what_stays_local_says_so(qtbot: QtBot, window: MainWindow,
                                  workspace: FakeWorkspace) -> None:
    """A source that receives statuses only: a tag change stays on this machine."""
    write_elsewhere(workspace.store, lambda db: cs.set_pushes(db, 1, [Push.STATUS]))
    press(qtbot, window, Qt.Key.Key_L)
    tags = prompt(qtbot, window)
    qtbot.keyClicks(tags.edit, "+viral +livestream")
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(tags.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.detail.is_pending())
    assert "aditi set tags \u2014 \u2192 viral, livestream \u2014 stays on this machine" in \
        pane(window)


def test_r_and_m_work_from_the_list_on_the_item_at_the_cursor(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    """Typing a reply from the list opens the composer for the item at the cursor;
    the letters go into the text, not to other commands (h no longer opens Snooze)."""
    window.table.select_row(2)
    esc = window.current_id()
    press(qtbot, window, Qt.Key.Key_R)
    composer = prompt(qtbot, window)
    qtbot.keyClicks(composer.editor, "hello there")
    assert composer.editor.toPlainText() == "hello there"
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(composer.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    with workspace.store.read() as db:
        assert db.execute("SELECT escalation_id, op_type FROM outbox").fetchall() == [
            (esc, "reply")]
    window.table.setFocus()
    press(qtbot, window, Qt.Key.Key_M)
    note = prompt(qtbot, window)
    with workspace.store.read() as db:
        (external_id,) = db.execute("SELECT external_id FROM escalation WHERE id = ?",
                                    (esc,)).fetchone()
    words = " ".join(label.text() for label in note.findChildren(type(note.error)))
    assert note.kind == "note" and external_id in words and f"#{esc}" not in words
    note.reject()
