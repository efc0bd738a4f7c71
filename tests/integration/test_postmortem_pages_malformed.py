"""Broken post-mortem answers as a misbehaving server sends them, read by the real
`rr_api` client: an unusable page is a MalformedPage with its raw text kept, a malformed
post-mortem is left out and named with its reason, and a 412 whose body is not the
service's copy is a server error, never a merge against garbage (docs/postmortems.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from rr_desktop.channels.contract import MalformedPage, PostmortemChanged, ServerError
from rr_desktop.channels.rr_api import RrApiChannel
from tests.peers.page_server import POSTMORTEMS, PageServer


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


def good(seq: int, uid: str | None = None) -> dict[str, Any]:
    return {"uid": uid or f"pm-{seq}", "incident": "i-1", "title": "Post-mortem",
            "state": "draft", "text": f"# PM {seq}\n", "actions": [], "version": 1,
            "seq": seq, "updated_at": "2026-12-06T02:00:00Z", "updated_by": ""}


def page(postmortems: list[Any], next_seq: int, has_more: bool = False) -> bytes:
    return json.dumps({"postmortems": postmortems, "next": next_seq,
                       "has_more": has_more}).encode()


@pytest.mark.parametrize("body", [
    b"<html>Service Unavailable</html>",
    b'{"postmortems": [',
    b"[]",
    b'{"postmortems": {"a": 1}, "next": 1, "has_more": false}',
    b'{"postmortems": [], "next": "1", "has_more": false}',
    b'{"postmortems": [], "next": 1, "has_more": "no"}',
    b'{"postmortems": [], "next": 4, "has_more": true}',
    page([good(5), {**good(6), "uid": None}], 6),
    page([good(5), {k: v for k, v in good(6).items() if k != "seq"}], 6),
    page([good(5), {**good(6), "seq": True}], 6),
    page(["pm-5"], 5),
    page([good(6), good(5)], 6),
    page([good(4)], 4),
    page([good(5), good(6)], 5),
], ids=["html", "cut", "list", "postmortems-object", "next-text", "has-more-text",
        "more-but-empty", "uid-null", "no-seq", "seq-bool", "entry-text", "out-of-order",
        "not-after", "next-behind"])
def test_an_unusable_page_is_malformed_and_kept(page_server: PageServer,
                                                client: RrApiChannel, body: bytes) -> None:
    page_server.paths[POSTMORTEMS] = body
    with pytest.raises(MalformedPage) as caught:
        client.pull_postmortems(4, 10)
    assert caught.value.quarantined is not None
    assert caught.value.quarantined.raw == body.decode()
    assert str(caught.value).startswith("ref: the service sent a malformed page of post-mortems")


def test_a_malformed_post_mortem_is_set_aside_and_the_rest_kept(
        page_server: PageServer, client: RrApiChannel) -> None:
    odd = [{**good(6), "state": "published"}, {**good(7), "text": None},
           {**good(8), "version": "3"}]
    page_server.paths[POSTMORTEMS] = page([good(5), *odd, good(9)], 9, has_more=True)
    result = client.pull_postmortems(4, 10)
    assert [p["seq"] for p in result.postmortems] == [5, 9]
    assert result.postmortems[0] == good(5)
    assert (result.next, result.has_more) == (9, True)
    assert len(result.malformed) == 3
    for uid, seq, sentence in zip(("pm-6", "pm-7", "pm-8"), (6, 7, 8), result.malformed,
                                  strict=True):
        assert sentence.startswith(f"post-mortem {uid} (seq {seq}): ")
    assert "published" in result.malformed[0] and "text" in result.malformed[1]
    assert "version" in result.malformed[2]


@pytest.mark.parametrize("body", [
    b"<html>Precondition Failed</html>",
    b'{"error": "version_mismatch", "message": "changed"}',
    b'{"error": "version_mismatch", "current": "pm-1 v3"}',
    json.dumps({"error": "version_mismatch", "current": {**good(3), "text": 7}}).encode(),
    json.dumps({"error": "version_mismatch", "current": good(3, uid="someone-else")}).encode(),
], ids=["html", "no-current", "current-text", "current-bad-text", "another-post-mortem"])
def test_a_412_without_the_services_copy_is_a_server_error(
        page_server: PageServer, client: RrApiChannel, body: bytes) -> None:
    page_server.puts[f"{POSTMORTEMS}/pm-1"] = (412, body)
    with pytest.raises(ServerError) as caught:
        client.put_postmortem("pm-1", {"text": "mine"}, 2)
    assert not isinstance(caught.value, PostmortemChanged)
    assert "412" in str(caught.value)


def test_a_412_with_the_services_copy_is_a_change_to_merge(
        page_server: PageServer, client: RrApiChannel) -> None:
    theirs = good(3, uid="pm-1")
    page_server.puts[f"{POSTMORTEMS}/pm-1"] = (412, json.dumps(
        {"error": "version_mismatch", "message": "changed", "current": theirs}).encode())
    with pytest.raises(PostmortemChanged) as caught:
        client.put_postmortem("pm-1", {"text": "mine"}, 2)
    assert caught.value.current == theirs


@pytest.mark.parametrize("body", [
    b"not json", b'{"uid": "pm-1"}', json.dumps(good(1, uid="pm-2")).encode()])
def test_a_stored_answer_that_is_not_the_post_mortem_is_a_server_error(
        page_server: PageServer, client: RrApiChannel, body: bytes) -> None:
    page_server.puts[f"{POSTMORTEMS}/pm-1"] = (200, body)
    with pytest.raises(ServerError, match="may have been stored, and is sent again"):
        client.put_postmortem("pm-1", {"text": "mine"}, 2)


def test_an_empty_page_keeps_the_position(page_server: PageServer,
                                          client: RrApiChannel) -> None:
    page_server.paths[POSTMORTEMS] = page([], 4)
    result = client.pull_postmortems(4, 10)
    assert (result.postmortems, result.malformed, result.next, result.has_more) == \
        ([], [], 4, False)
