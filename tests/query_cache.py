"""A migrated cache with escalations, an incident, SLA clocks and timeline events, for the
SQL console's tests (the real ingest and triage-action paths write it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from rr_desktop.domain import Channel, Severity, Status
from rr_desktop.store import channel_state as cs
from rr_desktop.store import triage_actions as ta
from rr_desktop.store.ingest import merge_page
from rr_desktop.store.store import Store
from tests.factories import T0, escalation, incoming

NOW = T0 + timedelta(hours=2)
HOSTILE_TITLE = '=HYPERLINK("http://evil.example","click")'


def filled_cache(directory: Path, count: int = 12) -> Path:
    """`directory/cache.sqlite3` with `count` escalations in channel "demo", ESC-000001..,
    created T0 + 1, 2, .. minutes (the first has a hostile title, is S0 and in an
    incident; the second is resolved; then markets SG, JP, KE in turn; the third and
    fourth were accepted at NOW), returned closed."""
    path = directory / "cache.sqlite3"
    store = Store.open(path)
    try:
        with store.write() as db:
            cid = cs.ensure_channel(db, Channel("demo", "rr_api", {}))
            recs = [escalation(title=HOSTILE_TITLE, market="ID", severity=Severity.S0),
                    escalation(status=Status.RESOLVED, market="PH"),
                    *(escalation(market=("SG", "JP", "KE")[n % 3]) for n in range(count - 2))]
            recs = [replace(r, external_id=f"ESC-{n:06d}", created_at=T0 + timedelta(minutes=n),
                            updated_at=T0 + timedelta(minutes=n))
                    for n, r in enumerate(recs, 1)]
            merge_page(db, cid, [incoming(r) for r in recs], [], T0 + timedelta(hours=1))
            ids = [r[0] for r in db.execute("SELECT id FROM escalation ORDER BY id")]
            ta.apply_action(db, ta.EscalateToIncident(None, "Livestreamed attack, Jakarta"),
                            ids[:1], "aditi", NOW)
            ta.apply_action(db, ta.Accept(), ids[2:4], "aditi", NOW)
    finally:
        store.close()
    return path
