"""The Outbox & sync view's keys on the real desk: a conflict with a change someone made
on the service resolved with m / t / e, a change the service refused retried with r, a
quarantined record's raw payload copied with c, the tabs stepped with Ctrl+Tab and
Ctrl+Shift+Tab. The service's state is asserted after the sync each key sets off."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from rr_desktop.domain import Severity

from .driving import CTRL, SHIFT, act, active, answer, press, prompt
from .real_sync import ME, RealDesk


def _go_outbox(desk: RealDesk) -> None:
    press(desk.qtbot, desk.window, Qt.Key.Key_G, Qt.Key.Key_O)
    desk.qtbot.waitUntil(lambda: desk.window.pages.currentIndex() == 1)


def _tab_with_keyboard(desk: RealDesk) -> QWidget:
    """The sync view's list that has the keyboard, once it has it."""
    view = desk.window.sync_view
    desk.qtbot.waitUntil(lambda: QApplication.focusWidget() in view.tables())
    focus = QApplication.focusWidget()
    assert focus is not None
    return focus


def _step_to(desk: RealDesk, table: QWidget, backwards: bool = False) -> None:
    """Ctrl+Tab (or Ctrl+Shift+Tab) until `table` has the keyboard; at most one lap."""
    view = desk.window.sync_view
    for _ in range(view.tabs.count()):
        focus = _tab_with_keyboard(desk)
        if focus is table:
            return
        if backwards:
            desk.qtbot.keyClick(focus, Qt.Key.Key_Backtab, CTRL | SHIFT)
        else:
            desk.qtbot.keyClick(focus, Qt.Key.Key_Tab, CTRL)
    assert _tab_with_keyboard(desk) is table


def _conflicting_severity(desk: RealDesk) -> tuple[int, str]:
    """Severity S0 set here on an escalation the service has at S1 or S2, then S3 set
    there by someone else before F5: a conflict on `severity`. (id, the base value)"""
    esc = next(i for i in desk.view_ids() if desk.served(i)["severity"] in ("S1", "S2"))
    base = desk.served(esc)["severity"]
    desk.select(esc)
    act(desk.qtbot, desk.window, Qt.Key.Key_S, Qt.Key.Key_0)
    desk.service.patch(desk.external_id(esc), severity="S3")
    [report] = desk.sync()
    assert report.conflicts == 1 and report.pushed == 0, report.summary()
    return esc, base


def _type_into_input_dialog(qtbot: QtBot, text: str) -> None:
    """Answer the QInputDialog the next key opens (typed from a timer: the key's own
    handler opens it)."""
    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog) or not dialog.isVisible():
            QTimer.singleShot(20, fill)
            return
        edit = dialog.findChild(QLineEdit)
        assert edit is not None
        edit.selectAll()
        qtbot.keyClicks(edit, text)
        qtbot.keyClick(edit, Qt.Key.Key_Return)

    QTimer.singleShot(0, fill)


@pytest.mark.parametrize(("key", "resolution", "kept"), [
    (Qt.Key.Key_M, "mine", "S0"), (Qt.Key.Key_T, "theirs", "S3"),
    (Qt.Key.Key_E, "edit", "S1")])
def test_a_conflict_resolved_from_the_keyboard_reaches_the_service(
        real_desk: RealDesk, key: Qt.Key, resolution: str, kept: str) -> None:
    desk, window = real_desk, real_desk.window
    esc, base = _conflicting_severity(desk)
    history = len(desk.writes(esc))  # someone else's patch
    assert desk.row_cells(esc)["Sev"] == "S0"  # the row says what is queued here
    _go_outbox(desk)
    conflicts = window.sync_view.conflicts
    desk.qtbot.waitUntil(conflicts.hasFocus)  # g o lands on the conflict waiting
    assert conflicts.rowCount() == 1
    cells = [conflicts.item(0, c).text() for c in range(conflicts.columnCount())]
    assert cells[1:5] == ["severity", base, "S0", "S3"]  # field, base, mine, theirs
    if key == Qt.Key.Key_E:
        _type_into_input_dialog(desk.qtbot, kept)
    reports = desk.wait_for_sync(lambda: desk.qtbot.keyClick(conflicts, key))
    desk.synced_cleanly(reports)
    with desk.store.read() as db:
        assert db.execute("SELECT resolution FROM conflict").fetchall() == [(resolution,)]
    assert desk.served(esc)["severity"] == kept
    pushed = 0 if resolution == "theirs" else 1  # taking theirs sends nothing
    assert len(desk.writes(esc)) == history + pushed
    assert desk.cached(esc, "severity") == (int(Severity[kept]),)
    desk.qtbot.waitUntil(lambda: conflicts.rowCount() == 0, timeout=5000)
    assert window.sync_view.tabs.tabText(1) == "Conflicts (0)"
    # The keys are back where they were (the edit dialog gave them back on closing).
    # (The offscreen platform leaves no window active when a dialog closes; a window
    # manager would hand activation back: ask for it, as active() does.)
    desk.qtbot.waitUntil(lambda: active(window)
                         and window.sync_view.isAncestorOf(QApplication.focusWidget()))
    desk.synced_cleanly(desk.sync())  # and nothing goes twice
    assert len(desk.writes(esc)) == history + pushed
    press(desk.qtbot, window, Qt.Key.Key_G, Qt.Key.Key_T, target=conflicts)
    desk.qtbot.waitUntil(lambda: window.pages.currentIndex() == 0)
    desk.qtbot.waitUntil(lambda: window.model.row_of(esc) is not None
                         and desk.row_cells(esc)["Sev"] == kept, timeout=5000)


