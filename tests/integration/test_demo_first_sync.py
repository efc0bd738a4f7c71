"""What a new user sees first: the demo service's day, through the real rr_api client, in a
real cache, as the Triage and SLA views query it. A handful of fresh items to triage, the
SLA column mostly not red, a few at risk, and the rest of the queue worked by the team."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rr_desktop.demo import DemoServer
from rr_desktop.demo.vocab import ANALYSTS
from rr_desktop.store.views import SLA_AT_RISK, TRIAGE, View
from rr_desktop.workspace import DEMO_SEED
from tests.integration.sync_env import TOKEN, make_env

DAY = datetime(2026, 11, 25, tzinfo=UTC)
OPEN = View("Open", "is:open")
BREACHED = View("Breached", "is:open is:breached")


@pytest.mark.parametrize("hour", [1, 9, 17])  # UTC: Singapore 09:00, 17:00, 01:00
def test_the_first_sync_shows_a_worked_queue(tmp_path: Path, hour: int) -> None:
    now = DAY + timedelta(hours=hour, minutes=23)
    with DemoServer(TOKEN, seed=DEMO_SEED, count=3000, now=now) as server:
        env = make_env(server, tmp_path / "cache.sqlite3")
        try:
            report = env.engine.run("demo")
            assert report.error is None and report.changed == 3000
            with env.store.read() as db:
                triage = TRIAGE.ids(db, now=now)
                open_ids = OPEN.ids(db, now=now)
                breached = BREACHED.ids(db, now=now)
                at_risk = SLA_AT_RISK.ids(db, now=now)
                fresh = db.execute(
                    "SELECT count(*), max(? - created_at), count(assignee) FROM escalation "
                    "WHERE status = 'new'", (int(now.timestamp()),)).fetchone()
                assignees = {r[0] for r in db.execute(
                    "SELECT DISTINCT assignee FROM escalation WHERE assignee IS NOT NULL")}
                worked = db.execute(
                    "SELECT count(*) FROM escalation WHERE status <> 'new' AND "
                    "created_at < ?", (int(now.timestamp()) - 4 * 3600,)).fetchone()[0]
                older = db.execute("SELECT count(*) FROM escalation WHERE created_at < ?",
                                   (int(now.timestamp()) - 4 * 3600,)).fetchone()[0]
        finally:
            env.store.close()
    assert 3 <= len(triage) <= 40  # a handful to triage, not 158 month-old items
    new_count, oldest_new_s, assigned_new = fresh
    assert new_count == len(triage) and assigned_new == 0
    assert oldest_new_s < 48 * 3600
    assert len(breached) < 0.05 * len(open_ids)
    assert len(set(breached) & set(triage)) <= 2
    assert 0 < len(at_risk) < 0.5 * len(open_ids)
    assert worked >= 0.9 * older
    assert assignees <= {a.id for a in ANALYSTS}
