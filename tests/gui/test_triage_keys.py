"""Every triage command of docs/keymap.md, driven with real key presses on the real window,
checked in the model, the DB and the outbox."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.new_escalation import NewEscalationDialog
from rr_desktop.gui.triage.model import ID_ROLE, ROW_ROLE

from .conftest import FakeWorkspace
from .driving import act, active, press, prompt
from .seed import choose_identity, write_elsewhere


def row(ws: FakeWorkspace, esc_id: int, cols: str = "status") -> tuple[Any, ...]:
    with ws.store.read() as db:
        return tuple(db.execute(f"SELECT {cols} FROM escalation WHERE id = ?",
                                (esc_id,)).fetchone())


def outbox(ws: FakeWorkspace, esc_id: int) -> list[tuple[str, dict[str, Any]]]:
    with ws.store.read() as db:
        return [(t, json.loads(p)) for t, p in db.execute(
            "SELECT op_type, payload FROM outbox WHERE escalation_id = ? AND state = 'pending' "
            "ORDER BY seq", (esc_id,))]


def test_accept_is_local_at_once_queued_audited_and_advances(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    first, second = window.model.id_at(0), window.model.id_at(1)
    assert first is not None
    act(qtbot, window, Qt.Key.Key_1)
    assert row(workspace, first) == ("triaged",)
    assert outbox(workspace, first) == [("update", {"status": "triaged"})]
    assert window.current_id() == second  # auto-advance
    with workspace.store.read() as db:
        assert db.execute("SELECT count(*) FROM audit_log WHERE escalation_id = ?",
                          (first,)).fetchone()[0] >= 1
    assert window.toast.isVisible() and window.toast.message.text()


def test_resolve_then_undo_and_redo(qtbot: QtBot, window: MainWindow,
                                    workspace: FakeWorkspace) -> None:
    first = window.model.id_at(0)
    assert first is not None
    act(qtbot, window, Qt.Key.Key_E)
    assert row(workspace, first) == ("resolved",)
    act(qtbot, window, Qt.Key.Key_Z)
    assert row(workspace, first) == ("new",)
    assert outbox(workspace, first) == []  # undone before it was sent: nothing to push
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(window.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                       | Qt.KeyboardModifier.ShiftModifier)
    assert row(workspace, first) == ("resolved",)


def test_decline_needs_a_reason_and_esc_writes_nothing(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    first = window.model.id_at(0)
    assert first is not None
    press(qtbot, window, Qt.Key.Key_3)
    dialog = prompt(qtbot, window)
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.triage.prompt is None)
    assert row(workspace, first) == ("new",) and outbox(workspace, first) == []
    press(qtbot, window, Qt.Key.Key_3)
    dialog = prompt(qtbot, window)
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)  # empty: refused, stays open
    assert dialog.isVisible() and "required" in dialog.error.text()
    qtbot.keyClicks(dialog.edit, "Satire, no violation")
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    assert row(workspace, first) == ("declined",)
    with workspace.store.read() as db:
        reasons = [r[0] for r in db.execute(
            "SELECT reason FROM escalation_event WHERE escalation_id = ?", (first,))]
    assert "Satire, no violation" in reasons


def test_severity_and_urgency_chords_recompute_priority(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    esc = window.model.id_at(window.model.rowCount() - 1)
    assert esc is not None
    window.select_id(esc)
    act(qtbot, window, Qt.Key.Key_S, Qt.Key.Key_0)
    act(qtbot, window, Qt.Key.Key_Y, Qt.Key.Key_0)
    severity, urgency, priority = row(workspace, esc, "severity, urgency, priority")
    assert (severity, urgency, priority) == (0, 0, 0)
    with workspace.store.read() as db:
        fields = {r[0] for r in db.execute(
            "SELECT field FROM escalation_event WHERE escalation_id = ? AND source = 'local'",
            (esc,))}
    assert {"severity", "urgency", "priority"} <= fields


def test_an_action_renders_the_detail_pane_once(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The changed row and the detail pane show the action when it lands; the view's
    re-read that follows re-orders the table without rendering the pane again."""
    esc = window.model.id_at(window.model.rowCount() - 1)
    assert esc is not None
    window.select_id(esc)
    qtbot.waitUntil(lambda: window.detail.escalation_id == esc)
    renders: list[int] = []
    render = window.detail._render
    monkeypatch.setattr(window.detail, "_render", lambda *a, **k: (
        renders.append(window.detail.escalation_id or 0), render(*a, **k))[1])
    reorders: list[int] = []
    window.model.layoutChanged.connect(lambda *_: reorders.append(1))
    act(qtbot, window, Qt.Key.Key_Y, Qt.Key.Key_0)  # U0: it climbs the queue
    qtbot.waitUntil(lambda: bool(reorders) and not window.jobs.active(), timeout=5000)
    qtbot.wait(50)
    assert window.current_id() == esc
    assert window.model.row_of(esc) != window.model.rowCount() - 1
    assert renders == [esc]
    assert "U0 immediate" in window.detail.meta.text()


