"""Incident events sent through the real `rr_api` client to the reference service in its
own process (docs/incidents.md); the server's state is read back through its own API
(`GET /v1/incidents/{uid}`, `GET /v1/incident-events`, `/_demo/stats`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from rr_desktop.channels.contract import (
    AuthError,
    CursorExpired,
    IncidentLog,
    NetworkError,
    RateLimited,
    Rejected,
    ServerError,
)
from rr_desktop.channels.rr_api import RrApiChannel
from tests.peers.reference_service import ReferenceService

pytestmark = pytest.mark.slow
EVENTS = "/v1/incident-events"


@pytest.fixture(scope="module")
def service() -> Iterator[ReferenceService]:
    with ReferenceService(count=30, fresh=5) as svc:
        yield svc


@pytest.fixture
def client(service: ReferenceService) -> Iterator[RrApiChannel]:
    channel = RrApiChannel("ref", service.url, service.token)
    yield channel
    channel.close()


def event(incident: str, kind: str, data: dict[str, Any], base: str | None = None,
          actor: str = "a.tan", at: str = "2026-11-25T01:02:03Z") -> dict[str, Any]:
    return {"uid": str(uuid.uuid4()), "incident": incident, "kind": kind, "actor": actor,
            "at": at, "base": base, "data": data}


def declare(title: str = "Coordinated hoax about the SG election") -> dict[str, Any]:
    return event(str(uuid.uuid4()), "declare", {
        "title": title, "type": "", "severity": "S1", "priority": "P1",
        "markets": ["SG", "MY"], "summary": "Hoax videos spreading across markets"})


def answers(service: ReferenceService, method: str = "POST", path: str = EVENTS
            ) -> dict[str, int]:
    """How often the service answered `method path` with each status."""
    prefix = f"{method} {path} "
    return {key[len(prefix):]: n for key, n in service.stats()["answers"].items()
            if key.startswith(prefix)}


def server_events(service: ReferenceService, incident: str) -> list[dict[str, Any]]:
    """The incident's events as the service holds them, read page by page."""
    return [e for e in server_events_all(service) if e["incident"] == incident]


def server_events_all(service: ReferenceService) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after = 0
    while True:
        page = service.get(EVENTS, after=after, limit=500)
        out += page["events"]
        after = page["next"]
        if not page["has_more"]:
            return out


def test_the_client_has_the_incident_log_ability(client: RrApiChannel) -> None:
    assert isinstance(client, IncidentLog)


def test_a_declared_incident_and_its_facts_reach_the_service(
        service: ReferenceService, client: RrApiChannel) -> None:
    first = declare()
    incident = first["incident"]
    stored = client.push_incident_event(first)
    assert stored["uid"] == first["uid"] and stored["seq"] >= 1
    assert {k: v for k, v in stored.items() if k != "seq"} == first
    fact = event(incident, "fact", {"text": "Origin: a network of 40 new accounts"})
    status = event(incident, "status", {"status": "contained"}, base=first["uid"])
    seqs = [client.push_incident_event(e)["seq"] for e in (fact, status)]
    assert seqs == [stored["seq"] + 1, stored["seq"] + 2]
    held = service.get(f"/v1/incidents/{incident}")
    assert held["uid"] == incident and held["status"] == "contained"
    assert held["title"] == first["data"]["title"] and held["severity"] == "S1"
    assert [e["uid"] for e in server_events(service, incident)] == \
        [first["uid"], fact["uid"], status["uid"]]
    assert [f["text"] for f in held["facts"]] == [fact["data"]["text"]]
    assert held["stage_times"]["contained"] == status["at"] and held["problems"] == []
    listed = {i["uid"]: i for i in service.get("/v1/incidents")["items"]}
    assert listed[incident]["status"] == "contained" and listed[incident]["conflicts"] == []
    assert answers(service)["201"] >= 3


def test_two_analysts_editing_from_the_same_base_see_the_same_conflict(
        service: ReferenceService) -> None:
    one = RrApiChannel("one", service.url, service.token)
    two = RrApiChannel("two", service.url, service.token)
    try:
        first = declare()
        incident = first["incident"]
        one.push_incident_event(first)
        edits = [event(incident, "set", {"field": "severity", "value": value}, base=first["uid"],
                       actor=actor) for value, actor in (("S0", "a.tan"), ("S2", "b.lee"))]
        one.push_incident_event(edits[0])
        two.push_incident_event(edits[1])
        seen = [c.pull_incident_events(0, 500) for c in (one, two)]
    finally:
        one.close()
        two.close()
    held = service.get(f"/v1/incidents/{incident}")
    assert held["severity"] == "S0"  # the earlier value holds until someone resolves it
    assert [c["field"] for c in held["conflicts"]] == ["severity"]
    assert {v[1] for v in held["conflicts"][0]["values"]} == {"S0", "S2"}
    listed = {i["uid"]: i for i in service.get("/v1/incidents")["items"]}
    assert listed[incident]["conflicts"] == ["severity"]
    assert seen[0].events[:len(seen[1].events)] == seen[1].events[:len(seen[0].events)]


def test_the_same_event_twice_is_stored_once(service: ReferenceService,
                                             client: RrApiChannel) -> None:
    first = declare()
    stored = client.push_incident_event(first)
    before = answers(service).get("200", 0)
    again = client.push_incident_event(first)
    assert again == stored
    assert answers(service).get("200", 0) == before + 1
    assert [e["uid"] for e in server_events(service, first["incident"])] == [first["uid"]]


