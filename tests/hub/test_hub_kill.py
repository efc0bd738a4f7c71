"""The hub killed with SIGKILL while desktops write, then restarted on the same database:
nothing acknowledged is lost, nothing retried is applied twice, and the changes feed
has every change once, without gaps. On SQLite and on the real PostgreSQL."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from rr_desktop.channels.contract import ChannelError, Mutation, VersionConflict
from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.demo.generator import generate
from rr_desktop.hub.escalation_store import HubEscalations
from rr_desktop.hub.schema import audit, change, escalation
from rr_desktop.hub.store import HubStore
from tests.hub.hub_rig import HubProcess, add_user

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
ESCALATIONS = 12


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Desk(threading.Thread):
    """A desktop's outbox: each op is sent until the hub answers it, retried with the same
    op id after a lost answer (as the desktop's outbox does)."""

    def __init__(self, base: str, token: str, name: str, ops: int) -> None:
        super().__init__(daemon=True)
        self.client = RrApiChannel(name, base, token)
        self.client._http.session.headers["X-RR-Desktop"] = name
        self.name_ = name
        self.ops = ops
        self.acked: list[tuple[str, str, str]] = []  # (kind, escalation, text)
        self.patched: dict[str, str] = {}  # escalation -> severity last acknowledged
        self.stop = threading.Event()
        self.retries = 0

    def run(self) -> None:
        for i in range(self.ops):
            eid = f"ESC-{i % ESCALATIONS + 1:06d}"
            kind = ("note", "fact", "update")[i % 3]
            text = f"{self.name_} op {i}"
            while not self.stop.is_set():
                try:
                    if kind == "update":
                        self._patch(eid, ("S0", "S1", "S2", "S3")[i % 4])
                    else:
                        self.client.push(Mutation(f"{self.name_}-{i}", kind, eid,
                                                  {"text": text, "author": self.name_}, 0))
                        self.acked.append((kind, eid, text))
                    break
                except ChannelError:
                    self.retries += 1
                    time.sleep(0.05)  # the hub is down: the outbox retries later

    def _patch(self, eid: str, severity: str) -> None:
        current = self.client.fetch(eid).record
        try:
            self.client.push(Mutation("p", "update", eid, {"severity": severity},
                                      current.remote_version))
        except VersionConflict as conflict:  # another desk, or our own lost answer
            if conflict.current.record.severity.value != severity:
                raise ChannelError("retry on the new version") from conflict
        self.patched[eid] = severity


@pytest.mark.slow
def test_sigkill_mid_writes_loses_and_repeats_nothing(hub_url: str) -> None:
    store = HubStore.open(hub_url)
    HubEscalations(store).load(generate(3, ESCALATIONS, NOW))
    token = add_user(store, "lead.li", "lead")
    port = _free_port()
    hub = HubProcess(hub_url, port)
    desks = [Desk(hub.base, token, f"desk-{n}", 60) for n in range(3)]
    for desk in desks:
        desk.start()
    try:
        for _ in range(2):  # two kills, each while writes are in flight
            target = sum(len(d.acked) for d in desks) + 15
            deadline = time.monotonic() + 60
            while sum(len(d.acked) for d in desks) < target and time.monotonic() < deadline:
                time.sleep(0.01)
            hub.kill()
            hub = HubProcess(hub_url, port)
        for desk in desks:
            desk.join(120)
            assert not desk.is_alive(), f"{desk.name_} did not finish its ops"
    finally:
        for desk in desks:
            desk.stop.set()
        hub.stop()

    assert sum(d.retries for d in desks) >= 2  # the kills hit desks mid-write
    esc = HubEscalations(store)
    notes = [(n["escalation_id"], n["text"]) for i in range(ESCALATIONS)
             for n in esc.notes(f"ESC-{i + 1:06d}")]
    facts = [(f"ESC-{i + 1:06d}", f["text"]) for i in range(ESCALATIONS)
             for f in esc.get(f"ESC-{i + 1:06d}").get("facts", []) if f["text"].startswith("desk-")]
    acked_notes = [(e, t) for d in desks for k, e, t in d.acked if k == "note"]
    acked_facts = [(e, t) for d in desks for k, e, t in d.acked if k == "fact"]
    assert sorted(notes) == sorted(acked_notes) and len(set(notes)) == len(notes)
    assert sorted(facts) == sorted(acked_facts) and len(set(facts)) == len(facts)
    assert len(acked_notes) == len(acked_facts) == 3 * 20
    with store.read() as conn:
        seqs = [int(s) for s in conn.execute(select(change.c.seq).order_by(change.c.seq))
                .scalars()]
        latest = {r.api_id: int(r.seq) for r in conn.execute(select(escalation))}
        keys = conn.execute(select(change.c.key, change.c.seq, change.c.payload)
                            .where(change.c.kind == "escalation")).all()
        audited = conn.execute(select(audit.c.action)).scalars().all()
    assert seqs == list(range(1, len(seqs) + 1))  # no gap, no repeat
    for key, seq, _payload in keys:  # each escalation sits at its newest change
        assert seq <= latest[key]
    for eid, seq in latest.items():
        newest = max(s for k, s, _p in keys if k == eid)
        assert seq == newest
        payload = json.loads(next(p for k, s, p in keys if s == newest))
        assert payload == esc.get(eid)
    # Every applied write was audited once: notes and facts by their count.
    assert audited.count("escalation.note") == len(notes)
    assert audited.count("escalation.fact") == len(facts)
    store.close()
