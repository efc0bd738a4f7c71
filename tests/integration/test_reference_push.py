"""Notes and replies pushed through the real sync engine and `rr_api` client to the
reference service in its own process; the server's state is asserted through its API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.domain import Channel
from rr_desktop.store import channel_state as cs
from rr_desktop.store import outbox as ob
from rr_desktop.store.database import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import SyncEngine
from tests.peers.reference_service import ReferenceService


@pytest.fixture(scope="module")
def service() -> Iterator[ReferenceService]:
    with ReferenceService(count=50) as svc:
        yield svc


def _synced(service: ReferenceService, path: Path) -> tuple[Store, SyncEngine]:
    store = Store.open(path / "cache.sqlite3")
    with store.write() as db:
        cs.ensure_channel(db, Channel("ref", "rr_api", {"base_url": service.url}))
    engine = SyncEngine(store, {"ref": RrApiChannel("ref", service.url, service.token)})
    report = engine.run("ref")
    assert report.error is None, report.error
    return store, engine


def _local_id(store: Store, external_id: str) -> int:
    with store.read() as db:
        return int(db.execute("SELECT id FROM escalation WHERE external_id = ?",
                              (external_id,)).fetchone()[0])


@pytest.mark.parametrize("kind", ["reply", "note"])
def test_a_message_reaches_the_service_once(service: ReferenceService, tmp_path: Path,
                                            kind: str) -> None:
    store, engine = _synced(service, tmp_path)
    try:
        external_id = service.ids(50)[7 if kind == "reply" else 8]
        before = len(service.replies(external_id) if kind == "reply"
                     else service.notes(external_id))
        text = f"Thanks, we are on it ({kind}) \u0e02\u0e2d\u0e1a\u0e04\u0e38\u0e13"
        with store.write() as db:
            ob.record_message(db, _local_id(store, external_id), kind, text, "aditi",
                              utcnow())
        report = engine.run("ref")
        assert report.error is None and report.dead == 0, report.summary()
        assert report.pushed == 1
        engine.run("ref")  # a second run sends nothing again
        held = service.replies(external_id) if kind == "reply" else service.notes(external_id)
        assert len(held) == before + 1
        assert held[-1]["text"] == text and held[-1]["author"] == "aditi"
        with store.read() as db:
            assert db.execute("SELECT state FROM outbox").fetchall() == [("done",)]
    finally:
        store.close()
