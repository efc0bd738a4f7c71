"""The hub's post-mortems beyond the reference service's contract: durable across a
restart (Idempotency-Keys too), audited and in the changes feed with their caller, the
role rule for final post-mortems, seqs with gaps, and one write per key under
concurrent retries."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from rr_desktop.demo.postmortems import AheadOfLog, InvalidPostmortem, KeyReused
from rr_desktop.demo.wire import decode
from rr_desktop.hub import audit, feed
from rr_desktop.hub.caller import Forbidden
from rr_desktop.hub.incident_store import HubIncidentLog
from rr_desktop.hub.postmortem_store import HubPostmortems
from rr_desktop.hub.store import HubStore
from tests.hub.records.rig import NewHubStore, as_caller
from tests.unit.test_demo_incident_log import declare, fact
from tests.unit.test_service_postmortems import action, body

INCIDENT = str(uuid.uuid4())
PM = str(uuid.uuid4())


def pm(text: str = "# PM", state: str = "draft", **changes: Any) -> dict[str, Any]:
    return body(text, **{"incident": INCIDENT, "state": state, **changes})


def writes(store: HubStore) -> tuple[int, int]:
    """(audit entries, feed head)."""
    with store.read() as conn:
        return len(audit.entries(conn, 10_000)), feed.head(conn)


def test_everything_is_there_after_the_store_is_closed_and_opened_again(
        hub_url: str) -> None:
    store = HubStore.open(hub_url)
    postmortems = HubPostmortems(store, now=lambda: 1_796_000_000)
    postmortems.put(PM, pm(actions=[action("a", "s.lim")]), None)
    with as_caller("mei.tan", "lead"):
        final, _, _ = postmortems.put(PM, pm("done", "final", updated_by="mei.tan"), 1,
                                      key="k-1")
    other = postmortems.put("pm-2", pm(), None)[0]
    before = (postmortems.page(0, 10), postmortems.tasks(), postmortems.encoded(PM))
    store.close()

    again = HubPostmortems(HubStore.open(hub_url))
    try:
        assert (again.page(0, 10), again.tasks(), again.encoded(PM)) == before
        assert again.get(PM) == final and final["updated_by"] == "mei.tan"
        assert final["updated_at"] == "2026-11-30T00:53:20Z"
        assert len(again) == 2 and again.max_seq == other["seq"] == 3
        with as_caller("mei.tan", "lead"):  # the key is remembered across the restart
            assert again.put(PM, pm("done", "final", updated_by="mei.tan"), 1,
                             key="k-1") == (final, False, True)
            with pytest.raises(KeyReused):
                again.put(PM, pm("other", "final"), 1, key="k-1")
        assert again.max_seq == 3
    finally:
        again.store.close()


def test_each_write_is_audited_and_in_the_feed_with_its_caller(
        new_hub_store: NewHubStore) -> None:
    store = new_hub_store()
    postmortems = HubPostmortems(store)
    with as_caller("b.santoso", "analyst", "desk-3"):
        first = postmortems.put(PM, pm(), None)[0]
    with as_caller("mei.tan", "lead", "desk-9"):
        second = postmortems.put(PM, pm("v2", "final"), 1, key="retry-1")[0]
    with store.read() as conn:
        entries = audit.entries(conn)
        changes = feed.read_changes(conn, 0)
    assert [(e.actor, e.desktop, e.action, e.target) for e in entries] == [
        ("mei.tan", "desk-9", "postmortem", PM), ("b.santoso", "desk-3", "postmortem", PM)]
    assert entries[1].detail == {"incident": INCIDENT, "state": "draft", "version": 1,
                                 "seq": 1}
    assert entries[0].detail["state"] == "final" and entries[0].detail["version"] == 2
    assert [(c.seq, c.kind, c.key, c.version, c.actor, c.desktop,
             decode(c.payload.encode())) for c in changes] == [
        (1, "postmortem", PM, 1, "b.santoso", "desk-3", first),
        (2, "postmortem", PM, 2, "mei.tan", "desk-9", second)]


def test_only_a_lead_or_an_admin_makes_a_post_mortem_final_or_changes_a_final_one(
        new_hub_store: NewHubStore) -> None:
    store = new_hub_store()
    postmortems = HubPostmortems(store)

    def refused(text: str, state: str, version: int | None) -> str:
        before = (writes(store), postmortems.encoded(PM))
        with pytest.raises(Forbidden) as caught:
            postmortems.put(PM, pm(text, state), version)
        assert (writes(store), postmortems.encoded(PM)) == before  # nothing written
        return str(caught.value)

    with as_caller("b.santoso", "analyst"):
        why = refused("straight to final", "final", None)
        assert why.endswith(".") and "\n" not in why and "lead or an admin" in why
        postmortems.put(PM, pm(), None)
        postmortems.put(PM, pm("ready", "in_review"), 1)
        refused("finalised", "final", 2)
    with as_caller("mei.tan", "lead"):
        assert postmortems.put(PM, pm("signed off", "final"), 2)[0]["version"] == 3
    with as_caller("b.santoso", "analyst"):
        refused("a quiet fix", "final", 3)
        refused("reopened", "draft", 3)
        refused("stale and reopened", "draft", 1)  # the role is told before the version
    with as_caller("r.admin", "admin"):
        postmortems.put(PM, pm("reopened for a late finding", "draft"), 3)
    with as_caller("b.santoso", "analyst"):
        assert postmortems.put(PM, pm("the late finding"), 4)[0]["version"] == 5
    assert [pm_["state"] for pm_ in map(decode, postmortems.page(0, 10).postmortems)] == \
        ["draft"]


def test_seqs_are_the_feeds_with_gaps_and_pages_step_over_them(
        new_hub_store: NewHubStore) -> None:
    store = new_hub_store()
    postmortems, log = HubPostmortems(store), HubIncidentLog(store)
    first = declare()
    log.append(first)
    seqs = []
    for i in range(4):
        seqs.append(postmortems.put(f"pm-{i}", pm(), None)[0]["seq"])
        log.append(fact(first["incident"], str(i)))  # another record moves the feed
    assert seqs == [2, 4, 6, 8] and postmortems.max_seq == 8
    page = postmortems.page(0, 3)
    assert ([decode(p)["seq"] for p in page.postmortems], page.next, page.has_more) == \
        ([2, 4, 6], 6, True)
    assert [decode(p)["uid"] for p in postmortems.page(5, 3).postmortems] == \
        ["pm-2", "pm-3"]
    postmortems.put("pm-0", pm("again"), 1)  # moves to seq 10
    assert [decode(p)["seq"] for p in postmortems.page(0, 10).postmortems] == [4, 6, 8, 10]
    log.append(fact(first["incident"], "last"))  # feed at 11, newest post-mortem 10
    assert postmortems.page(10, 3).postmortems == []
    with pytest.raises(AheadOfLog, match="read again from 0"):
        postmortems.page(11, 3)


def test_ids_longer_than_the_hub_keeps_are_refused_with_one_sentence(
        new_hub_store: NewHubStore) -> None:
    postmortems = HubPostmortems(new_hub_store())
    for uid, incident in (("p" * 37, INCIDENT), (PM, "i" * 37)):
        with pytest.raises(InvalidPostmortem) as caught:
            postmortems.put(uid, pm(incident=incident), None)
        assert str(caught.value) == \
            "The hub keeps post-mortem and incident ids of at most 36 characters."
    assert len(postmortems) == 0 and postmortems.max_seq == 0


def test_concurrent_retries_under_one_key_write_once(new_hub_store: NewHubStore) -> None:
    store = new_hub_store()
    postmortems = HubPostmortems(store)
    postmortems.put(PM, pm(), None)
    threads = 8
    start = threading.Barrier(threads)
    answers: list[tuple[dict[str, Any], bool, bool]] = []
    failures: list[BaseException] = []

    def retry() -> None:
        try:
            start.wait()
            answers.append(postmortems.put(PM, pm("mine"), 1, key="k-lost-answer"))
        except BaseException as exc:  # reported below
            failures.append(exc)

    workers = [threading.Thread(target=retry) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert failures == []
    stored = postmortems.get(PM)
    assert stored is not None and stored["version"] == 2 and stored["text"] == "mine"
    assert sorted(replayed for _, _, replayed in answers) == [False] + [True] * (threads - 1)
    assert all(copy == stored and not created for copy, created, _ in answers)
    assert writes(store) == (2, 2)  # one audit entry and one change per write


def test_a_nul_character_is_kept_in_the_text_and_refused_in_an_id(
        new_hub_store: NewHubStore) -> None:
    postmortems = HubPostmortems(new_hub_store())
    stored = postmortems.put(PM, pm("pasted: \x00 end", title="T\x00"), None)[0]
    assert postmortems.get(PM) == stored and stored["text"] == "pasted: \x00 end"
    with pytest.raises(InvalidPostmortem, match="cannot hold the NUL character"):
        postmortems.put("pm\x00", pm(), None)
    assert len(postmortems) == 1
