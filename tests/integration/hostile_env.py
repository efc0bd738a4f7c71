"""A cache and the real engine and `rr_api` client syncing from the reference service in
its own process (`tests/peers/reference_service.py`), misbehaving as its command line
says; and a child process that runs one such sync and reports its peak memory."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.domain import Channel
from rr_desktop.store import channel_state as cs
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import SyncEngine
from rr_desktop.sync.limits import SyncLimits
from tests.peers.reference_service import ReferenceService

NAME = "ref"


@dataclass
class Synced:
    """The cache, the engine and the channel's id."""

    store: Store
    engine: SyncEngine
    channel_id: int

    def status(self) -> cs.ChannelStatus:
        with self.store.read() as db:
            return next(s for s in cs.channel_statuses(db, utcnow()) if s.name == NAME)

    def count(self) -> int:
        with self.store.read() as db:
            return int(db.execute("SELECT count(*) FROM escalation").fetchone()[0])

    def local_id(self, external_id: str) -> int:
        with self.store.read() as db:
            return int(db.execute("SELECT id FROM escalation WHERE external_id = ?",
                                  (external_id,)).fetchone()[0])

    def unknown_outcomes(self) -> list[tuple[str, str]]:
        """(outcome, text) of the audit log's "outcome_unknown" entries, oldest first."""
        with self.store.read() as db:
            rows = db.execute("SELECT json_extract(detail, '$.outcome'), "
                              "json_extract(detail, '$.detail') FROM audit_log "
                              "WHERE action = 'outcome_unknown' ORDER BY id").fetchall()
        return [(str(a), str(b)) for a, b in rows]

    def outbox(self) -> list[tuple[str, int, str | None]]:
        with self.store.read() as db:
            return [tuple(r) for r in db.execute(  # type: ignore[misc]
                "SELECT state, attempts, last_error FROM outbox ORDER BY seq")]


def synced(service: ReferenceService, path: Path, page_size: int = 50,
           limits: SyncLimits | None = None) -> Synced:
    store = Store.open(path / "cache.sqlite3")
    with store.write() as db:
        cid = cs.ensure_channel(db, Channel(NAME, "rr_api", {"base_url": service.url}))
    client = RrApiChannel(NAME, service.url, service.token, page_size=page_size)
    return Synced(store, SyncEngine(store, {NAME: client}, limits=limits), cid)


def routes(service: ReferenceService, route: str) -> int:
    """How many requests the service received for `route` ("GET /v1/escalations")."""
    return int(service.stats()["routes"].get(route, 0))


def answers(service: ReferenceService, route: str) -> dict[int, int]:
    """{status: count} of the answers the service sent for `route`."""
    out: dict[int, int] = {}
    for key, n in service.stats()["answers"].items():
        head, _, status = key.rpartition(" ")
        if head == route:
            out[int(status)] = n
    return out


def sync_in_child(service: ReferenceService, path: Path, time_limit: float = 60.0,
                  timeout: float = 120.0) -> dict[str, Any]:
    """One sync in a fresh process: its summary, recorded error, the growth of its peak
    resident memory during the run (kB) and how long it took."""
    out = subprocess.run(
        [sys.executable, "-m", "tests.integration.net_child", str(path / "child.sqlite3"),
         service.url, service.token, str(time_limit)],
        capture_output=True, text=True, timeout=timeout, check=False)
    assert out.returncode in (0, 1), out.stderr[-2000:]
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result
