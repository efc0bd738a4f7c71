"""The spreadsheet channel through the real SyncEngine and Store: a partner's list imported
once, re-imports idempotent (unchanged, re-sorted, touched), changed rows updated, bad
rows quarantined with their reasons, local triage kept, clear errors."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from rr_desktop.channels.spreadsheet import SpreadsheetChannel
from rr_desktop.domain import Channel
from rr_desktop.store import channel_state as cs
from rr_desktop.store import outbox as ob
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import SyncEngine, SyncReport

DATA = Path(__file__).resolve().parents[1] / "data" / "spreadsheets"
NAME = "esafety"


@dataclass
class Env:
    store: Store
    engine: SyncEngine
    path: Path
    channel_id: int

    def run(self) -> SyncReport:
        report = self.engine.run(NAME)
        assert report.error is None, report.error
        return report

    def rows(self) -> dict[str, tuple[object, ...]]:
        with self.store.read() as db:
            return {r[0]: tuple(r[1:]) for r in db.execute(
                "SELECT external_id, id, status, title, remote_version, market, severity "
                "FROM escalation")}

    def quarantine(self) -> list[tuple[str | None, str]]:
        with self.store.read() as db:
            return list(db.execute("SELECT external_id, reason FROM quarantine ORDER BY id"))


def make_env(tmp_path: Path, path: Path, config: dict[str, str] | None = None,
             page_size: int = 4) -> Env:
    store = Store.open(tmp_path / "cache.sqlite3")
    cfg = {"path": str(path), "reporter": "eSafety Commissioner",
           "reporter_type": "regulator", "timezone": "Australia/Sydney", **(config or {})}
    with store.write() as db:
        cid = cs.ensure_channel(db, Channel(NAME, "spreadsheet", cfg))
    client = SpreadsheetChannel(NAME, cfg, page_size=page_size)
    return Env(store, SyncEngine(store, {NAME: client}), path, cid)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    path = tmp_path / "notices.csv"
    shutil.copy(DATA / "esafety_notices.csv", path)
    e = make_env(tmp_path, path)
    yield e
    e.engine.clients[NAME].close()  # type: ignore[attr-defined]
    e.store.close()


def rewrite(path: Path, edit: object) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows = edit(rows)  # type: ignore[operator]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def test_import_once_quarantine_bad_rows_and_rerun_changes_nothing(env: Env) -> None:
    report = env.run()
    rows = env.rows()
    assert sorted(rows) == [f"EN-2025-00{i}" for i in (1, 2, 3, 4, 5, 7, 8, 9)]
    assert report.received == report.changed == 8 and report.pages >= 3
    assert rows["EN-2025-001"][2:] == ("Livestream of attack re-uploaded", rows[
        "EN-2025-001"][3], "AU", 0)
    assert env.quarantine() == [
        ("EN-2025-006", "row 9: market 'Atlantis' is not an ISO country code or a country "
                        "name we know"),
        ("EN-2025-002", "row 11: duplicate of row 5 (same ID)"),
    ]
    with env.store.read() as db:
        reporter, rtype, deadline, body = db.execute(
            "SELECT reporter, reporter_type, deadline_at, body FROM escalation "
            "WHERE external_id = 'EN-2025-003'").fetchone()
        formula = db.execute("SELECT title FROM escalation WHERE external_id = "
                             "'EN-2025-005'").fetchone()[0]
    assert (reporter, rtype) == ("eSafety Commissioner", "regulator")
    assert deadline == 1741096800  # 2025-03-05 01:00 in Sydney = 2025-03-04 14:00 UTC
    assert "Notice type: Removal notice" in body
    assert formula == '=HYPERLINK("http://127.0.0.1:9/canary","open me")'  # text, as sent
    again = env.run()
    assert (again.received, again.changed, again.quarantined) == (0, 0, 0)
    assert env.rows() == rows and len(env.quarantine()) == 2


def test_local_triage_survives_reimports_and_changed_rows_update(env: Env) -> None:
    env.run()
    before = env.rows()
    esc_id = int(str(before["EN-2025-003"][0]))
    with env.store.write() as db:
        ob.record_local_update(db, esc_id, {"status": "triaged", "assignee": "a.tan"},
                               "a.tan", "on it", utcnow())
    report = env.run()
    assert report.pushed == 0 and report.dead == 0
    with env.store.read() as db:
        state = db.execute("SELECT state, attempts FROM outbox").fetchall()
    assert state == []  # a spreadsheet receives nothing: the triage stays here, unqueued
    assert env.rows()["EN-2025-003"][1] == "triaged"

    rewrite(env.path, lambda rows: [rows[0], rows[1], *reversed(rows[2:])])  # re-sorted
    assert env.run().received == 0
    assert env.rows()["EN-2025-003"][1] == "triaged"

    def edit(rows: list[list[str]]) -> list[list[str]]:
        for row in rows:
            if row and row[0] == "EN-2025-004":
                row[1] = "Dangerous challenge: now trending in 3 states"
        return [*rows, ["EN-2025-010", "New notice", "https://video.example/n10", "AU",
                        "S1", "", "", "Removal notice", ""]]

    rewrite(env.path, edit)
    report = env.run()
    assert report.received == report.changed == 2
    after = env.rows()
    assert after["EN-2025-004"][2] == "Dangerous challenge: now trending in 3 states"
    assert int(str(after["EN-2025-004"][3])) > int(str(before["EN-2025-004"][3]))  # newer
    assert after["EN-2025-010"][2] == "New notice"
    assert after["EN-2025-003"][1] == "triaged"  # untouched row keeps the local triage
    assert {k: v for k, v in after.items() if k not in ("EN-2025-004", "EN-2025-010",
                                                        "EN-2025-003")} == \
        {k: v for k, v in before.items() if k not in ("EN-2025-004", "EN-2025-003")}
    assert len(env.quarantine()) == 2


def test_expired_cursor_resyncs_without_duplicates(env: Env) -> None:
    env.run()
    with env.store.write() as db:
        db.execute("UPDATE sync_cursor SET cursor = 'not a cursor'")
    report = env.engine.run(NAME)
    assert report.error is None and report.resynced
    assert len(env.rows()) == 8


def test_missing_file_is_a_clear_error_and_keeps_the_cache(env: Env) -> None:
    env.run()
    env.path.unlink()
    report = env.engine.run(NAME)
    assert report.error is not None
    assert report.error.startswith(f"{NAME}: cannot read {env.path}")
    with env.store.read() as db:
        assert db.execute("SELECT last_error FROM channel").fetchone()[0] == report.error
    assert len(env.rows()) == 8


def test_xlsx_list_through_the_engine(tmp_path: Path) -> None:
    path = tmp_path / "partner.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Escalations"
    ws.append(["Partner escalations, week 10"])
    ws.append(["Case ID", "Summary", "URL", "Market", "Impact", "Reported"])
    for i in range(9):
        ws.append([7000 + i, f"Scam page {i}", f"https://scam.example/{i}", "Singapore",
                   "High", "2025-03-0" + str(i + 1)])
    ws.append([7100, "Bad market", "https://scam.example/x", "Narnia", "High", "2025-03-01"])
    wb.save(path)
    env = make_env(tmp_path, path, {"reporter_type": "trusted_partner"})
    try:
        report = env.run()
        rows = env.rows()
        assert len(rows) == 9 and report.quarantined == 1
        assert rows["7003"][4:] == ("SG", 1)
        assert env.quarantine()[0][1].startswith("row 12: market 'Narnia'")
        assert env.run().received == 0
    finally:
        env.store.close()
