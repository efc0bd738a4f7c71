"""The pieces that keep a run finite and a request well-formed, on their own: the cursor
watchdog, clock texts, id path segments, same-host checks and the demo's fault flags."""

from __future__ import annotations

from datetime import datetime

import pytest

from rr_desktop.channels.contract import Page
from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.channels.transport import path_segment, same_site
from rr_desktop.demo.faults import FaultInjector, parse_fault
from rr_desktop.demo.hostile import parse_hostile
from rr_desktop.sync.limits import CursorStuck, CursorWatch, OrderedCursors, clock_time


def _page(cursor: str | None, done: bool = False) -> Page:
    return Page([], [], cursor, done)


def test_the_watch_passes_a_moving_cursor_and_a_last_page() -> None:
    watch = CursorWatch("c", None)
    watch.check(None, _page("a.1"), 1)
    watch.check("a.1", _page("a.2"), 2)
    watch.check("a.2", _page("a.2", done=True), 3)  # the last page may repeat it
    watch.check("a.2", _page(None, done=True), 3)


@pytest.mark.parametrize(("sent", "nxt", "words"), [
    ("x", "x", "same cursor"), ("x", "", "no cursor"), ("x", None, "no cursor"),
    (None, "", "no cursor"),
])
def test_the_watch_stops_a_cursor_that_does_not_move(sent: str | None, nxt: str | None,
                                                       words: str) -> None:
    with pytest.raises(CursorStuck, match=words):
        CursorWatch("c", None).check(sent, _page(nxt), 1)


def test_the_watch_stops_a_loop_of_cursors() -> None:
    watch = CursorWatch("c", None)
    watch.check("a", _page("b"), 1)
    watch.check("b", _page("c"), 2)
    with pytest.raises(CursorStuck, match="already sent"):
        watch.check("c", _page("a"), 3)


def test_the_watch_stops_a_cursor_going_backwards_where_cursors_have_an_order() -> None:
    client = RrApiChannel("c", "http://127.0.0.1:9", "t")
    assert isinstance(client, OrderedCursors)
    assert client.cursor_position("ab12.500") == 500
    assert client.cursor_position("opaque") is None
    watch = CursorWatch("c", client)
    watch.check("ab12.500", _page("ab12.900"), 1)
    with pytest.raises(CursorStuck, match="backwards"):
        watch.check("ab12.900", _page("ab12.450"), 2)
    CursorWatch("c", None).check("ab12.900", _page("ab12.450"), 2)  # unordered: fine
    client.close()


def test_clock_time_is_local_and_dated_when_not_today() -> None:
    now = datetime(2026, 3, 4, 10, 0).timestamp()
    assert clock_time(int(now + 3600), now) == "11:00"
    assert clock_time(int(now + 86_400), now) == "2026-03-05 10:00"


@pytest.mark.parametrize(("raw", "segment"), [
    ("ESC-1", "ESC-1"), ("a/b", "a%2Fb"), ("x?admin=1", "x%3Fadmin%3D1"),
    ("../../admin", "..%2F..%2Fadmin"), ("..", "%2E%2E"), (".", "%2E"), ("50%", "50%25"),
    ("#top", "%23top"), ("ü", "%C3%BC"),
])
def test_ids_become_one_path_segment(raw: str, segment: str) -> None:
    assert path_segment(raw) == segment


@pytest.mark.parametrize(("target", "ok"), [
    ("https://a.example/x", True), ("https://A.example:443/y?z", True),
    ("https://b.example/x", False), ("https://a.example.evil/x", False),
    ("https://a.example:8443/x", False), ("http://a.example/x", False),
    ("//a.example/x", False), ("https://user@a.example@b.example/", False),
])
def test_same_site(target: str, ok: bool) -> None:
    assert same_site(target, "https://a.example") is ok


def test_http_may_upgrade_to_https_on_the_same_host_only() -> None:
    assert same_site("https://a.example/", "http://a.example")
    assert not same_site("https://b.example/", "http://a.example")


def test_fault_flags_parse_and_refuse_nonsense() -> None:
    assert parse_fault("429:retry_after=86400") == {
        "kind": "429", "count": None, "retry_after": 86400}
    spec = parse_fault("truncate: method=PATCH, count=1, path=/v1/escalations/")
    assert spec == {"kind": "truncate", "count": 1, "method": "PATCH",
                    "path": "/v1/escalations/"}
    FaultInjector().add(**spec)
    for bad in ("teapot", "429:retry_after", "429:retry_after=soon", "drip:speed=3"):
        with pytest.raises(ValueError):
            parse_fault(bad)
    with pytest.raises(ValueError):
        FaultInjector().add(**parse_fault("redirect:host=evil/x"))
    assert parse_hostile("bigint, ids") == {"bigint", "ids"}
    with pytest.raises(ValueError, match="unknown hostile kind"):
        parse_hostile("bigint,nasty")


def test_a_fault_for_every_request_is_never_used_up() -> None:
    faults = FaultInjector()
    faults.add("cursor_same", count=None, method="GET")
    for _ in range(50):
        fault = faults.take("GET", "/v1/escalations")
        assert fault is not None and fault.kind == "cursor_same"
    assert faults.pending == 1


@pytest.mark.parametrize(("argv", "words"), [
    (["demo-server", "--fault", "teapot"], "unknown fault kind 'teapot'"),
    (["demo-server", "--fault", "429:retry_after=soon"], "retry_after must be a number"),
    (["demo-server", "--error-rate", "0.8", "--drop-rate", "0.5"], "sum to at most 1"),
    (["demo-server", "--hostile", "nasty"], "unknown hostile kind 'nasty'"),
    (["sync", "--once", "--max-wait", "0"], "max wait must be a number of seconds"),
])
def test_bad_flags_are_one_line_before_anything_starts(
        argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    from rr_desktop.cli import main

    assert main(argv) == 1
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
