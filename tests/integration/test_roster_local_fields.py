"""The team's fields of an analyst survive a roster sync from the reference service (in
its own process) through the real engine and `rr_api` client."""

from __future__ import annotations

from pathlib import Path

from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.domain import Channel, PolicyCategory
from rr_desktop.domain.roster_profile import AnalystProfile
from rr_desktop.domain.shift import ShiftSchedule
from rr_desktop.store import channel_state as cs
from rr_desktop.store.roster import profile, roster, save_profile
from rr_desktop.store.store import Store
from rr_desktop.sync.engine import SyncEngine
from tests.peers.reference_service import ReferenceService


def test_a_roster_resync_restores_the_sources_fields_and_keeps_the_teams(
        tmp_path: Path) -> None:
    with ReferenceService(count=20) as service:
        store = Store.open(tmp_path / "cache.sqlite3")
        try:
            with store.write() as db:
                cs.ensure_channel(db, Channel("ref", "rr_api", {"base_url": service.url}))
            engine = SyncEngine(store, {"ref": RrApiChannel("ref", service.url,
                                                            service.token)})
            assert engine.run("ref").error is None
            served = {a["id"]: a for a in service.get("/v1/analysts")["items"]}
            mine = AnalystProfile((PolicyCategory.MISINFO_CRISIS,),
                                  ShiftSchedule.parse("Asia/Singapore", "Mon-Fri 08:00-17:00"),
                                  7)
            with store.write() as db:
                assert save_profile(db, "a.tan", mine)
                # The cached copy drifted from the source (a rename there, say) and the
                # roster is due again: the next run rewrites the source's columns.
                db.execute("UPDATE analyst SET name = 'stale', languages = '' "
                           "WHERE id = 'a.tan'")
                db.execute("DELETE FROM store_meta WHERE key LIKE 'roster_at:%'")
            report = engine.run("ref")
            assert report.error is None and report.roster_changed == 1
            with store.read() as db:
                tan = next(e for e in roster(db) if e.analyst.id == "a.tan")
                assert profile(db, "a.tan") == mine
            assert tan.analyst.name == served["a.tan"]["name"]
            assert list(tan.analyst.languages) == served["a.tan"]["languages"]
            assert tan.profile == mine
        finally:
            store.close()