def test_a_burst_of_actions_shows_at_once_and_resorts_once(
        qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each action's row changes in place at once; the view re-sorts once the analyst
    pauses (one id re-read for the burst, no rows jumping under the cursor)."""
    resorts: list[int] = []
    refresh = window.views.refresh
    monkeypatch.setattr(window.views, "refresh", lambda: (resorts.append(1), refresh())[1])
    window._resort.setInterval(60_000)  # the pause comes when the test says, not the load
    last = window.model.rowCount() - 1
    for row_n in (last, last - 1, last - 2):
        esc = window.model.id_at(row_n)
        window.table.select_row(row_n)
        act(qtbot, window, Qt.Key.Key_Y, Qt.Key.Key_0)
        assert window.model.id_at(row_n) == esc  # still in place
        assert window.model.index(row_n, 0).data(ROW_ROLE).urgency == 0  # already shown
    assert resorts == [] and window._resort.isActive()  # armed once for the burst
    window._resort.start(0)  # the analyst pauses
    qtbot.waitUntil(lambda: resorts == [1], timeout=3000)
    assert not window._resort.isActive()  # nothing else pending: it re-sorted once


def test_assign_me_assign_picker_tags_and_queue(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    esc = window.model.id_at(0)
    assert esc is not None
    act(qtbot, window, Qt.Key.Key_I)
    assert row(workspace, esc, "assignee") == ("aditi",) == (window.me,)  # chosen, not OS
    window.select_id(esc)
    # `a` offers the roster with markets, languages and load; typing a market finds Budi.
    press(qtbot, window, Qt.Key.Key_A)
    dialog = prompt(qtbot, window)
    shown = [dialog.finder.list.item(i).text() for i in range(dialog.finder.list.count())]
    assert any("Budi Santoso" in t and "ID" in t and "open" in t for t in shown)
    qtbot.keyClicks(dialog.finder.edit, "santoso")
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(dialog.finder.edit, Qt.Key.Key_Return)
    assert row(workspace, esc, "assignee") == ("budi",)
    # A name nobody on the roster has is refused unless confirmed.
    window.select_id(esc)
    press(qtbot, window, Qt.Key.Key_A)
    dialog = prompt(qtbot, window)
    qtbot.keyClicks(dialog.finder.edit, "zz.nobody")
    qtbot.keyClick(dialog.finder.edit, Qt.Key.Key_Return)
    confirm = prompt(qtbot, window)
    assert confirm.objectName() == "unknownAssignee" and "zz.nobody" in confirm.text()
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        confirm.done(QMessageBox.StandardButton.Yes)
    assert row(workspace, esc, "assignee") == ("zz.nobody",)
    window.select_id(esc)
    press(qtbot, window, Qt.Key.Key_L)
    dialog = prompt(qtbot, window)
    qtbot.keyClicks(dialog.edit, "+needs-legal")
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    assert "needs-legal" in str(row(workspace, esc, "tags")[0]).split()
    window.select_id(esc)
    press(qtbot, window, Qt.Key.Key_V)
    dialog = prompt(qtbot, window)
    qtbot.keyClicks(dialog.finder.edit, "legal-review")
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(dialog.finder.edit, Qt.Key.Key_Return)
    assert row(workspace, esc, "queue") == ("legal-review",)


def test_escalate_to_a_new_incident_by_title(qtbot: QtBot, window: MainWindow,
                                            workspace: FakeWorkspace) -> None:
    esc = window.model.id_at(0)
    assert esc is not None
    press(qtbot, window, Qt.Key.Key_F)
    dialog = prompt(qtbot, window)
    qtbot.keyClicks(dialog.finder.edit, "Jakarta flood misinformation wave")
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(dialog.finder.edit, Qt.Key.Key_Return)
    incident_id = row(workspace, esc, "incident_id")[0]
    with workspace.store.read() as db:
        title = db.execute("SELECT title FROM incident WHERE id = ?",
                           (incident_id,)).fetchone()[0]
    assert title == "Jakarta flood misinformation wave"


def test_note_and_reply_from_the_detail_pane(qtbot: QtBot, window: MainWindow,
                                             workspace: FakeWorkspace) -> None:
    esc = window.current_id()
    assert esc is not None
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.detail.text.hasFocus())
    press(qtbot, window, Qt.Key.Key_M, target=window.detail.text)
    composer = prompt(qtbot, window)
    qtbot.keyClicks(composer.editor, "Called the partner; evidence by 14:00")
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(composer.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    press(qtbot, window, Qt.Key.Key_R, target=window.detail.text)
    composer = prompt(qtbot, window)
    qtbot.keyClicks(composer.editor, "Thank you, we are reviewing.")
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(composer.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    kinds = [k for k, _ in outbox(workspace, esc)]
    assert kinds == ["note", "reply"]


def test_mark_duplicate_with_picker_and_reason(qtbot: QtBot, window: MainWindow,
                                               workspace: FakeWorkspace) -> None:
    dup, canonical = window.model.id_at(0), window.model.id_at(5)
    assert dup is not None and canonical is not None
    press(qtbot, window, Qt.Key.Key_2)
    picker = prompt(qtbot, window)
    (canonical_ref,) = row(workspace, canonical, "external_id")
    # The analyst knows items by the source's id: typed, it names the canonical.
    qtbot.keyClicks(picker.finder.edit, canonical_ref)
    qtbot.keyClick(picker.finder.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.triage.prompt is not None
                    and window.triage.prompt is not picker)
    reason = prompt(qtbot, window)
    qtbot.keyClicks(reason.edit, "Same clip")
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(reason.edit, Qt.Key.Key_Return)
    assert row(workspace, dup, "status, duplicate_of") == ("duplicate", canonical)
    # The toast names the canonical as the analyst knows it.
    assert window.toast.message.text() == f"Marked 1 escalation duplicate of {canonical_ref}"


def test_duplicate_picker_names_items_by_the_sources_id(qtbot: QtBot, window: MainWindow,
                                                       workspace: FakeWorkspace) -> None:
    """The picker lists the source's ids (never the cache's #id); an id typed that is
    not among the suggestions is looked up; an unknown one is refused, nothing changes."""
    dup, far = window.model.id_at(0), window.model.id_at(window.model.rowCount() - 1)
    assert dup is not None and far is not None
    press(qtbot, window, Qt.Key.Key_2)
    picker = prompt(qtbot, window)
    labels = [c.text for c in picker.finder.choices]
    assert labels and all(label.startswith("ESC-") for label in labels), labels
    qtbot.keyClicks(picker.finder.edit, "NOPE-1")
    qtbot.keyClick(picker.finder.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "No cached escalation has the id NOPE-1"
                    in window.statusBar().currentMessage())
    assert row(workspace, dup, "status") == ("new",)
    window.table.setFocus()
    press(qtbot, window, Qt.Key.Key_2)
    picker = prompt(qtbot, window)
    (far_ref,) = row(workspace, far, "external_id")
    qtbot.keyClicks(picker.finder.edit, far_ref)
    qtbot.keyClick(picker.finder.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.triage.prompt is not None
                    and window.triage.prompt is not picker)
    reason = prompt(qtbot, window)
    question = " ".join(label.text() for label in reason.findChildren(type(reason.error)))
    assert far_ref in question and f"#{far}" not in question, question
    qtbot.keyClicks(reason.edit, "Same clip")
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(reason.edit, Qt.Key.Key_Return)
    assert row(workspace, dup, "status, duplicate_of") == ("duplicate", far)


def test_snooze_hides_until_due(qtbot: QtBot, window: MainWindow,
                                workspace: FakeWorkspace) -> None:
    esc = window.model.id_at(0)
    assert esc is not None
    press(qtbot, window, Qt.Key.Key_H)
    dialog = prompt(qtbot, window)
    dialog.when.selectAll()
    qtbot.keyClicks(dialog.when, "2h")
    qtbot.keyClicks(dialog.reason, "Waiting for the partner")
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    assert row(workspace, esc, "snoozed_until")[0] is not None
    qtbot.waitUntil(lambda: window.model.row_of(esc) is None)  # gone from Triage


def test_batch_select_then_act_and_undo_in_one_step(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    ids = [window.model.id_at(r) for r in range(3)]
    press(qtbot, window, Qt.Key.Key_X, Qt.Key.Key_J, Qt.Key.Key_X, Qt.Key.Key_J,
          Qt.Key.Key_X)
    act(qtbot, window, Qt.Key.Key_E)
    assert [row(workspace, i)[0] for i in ids if i is not None] == ["resolved"] * 3
    act(qtbot, window, Qt.Key.Key_Z)
    assert [row(workspace, i)[0] for i in ids if i is not None] == ["new"] * 3


def test_bare_letters_do_nothing_while_typing_a_search(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    first = window.model.id_at(0)
    assert first is not None
    press(qtbot, window, Qt.Key.Key_Slash)
    search = window.views.bar.search
    qtbot.waitUntil(search.hasFocus)
    qtbot.keyClicks(search, "e1")  # resolve and accept keys, typed as text
    assert search.text() == "e1"
    assert row(workspace, first) == ("new",)


def test_search_with_operators_and_escape(qtbot: QtBot, window: MainWindow,
                                          workspace: FakeWorkspace) -> None:
    with workspace.store.read() as db:
        s0 = {r[0] for r in db.execute("SELECT id FROM escalation WHERE severity = 0 "
                                       "AND status = 'new'")}
    press(qtbot, window, Qt.Key.Key_Slash)
    qtbot.keyClicks(window.views.bar.search, "sev:0")
    qtbot.waitUntil(lambda: {window.model.id_at(r) for r in range(window.model.rowCount())}
                    == s0, timeout=5000)
    qtbot.keyClick(window.views.bar.search, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.model.rowCount() == 40, timeout=5000)
    assert window.table.hasFocus()


def test_palette_runs_a_command_and_overlay_lists_list_keys(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    first = window.model.id_at(0)
    assert first is not None
    qtbot.keyClick(window.table, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: active(window.findChild(QWidget, "commandPalette")))
    palette = window.findChild(QWidget, "commandPalette")
    assert palette is not None and palette.objectName() == "commandPalette"
    qtbot.keyClicks(palette.finder.edit, "resolve")  # type: ignore[attr-defined]
    assert "E" in palette.finder.list.item(0).text() or "e" in \
        palette.finder.list.item(0).text()  # type: ignore[attr-defined]
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(palette.finder.edit, Qt.Key.Key_Return)  # type: ignore[attr-defined]
    assert row(workspace, first) == ("resolved",)
    press(qtbot, window)  # wait until the window has the keyboard again
    qtbot.keyClick(window.table, Qt.Key.Key_Question, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: active(window.findChild(QWidget, "shortcutOverlay")))
    overlay = window.findChild(QWidget, "shortcutOverlay")
    assert overlay is not None and overlay.objectName() == "shortcutOverlay"
    shown = overlay.shown_commands()  # type: ignore[attr-defined]
    # The list's keys (replies work from the list too), not the detail pane's own.
    assert "Accept into work" in shown and "Reply on source" in shown
    assert "Back to list" not in shown
    overlay.close()


def test_views_switch_with_chords_and_ctrl_digits(qtbot: QtBot, window: MainWindow) -> None:
    press(qtbot, window, Qt.Key.Key_G, Qt.Key.Key_E)
    qtbot.waitUntil(lambda: window.views.current.title == "All", timeout=5000)
    qtbot.keyClick(window.table, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.views.current.title == "Triage", timeout=5000)
    press(qtbot, window, Qt.Key.Key_G, Qt.Key.Key_O)
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 1)
    press(qtbot, window, Qt.Key.Key_G, Qt.Key.Key_T, target=window.sync_view)
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 0)


def test_model_ids_match_the_table(window: MainWindow) -> None:
    assert window.model.index(0, 0).data(ID_ROLE) == window.model.id_at(0)


def test_conflict_resolved_from_the_keyboard(qtbot: QtBot, window: MainWindow,
                                             workspace: FakeWorkspace) -> None:
    from rr_desktop.store import outbox as ob
    from rr_desktop.store.timecodec import utcnow

    esc = window.model.id_at(0)
    assert esc is not None
    def conflicting(db: sqlite3.Connection) -> None:
        ob.record_local_update(db, esc, {"status": "declined"}, "me", "spam", utcnow())
        cid = db.execute("SELECT channel_id FROM escalation WHERE id = ?", (esc,)).fetchone()[0]
        [op] = ob.due_ops(db, cid, utcnow())
        ob.mark_conflict(db, op, {"status": ("new", "declined", "contained")}, 9, utcnow(),
                         {}, {})

    write_elsewhere(workspace.store, conflicting)
    press(qtbot, window, Qt.Key.Key_G, Qt.Key.Key_O)
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 1)
    qtbot.waitUntil(lambda: window.sync_view.conflicts.hasFocus())
    assert window.sync_view.conflicts.rowCount() == 1
    qtbot.keyClick(window.sync_view.conflicts, Qt.Key.Key_M)
    with workspace.store.read() as db:
        qtbot.waitUntil(lambda: db.execute(
            "SELECT resolution FROM conflict").fetchone()[0] == "mine", timeout=5000)
        state, payload, base = db.execute("SELECT state, payload, base FROM outbox").fetchone()
    assert state == "pending" and json.loads(payload) == {"status": "declined"}
    assert json.loads(base) == {"status": "contained"}  # pushed knowingly over theirs
    qtbot.waitUntil(lambda: window.sync_view.conflicts.rowCount() == 0, timeout=5000)


def test_undo_of_a_120_item_batch_is_one_step(qtbot: QtBot, tmp_path: Any) -> None:
    from .seed import make_store

    store = make_store(tmp_path, 120)
    choose_identity(tmp_path)
    win = MainWindow(FakeWorkspace(store, data_dir=tmp_path), sync_interval_s=None)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    try:
        assert win.model.rowCount() == 120
        press(qtbot, win)
        qtbot.keyClick(win.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        press(qtbot, win, Qt.Key.Key_3)  # decline asks one reason for the whole batch
        dialog = prompt(qtbot, win)
        qtbot.keyClicks(dialog.edit, "Coordinated spam wave")
        with qtbot.waitSignal(win.triage.applied, timeout=10_000) as blocker:
            qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
        assert len(blocker.args[0].changed_ids) == 120
        with store.read() as db:
            assert db.execute("SELECT count(*) FROM escalation WHERE status = 'declined'"
                              ).fetchone()[0] == 120
            assert db.execute("SELECT count(*) FROM outbox WHERE state = 'pending'"
                              ).fetchone()[0] == 120
        act(qtbot, win, Qt.Key.Key_Z)
        with store.read() as db:
            assert db.execute("SELECT count(*) FROM escalation WHERE status = 'new'"
                              ).fetchone()[0] == 120
            assert db.execute("SELECT count(*) FROM outbox WHERE state = 'pending'"
                              ).fetchone()[0] == 0  # nothing left to push
        qtbot.waitUntil(lambda: win.model.rowCount() == 120, timeout=5000)
    finally:
        win.shutdown()
        store.close()


def test_view_split_and_geometry_are_restored(qtbot: QtBot, window: MainWindow,
                                              workspace: FakeWorkspace) -> None:
    press(qtbot, window, Qt.Key.Key_G, Qt.Key.Key_E)
    qtbot.waitUntil(lambda: window.views.current.title == "All", timeout=5000)
    window.splitter.setSizes([700, 300])
    sizes = window.splitter.sizes()
    window.shutdown()
    again = MainWindow(workspace, sync_interval_s=None)
    qtbot.addWidget(again)
    again.show()
    try:
        qtbot.waitUntil(lambda: again.views.current.title == "All", timeout=5000)
        # The offscreen screen (800 px) clamps the restored geometry below the width
        # at which the detail pane folds away: give the window its width back first.
        again.resize(1360, 820)
        qtbot.waitUntil(lambda: again.detail.isVisible())
        restored = again.splitter.sizes()  # the offscreen screen clamps the geometry:
        assert abs(restored[0] / sum(restored) - sizes[0] / sum(sizes)) < 0.02  # compare
        # proportions, not pixels
    finally:
        again.shutdown()


def test_home_end_shift_k_and_split(qtbot: QtBot, window: MainWindow) -> None:
    """(F5 runs the real sync engine in test_real_sync_journeys.py.)"""
    last = window.model.rowCount() - 1
    press(qtbot, window, Qt.Key.Key_End)
    assert window.table.currentIndex().row() == last
    press(qtbot, window, Qt.Key.Key_Home)
    assert window.table.currentIndex().row() == 0
    press(qtbot, window, Qt.Key.Key_J, Qt.Key.Key_J)
    qtbot.keyClick(window.table, Qt.Key.Key_K, Qt.KeyboardModifier.ShiftModifier)
    assert window.table.selected_count() == 2
    qtbot.keyClick(window.table, Qt.Key.Key_Escape)
    assert window.table.selected_count() == 1
    qtbot.keyClick(window.table, Qt.Key.Key_Backslash, Qt.KeyboardModifier.ControlModifier)
    assert not window.detail.isVisible()
    qtbot.keyClick(window.table, Qt.Key.Key_Backslash, Qt.KeyboardModifier.ControlModifier)
    assert window.detail.isVisible()


def test_submit_and_next_moves_on(qtbot: QtBot, window: MainWindow,
                                  workspace: FakeWorkspace) -> None:
    esc = window.current_id()
    assert esc is not None
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.detail.text.hasFocus())
    press(qtbot, window, Qt.Key.Key_M, target=window.detail.text)
    composer = prompt(qtbot, window)
    composer.as_fact.setChecked(True)  # log a fact instead of a note
    qtbot.keyClicks(composer.editor, "Clip re-uploaded 40 more times")
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(composer.editor, Qt.Key.Key_Return,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.current_id() != esc
    with workspace.store.read() as db:
        kinds = [r[0] for r in db.execute(
            "SELECT kind FROM escalation_event WHERE escalation_id = ?", (esc,))]
    # The platform's service keeps facts: the fact is queued for it.
    assert "fact" in kinds
    assert [(t, p["text"]) for t, p in outbox(workspace, esc)] == [
        ("fact", "Clip re-uploaded 40 more times")]


def test_c_creates_an_incident_and_a_view_can_be_saved(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    press(qtbot, window, Qt.Key.Key_C)
    chooser = prompt(qtbot, window)
    qtbot.keyClicks(chooser.finder.edit, "i")
    qtbot.keyClick(chooser.finder.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: active(window.triage.prompt)
                    and window.triage.prompt is not chooser)
    dialog = prompt(qtbot, window)
    qtbot.keyClicks(dialog.edit, "Typhoon misinformation wave, PH")
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    with workspace.store.read() as db:
        qtbot.waitUntil(lambda: db.execute("SELECT count(*) FROM incident").fetchone()[0] == 1,
                        timeout=5000)
    window.views.bar.search.setText("sev:0")
    window.views._search_now()
    qtbot.waitUntil(lambda: window.views.current.search == "sev:0", timeout=5000)
    window.commands.run("save-view")
    dialog = prompt(qtbot, window)
    qtbot.keyClicks(dialog.edit, "Critical")
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.views.current.title == "Critical", timeout=5000)
    n = [v.title for v in window.views.views].index("Critical") + 1
    press(qtbot, window, Qt.Key.Key_G, Qt.Key.Key_T)
    qtbot.waitUntil(lambda: window.views.current.title == "Triage", timeout=5000)
    press(qtbot, window)  # the window has the keyboard again
    qtbot.keyClick(window.table, getattr(Qt.Key, f"Key_{n}"),
                   Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.views.current.title == "Critical", timeout=5000)


def test_c_then_e_types_in_an_escalation(qtbot: QtBot, window: MainWindow,
                                          workspace: FakeWorkspace) -> None:
    """A report by phone: typed in from the keyboard, checked, cached in the manual
    channel, shown and selected; the manual channel gets a client and syncs."""
    started: list[str] = []
    window.start_channel = started.append  # type: ignore[method-assign]
    before = window.model.rowCount()
    press(qtbot, window, Qt.Key.Key_C)
    chooser = prompt(qtbot, window)
    qtbot.keyClicks(chooser.finder.edit, "e")
    qtbot.keyClick(chooser.finder.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: active(window.findChild(NewEscalationDialog)))
    form = window.findChild(NewEscalationDialog)
    assert form is not None
    ui = form.ui
    at_cursor = window.model.row_at(window.table.currentIndex().row())
    assert at_cursor is not None and ui.marketEdit.text() == at_cursor.market  # likeliest
    qtbot.keyClicks(ui.titleEdit, "Regulator call: flood looting livestream")
    ui.marketEdit.clear()
    qtbot.keyClicks(ui.marketEdit, "Jakarta")
    qtbot.keyClick(ui.titleEdit, Qt.Key.Key_Return)  # Enter = Create: checked first
    assert "Jakarta is not a country code" in ui.errorLabel.text() and form.isVisible()
    ui.marketEdit.clear()
    qtbot.keyClicks(ui.marketEdit, "id")
    ui.severityCombo.setCurrentIndex(0)
    ui.urgencyCombo.setCurrentIndex(0)
    qtbot.keyClicks(ui.bodyEdit, "KOMINFO asks for removal within 4 hours.")
    qtbot.keyClick(ui.bodyEdit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.model.rowCount() == before + 1, timeout=5000)
    with workspace.store.read() as db:
        esc_id, market, severity, channel = db.execute(
            "SELECT e.id, e.market, e.severity, c.kind FROM escalation e JOIN channel c "
            "ON c.id = e.channel_id WHERE e.title LIKE 'Regulator call%'").fetchone()
    assert (market, severity, channel) == ("ID", 0, "manual")
    qtbot.waitUntil(lambda: window.current_id() == esc_id, timeout=5000)
    # Shown once it is the current row (the pane follows the cursor, never ahead of it).
    qtbot.waitUntil(lambda: window.detail.escalation_id == esc_id, timeout=5000)
    assert started == ["manual"]
    # It triages like any other: accept it.
    act(qtbot, window, Qt.Key.Key_1)
    assert row(workspace, esc_id) == ("triaged",)


def test_new_mail_reported_by_idle_starts_a_sync(qtbot: QtBot, window: MainWindow,
                                                 workspace: FakeWorkspace) -> None:
    calls: list[float] = []

    class Mailbox:
        def idle_wait(self, timeout_s: float) -> bool:
            calls.append(timeout_s)
            if len(calls) == 1:
                return True  # the server said EXISTS
            window.mailboxes._stop.wait(timeout_s)
            return False

    workspace.engine.clients["inbox"] = Mailbox()
    runs = workspace.engine.runs
    window.mailboxes.watch(workspace.engine.clients)
    qtbot.waitUntil(lambda: workspace.engine.runs > runs, timeout=5000)
    assert calls


def test_a_big_view_shows_its_first_page_then_all_rows(qtbot: QtBot, tmp_path: Any) -> None:
    from rr_desktop.gui.view_switcher import FIRST_PAGE, FIRST_SCREEN

    from .seed import make_store

    store = make_store(tmp_path, FIRST_PAGE + 200)
    choose_identity(tmp_path)
    win = MainWindow(FakeWorkspace(store, data_dir=tmp_path), sync_interval_s=None)
    qtbot.addWidget(win)
    win.show()
    try:
        counts: list[int] = []
        win.model.ids_loaded.connect(counts.append)
        cached_at_switch: list[int] = []
        events: list[str] = []  # the order of: switch, first paint after it, full read

        def on_switch(_view: object) -> None:
            cached_at_switch.append(win.model.cached_count())
            events.append("switch")

        class PaintSpy(QObject):
            def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint and events[-1:] == ["switch"]:
                    events.append("paint")
                return False

        spy = PaintSpy()
        win.table.viewport().installEventFilter(spy)
        run = win.jobs.run

        def logged_run(name: str, fn: Any, **kw: Any) -> Any:
            if name == "view-ids-all":
                events.append("full read")
            return run(name, fn, **kw)

        win.jobs.run = logged_run  # type: ignore[method-assign]
        win.views.view_changed.connect(on_switch)
        win.views.show_view(win.views.view_named("All"))
        qtbot.waitUntil(lambda: win.views.current.title == "All", timeout=5000)
        qtbot.waitUntil(lambda: win.model.rowCount() == FIRST_PAGE + 200, timeout=5000)
        assert counts == [FIRST_PAGE, FIRST_PAGE + 200]  # shown at once, the rest after
        assert win.table.currentIndex().row() == 0
        # The first screen's rows came with the ids (the first paint reads nothing on the
        # GUI thread), and the full id read started only once that page was painted.
        assert cached_at_switch[0] == FIRST_SCREEN
        assert events == ["switch", "paint", "full read"]
    finally:
        win.shutdown()
        store.close()


def test_acting_on_the_only_row_keeps_it_current_and_shown(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    """Auto-advance with nowhere to go (the list holds one row): the cursor stays on the
    item acted on, selected and shown in the pane, never a cursor the pane does not show."""
    press(qtbot, window, "/")
    qtbot.keyClicks(window.focusWidget(), '"context for item 7"')  # one body has it
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1 and not window.views.is_busy())
    window.table.setFocus()
    only = window.model.id_at(0)
    qtbot.waitUntil(lambda: window.current_id() == only and window.detail.escalation_id == only)
    act(qtbot, window, Qt.Key.Key_1)  # accepted, it stays in this search
    assert row(workspace, only) == ("triaged",) and window.model.row_of(only) == 0
    qtbot.waitUntil(lambda: not window.detail.is_pending())
    assert window.current_id() == only == window.detail.escalation_id
    assert window.table.selectionModel().isRowSelected(0)