def test_a_uid_reused_with_another_body_is_rejected_and_stores_nothing(
        service: ReferenceService, client: RrApiChannel) -> None:
    first = declare()
    client.push_incident_event(first)
    changed = {**first, "data": {**first["data"], "title": "Something else"}}
    with pytest.raises(Rejected) as caught:
        client.push_incident_event(changed)
    assert first["uid"] in str(caught.value)
    assert answers(service).get("409", 0) >= 1
    held = service.get(f"/v1/incidents/{first['incident']}")
    assert held["title"] == first["data"]["title"]
    assert len(server_events(service, first["incident"])) == 1


@pytest.mark.parametrize("case", ["unknown_kind", "undeclared", "bad_data"])
def test_an_invalid_event_is_rejected_with_the_services_sentence(
        service: ReferenceService, client: RrApiChannel, case: str) -> None:
    if case == "unknown_kind":
        declared = declare()
        client.push_incident_event(declared)
        bad = event(declared["incident"], "explode", {"text": "boom"})
    elif case == "undeclared":
        bad = event(str(uuid.uuid4()), "fact", {"text": "no such incident"})
    else:
        declared = declare()
        client.push_incident_event(declared)
        bad = event(declared["incident"], "fact", {"text": "x"})
        bad["data"] = ["not", "an", "object"]
    before = service.stats()["answers"].get(f"POST {EVENTS} 422", 0)
    with pytest.raises(Rejected) as caught:
        client.push_incident_event(bad)
    # The sentence the service gives for this body, asked independently of the client.
    raw = requests.post(service.url + EVENTS, json=bad, timeout=10, headers={
        "Authorization": f"Bearer {service.token}", "Idempotency-Key": bad["uid"]})
    assert raw.status_code == 422
    sentence = raw.json()["message"]
    assert sentence and sentence in str(caught.value)
    assert service.stats()["answers"][f"POST {EVENTS} 422"] == before + 2
    assert bad["uid"] not in [e["uid"] for e in server_events(service, bad["incident"])]


def test_the_log_is_read_in_pages_of_limit(service: ReferenceService,
                                           client: RrApiChannel) -> None:
    first = declare()
    incident = first["incident"]
    start = client.push_incident_event(first)["seq"]
    for i in range(6):
        client.push_incident_event(event(incident, "fact", {"text": f"fact {i}"}))
    pages = []
    after = start - 1
    while True:
        page = client.pull_incident_events(after, 3)
        assert page.malformed == []
        pages.append(page)
        after = page.next
        if not page.has_more:
            break
    assert [len(p.events) for p in pages] == [3, 3, 1]
    assert [p.next for p in pages] == [start + 2, start + 5, start + 6]
    got = [e for p in pages for e in p.events]
    assert [e["seq"] for e in got] == list(range(start, start + 7))
    assert [e["uid"] for e in got] == [e["uid"] for e in server_events(service, incident)]
    assert answers(service, "GET").get("200", 0) >= 3
    end = client.pull_incident_events(pages[-1].next, 3)
    assert end.events == [] and end.next == pages[-1].next and not end.has_more


def test_a_position_past_the_end_is_an_expired_cursor(service: ReferenceService,
                                                       client: RrApiChannel) -> None:
    client.push_incident_event(declare())
    top = client.pull_incident_events(0, 500)
    while top.has_more:
        top = client.pull_incident_events(top.next, 500)
    assert top.next == len(server_events_all(service))
    with pytest.raises(CursorExpired):
        client.pull_incident_events(top.next + 10, 5)


def test_wrong_credentials_are_an_auth_error(service: ReferenceService) -> None:
    channel = RrApiChannel("ref", service.url, "not-the-token")
    try:
        with pytest.raises(AuthError):
            channel.push_incident_event(declare())
        with pytest.raises(AuthError):
            channel.pull_incident_events(0, 10)
    finally:
        channel.close()
    assert answers(service).get("401", 0) >= 1
    assert answers(service, "GET").get("401", 0) >= 1


def test_a_service_without_incident_routes_is_named_as_such(
        service: ReferenceService) -> None:
    channel = RrApiChannel("ref", service.url + "/elsewhere", service.token)
    try:
        for attempt in (lambda: channel.push_incident_event(declare()),
                        lambda: channel.pull_incident_events(0, 10)):
            with pytest.raises(Rejected, match="does not keep incidents"):
                attempt()
    finally:
        channel.close()
    assert answers(service, "POST", "/elsewhere" + EVENTS) == {"404": 1}
    assert answers(service, "GET", "/elsewhere" + EVENTS) == {"404": 1}


def test_server_faults_are_the_right_errors_and_a_lost_answer_is_safe_to_retry() -> None:
    faults = [f"{kind}:method=POST,path={EVENTS},count=1{extra}" for kind, extra in (
        ("drop", ""), ("5xx", ",status=503"), ("429", ",retry_after=7"))]
    args = [arg for fault in faults for arg in ("--fault", fault)]
    with ReferenceService(count=30, fresh=5, extra_args=args) as service:
        channel = RrApiChannel("ref", service.url, service.token)
        try:
            first = declare()
            with pytest.raises(NetworkError) as lost:  # applied, then the answer is lost
                channel.push_incident_event(first)
            assert lost.value.ambiguous and lost.value.retryable
            with pytest.raises(ServerError):
                channel.push_incident_event(first)
            with pytest.raises(RateLimited) as limited:
                channel.push_incident_event(first)
            assert limited.value.retry_after == 7
            stored = channel.push_incident_event(first)  # the retry: the stored event
        finally:
            channel.close()
        assert stored["seq"] == 1
        assert [e["uid"] for e in server_events(service, first["incident"])] == [first["uid"]]
        stats = service.stats()
        assert stats["injected"] == {"drop": 1, "5xx": 1, "429": 1}
        assert answers(service) == {"503": 1, "429": 1, "200": 1}
