"""The REST channel against a local JSON API: every pagination style and where it ends,
rate limits, expired cursors, malformed answers, redirects and the connection check."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rr_desktop.channels.contract import (
    AuthError,
    CursorExpired,
    MalformedPage,
    NetworkError,
    Page,
    RateLimited,
    Rejected,
)
from rr_desktop.channels.rest import RestChannel, decode_config
from tests.peers.rest_server import TOKEN, USER, Fault, RestTool, rest_server

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "channels" / "example-rest.json"
STYLES: dict[str, dict[str, Any]] = {
    "page": {"list": {"path": "/page/items", "items": "data.items"},
             "pagination": {"style": "page", "size_param": "per_page", "total": "meta.total"}},
    "offset": {"list": {"path": "/offset/items", "items": "results"},  # ends on empty page
               "pagination": {"style": "offset", "size_param": "limit"}},
    "cursor": {"list": {"path": "/cursor/items", "items": "items"},
               "pagination": {"style": "cursor", "size_param": "limit", "next_cursor": "next"}},
    "link": {"list": {"path": "/link/items"},
             "pagination": {"style": "link", "size_param": "per_page"}},
}


def config_doc(style: str = "page", page_size: int = 3, overlap: int = 0,
               **extra: Any) -> dict[str, Any]:
    doc = json.loads(EXAMPLE.read_text())
    doc["list"] = {**STYLES[style]["list"], "incremental": {
        "param": "updated_since", "overlap_seconds": overlap}}
    doc["pagination"] = {**STYLES[style]["pagination"], "page_size": page_size}
    doc.update(extra)
    return doc


def channel(url: str, style: str = "page", secret: str = TOKEN, **kw: Any) -> RestChannel:
    return RestChannel("desk", decode_config(json.dumps(config_doc(style, **kw))), secret,
                       base_url=url)


@pytest.fixture
def server() -> Iterator[tuple[str, RestTool]]:
    with rest_server(10) as s:
        yield s


def pull_all(ch: RestChannel, cursor: str | None = None) -> tuple[list[Page], str | None]:
    pages = []
    for _ in range(100):
        page = ch.pull(cursor)
        pages.append(page)
        cursor = page.next_cursor
        if page.done:
            return pages, cursor
    raise AssertionError("never done")


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("count", [0, 1, 3, 10])
def test_each_style_reads_everything_once_and_ends(style: str, count: int) -> None:
    with rest_server(count) as (url, tool):
        pages, _ = pull_all(channel(url, style))
        ids = [i.record.external_id for p in pages for i in p.items]
        assert ids == [f"AB-{n}" for n in range(1, count + 1)]
        lists = [path for _, path in tool.log if "/items?" in path]
        # offset has no total here: it ends on the first empty page
        expected = math.ceil(count / 3) + 1 if style == "offset" else max(math.ceil(count / 3), 1)
        assert len(lists) == expected
        assert all(p.remote_time is not None and p.remote_time.tzinfo for p in pages)


@pytest.mark.parametrize("style", list(STYLES))
def test_incremental_pass_asks_only_for_what_changed(style: str, server: Any) -> None:
    url, tool = server
    ch = channel(url, style)
    _, cursor = pull_all(ch)
    tool.mutate("AB-2", state="contained")
    tool.create("AB-11")
    tool.log.clear()
    pages, cursor = pull_all(ch, cursor)
    got = {i.record.external_id: i.record for p in pages for i in p.items}
    assert set(got) == {"AB-2", "AB-10", "AB-11"}  # AB-10 sits on the high-water mark
    assert got["AB-2"].status.value == "contained"
    assert all("updated_since=2024-05-01T00%3A00%3A10.000Z" in path or "page=2" in path
               for _, path in tool.log)
    again, _ = pull_all(ch, cursor)
    assert {i.record.external_id for p in again for i in p.items} == {"AB-11"}


def test_malformed_items_are_quarantined_and_the_page_goes_on(server: Any) -> None:
    url, tool = server
    tool.insert_raw("just a string", "2024-05-01T00:00:01Z")
    tool.insert_raw({"id": "BAD-1", "updated_at": "2024-05-01T00:00:02Z"}, "2024-05-01T00:00:02Z")
    tool.insert_raw({"id": "BAD-2", "summary": "x", "version": 1, "updated_at": "2024-05-01",
                     "priority": "Blocker"}, "2024-05-01T00:00:03Z")
    pages, _ = pull_all(channel(url, "cursor"))
    assert len([i for p in pages for i in p.items]) == 10
    reasons = {q.external_id: q.reason for p in pages for q in p.quarantined}
    assert reasons == {None: "the record is a JSON str, not an object",
                       "BAD-1": "no title at 'summary'",
                       "BAD-2": "severity 'Blocker' is not in values.severity"}


def test_a_page_that_is_not_the_documented_shape(server: Any) -> None:
    url, tool = server
    tool.faults.append(Fault(200, body=b"<html>Sign in</html>"))
    with pytest.raises(MalformedPage, match="not JSON") as info:
        channel(url).pull(None)
    assert "Sign in" in info.value.quarantined.raw and info.value.retryable
    tool.faults.append(Fault(200, body={"data": {"items": "nope"}}))
    with pytest.raises(MalformedPage, match=r"no list at 'data\.items'"):
        channel(url).pull(None)


@pytest.mark.parametrize(("status", "body", "contains"), [
    (410, None, ""), (400, None, "expired")])
def test_expired_cursor(server: Any, status: int, body: Any, contains: str) -> None:
    url, tool = server
    doc = config_doc("cursor")
    doc["pagination"]["expired_statuses"] = [status]
    doc["pagination"]["expired_contains"] = contains
    ch = RestChannel("desk", decode_config(json.dumps(doc)), TOKEN, base_url=url)
    first = ch.pull(None)
    tool.expire_cursors(status)
    with pytest.raises(CursorExpired):
        ch.pull(first.next_cursor)


def test_a_400_without_the_expiry_text_is_not_an_expired_cursor(server: Any) -> None:
    url, tool = server
    doc = config_doc("cursor")
    doc["pagination"].update(expired_statuses=[400], expired_contains="cursor_gone")
    ch = RestChannel("desk", decode_config(json.dumps(doc)), TOKEN, base_url=url)
    first = ch.pull(None)
    tool.expire_cursors(400)
    with pytest.raises(Rejected, match=r"request refused \(400\)"):
        ch.pull(first.next_cursor)


def test_rate_limits(server: Any) -> None:
    url, tool = server
    ch = channel(url)
    tool.faults.append(Fault(429, headers={"Retry-After": "7"}))
    with pytest.raises(RateLimited) as info:
        ch.pull(None)
    assert info.value.retry_after == 7
    tool.faults.append(Fault(429, headers={"X-RateLimit-Reset": "12"}))
    with pytest.raises(RateLimited) as info:
        ch.pull(None)
    assert info.value.retry_after == 12
    reset = 1714521600 + 10 + 30  # the fake server's clock + 30 s, as epoch seconds
    tool.faults.append(Fault(403, headers={"X-RateLimit-Remaining": "0",
                                           "X-RateLimit-Reset": str(reset)}))
    with pytest.raises(RateLimited) as info:
        ch.pull(None)
    assert info.value.retry_after == 31  # measured on the server's clock, plus a second
    tool.faults.append(Fault(403, headers={"Retry-After": "60"}))  # a secondary limit
    with pytest.raises(RateLimited) as info:
        ch.pull(None)
    assert info.value.retry_after == 60
    tool.faults.append(Fault(403))
    with pytest.raises(AuthError, match=r"refused the credentials \(403\)"):
        ch.pull(None)


def test_auth_styles_against_the_server(server: Any) -> None:
    url, _ = server
    for auth, username in [({"style": "basic"}, USER),
                           ({"style": "header", "header": "X-Api-Key"}, "")]:
        doc = config_doc(auth=auth)
        ch = RestChannel("desk", decode_config(json.dumps(doc)), TOKEN, username=username,
                         base_url=url)
        assert len(ch.pull(None).items) == 3
    with pytest.raises(AuthError, match=r"desk: the server refused the credentials \(401\)"):
        channel(url, secret="wrong").pull(None)


def test_check_gives_one_clear_verdict(server: Any) -> None:
    url, tool = server
    channel(url).check()
    assert "per_page=1" in tool.log[-1][1]
    with pytest.raises(Rejected, match=r"has no /nope \(404\): check base_url and list.path"):
        ch = channel(url)
        ch.cfg = decode_config(json.dumps(config_doc(list={"path": "/nope"})))
        ch.check()
    tool.faults.append(Fault(200, body=b"<html>login</html>"))
    with pytest.raises(Rejected, match="answered, but not with JSON"):
        channel(url).check()
    with pytest.raises(Rejected, match=r"no list at 'results': check list\.items"):
        channel(url, list={"path": "/page/items", "items": "results"}).check()
    tool.insert_raw({"id": "X", "summary": None}, "2000-01-01T00:00:00Z")
    with pytest.raises(Rejected, match="first record does not fit the field mapping: no title"):
        channel(url).check()
    with pytest.raises(AuthError):
        channel(url, secret="nope").check()
    with pytest.raises(NetworkError, match="cannot reach"):
        channel("http://127.0.0.1:9/api").check()


def test_redirects_stay_on_the_origin(server: Any) -> None:
    url, tool = server
    tool.faults.append(Fault(302, headers={"Location": "https://sso.example/login"}))
    with pytest.raises(Rejected, match=r"redirected to sso\.example"):
        channel(url).check()
    tool.faults.append(Fault(307, headers={"Location": "/api/page/items?per_page=1"}))
    channel(url).check()
    assert [p for _, p in tool.log[-2:]] == ["/api/page/items?per_page=1&page=1",
                                             "/api/page/items?per_page=1"]


def test_a_link_to_another_host_gets_no_credentials(server: Any) -> None:
    url, tool = server
    tool.faults.append(Fault(200, body=[], headers={
        "Link": '<https://elsewhere.example/steal>; rel="next"'}))
    ch = channel(url, "link")
    page = ch.pull(None)
    assert not page.done
    with pytest.raises(Rejected, match="refusing to send credentials to https://elsewhere"):
        ch.pull(page.next_cursor)


def test_a_server_that_ignores_paging_is_stopped(server: Any) -> None:
    url, tool = server
    tool.ignore_page_param = True
    ch = channel(url)
    page = ch.pull(None)
    with pytest.raises(Rejected, match="same records for page=2 as for the page before"):
        ch.pull(page.next_cursor)


def test_fetch_and_analysts(server: Any) -> None:
    url, _ = server
    ch = channel(url)
    assert ch.fetch("AB-4").record.title == "Reported clip AB-4"
    assert [a.id for a in ch.analysts()] == ["a.tan", "k.lee"]
    with pytest.raises(Rejected, match="was not found"):
        ch.fetch("../../users")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
        st.sampled_from(["items", "next", "id", "summary", "updated_at", "version", "x"]),
        kids, max_size=5),
    max_leaves=25)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_json)
def test_any_answer_is_a_page_or_a_clear_error(server: Any, body: Any) -> None:
    url, tool = server
    tool.faults[:] = [Fault(200, body=body)]
    try:
        page = channel(url, "cursor").pull(None)
    except MalformedPage as exc:
        assert exc.quarantined.reason
        return
    assert len(page.items) + len(page.quarantined) == len(body["items"])
