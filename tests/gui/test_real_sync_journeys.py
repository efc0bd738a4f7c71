"""An analyst's journeys on the real app: keys in the real window, the real sync engine on
F5, the platform's reference service in its own process on the other side.

Each test asserts what the SERVICE holds afterwards (read through its own API), that it
received the change exactly once (its write history; a second F5 sends nothing again),
and what the analyst sees (the table row, the detail pane, the status bar)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from rr_desktop.domain import Status

from .driving import CTRL, act, answer, press, prompt
from .real_sync import ME, RealDesk


def _new_rows(desk: RealDesk, n: int) -> list[int]:
    ids = desk.view_ids()
    assert len(ids) >= n, f"the Triage view has {len(ids)} rows, {n} wanted"
    return ids[:n]


def _sent_once(desk: RealDesk, esc_id: int, writes: int = 1) -> None:
    """The service applied `writes` writes to the escalation; a second F5 adds none."""
    assert len(desk.writes(esc_id)) == writes, desk.writes(esc_id)
    again = desk.sync()
    desk.synced_cleanly(again)
    assert sum(r.pushed for r in again) == 0
    assert len(desk.writes(esc_id)) == writes
    assert {op.state for op in desk.outbox(esc_id)} <= {"done"}


def test_accept_reaches_the_service_once_and_the_row_says_so(real_desk: RealDesk) -> None:
    desk, window = real_desk, real_desk.window
    first, second = _new_rows(desk, 2)
    desk.select(first)
    act(desk.qtbot, window, Qt.Key.Key_1)
    assert window.current_id() == second  # it moved on at once
    assert desk.row_cells(first)["Status"] == "triaged"  # shown before any sync
    assert desk.served(first)["status"] == "new"  # nothing sent before F5
    [report] = desk.sync()
    assert (report.error, report.pushed, report.dead) == (None, 1, 0)
    assert "1 sent" in desk.status_message()
    served = desk.served(first)
    assert served["status"] == "triaged"
    _sent_once(desk, first)
    desk.qtbot.waitUntil(lambda: window.model.row_of(first) is None)  # left Triage
    press(desk.qtbot, window, Qt.Key.Key_G, Qt.Key.Key_E)
    desk.qtbot.waitUntil(lambda: window.views.current.title == "All", timeout=5000)
    desk.qtbot.waitUntil(lambda: window.model.row_of(first) is not None, timeout=5000)
    desk.select(first)
    assert desk.row_cells(first)["Status"] == "triaged"
    assert "triaged" in desk.detail_shows(first).splitlines()[1]


def test_decline_with_a_reason_reaches_the_service_with_it(real_desk: RealDesk) -> None:
    desk, window = real_desk, real_desk.window
    [esc] = _new_rows(desk, 1)
    desk.select(esc)
    press(desk.qtbot, window, Qt.Key.Key_3)
    reason = prompt(desk.qtbot, window)
    answer(desk.qtbot, window, reason.edit, "Satire account, clearly labelled")
    assert desk.row_cells(esc)["Status"] == "declined"
    desk.synced_cleanly(desk.sync())
    served = desk.served(esc)
    assert (served["status"], served["status_reason"]) == (
        "declined", "Satire account, clearly labelled")
    _sent_once(desk, esc)


def test_duplicate_picked_by_its_source_id_reaches_the_service_with_its_canonical(
        real_desk: RealDesk) -> None:
    """2, the canonical picked by typing the source's id, the reason by its preset key."""
    desk, window = real_desk, real_desk.window
    dup, canonical = _new_rows(desk, 2)
    desk.select(dup)
    press(desk.qtbot, window, Qt.Key.Key_2)
    picker = prompt(desk.qtbot, window)
    desk.qtbot.keyClicks(picker.finder.edit, desk.external_id(canonical))
    desk.qtbot.keyClick(picker.finder.edit, Qt.Key.Key_Return)
    reason = prompt(desk.qtbot, window, previous=picker)
    desk.qtbot.keyClick(reason.edit, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    assert reason.edit.text() == "Same content"  # Alt+1: the first preset
    with desk.qtbot.waitSignal(window.triage.applied, timeout=5000):
        desk.qtbot.keyClick(reason.edit, Qt.Key.Key_Return)
    assert desk.row_cells(dup)["Status"] == "duplicate"
    desk.synced_cleanly(desk.sync())
    served = desk.served(dup)
    assert (served["status"], served["duplicate_of"], served["status_reason"]) == (
        "duplicate", desk.external_id(canonical), "Same content")
    assert desk.served(canonical)["status"] == "new"  # the canonical is left alone
    _sent_once(desk, dup)


def test_resolve_then_undo_before_f5_sends_nothing(real_desk: RealDesk) -> None:
    desk, window = real_desk, real_desk.window
    [esc] = _new_rows(desk, 1)
    desk.select(esc)
    act(desk.qtbot, window, Qt.Key.Key_E)
    assert desk.row_cells(esc)["Status"] == "resolved"
    act(desk.qtbot, window, Qt.Key.Key_Z)
    assert desk.row_cells(esc)["Status"] == "new"
    [report] = desk.sync()
    assert report.pushed == 0 and report.error is None
    assert desk.served(esc)["status"] == "new" and desk.writes(esc) == []
    with desk.qtbot.waitSignal(window.triage.applied, timeout=5000):
        desk.qtbot.keyClick(window.table, Qt.Key.Key_Z,
                            Qt.KeyboardModifier.ControlModifier
                            | Qt.KeyboardModifier.ShiftModifier)  # redo
    desk.synced_cleanly(desk.sync())
    assert desk.served(esc)["status"] == "resolved"
    _sent_once(desk, esc)


def test_assign_from_the_services_roster_then_unassign(real_desk: RealDesk) -> None:
    """`a` offers the analysts the service lists (GET /v1/analysts, loaded by the sync);
    Down/Up move in the list while typing; the pick reaches the service."""
    desk, window = real_desk, real_desk.window
    roster = {a["id"]: a for a in desk.service.get("/v1/analysts")["items"]}
    [esc] = _new_rows(desk, 1)
    desk.select(esc)
    press(desk.qtbot, window, Qt.Key.Key_A)
    picker = prompt(desk.qtbot, window)
    shown = picker.finder.shown_keys()
    assert set(roster) <= set(shown)  # the whole roster, plus "Unassigned"
    edit = picker.finder.edit
    desk.qtbot.keyClick(edit, Qt.Key.Key_Down)
    desk.qtbot.keyClick(edit, Qt.Key.Key_Down)
    desk.qtbot.keyClick(edit, Qt.Key.Key_Up)
    chosen = shown[1]  # down, down, up: the second choice
    assert picker.finder.list.currentRow() == 1
    with desk.qtbot.waitSignal(window.triage.applied, timeout=5000):
        desk.qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert desk.row_cells(esc)["Assignee"] == chosen
    desk.synced_cleanly(desk.sync())
    assert desk.served(esc)["assignee"] == chosen
    _sent_once(desk, esc)
    desk.select(esc)
    press(desk.qtbot, window, Qt.Key.Key_A)
    picker = prompt(desk.qtbot, window)
    answer(desk.qtbot, window, picker.finder.edit, "Unassigned")
    desk.synced_cleanly(desk.sync())
    assert desk.served(esc)["assignee"] is None
    _sent_once(desk, esc, writes=2)


def test_take_with_i_assigns_me_and_mine_lists_it(real_desk: RealDesk) -> None:
    desk, window = real_desk, real_desk.window
    [esc] = _new_rows(desk, 1)
    desk.select(esc)
    act(desk.qtbot, window, Qt.Key.Key_I)
    assert desk.row_cells(esc)["Assignee"] == ME
    desk.synced_cleanly(desk.sync())
    assert desk.served(esc)["assignee"] == ME
    _sent_once(desk, esc)
    press(desk.qtbot, window, Qt.Key.Key_G, Qt.Key.Key_M)
    desk.qtbot.waitUntil(lambda: window.views.current.title == "Mine", timeout=5000)
    desk.qtbot.waitUntil(lambda: window.model.row_of(esc) is not None, timeout=5000)
    mine = {e for e in desk.view_ids()}
    served_mine = {desk.local_id(r["id"]) for r in desk.service.get(
        "/v1/escalations", limit=1000)["items"]
        if r["assignee"] == ME and Status(r["status"]).is_open}
    assert mine == served_mine  # Mine is what the service says is open and mine


def test_tags_added_and_removed_reach_the_service(real_desk: RealDesk) -> None:
    desk, window = real_desk, real_desk.window
    tagged = [i for i in desk.view_ids() if desk.served(i)["tags"]]
    assert tagged, "no escalation with tags in Triage"
    esc = tagged[0]
    before = desk.served(esc)["tags"]
    desk.select(esc)
    press(desk.qtbot, window, Qt.Key.Key_L)
    tags = prompt(desk.qtbot, window)
    answer(desk.qtbot, window, tags.edit, f"+needs-legal -{before[0]}")
    desk.synced_cleanly(desk.sync())
    assert sorted(desk.served(esc)["tags"]) == sorted([*before[1:], "needs-legal"])
    assert "needs-legal" in desk.detail_shows(esc)
    _sent_once(desk, esc)


def test_reply_and_note_reach_the_service_once_each(real_desk: RealDesk) -> None:
    """r and m from the detail pane, Ctrl+Enter sends; the reporter's reply and the
    internal note arrive once, with the analyst as author, even after a second F5."""
    desk, window = real_desk, real_desk.window
    [esc] = _new_rows(desk, 1)
    ext = desk.external_id(esc)
    replies, notes = len(desk.service.replies(ext)), len(desk.service.notes(ext))
    desk.select(esc)
    desk.qtbot.keyClick(window.table, Qt.Key.Key_Return)
    desk.qtbot.waitUntil(window.detail.text.hasFocus)
    reply = "Thank you, we are reviewing the clip now. \u0e02\u0e2d\u0e1a\u0e04\u0e38\u0e13"
    press(desk.qtbot, window, Qt.Key.Key_R, target=window.detail.text)
    composer = prompt(desk.qtbot, window)
    answer(desk.qtbot, window, composer.editor, reply, Qt.Key.Key_Return, CTRL)
    press(desk.qtbot, window, Qt.Key.Key_M, target=window.detail.text)
    composer = prompt(desk.qtbot, window)
    answer(desk.qtbot, window, composer.editor, "Called the partner; evidence by 14:00",
           Qt.Key.Key_Enter, CTRL)
    assert [op.op_type for op in desk.outbox(esc, "pending")] == ["reply", "note"]
    [report] = desk.sync()
    assert (report.error, report.pushed) == (None, 2)
    desk.synced_cleanly(desk.sync())  # nothing sent twice
    held_replies, held_notes = desk.service.replies(ext), desk.service.notes(ext)
    assert len(held_replies) == replies + 1 and len(held_notes) == notes + 1
    assert (held_replies[-1]["text"], held_replies[-1]["author"]) == (reply, ME)
    assert (held_notes[-1]["text"], held_notes[-1]["author"]) == (
        "Called the partner; evidence by 14:00", ME)
    shown = desk.detail_shows(esc)
    assert reply in shown and "Called the partner" in shown


def test_f5_and_ctrl_r_show_what_someone_changed_on_the_service(real_desk: RealDesk) -> None:
    """The pull side: a colleague's edits on the service show in the row, the detail
    pane and the status bar after F5 (or Ctrl+R); a closed one leaves Triage."""
    desk, window = real_desk, real_desk.window
    esc = next(i for i in desk.view_ids() if desk.served(i)["severity"] != "S0")
    ext = desk.external_id(esc)
    desk.select(esc)
    desk.service.patch(ext, severity="S0", assignee="r.santos")
    [report] = desk.sync()
    assert report.changed_ids == {esc} and report.pushed == 0
    assert desk.status_message() == "Synced 1 channel: 1 changed, 0 sent"
    desk.qtbot.waitUntil(lambda: desk.row_cells(esc)["Sev"] == "S0", timeout=5000)
    assert desk.row_cells(esc)["Assignee"] == "r.santos"
    desk.qtbot.waitUntil(lambda: desk.detail_shows(esc).splitlines()[1].startswith("S0"),
                         timeout=5000)
    desk.service.patch(ext, status="resolved")
    [report] = desk.sync(Qt.Key.Key_R, CTRL)
    assert report.changed_ids == {esc}
    desk.qtbot.waitUntil(lambda: window.model.row_of(esc) is None, timeout=5000)
    assert desk.cached(esc, "status") == ("resolved",)
    assert desk.outbox(esc) == []  # nothing of ours to send back
