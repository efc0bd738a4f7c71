"""The reference service's incident event log (rr_desktop/demo/incident_log.py): the
shared order, idempotent appends, pages, and appends from many threads at once.

These are the log's contract: tests/hub/records/test_incident_store_contract.py runs the same
tests against the hub's log (rr_desktop/hub/incident_store.py) by giving `new_log` and
`appends_per_thread` its own values."""

from __future__ import annotations

import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from rr_desktop.demo.incident_log import (
    MAX_LIMIT,
    AheadOfLog,
    IncidentLog,
    InvalidEvent,
    KeyReused,
)
from rr_desktop.demo.wire import decode


def event(incident: str, kind: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"uid": str(uuid.uuid4()), "incident": incident, "kind": kind, "actor": "a.tan",
            "at": "2026-11-25T01:02:03Z", "base": None, "data": data, **extra}


def declare(title: str = "Hoax wave") -> dict[str, Any]:
    return event(str(uuid.uuid4()), "declare", {
        "title": title, "type": "", "severity": "S1", "priority": "P1", "markets": ["SG"],
        "summary": ""})


def fact(incident: str, text: str = "a fact") -> dict[str, Any]:
    return event(incident, "fact", {"text": text})


NewLog = Callable[[], IncidentLog]


@pytest.fixture
def new_log() -> NewLog:
    """A new, empty log each call."""
    return IncidentLog


@pytest.fixture
def appends_per_thread() -> int:
    return 150


def seqs(log: IncidentLog, after: int = 0, limit: int = MAX_LIMIT) -> list[int]:
    return [decode(e)["seq"] for e in log.page(after, limit).events]


def everything(log: IncidentLog) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after, more = 0, True
    while more:
        page = log.page(after, MAX_LIMIT)
        out += [decode(e) for e in page.events]
        after, more = page.next, page.has_more
    return out


def test_events_are_numbered_in_arrival_order_from_one(new_log: NewLog) -> None:
    log = new_log()
    first = declare()
    stored = [log.append(first)[0]]
    stored += [log.append(fact(first["incident"], f"f{i}"))[0] for i in range(4)]
    assert [e["seq"] for e in stored] == [1, 2, 3, 4, 5]
    assert seqs(log) == [1, 2, 3, 4, 5] and log.max_seq == 5 == len(log)
    assert log.events_of(first["incident"]) == stored
    assert {k: v for k, v in stored[0].items() if k != "seq"} == first


def test_a_repeated_uid_answers_the_stored_event_and_appends_nothing(new_log: NewLog) -> None:
    log = new_log()
    first = declare()
    stored, created = log.append(first)
    reordered = dict(reversed(list(first.items())))  # the same JSON, keys in another order
    again, created_again = log.append(reordered)
    assert created and not created_again and again == stored and len(log) == 1


@pytest.mark.parametrize("change", [
    {"actor": "b.lee"}, {"data": {"title": "Hoax wave"}}, {"base": "x"},
])
def test_a_uid_reused_with_another_body_is_refused(new_log: NewLog,
                                                    change: dict[str, Any]) -> None:
    log = new_log()
    first = declare()
    log.append(first)
    with pytest.raises(KeyReused):
        log.append({**first, **change})
    assert len(log) == 1


def test_true_and_one_are_different_bodies(new_log: NewLog) -> None:
    log = new_log()
    first = declare()
    log.append(first)
    pin = event(first["incident"], "pin", {"fact": "f", "pinned": True})
    log.append(pin)
    with pytest.raises(KeyReused):
        log.append({**pin, "data": {"fact": "f", "pinned": 1}})


def test_the_log_refuses_what_would_break_the_shared_order(new_log: NewLog) -> None:
    log = new_log()
    first = declare()
    with pytest.raises(InvalidEvent, match="declare event comes first"):
        log.append(fact(first["incident"]))
    log.append(first)
    with pytest.raises(InvalidEvent, match="declared already"):
        log.append({**declare(), "incident": first["incident"]})
    with pytest.raises(InvalidEvent, match="seq"):
        log.append({**fact(first["incident"]), "seq": 9})
    with pytest.raises(InvalidEvent):
        log.append(event(first["incident"], "explode", {}))
    assert len(log) == 1


def test_pages_cover_the_log_once_and_their_bounds_hold(new_log: NewLog) -> None:
    log = new_log()
    first = declare()
    log.append(first)
    for i in range(9):
        log.append(fact(first["incident"], str(i)))
    page = log.page(0, 4)
    assert (len(page.events), page.next, page.has_more) == (4, 4, True)
    page = log.page(8, 4)
    assert (len(page.events), page.next, page.has_more) == (2, 10, False)
    end = log.page(10, 4)
    assert (end.events, end.next, end.has_more) == ([], 10, False)
    assert seqs(log, 0, 1) == [1] and seqs(log, 3, MAX_LIMIT) == list(range(4, 11))
    with pytest.raises(AheadOfLog):
        log.page(11, 4)
    for after, limit in ((-1, 4), (0, 0), (0, MAX_LIMIT + 1)):
        with pytest.raises(ValueError):
            log.page(after, limit)
    assert new_log().page(0, 10).next == 0


def test_incidents_are_listed_newest_declared_first_and_refolded_after_a_change(
        new_log: NewLog) -> None:
    log = new_log()
    older, newer = declare("older"), declare("newer")
    log.append(older)
    log.append(newer)
    assert [i["uid"] for i in log.incidents()] == [newer["incident"], older["incident"]]
    assert log.incident(str(uuid.uuid4())) is None and log.events_of("nope") is None
    assert log.incident(older["incident"])["status"] == "active"  # type: ignore[index]
    log.append(event(older["incident"], "status", {"status": "contained"},
                     base=older["uid"]))
    assert log.incident(older["incident"])["status"] == "contained"  # type: ignore[index]
    assert log.incidents()[1]["status"] == "contained"


@pytest.fixture
def eager_switching() -> Iterator[None]:
    """Threads switch every microsecond (not every 5 ms): races show within a few hundred
    appends instead of hiding behind the GIL."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_appends_from_many_threads_get_one_gapless_order(
        eager_switching: None, new_log: NewLog, appends_per_thread: int) -> None:
    log = new_log()
    first = declare()
    log.append(first)
    threads, per_thread = 8, appends_per_thread
    made = [[fact(first["incident"], f"{t}-{i}") for i in range(per_thread)]
            for t in range(threads)]
    # The same events sent by every thread at once (retries from several workers).
    contested = [fact(first["incident"], f"shared {i}") for i in range(per_thread)]
    results: list[list[tuple[str, int, bool]]] = [[] for _ in range(threads)]
    start = threading.Barrier(threads)

    def work(t: int) -> None:
        start.wait()
        for own, shared in zip(made[t], contested, strict=True):
            for e in (own, shared):
                stored, created = log.append(e)
                results[t].append((e["uid"], stored["seq"], created))

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    total = 1 + threads * per_thread + len(contested)
    stored = everything(log)
    assert len(log) == total and [e["seq"] for e in stored] == list(range(1, total + 1))
    uids = [e["uid"] for e in stored]
    assert len(set(uids)) == len(uids)
    new = [seq for r in results for _, seq, created in r if created]
    assert sorted(new) == list(range(2, total + 1))  # each event created exactly once
    seq_of = {e["uid"]: e["seq"] for e in stored}
    assert all(seq == seq_of[uid] for r in results for uid, seq, _ in r)
    for t in range(threads):
        own = [seq for uid, seq, _ in results[t] if uid in {e["uid"] for e in made[t]}]
        assert own == sorted(own)  # each thread's events keep the order it sent them
