"""The hub's incident event log beyond the reference service's contract: durable across
a restart, audited and in the changes feed with its caller, seqs with gaps, one append
per uid under concurrent writers, and two hub processes sharing one database."""

from __future__ import annotations

import random
import sys
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from rr_desktop.demo.incident_log import AheadOfLog, InvalidEvent, KeyReused
from rr_desktop.demo.wire import decode
from rr_desktop.hub import audit, feed
from rr_desktop.hub.incident_store import HubIncidentLog
from rr_desktop.hub.postmortem_store import HubPostmortems
from rr_desktop.hub.schema import change, incident_event
from rr_desktop.hub.store import HubStore
from tests.hub.records.rig import NewHubStore, as_caller
from tests.unit.test_demo_incident_log import declare, event, fact


def pm_body(state: str = "draft") -> dict[str, Any]:
    return {"incident": str(uuid.uuid4()), "title": "Post-mortem", "state": state,
            "text": "# PM", "actions": []}


def rows(store: HubStore, table: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_everything_is_there_after_the_store_is_closed_and_opened_again(
        hub_url: str) -> None:
    store = HubStore.open(hub_url)
    log = HubIncidentLog(store)
    first = declare("Hoax wave")
    stored = [log.append(first)[0], log.append(fact(first["incident"]))[0],
              log.append(event(first["incident"], "status", {"status": "contained"},
                               base=first["uid"]))[0]]
    other = log.append(declare("Doxxing"))[0]
    before = (log.page(0, 10), log.incidents(), log.incident(first["incident"]))
    store.close()

    again = HubIncidentLog(HubStore.open(hub_url))
    try:
        assert (again.page(0, 10), again.incidents(), again.incident(first["incident"])) \
            == before
        assert again.events_of(first["incident"]) == stored
        assert len(again) == 4 and again.max_seq == other["seq"] == 4
        assert again.incident(first["incident"])["status"] == "contained"  # type: ignore[index]
        assert again.append(first) == (stored[0], False)  # a retry after the restart
        with pytest.raises(KeyReused):
            again.append({**first, "actor": "b.lee"})
    finally:
        again.store.close()


def test_each_append_is_audited_and_in_the_feed_with_its_caller(
        new_hub_store: NewHubStore) -> None:
    store = new_hub_store()
    log = HubIncidentLog(store)
    first = declare()
    with as_caller("mei.tan", "analyst", "desk-7"):
        declared = log.append(first)[0]
    with as_caller("b.santoso", "lead", None):
        noted = log.append(fact(first["incident"]))[0]
    with store.read() as conn:
        entries = audit.entries(conn)
        changes = feed.read_changes(conn, 0)
    assert [(e.actor, e.desktop, e.action, e.target, e.detail) for e in entries] == [
        ("b.santoso", None, "incident_event", noted["uid"],
         {"incident": first["incident"], "kind": "fact", "seq": 2}),
        ("mei.tan", "desk-7", "incident_event", declared["uid"],
         {"incident": first["incident"], "kind": "declare", "seq": 1})]
    assert [(c.seq, c.kind, c.key, c.actor, c.desktop, decode(c.payload.encode()))
            for c in changes] == [
        (1, "incident_event", declared["uid"], "mei.tan", "desk-7", declared),
        (2, "incident_event", noted["uid"], "b.santoso", None, noted)]
    # A retry, a reused uid and a refused event write nothing, and give no number away.
    log.append(first)
    for bad in ({**first, "actor": "x"}, fact(str(uuid.uuid4()))):
        with pytest.raises((KeyReused, InvalidEvent)):
            log.append(bad)
    with store.read() as conn:
        assert len(audit.entries(conn)) == 2 and feed.head(conn) == 2
    assert log.append(fact(first["incident"]))[0]["seq"] == 3


def test_seqs_are_the_feeds_with_gaps_and_pages_step_over_them(
        new_hub_store: NewHubStore) -> None:
    store = new_hub_store()
    log, postmortems = HubIncidentLog(store), HubPostmortems(store)
    first = declare()
    made = [first] + [fact(first["incident"], str(i)) for i in range(3)]
    seqs = []
    for i, e in enumerate(made):
        postmortems.put(f"pm-{i}", pm_body(), None)  # another record moves the feed
        seqs.append(log.append(e)[0]["seq"])
    assert seqs == [2, 4, 6, 8] and log.max_seq == 8 and len(log) == 4
    page = log.page(0, 3)
    assert [decode(e)["seq"] for e in page.events] == [2, 4, 6]
    assert (page.next, page.has_more) == (6, True)
    page = log.page(page.next, 3)
    assert ([decode(e)["uid"] for e in page.events], page.next, page.has_more) == \
        ([made[3]["uid"]], 8, False)
    assert [decode(e)["seq"] for e in log.page(3, 10).events] == [4, 6, 8]  # between two
    postmortems.put("pm-last", pm_body(), None)  # feed at 9, the log's newest still 8
    assert log.page(8, 10).events == []
    with pytest.raises(AheadOfLog, match="read again from 0"):
        log.page(9, 10)


@pytest.fixture
def eager_switching() -> Iterator[None]:
    """Threads switch every microsecond: races show instead of hiding behind the GIL."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_concurrent_appends_of_the_same_events_store_each_once(
        new_hub_store: NewHubStore, eager_switching: None) -> None:
    store = new_hub_store()
    log = HubIncidentLog(store)
    first = declare()
    log.append(first)
    shared = [fact(first["incident"], f"shared {i}") for i in range(30)]
    incident = str(uuid.uuid4())
    rival_declares = [{**declare(), "incident": incident} for _ in range(6)]
    threads = 6
    start = threading.Barrier(threads)
    created: list[str] = []
    declared: list[str] = []
    refused: list[str] = []
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            mine = shared[:]
            random.Random(n).shuffle(mine)  # every thread sends them in its own order
            start.wait()
            try:  # six writers declaring one incident under six uids: one wins
                log.append(rival_declares[n])
                declared.append(rival_declares[n]["uid"])
            except InvalidEvent as exc:
                refused.append(str(exc))
            for e in mine:
                stored, new = log.append(e)
                assert stored["uid"] == e["uid"]
                if new:
                    created.append(e["uid"])
        except BaseException as exc:  # reported below
            failures.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert failures == []
    assert sorted(created) == sorted(e["uid"] for e in shared)  # each created once
    assert len(declared) == 1 and len(refused) == threads - 1
    assert all("declared already" in why for why in refused)
    total = 1 + len(shared) + 1
    assert rows(store, incident_event) == total == len(log)
    with store.read() as conn:
        keys = conn.execute(select(change.c.key)).scalars().all()
    assert sorted(keys) == sorted([first["uid"], *created, *declared])
    assert [decode(e)["seq"] for e in log.page(0, 500).events] == list(range(1, total + 1))
    assert log.events_of(incident) == [log.events_of(incident)[0]]  # type: ignore[index]


def test_two_hub_processes_sharing_the_database_see_each_others_events(
        hub_url: str) -> None:
    one, two = HubStore.open(hub_url), HubStore.open(hub_url)  # two engines, two pools
    try:
        a, b = HubIncidentLog(one), HubIncidentLog(two)
        first = declare()
        a.append(first)
        assert a.incident(first["incident"])["status"] == "active"  # type: ignore[index]
        assert a.incidents()[0]["status"] == "active"  # folded and cached by a
        b.append(event(first["incident"], "status", {"status": "stable"},
                       base=first["uid"]))
        assert a.incident(first["incident"])["status"] == "stable"  # type: ignore[index]
        assert a.incidents()[0]["status"] == "stable"
        assert a.append(first)[1] is False and len(a) == len(b) == 2
    finally:
        one.close()
        two.close()


def test_an_event_is_served_exactly_as_its_writer_sent_it(
        new_hub_store: NewHubStore) -> None:
    log = HubIncidentLog(new_hub_store())
    first = declare()
    del first["base"]  # optional in the contract
    first["client"] = {"app": "rr-desktop", "build": 7}  # a field this hub does not know
    first["at"] = "2026-11-25T09:02:03.250+08:00"  # another zone, longer than the column
    stored, created = log.append(first)
    assert created and {k: v for k, v in stored.items() if k != "seq"} == first
    assert decode(log.page(0, 10).events[0]) == stored
    assert log.append(dict(reversed(list(first.items())))) == (stored, False)
    with pytest.raises(KeyReused):
        log.append({**first, "base": None})  # null is not the same as absent
    with log.store.read() as conn:
        at = conn.execute(select(incident_event.c.at)).scalar_one()
    assert at == "2026-11-25T01:02:03.250Z"  # the column: UTC, sortable


@pytest.mark.parametrize(("key", "length", "limit"), [
    ("uid", 37, 36), ("incident", 40, 36), ("base", 200, 36), ("actor", 65, 64)])
def test_an_id_longer_than_the_hub_keeps_is_refused_with_one_sentence(
        new_hub_store: NewHubStore, key: str, length: int, limit: int) -> None:
    log = HubIncidentLog(new_hub_store())
    first = declare()
    if key != "incident":
        log.append(first)
        first = fact(first["incident"])
    with pytest.raises(InvalidEvent) as caught:
        log.append({**first, key: "x" * length})
    assert str(caught.value) == f"The hub keeps an event's {key} of at most {limit} characters."
    assert len(log) == (0 if key == "incident" else 1)


def test_a_nul_character_is_kept_in_data_and_refused_in_an_id(
        new_hub_store: NewHubStore) -> None:
    log = HubIncidentLog(new_hub_store())
    first = declare()
    log.append(first)
    noted = fact(first["incident"], "pasted from a binary: \x00 end")
    assert log.page(0, 5).next == 1 and log.append(noted)[0]["data"] == noted["data"]
    assert decode(log.page(1, 5).events[0])["data"]["text"] == "pasted from a binary: \x00 end"
    with pytest.raises(InvalidEvent, match="actor cannot hold the NUL character"):
        log.append({**fact(first["incident"]), "actor": "a.tan\x00"})
    assert len(log) == 2
