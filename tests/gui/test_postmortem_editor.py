"""Post-mortems written offline in the real window, from the keyboard: created from a
cached incident (no network at all), typed, autosaved, refreshed from the incident
without losing what the lead wrote, action items, history and restore, final locks the
text, the drafts list (docs/postmortems.md)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QDialog, QLineEdit
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.postmortem_action_item import ActionItemDialog
from rr_desktop.gui.postmortem_history import HistoryDialog
from rr_desktop.gui.postmortem_screens import OPEN_FILE
from rr_desktop.store import postmortems

from .conftest import FakeWorkspace
from .driving import ALT, CTRL, SHIFT, active, press
from .postmortem_driving import (
    add_request,
    chord,
    create_postmortem,
    declare_incident,
    draft,
    pick,
    picker,
    saved,
    source,
    text,
)
from .seed import NOW, write_elsewhere

NOMOD = Qt.KeyboardModifier.NoModifier


def _dialog(qtbot: QtBot, window: MainWindow, kind: type[QDialog]) -> QDialog:
    qtbot.waitUntil(lambda: active(window.findChild(kind)))
    found = window.findChild(kind)
    assert isinstance(found, kind)
    return found


def _go_to_section(qtbot: QtBot, window: MainWindow, heading: str) -> None:
    """Ctrl+Shift+O, then Down to the heading in the outline, Enter: the cursor is on it."""
    chord(qtbot, window, Qt.Key.Key_O, CTRL | SHIFT)
    outline = window.postmortems.editor.outline
    qtbot.waitUntil(outline.hasFocus)
    rows = [outline.item(i).text() for i in range(outline.count())]
    target = rows.index(f"## {heading}")
    qtbot.keyClick(outline, Qt.Key.Key_Home)
    for _ in range(target):
        qtbot.keyClick(outline, Qt.Key.Key_Down)
    qtbot.keyClick(outline, Qt.Key.Key_Return)
    qtbot.waitUntil(source(window).hasFocus)
    assert source(window).textCursor().block().text() == f"## {heading}"


def test_create_type_autosave_and_refresh_keeps_what_the_lead_wrote(
        qtbot: QtBot, window: MainWindow) -> None:
    uid = declare_incident(window)
    pm_id = create_postmortem(qtbot, window)
    first = draft(window, pm_id)
    assert first.incident_uid == uid and first.state == "draft"
    assert "Sounds reused in 4,000 clips \\<img src=x\\>" in first.text  # pre-filled, escaped
    assert text(window) == first.text
    # The preview is the sanitized rendering: headings, no markers, no image.
    qtbot.waitUntil(lambda: "Summary" in window.postmortems.editor.preview.toPlainText())
    assert "rr:auto" not in window.postmortems.editor.preview.toPlainText()
    assert window.postmortems.editor.preview.refused == []

    # Type into the Summary, then edit a line the incident generated (the timeline).
    _go_to_section(qtbot, window, "Summary")
    qtbot.keyClick(source(window), Qt.Key.Key_Down)
    qtbot.keyClick(source(window), Qt.Key.Key_End)
    qtbot.keyClicks(source(window), " Written on a plane, offline.")
    saved(qtbot, window, "offline.")  # autosave after the pause, no key pressed
    _go_to_section(qtbot, window, "Timeline")
    for _ in range(2):  # the marker line, then the first generated line
        qtbot.keyClick(source(window), Qt.Key.Key_Down)
    qtbot.keyClick(source(window), Qt.Key.Key_End)
    qtbot.keyClicks(source(window), " (confirmed by the lead)")

    # The incident moves on; Ctrl+Shift+R refreshes only the parts nobody edited.
    add_request(window, uid, "Is the Kominfo notice binding?")
    chord(qtbot, window, Qt.Key.Key_R, CTRL | SHIFT)
    after = saved(qtbot, window, "Is the Kominfo notice binding?")
    assert "(confirmed by the lead)" in after.text and "offline." in after.text
    qtbot.waitUntil(lambda: text(window) == after.text)  # the editor shows it too
    with window.store.read() as db:
        kinds = [r.kind for r in postmortems.revisions(db, pm_id)]
    assert kinds[0] == "refresh" and kinds[-1] == "created"
    # Ctrl+Z undoes the refresh in the editor as one edit.
    qtbot.keyClick(source(window), Qt.Key.Key_Z, CTRL)
    assert "Is the Kominfo notice binding?" not in text(window)


def test_action_item_from_the_keyboard_is_tracked(qtbot: QtBot, window: MainWindow) -> None:
    declare_incident(window)
    pm_id = create_postmortem(qtbot, window)
    chord(qtbot, window, Qt.Key.Key_A, CTRL | SHIFT)
    dialog = _dialog(qtbot, window, ActionItemDialog)
    what = dialog.findChild(QLineEdit, "actionWhat")
    qtbot.keyClicks(what, "Add the challenge sounds to the audio hash list")
    qtbot.keyClick(what, Qt.Key.Key_Tab)
    owner = dialog.findChild(QComboBox, "actionOwner")
    qtbot.waitUntil(lambda: owner.hasFocus() or owner.lineEdit().hasFocus())
    owner.lineEdit().selectAll()
    qtbot.keyClicks(owner.lineEdit(), "Budi Santoso (budi)")
    qtbot.keyClick(owner.lineEdit(), Qt.Key.Key_Return, CTRL)  # Ctrl+Return adds it
    qtbot.waitUntil(lambda: window.findChild(ActionItemDialog) is None
                    or not window.findChild(ActionItemDialog).isVisible())
    line = "- [ ] Add the challenge sounds to the audio hash list (owner: budi, due: "
    saved(qtbot, window, line)
    today = NOW.astimezone(window.postmortems.zone()).date()
    with window.store.read() as db:
        items = postmortems.action_items(db, pm_id)
    assert [(i[2], i[3], i[5]) for i in items] == [
        ("Add the challenge sounds to the audio hash list", "budi", False)]
    assert items[0][4] >= today + timedelta(days=7) - timedelta(days=1)
    body = text(window).split("## Action items\n", 1)[1].split("\n## ", 1)[0]
    assert line in body  # in its section, not at the cursor
    # g d tracks it with every other post-mortem's items; past its due date it is marked
    chord(qtbot, window, Qt.Key.Key_Escape, NOMOD)  # save and back to the drafts
    drafts = window.postmortems.drafts
    qtbot.waitUntil(lambda: drafts.action_items.rowCount() == 1)
    row = [drafts.action_items.item(0, c).text() for c in range(5)]
    assert row[1:] == ["Add the challenge sounds to the audio hash list", "budi",
                       draft(window, pm_id).title, "open"]
    assert drafts.action_items_heading.text() == "Action items (1 open)"
    window.ctx.clock = lambda: NOW + timedelta(days=30)
    window.postmortems.show_drafts()
    assert drafts.action_items.item(0, 0).text().startswith("\u2716 overdue")
    assert drafts.action_items_heading.text() == "Action items (1 open, 1 overdue)"


def test_history_restores_an_earlier_revision(qtbot: QtBot, window: MainWindow) -> None:
    declare_incident(window)
    pm_id = create_postmortem(qtbot, window)
    created = text(window)
    qtbot.keyClick(source(window), Qt.Key.Key_End, CTRL)
    qtbot.keyClicks(source(window), "A paragraph that turned out wrong.")
    chord(qtbot, window, Qt.Key.Key_S, CTRL)  # save now
    saved(qtbot, window, "turned out wrong")
    chord(qtbot, window, Qt.Key.Key_H, CTRL | ALT)
    history = _dialog(qtbot, window, HistoryDialog)
    assert isinstance(history, HistoryDialog)
    assert history.revisions.count() == 2
    qtbot.keyClick(history.revisions, Qt.Key.Key_Down)  # the created revision
    assert "-A paragraph that turned out wrong." in history.diff.toPlainText()
    qtbot.keyClick(history.revisions, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: draft(window).text == created, timeout=5000)
    qtbot.waitUntil(lambda: text(window) == created)
    with window.store.read() as db:
        revs = postmortems.revisions(db, pm_id)
    assert [r.kind for r in revs] == ["restore", "autosave", "created"]
    with window.store.read() as db:
        assert "turned out wrong" in str(postmortems.revision_text(db, revs[1].id))


def test_final_locks_the_text_until_it_is_a_draft_again(qtbot: QtBot,
                                                        window: MainWindow) -> None:
    declare_incident(window)
    pm_id = create_postmortem(qtbot, window)
    qtbot.keyClick(source(window), Qt.Key.Key_End, CTRL)
    qtbot.keyClicks(source(window), "Last words before review.")
    chord(qtbot, window, Qt.Key.Key_S, CTRL | ALT)
    pick(qtbot, picker(qtbot, window, "postmortemStatePicker"), "Final")
    qtbot.waitUntil(lambda: draft(window, pm_id).state == "final", timeout=5000)
    assert "Last words before review." in draft(window, pm_id).text  # saved before locking
    editor = window.postmortems.editor
    qtbot.waitUntil(lambda: editor.text.isReadOnly() and editor.lock.isVisible())
    assert "locked" in editor.lock.text()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.text)
    before = text(window)
    qtbot.keyClicks(source(window), "sneaky edit")
    assert text(window) == before
    messages: list[str] = []
    window.notifier.notice.connect(lambda n: messages.append(n.text))
    chord(qtbot, window, Qt.Key.Key_A, CTRL | SHIFT)
    assert any("final" in m for m in messages)
    # Back to draft: a new revision, and the text can change again.
    chord(qtbot, window, Qt.Key.Key_S, CTRL | ALT)
    pick(qtbot, picker(qtbot, window, "postmortemStatePicker"), "Draft")
    qtbot.waitUntil(lambda: not editor.text.isReadOnly(), timeout=5000)
    assert draft(window, pm_id).state == "draft"
    qtbot.keyClicks(source(window), "Amended.")
    saved(qtbot, window, "Amended.")


def test_g_d_lists_drafts_and_enter_opens_one(qtbot: QtBot, window: MainWindow) -> None:
    declare_incident(window)
    pm_id = create_postmortem(qtbot, window)
    qtbot.keyClicks(source(window), "x")
    chord(qtbot, window, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier)  # save, close
    drafts = window.postmortems.drafts
    qtbot.waitUntil(lambda: drafts.isVisible() and drafts.table.hasFocus())
    assert draft(window, pm_id).text.startswith("x")
    press(qtbot, window, "gt", target=drafts.table)
    qtbot.waitUntil(window.table.hasFocus)
    press(qtbot, window, "gd")
    qtbot.waitUntil(lambda: drafts.isVisible() and drafts.table.hasFocus())
    cells = [drafts.table.item(0, c).text() for c in range(drafts.table.columnCount())]
    assert cells[0] == "Post-mortem: " + "Blackout challenge spreading in Jakarta"
    assert cells[1] == "Draft" and cells[3] == "not yet synced"
    press(qtbot, window, Qt.Key.Key_Return, target=drafts.table)
    qtbot.waitUntil(lambda: source(window).hasFocus())
    assert window.postmortems.editor.pm_id == pm_id


def test_a_start_after_a_crash_says_which_draft_was_recovered(
        qtbot: QtBot, workspace: FakeWorkspace, window: MainWindow) -> None:
    declare_incident(window)
    pm_id = create_postmortem(qtbot, window)
    qtbot.keyClicks(source(window), "typed before the crash ")
    saved(qtbot, window, "typed before the crash")
    data_dir = workspace.data_dir
    assert data_dir is not None
    flag = Path(data_dir) / OPEN_FILE
    assert str(pm_id) in flag.read_text()  # noted while the editor has it open
    kept = flag.read_text()
    window.shutdown()
    assert str(pm_id) not in flag.read_text()  # a clean close takes it out
    flag.write_text(kept)  # as a crash would have left it
    again = MainWindow(workspace, sync_interval_s=None)
    qtbot.addWidget(again)
    try:
        with qtbot.waitSignal(again.notifier.notice, timeout=3000) as said:
            again.show()
        assert "recovered your draft of" in said.args[0].text
        assert "Blackout challenge" in said.args[0].text
        again.commands.run("go-drafts")
        assert "recovered" in again.postmortems.drafts.table.item(0, 0).text()
        assert str(pm_id) not in flag.read_text()
    finally:
        again.shutdown()


def test_the_analysts_own_template_and_a_broken_one(qtbot: QtBot, workspace: FakeWorkspace,
                                                    window: MainWindow) -> None:
    assert workspace.data_dir is not None
    own = Path(workspace.data_dir) / "templates" / "postmortem.md"
    own.parent.mkdir()
    own.write_text("# PIR: {{title}}\n\n## What we saw\n\n## Timeline\n{{auto:timeline}}\n")
    declare_incident(window)
    pm_id = create_postmortem(qtbot, window)
    assert draft(window, pm_id).text.startswith("# PIR: Blackout challenge")
    own.write_bytes(b"# \xff\xfe not text\n## A\n")
    messages: list[str] = []
    window.notifier.notice.connect(lambda n: messages.append(n.text))
    declare_incident(window, "Second incident for the template")
    second = create_postmortem(qtbot, window, "Second incident for the template")
    assert second != pm_id
    assert draft(window, second).text.startswith("# Post-mortem: Second incident")
    assert any("was not used: it is not UTF-8 text" in m for m in messages)


def test_a_sync_landing_while_the_lead_types_is_merged_not_typed_over(
        qtbot: QtBot, window: MainWindow) -> None:
    declare_incident(window)
    pm_id = create_postmortem(qtbot, window)
    opened = draft(window, pm_id)
    # The lead types in Summary; before the pause ends, a sync takes a colleague's edit
    # of Impact from the service.
    _go_to_section(qtbot, window, "Summary")
    qtbot.keyClick(source(window), Qt.Key.Key_Down)
    qtbot.keyClick(source(window), Qt.Key.Key_End)
    qtbot.keyClicks(source(window), " Typed on the plane.")
    theirs = opened.text.replace("## Impact\n", "## Impact\nColleague: 2M views in ID.\n")
    assert theirs != opened.text
    write_elsewhere(window.store, lambda db: postmortems.save(
        db, pm_id, theirs, "sync", NOW + timedelta(seconds=1), kind="synced"))
    chord(qtbot, window, Qt.Key.Key_S, CTRL)
    merged = saved(qtbot, window, "Typed on the plane.")
    assert "Colleague: 2M views in ID." in merged.text
    qtbot.waitUntil(lambda: "Colleague: 2M views in ID." in text(window))
    assert "Typed on the plane." in text(window)
    with window.store.read() as db:
        assert postmortems.revisions(db, pm_id)[0].kind == "merge"
