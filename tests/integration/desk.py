"""One analyst's machine without a window, for tests with two desks on one reference
service (tests/peers/reference_service.py): its own data dir, cache and sync engine, an
rr_api channel to the service, and a way to lose the network and get it back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.domain import Channel
from rr_desktop.store import channel_state as cs
from rr_desktop.store import incident_log
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import SyncEngine, SyncReport
from rr_desktop.workspace import record_pushes
from tests.peers.nginx import free_port
from tests.peers.reference_service import ReferenceService

CHANNEL = "platform"


class Endpoint(Protocol):
    """Where a desk syncs: the reference service, or a team hub with a personal token."""

    url: str
    token: str


class Desk:
    """One analyst's machine without a window: its own data dir, cache and engine."""

    def __init__(self, data_dir: Path, service: ReferenceService | Endpoint, me: str
                 ) -> None:
        data_dir.mkdir(parents=True)
        self.me, self.service = me, service
        self.store = Store.open(data_dir / "cache.sqlite3")
        with self.store.write() as db:
            cs.ensure_channel(db, Channel(CHANNEL, "rr_api", {"base_url": service.url}))
        self.online = RrApiChannel(CHANNEL, service.url, service.token)
        self.engine = SyncEngine(self.store, {CHANNEL: self.online})
        record_pushes(self.store, {CHANNEL: self.online})  # as Workspace.open does

    def sync(self) -> SyncReport:
        [report] = self.engine.run_all()
        return report

    def go_offline(self) -> None:
        """The network is gone: nothing listens where the service was for this desk."""
        dead = f"http://127.0.0.1:{free_port()}"
        self.engine.add_client(CHANNEL, RrApiChannel(CHANNEL, dead, self.service.token))

    def go_online(self) -> None:
        self.engine.add_client(CHANNEL, self.online)

    def write(self, fn: Any) -> Any:
        with self.store.write() as db:
            return fn(db)

    def state(self, uid: str) -> Any:
        with self.store.read() as db:
            return incident_log.state(db, uid)

    def append(self, uid: str, kind: str, data: dict[str, Any], base: str | None = None,
               ) -> dict[str, Any]:
        return self.write(lambda db: incident_log.append(db, uid, kind, self.me, utcnow(),
                                                         data, base))


@contextmanager
def two_desks(root: Path, service: ReferenceService) -> Iterator[tuple[Desk, Desk]]:
    """Aiko's and Budi's desks on `service`, each synced once; closed on the way out."""
    a, b = Desk(root / "aiko", service, "a.tan"), Desk(root / "budi", service, "b.s")
    try:
        for desk in (a, b):
            assert desk.sync().error is None
        yield a, b
    finally:
        for desk in (a, b):
            desk.store.close()
