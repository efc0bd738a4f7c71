"""Post-mortems sent through the real `rr_api` client to the reference service in its own
process (docs/postmortems.md, "On the service"); the server's state is read back through
its own API (`GET /v1/postmortems[/{uid}]`, `GET /v1/tasks`, `/_demo/stats`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from rr_desktop.channels.contract import (
    AuthError,
    CursorExpired,
    NetworkError,
    PostmortemChanged,
    PostmortemStore,
    RateLimited,
    Rejected,
    ServerError,
)
from rr_desktop.channels.rr_api import RrApiChannel
from tests.peers.reference_service import ReferenceService

pytestmark = pytest.mark.slow
PMS = "/v1/postmortems"
TEXT = "# Post-mortem: SG election hoax\n\n## Summary\nTBD\n\n## Action items\n"


@pytest.fixture(scope="module")
def service() -> Iterator[ReferenceService]:
    with ReferenceService(count=30, fresh=5) as svc:
        yield svc


@pytest.fixture
def client(service: ReferenceService) -> Iterator[RrApiChannel]:
    channel = RrApiChannel("ref", service.url, service.token)
    yield channel
    channel.close()


def body(text: str = TEXT, **changes: Any) -> dict[str, Any]:
    return {"incident": str(uuid.uuid4()), "title": "Post-mortem: SG election hoax",
            "state": "draft", "text": text,
            "actions": [{"key": "k-audio", "text": "Hash the challenge's sounds",
                         "owner": "b.santoso", "due": "2026-12-13", "done": False}],
            **changes}


def answers(service: ReferenceService, uid: str, method: str = "PUT") -> dict[str, int]:
    """How often the service answered `method` on post-mortem `uid` with each status."""
    prefix = f"{method} {PMS}/{uid} "
    return {key[len(prefix):]: n for key, n in service.stats()["answers"].items()
            if key.startswith(prefix)}


def served(service: ReferenceService, uid: str) -> dict[str, Any]:
    data: dict[str, Any] = service.get(f"{PMS}/{uid}")
    return data


def test_the_client_has_the_post_mortem_ability(client: RrApiChannel) -> None:
    assert isinstance(client, PostmortemStore)


def test_a_post_mortem_and_its_action_items_reach_the_service(
        service: ReferenceService, client: RrApiChannel) -> None:
    uid, sent = str(uuid.uuid4()), body()
    stored = client.put_postmortem(uid, sent, None)
    assert stored["version"] == 1 and stored["uid"] == uid
    held = served(service, uid)
    assert held == stored
    assert (held["text"], held["state"], held["incident"]) == (TEXT, "draft", sent["incident"])
    tasks = service.get("/v1/tasks", postmortem=uid)["items"]
    assert tasks == [{"key": "k-audio", "postmortem": uid, "incident": sent["incident"],
                      "text": "Hash the challenge's sounds", "owner": "b.santoso",
                      "due": "2026-12-13", "done": False}]
    assert uid in [t["postmortem"] for t in service.get("/v1/tasks", owner="b.santoso")["items"]]
    done = {**sent, "text": TEXT + "- [x] Hash the challenge's sounds\n", "state": "in_review",
            "actions": [{**sent["actions"][0], "done": True}]}
    second = client.put_postmortem(uid, done, 1)
    assert second["version"] == 2 and second["seq"] > stored["seq"]
    assert served(service, uid)["state"] == "in_review"
    assert [t["done"] for t in service.get("/v1/tasks", postmortem=uid)["items"]] == [True]
    assert answers(service, uid) == {"201": 1, "200": 1}


def test_a_stale_version_gets_the_services_copy_and_changes_nothing(
        service: ReferenceService, client: RrApiChannel) -> None:
    uid = str(uuid.uuid4())
    first = body()
    client.put_postmortem(uid, first, None)
    theirs = client.put_postmortem(uid, {**first, "text": TEXT + "theirs\n"}, 1)
    for stale in (1, None):  # an old version; or none: it never saw this one
        with pytest.raises(PostmortemChanged) as caught:
            client.put_postmortem(uid, {**first, "text": TEXT + "mine\n"}, stale)
        assert caught.value.current == theirs == served(service, uid)
    assert served(service, uid)["version"] == 2
    assert answers(service, uid)["412"] == 2


def test_the_same_put_twice_is_stored_once(service: ReferenceService,
                                           client: RrApiChannel) -> None:
    uid, sent = str(uuid.uuid4()), body()
    client.put_postmortem(uid, sent, None)
    changed = {**sent, "text": TEXT + "edited\n"}
    stored = client.put_postmortem(uid, changed, 1)
    again = client.put_postmortem(uid, changed, 1)  # a retry: the answer was lost
    assert again == stored and served(service, uid) == stored
    assert stored["version"] == 2 and answers(service, uid) == {"201": 1, "200": 2}


@pytest.mark.parametrize("change", [
    {"state": "published"}, {"text": "x" * 2_000_001}, {"title": ""},
    {"actions": [{"key": "k", "text": "t", "owner": "", "due": "next week", "done": False}]},
], ids=["state", "too-long", "no-title", "due"])
def test_a_refused_post_mortem_is_rejected_with_the_services_sentence(
        service: ReferenceService, client: RrApiChannel, change: dict[str, Any]) -> None:
    uid, bad = str(uuid.uuid4()), body(**change)
    with pytest.raises(Rejected) as caught:
        client.put_postmortem(uid, bad, None)
    raw = requests.put(f"{service.url}{PMS}/{uid}", json=bad, timeout=30,
                       headers={"Authorization": f"Bearer {service.token}"})
    assert raw.status_code == 422
    sentence = raw.json()["message"]
    assert sentence and sentence in str(caught.value)
    assert answers(service, uid) == {"422": 2}
    assert requests.get(f"{service.url}{PMS}/{uid}", timeout=10, headers={
        "Authorization": f"Bearer {service.token}"}).status_code == 404


def test_changes_are_read_in_pages_of_limit(service: ReferenceService,
                                            client: RrApiChannel) -> None:
    start = service.get(PMS, after=0, limit=200)
    after = start["next"]
    while start["has_more"]:
        start = service.get(PMS, after=after, limit=200)
        after = start["next"]
    uids = [str(uuid.uuid4()) for _ in range(7)]
    sent = [body() for _ in uids]
    for uid, one in zip(uids, sent, strict=True):
        client.put_postmortem(uid, one, None)
    client.put_postmortem(uids[0], {**sent[0], "text": TEXT + "later\n"}, 1)  # to the end
    pages = []
    while True:
        page = client.pull_postmortems(after, 3)
        assert page.malformed == []
        pages.append(page)
        after = page.next
        if not page.has_more:
            break
    assert [len(p.postmortems) for p in pages] == [3, 3, 1]
    got = [pm for p in pages for pm in p.postmortems]
    assert [pm["uid"] for pm in got] == [*uids[1:], uids[0]]
    assert got[-1]["version"] == 2 and got[-1] == served(service, uids[0])
    assert [p.next for p in pages] == [got[2]["seq"], got[5]["seq"], got[6]["seq"]]
    end = client.pull_postmortems(after, 3)
    assert end.postmortems == [] and end.next == after and not end.has_more
    with pytest.raises(CursorExpired):
        client.pull_postmortems(after + 10, 3)


def test_wrong_credentials_are_an_auth_error(service: ReferenceService) -> None:
    channel = RrApiChannel("ref", service.url, "not-the-token")
    uid = str(uuid.uuid4())
    try:
        with pytest.raises(AuthError):
            channel.put_postmortem(uid, body(), None)
        with pytest.raises(AuthError):
            channel.pull_postmortems(0, 10)
    finally:
        channel.close()
    assert answers(service, uid) == {"401": 1}
    assert service.stats()["answers"].get(f"GET {PMS} 401", 0) >= 1


def test_a_service_without_post_mortem_routes_is_named_as_such(
        service: ReferenceService) -> None:
    channel = RrApiChannel("ref", service.url + "/elsewhere", service.token)
    try:
        for attempt in (lambda: channel.put_postmortem("pm-1", body(), None),
                        lambda: channel.pull_postmortems(0, 10)):
            with pytest.raises(Rejected, match="does not keep post-mortems"):
                attempt()
    finally:
        channel.close()


def test_faults_on_a_put_end_in_exactly_one_new_version() -> None:
    faults = [f"{kind}:method=PUT,path={PMS}/,count=1{extra}" for kind, extra in (
        ("drop", ""), ("5xx", ",status=503"), ("429", ",retry_after=7"))]
    args = [arg for fault in faults for arg in ("--fault", fault)]
    with ReferenceService(count=30, fresh=5, extra_args=args) as service:
        channel = RrApiChannel("ref", service.url, service.token)
        uid = str(uuid.uuid4())
        try:
            sent = body()
            with pytest.raises(NetworkError) as lost:  # applied, then the answer is lost
                channel.put_postmortem(uid, sent, None)
            assert lost.value.ambiguous and lost.value.retryable
            with pytest.raises(ServerError):
                channel.put_postmortem(uid, sent, None)
            with pytest.raises(RateLimited) as limited:
                channel.put_postmortem(uid, sent, None)
            assert limited.value.retry_after == 7
            stored = channel.put_postmortem(uid, sent, None)  # the retry: the stored copy
        finally:
            channel.close()
        assert stored["version"] == 1 and served(service, uid) == stored
        assert service.get(PMS, after=0)["next"] == 1  # one write, one change
        assert service.stats()["injected"] == {"drop": 1, "5xx": 1, "429": 1}
        assert answers(service, uid) == {"503": 1, "429": 1, "200": 1}


def test_a_service_that_lost_the_post_mortem_gets_it_again(
        service: ReferenceService, client: RrApiChannel) -> None:
    uid, sent = str(uuid.uuid4()), body()
    client.put_postmortem(uid, sent, None)
    client.put_postmortem(uid, {**sent, "text": TEXT + "v2\n"}, 1)
    service.stop()
    service.start()  # in memory: everything is gone
    stored = client.put_postmortem(uid, {**sent, "text": TEXT + "v3\n"}, 2)
    assert stored["version"] == 1 and served(service, uid)["text"] == TEXT + "v3\n"
    assert answers(service, uid) == {"412": 1, "201": 1}
