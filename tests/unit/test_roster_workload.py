"""The roster's local fields (migration 0006, kept across syncs), the lead board's
counts and the suggestions read from the cache."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from rr_desktop.domain import Analyst, Channel, PolicyCategory, Priority, Status
from rr_desktop.domain.roster_profile import AnalystProfile
from rr_desktop.domain.shift import ShiftSchedule
from rr_desktop.store import channel_state as cs
from rr_desktop.store.ingest import merge_page
from rr_desktop.store.migrate import HEAD_REVISION
from rr_desktop.store.roster import profile, roster, save_profile, save_roster
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import to_epoch
from rr_desktop.store.workload import suggestions_for, workload
from tests.factories import T0, escalation, incoming
from tests.migrated import cache_at_revision

NOW = T0 + timedelta(hours=3)  # 2026-11-25 03:00 UTC, a Wednesday: Jakarta 10:00
BUDI = Analyst("budi", "Budi Santoso", "budi@example.com", ("id", "en"), ("ID",))
CHEN = Analyst("chen", "Chen Wei", "chen@example.com", ("zh", "en"), ("SG",))
JAKARTA = ShiftSchedule.parse("Asia/Jakarta", "Mon-Fri 09:00-18:00")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "cache.sqlite3")
    yield s
    s.close()


def test_0005_cache_migrates_keeping_analysts(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    cache_at_revision(path, "0005")
    db = sqlite3.connect(path)
    db.execute("INSERT INTO analyst (id, name, email, languages, markets) VALUES "
               "('budi', 'Budi Santoso', 'b@example.com', 'id en', 'ID')")
    db.commit()
    db.close()
    store = Store.open(path)
    try:
        with store.read() as r:
            assert r.execute("SELECT version_num FROM alembic_version").fetchone()[0] \
                == HEAD_REVISION
            [entry] = roster(r)
        assert entry.analyst == Analyst("budi", "Budi Santoso", "b@example.com", ("id", "en"),
                                        ("ID",))
        assert entry.profile == AnalystProfile()  # nothing set yet
    finally:
        store.close()


def test_a_roster_sync_keeps_the_teams_fields(store: Store) -> None:
    mine = AnalystProfile((PolicyCategory.HATE_SPEECH, PolicyCategory.PRIVACY), JAKARTA, 6)
    with store.write() as db:
        save_roster(db, [BUDI, CHEN])
        assert save_profile(db, "budi", mine)
        assert not save_profile(db, "nobody", mine)
    renamed = Analyst("budi", "Budi S.", "budi@corp.example", ("id",), ("ID", "MY"))
    with store.write() as db:
        assert save_roster(db, [renamed, CHEN]) == 1  # the source's fields changed
    with store.read() as db:
        assert profile(db, "budi") == mine
        entry = next(e for e in roster(db) if e.analyst.id == "budi")
    assert entry.analyst == renamed and entry.profile == mine


def test_unreadable_stored_fields_read_as_not_set(store: Store) -> None:
    with store.write() as db:
        save_roster(db, [BUDI])
        db.execute("UPDATE analyst SET skills = 'hate_speech gossip', shift_zone = 'Mars/Olympus', "
                   "shift_hours = 'Mon 09:00-17:00', capacity = -3")
    with store.read() as db:
        assert profile(db, "budi") == AnalystProfile((PolicyCategory.HATE_SPEECH,), None, None)


def _seed(store: Store) -> dict[str, int]:
    """Budi: a P0 breached, a P1 at risk, a P2 new (the oldest untouched), a resolved
    one; Chen: a P3 triaged; one unassigned; 'zz.temp' (no source lists them): a P2."""
    recs = {
        "p0": escalation(assignee="budi", status=Status.TRIAGED, created_at=T0),
        "p1": escalation(assignee="budi", status=Status.INVESTIGATING),
        "p2": escalation(assignee="budi", status=Status.NEW,
                         created_at=T0 - timedelta(hours=5)),
        "done": escalation(assignee="budi", status=Status.RESOLVED),
        "chen": escalation(assignee="chen", status=Status.TRIAGED, language="zh"),
        "free": escalation(assignee=None, status=Status.NEW),
        "temp": escalation(assignee="zz.temp", status=Status.TRIAGED),
    }
    with store.write() as db:
        cid = cs.ensure_channel(db, Channel("demo", "rr_api", {}))
        merge_page(db, cid, [incoming(r) for r in recs.values()], [], T0)
        save_roster(db, [BUDI, CHEN])
        ids = {k: int(db.execute("SELECT id FROM escalation WHERE external_id = ?",
                                 (r.external_id,)).fetchone()[0]) for k, r in recs.items()}
        pri = {"p0": Priority.P0, "p1": Priority.P1, "p2": Priority.P2, "done": Priority.P2,
               "chen": Priority.P3, "free": Priority.P1, "temp": Priority.P2}
        now_s = to_epoch(NOW)
        for key, esc_id in ids.items():
            due, risk = {"p0": (now_s - 60, now_s - 600), "p1": (now_s + 600, now_s - 60)
                         }.get(key, (now_s + 9000, now_s + 6000))
            db.execute("UPDATE escalation SET priority = ?, sla_due_at = ?, sla_risk_at = ? "
                       "WHERE id = ?", (int(pri[key]), due, risk, esc_id))
    return ids


def test_workload_counts_by_analyst(store: Store) -> None:
    _seed(store)
    with store.read() as db:
        board = workload(db, NOW)
    by_id = {r.analyst.id: r for r in board.rows}
    assert [r.analyst.id for r in board.rows] == ["budi", "chen", "zz.temp"]
    budi = by_id["budi"]
    assert budi.by_priority == (1, 1, 1, 0, 0) and budi.open_items == 3
    assert (budi.breached, budi.at_risk) == (1, 1)
    assert budi.oldest_new_at == to_epoch(T0 - timedelta(hours=5))
    assert budi.oldest_new_ref.startswith("ESC-")
    chen = by_id["chen"]
    assert chen.by_priority == (0, 0, 0, 1, 0) and (chen.breached, chen.at_risk) == (0, 0)
    assert chen.oldest_new_at is None
    assert not by_id["zz.temp"].on_roster and by_id["zz.temp"].open_items == 1
    assert board.unassigned_open == 1


def test_suggestions_for_an_item_read_the_roster_and_its_fields(store: Store) -> None:
    ids = _seed(store)
    with store.write() as db:
        save_profile(db, "budi", AnalystProfile((), JAKARTA, None))
        save_profile(db, "chen", AnalystProfile((), ShiftSchedule.parse(
            "Europe/Dublin", "Mon-Fri 09:00-17:00"), None))
    with store.read() as db:
        found = suggestions_for(db, ids["free"], NOW)  # an Indonesian item
    assert [s.analyst_id for s in found] == ["budi"]  # Chen's Dublin day has not begun
    assert found[0].sentence() == ("speaks Bahasa Indonesia, covers ID, on shift 8 more hours, "
                                   "3 open items")
