"""SLA figures that do not mislead: a target met late reads as a breach (in the table and
the detail pane), a snoozed item's clock shows the snooze instead of a running breach,
and a paused clock says it has stopped."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pytestqt.qtbot import QtBot

from rr_desktop.domain import Severity, Status
from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.text import set_display_zone
from rr_desktop.gui.triage.columns import Column
from rr_desktop.settings import save_setting
from rr_desktop.store.timecodec import to_epoch

from .conftest import FakeWorkspace
from .seed import NOW, add, choose_identity, escalation, make_store, write_elsewhere


def sla_cell(window: MainWindow, esc_id: int) -> str:
    row = window.model.row_of(esc_id)
    assert row is not None
    return str(window.model.index(row, Column.SLA).data())


def test_met_late_is_a_breach_and_snoozed_shows_the_snooze(qtbot: QtBot,
                                                           tmp_path: Path) -> None:
    store = make_store(tmp_path)
    created = NOW - timedelta(days=30)
    # Acknowledged and resolved weeks after the S2 targets: closed, but a breach.
    late = escalation(1, severity=Severity.S2, status=Status.NEW, created_at=created,
                      updated_at=created)
    [late_id] = add(store, [late])
    add(store, [replace(late, remote_version=2, status=Status.RESOLVED,
                        updated_at=created + timedelta(days=25))])
    # Resolved within an hour: met.
    quick = escalation(2, severity=Severity.S2, created_at=NOW - timedelta(hours=2),
                       updated_at=NOW - timedelta(hours=2))
    [quick_id] = add(store, [quick])
    add(store, [replace(quick, remote_version=2, status=Status.RESOLVED,
                        updated_at=NOW - timedelta(hours=1, minutes=50))])
    # Breached and snoozed: the table shows the snooze, not a running red clock.
    stale = escalation(3, severity=Severity.S1, created_at=NOW - timedelta(days=2),
                       updated_at=NOW - timedelta(days=2))
    [stale_id] = add(store, [stale])
    until = to_epoch(NOW + timedelta(hours=4))
    write_elsewhere(store, lambda db: db.execute(
        "UPDATE escalation SET snoozed_until = ? WHERE id = ?", (until, stale_id)))
    choose_identity(tmp_path)
    win = MainWindow(FakeWorkspace(store, data_dir=tmp_path), sync_interval_s=None)
    qtbot.addWidget(win)
    win.show()
    try:
        win.views.show_view(win.views.view_named("All"))
        qtbot.waitUntil(lambda: win.model.rowCount() == 3)
        assert sla_cell(win, late_id) == "\u2716 met late"
        assert sla_cell(win, quick_id) == "\u2713 met"
        assert sla_cell(win, stale_id).startswith("\u23f8 snoozed")
        win.select_id(late_id)
        qtbot.waitUntil(lambda: win.detail.escalation_id == late_id)
        section = win.detail.text.toPlainText().split("SLA clocks\n")[1].split("\n\n")[0]
        lines = section.splitlines()
        assert lines[0].startswith("acknowledge: BREACHED, acknowledged 2") and \
            lines[0].endswith(" late")
        assert all("BREACHED" in line and "met" not in line for line in lines), lines
    finally:
        win.shutdown()
        store.close()


def test_deadlines_show_in_the_analysts_zone_and_on_the_markets_clock(
        qtbot: QtBot, tmp_path: Path) -> None:
    store = make_store(tmp_path)
    deadline = NOW + timedelta(hours=20)
    [esc] = add(store, [escalation(1, market="ID", deadline_at=deadline)])
    choose_identity(tmp_path)
    save_setting(tmp_path, "timezone", "Asia/Kolkata")
    win = MainWindow(FakeWorkspace(store, data_dir=tmp_path), sync_interval_s=None)
    qtbot.addWidget(win)
    win.show()
    try:
        qtbot.waitUntil(lambda: win.detail.escalation_id == esc)
        text = win.detail.text.toPlainText()
        ist = deadline.astimezone(ZoneInfo("Asia/Kolkata"))
        wib = deadline.astimezone(ZoneInfo("Asia/Jakarta"))
        assert f"deadline at: {ist:%Y-%m-%d %H:%M} IST ({wib:%H:%M} WIB in ID)" in text \
            or f"deadline at: {ist:%Y-%m-%d %H:%M} IST ({wib:%H:%M} on " in text
        assert "times in your zone, Asia/Kolkata, UTC+05:30" in text
    finally:
        win.shutdown()
        store.close()
        set_display_zone(None)
