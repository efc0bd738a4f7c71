"""Broken incident event pages (GET /v1/incident-events) as a misbehaving server sends
them, read by the real `rr_api` client: an unusable page is a MalformedPage with its raw
text kept, a malformed event is left out and named with its reason, the good ones kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from rr_desktop.channels.contract import MalformedPage
from rr_desktop.channels.rr_api import RrApiChannel
from tests.peers.page_server import INCIDENT_EVENTS, PageServer


@pytest.fixture(scope="module")
def page_server() -> Iterator[PageServer]:
    server = PageServer()
    yield server
    server.stop()


@pytest.fixture
def client(page_server: PageServer) -> Iterator[RrApiChannel]:
    channel = RrApiChannel("ref", page_server.url, "token")
    yield channel
    channel.close()


def good(seq: int) -> dict[str, Any]:
    return {"uid": f"e-{seq}", "incident": "i-1", "kind": "fact", "actor": "a.tan",
            "at": "2026-11-25T01:02:03Z", "base": None, "data": {"text": f"fact {seq}"},
            "seq": seq}


def page(events: list[Any], next_seq: int, has_more: bool = False) -> bytes:
    return json.dumps({"events": events, "next": next_seq, "has_more": has_more}).encode()


@pytest.mark.parametrize("body", [
    b"<html>Service Unavailable</html>",
    b'{"events": [',
    b"[]",
    b'{"events": {"a": 1}, "next": 1, "has_more": false}',
    b'{"events": [], "next": "1", "has_more": false}',
    b'{"events": [], "next": 1, "has_more": "no"}',
    b'{"events": [], "next": 4, "has_more": true}',
    page([good(5), {**good(6), "uid": None}], 6),
    page([good(5), {k: v for k, v in good(6).items() if k != "seq"}], 6),
    page([good(5), {**good(6), "seq": True}], 6),
    page(["e-5"], 5),
    page([good(6), good(5)], 6),
    page([good(4)], 4),
    page([good(5), good(6)], 5),
], ids=["html", "cut", "list", "events-object", "next-text", "has-more-text",
        "more-but-empty", "uid-null", "no-seq", "seq-bool", "event-text", "out-of-order",
        "not-after", "next-behind"])
def test_an_unusable_page_is_malformed_and_kept(page_server: PageServer,
                                                client: RrApiChannel, body: bytes) -> None:
    page_server.paths[INCIDENT_EVENTS] = body
    with pytest.raises(MalformedPage) as caught:
        client.pull_incident_events(4, 10)
    assert caught.value.quarantined is not None
    assert caught.value.quarantined.raw == body.decode()
    assert str(caught.value).startswith("ref: the service sent a malformed page of incident events")


def test_a_malformed_event_is_set_aside_and_the_rest_kept(page_server: PageServer,
                                                          client: RrApiChannel) -> None:
    odd = [{**good(6), "kind": "explode"}, {**good(7), "data": "text"},
           {**good(8), "actor": ""}]
    page_server.paths[INCIDENT_EVENTS] = page([good(5), *odd, good(9)], 9, has_more=True)
    result = client.pull_incident_events(4, 10)
    assert [e["seq"] for e in result.events] == [5, 9]
    assert result.events[0] == good(5)
    assert (result.next, result.has_more) == (9, True)
    assert len(result.malformed) == 3
    for uid, seq, sentence in zip(("e-6", "e-7", "e-8"), (6, 7, 8), result.malformed,
                                  strict=True):
        assert sentence.startswith(f"incident event {uid} (seq {seq}): ")
    assert "explode" in result.malformed[0] and "data" in result.malformed[1]
    assert "actor" in result.malformed[2]


def test_an_empty_page_keeps_the_position(page_server: PageServer,
                                          client: RrApiChannel) -> None:
    page_server.paths[INCIDENT_EVENTS] = page([], 4)
    result = client.pull_incident_events(4, 10)
    assert (result.events, result.malformed, result.next, result.has_more) == \
        ([], [], 4, False)