def test_a_refused_reply_is_retried_with_r_and_arrives_once(
        open_real_desk: Callable[..., RealDesk]) -> None:
    """The service refuses the first write for good (410, not applied): the reply is
    dead, a banner says so; in Queued changes, r sends it again and it arrives once."""
    desk: RealDesk = open_real_desk(service_args=("--fault", "gone:method=POST,count=1"))
    window = desk.window
    [esc] = desk.view_ids()[:1]
    ext = desk.external_id(esc)
    before = len(desk.service.replies(ext))
    desk.select(esc)
    press(desk.qtbot, window, Qt.Key.Key_R)
    composer = prompt(desk.qtbot, window)
    answer(desk.qtbot, window, composer.editor, "We are looking into it", Qt.Key.Key_Return,
           CTRL)
    [report] = desk.sync()
    assert (report.dead, report.pushed) == (1, 0), report.summary()
    assert "1 refused (g o)" in desk.status_message()
    desk.qtbot.waitUntil(lambda: window.banner.isVisible())
    assert ext in window.banner.message.text()
    [dead] = desk.outbox(esc)
    assert dead.state == "dead" and "410" in (dead.last_error or "")
    assert len(desk.service.replies(ext)) == before
    _go_outbox(desk)
    ops = window.sync_view.ops
    _step_to(desk, ops)
    assert ops.rowCount() == 1 and ops.item(0, 4).text() == "dead"
    reports = desk.wait_for_sync(lambda: desk.qtbot.keyClick(ops, Qt.Key.Key_R))
    desk.synced_cleanly(reports)
    assert sum(r.pushed for r in reports) == 1
    held = desk.service.replies(ext)
    assert len(held) == before + 1
    assert (held[-1]["text"], held[-1]["author"]) == ("We are looking into it", ME)
    assert [op.state for op in desk.outbox(esc)] == ["done"]
    desk.qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=5000)
    desk.qtbot.waitUntil(lambda: ops.rowCount() == 0, timeout=5000)
    desk.synced_cleanly(desk.sync())
    assert len(desk.service.replies(ext)) == before + 1


def test_retry_says_so_when_no_refused_change_is_selected(real_desk: RealDesk) -> None:
    desk, window = real_desk, real_desk.window
    _go_outbox(desk)
    ops = window.sync_view.ops
    _step_to(desk, ops)
    assert ops.rowCount() == 0
    desk.qtbot.keyClick(ops, Qt.Key.Key_R)
    assert desk.status_message() == "Select a refused change to retry"


def test_a_quarantined_records_raw_payload_is_copied_with_c(
        open_real_desk: Callable[..., RealDesk]) -> None:
    """Records no parser should accept (a 2**63 version, arrays nested 200,000 deep) are
    quarantined by the real sync; Ctrl+Shift+Tab reaches their tab, c copies the raw
    payload as the service sent it."""
    desk: RealDesk = open_real_desk(service_args=("--hostile", "bigint,deep"))
    window = desk.window
    with desk.store.read() as db:
        raws = {r[0] or "(no id)": r[1]
                for r in db.execute("SELECT external_id, raw FROM quarantine")}
    assert len(raws) == 2, raws.keys()
    _go_outbox(desk)
    view = window.sync_view
    _step_to(desk, view.quarantine, backwards=True)
    assert view.quarantine.rowCount() == 2
    view.quarantine.selectRow(1)
    external_id = view.quarantine.item(1, 1).text()
    QApplication.clipboard().clear()
    desk.qtbot.keyClick(view.quarantine, Qt.Key.Key_C)
    copied = QApplication.clipboard().text()
    assert copied == raws[external_id]
    assert ("9223372036854775808" in copied) or ("[[[[" * 1000 in copied)
    assert desk.status_message() == f"Copied {len(copied):,} characters of raw payload"
