"""Migration 0002 on a cache written by 0001: rows kept, SLA clocks filled in."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rr_desktop.domain import Severity, Status
from rr_desktop.domain.sla import SlaFacts, SlaPolicy, advance, next_deadline
from rr_desktop.store.migrate import HEAD_REVISION
from rr_desktop.store.store import Store
from tests.migrated import cache_at_revision

T = 1_800_000_000
_ROWS = [  # id, status, severity, created_at, updated_at
    (1, "new", 0, T, T),
    (2, "triaged", 1, T, T + 600),
    (3, "waiting_on_partner", 2, T, T + 3600),
    (4, "resolved", 3, T, T + 86400),
    (5, "contained", 1, T, T + 7200),
]


def _cache_at_0001(path: Path) -> None:
    cache_at_revision(path, "0001")
    db = sqlite3.connect(path)
    db.execute("INSERT INTO channel (id, name, kind) VALUES (1, 'demo', 'rr_api')")
    for esc_id, status, sev, created, updated in _ROWS:
        db.execute(
            "INSERT INTO escalation (id, channel_id, external_id, remote_version, payload_hash, "
            "title, body, reporter, reporter_type, category, market, region, language, "
            "severity, urgency, priority, status, tags, created_at, updated_at, synced_at, "
            "snoozed_until) VALUES (?, 1, ?, 1, 'h', ?, 'body', 'r', 'user', 'other', 'ID', "
            "'APAC', 'id', ?, 1, 1, ?, 'x', ?, ?, ?, ?)",
            (esc_id, f"ESC-{esc_id}", f"title {esc_id}", sev, status, created, updated,
             updated, T + 99 if esc_id == 1 else None))
    db.execute("INSERT INTO outbox (op_id, channel_id, escalation_id, op_type, payload, "
               "base_version, state, created_at) VALUES ('op', 1, 2, 'update', "
               "'{\"status\": \"triaged\"}', 1, 'pending', ?)", (T,))
    db.execute("INSERT INTO escalation_event (escalation_id, at, kind, source) "
               "VALUES (2, ?, 'note', 'local')", (T,))
    db.commit()
    db.close()


def test_0001_cache_with_data_migrates_and_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    _cache_at_0001(path)
    before = sqlite3.connect(path)
    old = before.execute("SELECT * FROM escalation ORDER BY id").fetchall()
    before.close()

    store = Store.open(path)
    with store.read() as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == HEAD_REVISION
        cols = [r[1] for r in db.execute("PRAGMA table_info(escalation)")]
        rows = db.execute("SELECT * FROM escalation ORDER BY id").fetchall()
        assert [r[:len(old[0])] for r in rows] == old  # the 0001 columns, unchanged
        assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM escalation_event").fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM sla_policy").fetchone()[0] == 4
        for table in ("incident", "undo_batch", "undo_item", "saved_view"):
            assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
        got = {r[0]: dict(zip(cols, r, strict=True)) for r in rows}
    store.close()

    policy = SlaPolicy.default()
    for esc_id, status, sev, created, updated in _ROWS:
        facts = advance(SlaFacts(Severity(sev), created), Status(status), updated)
        deadline = next_deadline(facts, policy) or (None, None)
        row = got[esc_id]
        assert (row["acknowledged_at"], row["contained_at"], row["resolved_at"],
                row["sla_paused_at"], row["sla_paused_s"], row["sla_due_at"],
                row["sla_risk_at"]) == (facts.acknowledged_at, facts.contained_at,
                                        facts.resolved_at, facts.paused_at, facts.paused_s,
                                        *deadline), esc_id
    assert got[1]["sla_due_at"] == T + 900 and got[1]["snoozed_until"] == T + 99
