"""The lead board (`g l`) on the real window, from the keyboard: its counts against the
cache, sorting, live refresh after a sync, the drill-down into an analyst's queue, editing
an analyst's fields, and reassignment with suggestions, undo, outbox and audit."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QFileDialog, QLineEdit
from pytestqt.qtbot import QtBot

from rr_desktop.domain import PolicyCategory, Status
from rr_desktop.domain.roster_profile import AnalystProfile
from rr_desktop.domain.shift import ShiftSchedule
from rr_desktop.gui.analyst_profile import AnalystProfileDialog
from rr_desktop.gui.lead_board import COL_ON_SHIFT, COL_OPEN, HEADERS
from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.pages import LEAD_PAGE, TRIAGE_PAGE
from rr_desktop.store.changes import Changes
from rr_desktop.store.roster import profile, save_profile

from .conftest import FakeWorkspace
from .driving import CTRL, SHIFT, active, press, prompt
from .seed import write_elsewhere

OPEN = tuple(s.value for s in Status if s.is_open)
ALWAYS = ShiftSchedule.parse("UTC", "daily 00:00-24:00")


def off_now() -> ShiftSchedule:
    """Daily hours that start two hours from now: off shift whenever the test runs."""
    h = datetime.now(UTC).hour
    return ShiftSchedule.parse("UTC", f"daily {(h + 2) % 24:02d}:00-{(h + 4) % 24:02d}:00")


def set_profiles(ws: FakeWorkspace, **profiles: AnalystProfile) -> None:
    def write(db: Any) -> None:
        for who, p in profiles.items():
            assert save_profile(db, who, p)
    write_elsewhere(ws.store, write)


def open_counts(ws: FakeWorkspace) -> dict[str, int]:
    with ws.store.read() as db:
        return dict(db.execute(
            f"SELECT assignee, count(*) FROM escalation WHERE assignee IS NOT NULL AND "
            f"status IN ({', '.join('?' * len(OPEN))}) GROUP BY assignee", OPEN).fetchall())


def open_ids_of(ws: FakeWorkspace, who: str) -> set[int]:
    with ws.store.read() as db:
        return {r[0] for r in db.execute(
            f"SELECT id FROM escalation WHERE assignee = ? AND status IN "
            f"({', '.join('?' * len(OPEN))})", (who, *OPEN))}


def board_cells(window: MainWindow, col: int) -> dict[str, str]:
    t = window.lead_board.table
    return {str(t.item(r, 0).data(Qt.ItemDataRole.UserRole)): t.item(r, col).text()
            for r in range(t.rowCount())}


def open_board(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.lead_board.refreshed, timeout=5000):
        press(qtbot, window, Qt.Key.Key_G, Qt.Key.Key_L)
    assert window.pages.currentIndex() == LEAD_PAGE
    qtbot.waitUntil(window.lead_board.table.hasFocus)


def test_board_counts_sort_refresh_and_drill_down(qtbot: QtBot, window: MainWindow,
                                                  workspace: FakeWorkspace) -> None:
    set_profiles(workspace, budi=AnalystProfile((), ALWAYS, 8),
                 chen=AnalystProfile((), off_now(), None))
    open_board(qtbot, window)
    expected = open_counts(workspace)
    assert {"aditi", "budi", "chen", "maria"} <= set(expected)
    assert board_cells(window, COL_OPEN) == {k: str(v) for k, v in expected.items()}
    on_shift = board_cells(window, COL_ON_SHIFT)
    assert on_shift["budi"].startswith("on, ") and on_shift["chen"].startswith("off, back in")
    assert on_shift["maria"] == "not set"
    load = board_cells(window, HEADERS.index("Load"))
    assert load["budi"] == f"{expected['budi']} / 8"
    # A header click sorts by that column, numbers as numbers.
    table = window.lead_board.table
    header = table.horizontalHeader()
    for _ in range(2):  # ascending, then descending
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(header.sectionViewportPosition(COL_OPEN) + 4, 4))
        shown = [int(table.item(r, COL_OPEN).text()) for r in range(table.rowCount())]
        order = header.sortIndicatorOrder()
        assert shown == sorted(shown, reverse=order == Qt.SortOrder.DescendingOrder)
    # A sync assigns one of Chen's items to Maria: the board follows while shown.
    moved = sorted(open_ids_of(workspace, "chen"))[0]

    def reassign(db: Any) -> None:
        db.execute("UPDATE escalation SET assignee = 'maria' WHERE id = ?", (moved,))
    write_elsewhere(workspace.store, reassign)
    with qtbot.waitSignal(window.lead_board.refreshed, timeout=5000):
        window.ctx.apply(Changes.of_escalations([moved], outbox=False))
    counts = board_cells(window, COL_OPEN)
    assert (counts["chen"], counts["maria"]) == (str(expected["chen"] - 1),
                                                 str(expected["maria"] + 1))
    # Return on Budi's row: the triage list shows Budi's open escalations.
    assert window.lead_board.select_analyst("budi")
    with qtbot.waitSignal(window.view_refreshed, timeout=5000):
        press(qtbot, window, Qt.Key.Key_Return, target=table)
    assert window.pages.currentIndex() == TRIAGE_PAGE
    assert window.views.bar.search.text() == "assignee:budi is:open"
    qtbot.waitUntil(lambda: {window.model.id_at(r) for r in range(window.model.rowCount())}
                    == open_ids_of(workspace, "budi"))
    qtbot.waitUntil(window.table.hasFocus)


def test_edit_an_analysts_fields_from_the_board(qtbot: QtBot, window: MainWindow,
                                                workspace: FakeWorkspace) -> None:
    open_board(qtbot, window)
    assert window.lead_board.select_analyst("budi")
    press(qtbot, window, Qt.Key.Key_E, target=window.lead_board.table)
    qtbot.waitUntil(lambda: active(window.findChild(AnalystProfileDialog)))
    dialog = window.findChild(AnalystProfileDialog)
    assert dialog is not None and "Budi Santoso" in dialog.ui.whoLabel.text()
    dialog.set_skills((PolicyCategory.HATE_SPEECH, PolicyCategory.MISINFO_CIVIC))
    dialog.ui.zoneEdit.setFocus()
    qtbot.keyClicks(dialog.ui.zoneEdit, "Asia/Jakrta")
    qtbot.keyClicks(dialog.ui.hoursEdit, "Mon-Fri 09:00-18:00")
    dialog.ui.capacitySpin.setValue(6)
    qtbot.keyClick(dialog.ui.zoneEdit, Qt.Key.Key_Return, CTRL)
    # A typo in the zone: said in the dialog, nothing written, nothing typed lost.
    assert "not an IANA time zone" in dialog.ui.problemLabel.text()
    assert dialog.isVisible() and dialog.ui.hoursEdit.text() == "Mon-Fri 09:00-18:00"
    dialog.ui.zoneEdit.setText("Asia/Jakarta")
    with qtbot.waitSignal(window.lead_board.refreshed, timeout=5000):
        qtbot.keyClick(dialog.ui.zoneEdit, Qt.Key.Key_Return, CTRL)
    with workspace.store.read() as db:
        saved = profile(db, "budi")
    assert saved == AnalystProfile(
        (PolicyCategory.HATE_SPEECH, PolicyCategory.MISINFO_CIVIC),
        ShiftSchedule.parse("Asia/Jakarta", "Mon-Fri 09:00-18:00"), 6)
    assert board_cells(window, HEADERS.index("Shift zone"))["budi"] == "Asia/Jakarta"


def test_reassign_from_the_drill_down_with_suggestions_and_undo(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    # Only Budi is on shift now: he is the one suggestion, with his reasons.
    set_profiles(workspace, budi=AnalystProfile((), ALWAYS, None),
                 aditi=AnalystProfile((), off_now(), None),
                 chen=AnalystProfile((), off_now(), None),
                 maria=AnalystProfile((), off_now(), None))
    budi_before = len(open_ids_of(workspace, "budi"))
    open_board(qtbot, window)
    assert window.lead_board.select_analyst("aditi")
    with qtbot.waitSignal(window.view_refreshed, timeout=5000):
        press(qtbot, window, Qt.Key.Key_Return, target=window.lead_board.table)
    qtbot.waitUntil(lambda: window.model.rowCount() == len(open_ids_of(workspace, "aditi")))
    first, second = window.model.id_at(0), window.model.id_at(1)
    assert first is not None and second is not None
    press(qtbot, window, Qt.Key.Key_X)
    press(qtbot, window, Qt.Key.Key_J, modifier=SHIFT)
    assert window.table.selected_count() == 2
    press(qtbot, window, Qt.Key.Key_A)
    picker = prompt(qtbot, window)
    top = picker.finder.list.item(0)
    assert top.text().startswith("Budi Santoso")
    assert "suggested: speaks English" in top.text() and "on shift" in top.text()
    assert "no open items" in top.text() or "open item" in top.text()
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(picker.finder.edit, Qt.Key.Key_Return)
    moved = {first, second}
    with workspace.store.read() as db:
        assert {r[0] for r in db.execute(
            f"SELECT assignee FROM escalation WHERE id IN ({first}, {second})")} == {"budi"}
        outbox = [(e, json.loads(p)) for e, p in db.execute(
            f"SELECT escalation_id, payload FROM outbox WHERE escalation_id IN "
            f"({first}, {second}) AND state = 'pending'")]
        audit = db.execute(
            f"SELECT escalation_id, count(*) FROM audit_log WHERE action = 'triage.assign' "
            f"AND escalation_id IN ({first}, {second}) GROUP BY escalation_id").fetchall()
    assert sorted(outbox) == sorted((i, {"assignee": "budi"}) for i in moved)
    assert dict(audit) == {first: 1, second: 1}  # one audit event per item
    # The board follows: Budi carries two more.
    open_board(qtbot, window)
    assert board_cells(window, COL_OPEN)["budi"] == str(budi_before + 2)
    # z undoes the whole batch (from anywhere): assignee restored, nothing to push, and
    # the board follows.
    with qtbot.waitSignal(window.lead_board.refreshed, timeout=5000):
        press(qtbot, window, Qt.Key.Key_Z, target=window.lead_board.table)
    assert board_cells(window, COL_OPEN)["budi"] == str(budi_before)
    with workspace.store.read() as db:
        assert {r[0] for r in db.execute(
            f"SELECT assignee FROM escalation WHERE id IN ({first}, {second})")} == {"aditi"}
        assert db.execute(f"SELECT count(*) FROM outbox WHERE escalation_id IN "
                          f"({first}, {second}) AND state = 'pending'").fetchone()[0] == 0


def test_board_reads_as_of_the_windows_clock(qtbot: QtBot, window: MainWindow,
                                             workspace: FakeWorkspace) -> None:
    """The board's on-shift column follows the context's clock (Jakarta's Monday)."""
    set_profiles(workspace, budi=AnalystProfile(
        (), ShiftSchedule.parse("Asia/Jakarta", "Mon-Fri 09:00-18:00"), None))
    window.ctx.clock = lambda: datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 15:00 WIB
    open_board(qtbot, window)
    assert board_cells(window, COL_ON_SHIFT)["budi"] == "on, 3 h left"
    window.ctx.clock = lambda: datetime(2026, 12, 7, 8, 0, tzinfo=UTC) + timedelta(hours=4)
    with qtbot.waitSignal(window.lead_board.refreshed, timeout=5000):
        window.lead_board.refresh()
    assert board_cells(window, COL_ON_SHIFT)["budi"] == "off, back in 14 h"


def test_team_metrics_tab_and_export(qtbot: QtBot, window: MainWindow,
                                     workspace: FakeWorkspace, tmp_path: Path) -> None:
    """Accepting an item (1) is a triage by the analyst: the Team metrics tab counts it,
    and the export writes real CSV and XLSX files with that figure."""
    first = window.model.id_at(0)
    assert first is not None
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        press(qtbot, window, Qt.Key.Key_1)
    open_board(qtbot, window)
    board = window.lead_board
    with qtbot.waitSignal(board.metrics.refreshed, timeout=5000):
        press(qtbot, window, Qt.Key.Key_Tab, modifier=CTRL, target=board.table)
    qtbot.waitUntil(board.metrics.table.hasFocus)
    shown = {board.metrics.table.item(r, 0).text(): board.metrics.table.item(r, 2).text()
             for r in range(board.metrics.table.rowCount())}
    assert shown == {"aditi": "1"}
    for name in ("metrics.csv", "metrics.xlsx"):
        window.commands.run("export-team-metrics")
        qtbot.waitUntil(lambda: active(window.findChild(QFileDialog, "exportMetrics")))
        dialog = window.findChild(QFileDialog, "exportMetrics")
        # Typed where a user types it (selectFile waits for the directory's model).
        dialog.findChild(QLineEdit, "fileNameEdit").setText(str(tmp_path / name))
        with qtbot.waitSignal(board.metrics.exported, timeout=5000):
            dialog.accept()
        qtbot.waitUntil(lambda: window.findChild(QFileDialog, "exportMetrics") is None)
    with (tmp_path / "metrics.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][:3] == ["aditi", "Aditi Rao", "1"]
    sheet = load_workbook(tmp_path / "metrics.xlsx").active
    assert sheet is not None
    assert list(next(sheet.iter_rows(min_row=2, values_only=True)))[:3] == [
        "aditi", "Aditi Rao", 1]
    # Ctrl+Shift+Tab: back to the workload, its table focused.
    press(qtbot, window, Qt.Key.Key_Backtab, modifier=CTRL | SHIFT, target=board.metrics.table)
    qtbot.waitUntil(board.table.hasFocus)
