"""A cache + demo channel + engine wired together over real loopback HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.demo import DemoServer
from rr_desktop.domain import Channel
from rr_desktop.store import channel_state as cs
from rr_desktop.store.store import Store
from rr_desktop.sync.engine import SyncEngine
from tests.peers.reference_service import ReferenceService

TOKEN = "test-token-3f9a"


@dataclass
class SyncEnv:
    """What a sync test needs: the server, the cache, the engine."""

    server: DemoServer
    store: Store
    engine: SyncEngine
    channel_id: int

    def count(self) -> int:
        with self.store.read() as db:
            return int(db.execute("SELECT count(*) FROM escalation").fetchone()[0])

    def cached(self, external_id: str) -> tuple[object, ...]:
        with self.store.read() as db:
            row = db.execute("SELECT id, status, assignee, severity, remote_version "
                             "FROM escalation WHERE external_id = ?", (external_id,)).fetchone()
        assert row is not None, external_id
        return tuple(row)


def make_env(server: DemoServer, db_file: Path, page_size: int = 500) -> SyncEnv:
    store = Store.open(db_file)
    with store.write() as db:
        cid = cs.ensure_channel(db, Channel("demo", "rr_api", {"base_url": server.url}))
    client = RrApiChannel("demo", server.url, TOKEN, page_size=page_size)
    return SyncEnv(server, store, SyncEngine(store, {"demo": client}), cid)


def make_env_for(service: ReferenceService, db_file: Path, page_size: int = 500) -> SyncEnv:
    """The same wiring against the reference service in its own process (`server` is
    None: its state is read through its API, `service`)."""
    store = Store.open(db_file)
    with store.write() as db:
        cid = cs.ensure_channel(db, Channel("demo", "rr_api", {"base_url": service.url}))
    client = RrApiChannel("demo", service.url, service.token, page_size=page_size)
    return SyncEnv(None, store, SyncEngine(store, {"demo": client}), cid)  # type: ignore[arg-type]


def server_ids(server: DemoServer) -> list[str]:
    """Every id the service holds, in creation order."""
    return [server.state.id_at(i) for i in range(len(server.state))]
