"""Spreadsheets as teams export them, through the real engine, store and CLI: a 20,000-row
workbook with merged market cells (openpyxl), a line above the header chosen away with
`--set header_row=N`, a file whose every row is rejected (said in the summary and the
channel's state), and a 660,000-character cell."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.merge import MergedCellRange

from rr_desktop.channels.spreadsheet import SpreadsheetChannel
from rr_desktop.domain import MAX_BODY, Channel, cut_marker
from rr_desktop.store import channel_state as cs
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import SyncEngine


def engine(tmp_path: Path, path: Path, **config: str) -> tuple[Store, SyncEngine]:
    store = Store.open(tmp_path / "cache.sqlite3")
    cfg = {"path": str(path), **config}
    with store.write() as db:
        cs.ensure_channel(db, Channel("sheet", "spreadsheet", cfg))
    return store, SyncEngine(store, {"sheet": SpreadsheetChannel("sheet", cfg)})


def status(store: Store) -> cs.ChannelStatus:
    with store.read() as db:
        [st] = cs.channel_statuses(db, utcnow())
    return st


@pytest.mark.slow
def test_20000_rows_with_merged_market_cells_each_get_their_market(tmp_path: Path) -> None:
    path = tmp_path / "apac-week-10.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Escalations"
    ws.append(["Case ID", "Summary", "URL", "Market", "Impact"])
    markets = ["Thailand", "VN", "Indonesia", "PH", "MY", "SG", "JP"]
    codes = ["TH", "VN", "ID", "PH", "MY", "SG", "JP"]
    expected: dict[str, str] = {}
    row = 1
    for group in range(20_000 // 3 + 1):
        first, size = row + 1, min(3, 20_000 - len(expected))
        for k in range(size):
            row += 1
            case = f"{7000 + row}"
            ws.append([case, f"Scam page {case}", f"https://scam.example/{case}",
                       markets[group % 7] if k == 0 else None, "High"])
            expected[case] = codes[group % 7]
        if size > 1:
            # What ws.merge_cells() records, without its check of every earlier range
            # (quadratic: 84 s for these 6,667); openpyxl writes the same <mergeCells>.
            ws.merged_cells.ranges.add(MergedCellRange(ws, f"D{first}:D{first + size - 1}"))
    wb.save(path)
    assert len(expected) == 20_000
    store, eng = engine(tmp_path, path)
    try:
        report = eng.run("sheet")
        assert report.error is None and report.quarantined == 0, report.summary()
        with store.read() as db:
            got = dict(db.execute("SELECT external_id, market FROM escalation"))
        wrong = {k: (v, got.get(k)) for k, v in expected.items() if got.get(k) != v}
        assert not wrong, f"{len(wrong)} rows with the wrong market, e.g. {list(wrong)[:3]}"
    finally:
        store.close()


def test_every_row_rejected_is_said_in_the_summary_and_the_channel_state(
        tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["Ref", "Link"]] + [[f"N-{i}", f"https://ex.com/{i}"]
                                                      for i in range(5)])
    store, eng = engine(tmp_path, path)  # no country column and no default market
    try:
        report = eng.run("sheet")
        assert report.error is None and (report.received, report.quarantined) == (0, 5)
        assert report.summary().startswith(
            "sheet: warning: 0 received, 0 changed, 5 quarantined, 0 pushed; no row of "
            "list.csv was imported: all 5 rows were rejected (no market (country) in the "
            "row and no default market set (5 rows, first row 2))")
        assert status(store).last_error == report.problems[0]
        again = eng.run("sheet")  # unchanged file: still said, nothing quarantined twice
        assert (again.quarantined, again.problems) == (0, report.problems)
        assert status(store).last_error == report.problems[0]
        eng.add_client("sheet", SpreadsheetChannel("sheet", {"path": str(path),
                                                             "market": "TH"}))
        fixed = eng.run("sheet")
        assert fixed.received == 5 and fixed.summary().startswith("sheet: ok: 5 received")
        assert status(store).last_error is None
    finally:
        store.close()


def _cli(args: list[str], data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    return subprocess.run([sys.executable, "-m", "rr_desktop", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=120, env=env)


def test_cli_header_row_and_the_summary_of_a_rejected_file(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([
            ["Partner escalations", "Exported by a tool"], ["Ref", "Link", "Country"],
            ["N-1", "https://ex.com/1", "TH"], ["N-2", "https://ex.com/2", "VN"]])
    data = tmp_path / "data"
    added = _cli(["channels", "add", "spreadsheet", "partner", "--set", f"path={path}"], data)
    assert added.returncode == 0, added.stderr
    first = _cli(["sync", "--once", "--channel", "partner"], data)
    # Row 1 looks like a header too: taken, every row is rejected, and the run says so.
    assert "partner: warning: 0 received, 0 changed, 3 quarantined" in first.stdout
    assert "no row of export.csv was imported" in first.stdout
    assert "header was taken from row 1" in first.stdout
    listed = _cli(["channels", "list"], data)
    assert "no row of export.csv was imported" in listed.stdout
    _cli(["channels", "remove", "partner"], data)
    added = _cli(["channels", "add", "spreadsheet", "partner", "--set", f"path={path}",
                  "--set", "header_row=2"], data)
    assert added.returncode == 0, added.stderr
    second = _cli(["sync", "--once", "--channel", "partner"], data)
    assert "partner: ok: 2 received" in second.stdout, second.stdout + second.stderr
    assert "Traceback" not in first.stderr + second.stderr


def test_a_660k_character_cell_ends_with_the_cut_line(tmp_path: Path) -> None:
    unit = "ผู้ใหญ่บ้าน 朱鎔基 똠방각하 \U0001F469\u200D\U0001F4BB "
    details = (unit * (660_000 // len(unit) + 1))[:659_999] + "."
    path = tmp_path / "long.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["Ref", "Title", "Details", "Link", "Country"],
                                  ["N-1", "Transcript", details, "https://ex.com/1", "TH"]])
    store, eng = engine(tmp_path, path)
    try:
        assert eng.run("sheet").error is None
        with store.read() as db:
            [(body,)] = db.execute("SELECT body FROM escalation").fetchall()
    finally:
        store.close()
    kept, _, line = body.rpartition("\n\n")
    assert line == cut_marker(len(kept), 660_000) and len(body) <= MAX_BODY
    assert details.startswith(kept) and "\ufffd" not in body
    assert not kept.endswith("\u200D") and details[len(kept)] in " \U0001F469ผ朱똠."
