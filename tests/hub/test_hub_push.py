"""`GET /v1/changes/wait` (rr_desktop/hub/waker.py) on SQLite and on the real PostgreSQL:
a waiter answers at once when the feed is already past it, wakes on a commit made by
another connection or another process (NOTIFY on PostgreSQL, the poller on SQLite) and
by this process itself, never for a rolled-back transaction; 60 open waits leave the
thread pool to the plain endpoints; the PostgreSQL listener comes back after its
connection is killed.

A waiter that woke because of the commit answers the new head with a 30 s timeout
still far away; one that timed out answers the old head. Readiness is the waker's own
count of open waits, never a fixed sleep.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import psycopg
import pytest
import requests
from sqlalchemy import text

from rr_desktop.hub import waker as waker_module
from rr_desktop.hub.server import UNAUTHORIZED
from rr_desktop.hub.store import HubStore
from rr_desktop.hub.waker import LISTENER_NAME
from tests.hub.push_rig import (
    ServedHub,
    _append,
    append,
    append_in_another_process,
    served_hub,
    until,
)


@pytest.fixture
def hub(hub_url: str) -> Iterator[tuple[ServedHub, str]]:
    with served_hub(hub_url) as served:
        if served.store.dialect == "postgresql":
            # The first wait starts the listener; wait for its LISTEN before testing.
            assert served.wait(timeout=0).status_code == 200
            until(lambda: served.waker.listening, "the listener is listening")
        yield served, hub_url


def _waiting(pool: ThreadPoolExecutor, hub: ServedHub, after: int,
             count: int = 1, timeout: float = 30) -> list[Future[requests.Response]]:
    before = hub.waker.waiting
    futures = [pool.submit(hub.wait, after, timeout) for _ in range(count)]
    until(lambda: hub.waker.waiting == before + count, f"{count} requests waiting")
    return futures


def test_answers_at_once_when_the_feed_is_past_after(hub: tuple[ServedHub, str]) -> None:
    served, url = hub
    assert served.wait().json() == {"head": 0}  # no `after`: the head, at once
    append(url)
    append(url, "zendesk:acme/2")
    # timeout=30, and this test's pytest run would notice a 30 s stall; the answer's
    # head is what says it did not wait: nothing else commits meanwhile.
    assert served.wait(after=1).json() == {"head": 2}
    assert served.wait(after=0, timeout=0).json() == {"head": 2}
    assert served.wait(after=2, timeout=0).json() == {"head": 2}  # nothing new, no wait


def test_a_commit_in_another_connection_wakes_the_waiter(hub: tuple[ServedHub, str],
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    served, url = hub
    if served.store.dialect == "postgresql":
        monkeypatch.setattr(waker_module, "POLL_S", 120.0)  # only NOTIFY can wake it
    with ThreadPoolExecutor(2) as pool:
        [waiter] = _waiting(pool, served, after=0)
        seq = append(url)
        assert waiter.result().json() == {"head": seq} and seq == 1


def test_a_commit_in_another_process_wakes_the_waiter(hub: tuple[ServedHub, str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    served, url = hub
    if served.store.dialect == "postgresql":
        monkeypatch.setattr(waker_module, "POLL_S", 120.0)
    append(url)
    with ThreadPoolExecutor(2) as pool:
        [waiter] = _waiting(pool, served, after=1)
        seq = append_in_another_process(url)
        assert seq == 2 and waiter.result().json() == {"head": 2}


def test_this_process_own_commit_wakes_the_waiter(hub: tuple[ServedHub, str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """With the poller slowed to 2 minutes and (on PostgreSQL) the listener's wake-ups
    dropped, only the store's own commit hook can answer within the 30 s."""
    served, _url = hub
    monkeypatch.setattr(waker_module, "POLL_S", 120.0)
    monkeypatch.setattr(served.waker, "_notified", lambda _payload: None)
    with ThreadPoolExecutor(2) as pool:
        [waiter] = _waiting(pool, served, after=0)
        seq = _append(served.store, "zendesk:acme/7", rollback=False)
        assert waiter.result().json() == {"head": seq} and seq == 1


def test_a_rolled_back_append_wakes_no_one(hub: tuple[ServedHub, str]) -> None:
    served, url = hub
    append(url)
    with ThreadPoolExecutor(2) as pool:
        [waiter] = _waiting(pool, served, after=1, timeout=1.5)
        taken = append(url, "zendesk:acme/2", rollback=True)
        assert taken == 2  # it did take the next number, and gave it back
        assert waiter.result().json() == {"head": 1}  # the timeout's answer: unchanged
        [waiter] = _waiting(pool, served, after=1)
        assert append(url, "zendesk:acme/3") == 2
        assert waiter.result().json() == {"head": 2}


def test_60_waiters_leave_the_thread_pool_to_the_feed(hub: tuple[ServedHub, str]) -> None:
    """The plain endpoints share ~40 threads: 60 waits holding one each would starve
    GET /v1/changes (and never all be counted as waiting)."""
    served, url = hub
    with ThreadPoolExecutor(61) as pool:
        waiters = _waiting(pool, served, after=0, count=60)
        page = requests.get(f"{served.base}/v1/changes?after=0", timeout=20,
                            headers={"Authorization": f"Bearer {served.token}"})
        assert page.status_code == 200 and page.json()["changes"] == []
        assert served.waker.waiting == 60 and not any(w.done() for w in waiters)
        seq = append(url)
        assert {w.result().json()["head"] for w in waiters} == {seq}


def test_refuses_a_bad_token_and_malformed_parameters(hub: tuple[ServedHub, str]) -> None:
    served, _url = hub
    refused = served.wait(token="rrh_nonsense")
    assert refused.status_code == 401 and refused.json() == UNAUTHORIZED
    for after, timeout in ((-1, 1), ("x", 1), (0, 31), (0, "-1"), (0, "1e3"), (0, "nan")):
        answer = served.wait(after, timeout)  # type: ignore[arg-type]
        assert answer.status_code == 400, (after, timeout)
        assert answer.json()["error"] == "bad_request"
    assert served.waker.waiting == 0


@pytest.mark.slow
def test_the_listener_comes_back_after_its_connection_is_killed(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(waker_module, "RECONNECT_FIRST_S", 0.2)
    with served_hub(pg_url) as served:
        assert served.wait(timeout=0).status_code == 200
        until(lambda: served.waker.listening, "the listener is listening")

        def listener_pids() -> set[int]:
            with served.store.read() as conn:
                return {int(p) for p in conn.execute(text(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                    {"name": LISTENER_NAME}).scalars()}

        [first] = listener_pids()
        with served.store.write() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        until(lambda: not served.waker.listening, "the listener noticed")
        with ThreadPoolExecutor(2) as pool:  # meanwhile the poller answers
            [waiter] = _waiting(pool, served, after=0)
            seq = append(pg_url)
            assert waiter.result().json() == {"head": seq}
            until(lambda: served.waker.listening and bool(listener_pids() - {first}),
                  "the listener is back on a new connection")
            monkeypatch.setattr(waker_module, "POLL_S", 120.0)  # only NOTIFY now
            [waiter] = _waiting(pool, served, after=1)
            assert append(pg_url, "zendesk:acme/2") == 2
            assert waiter.result().json() == {"head": 2}
    # The app's lifespan closed the waker when the server stopped: no listener is left.
    assert served.waker._listener is not None and not served.waker._listener.is_alive()


@pytest.mark.slow
def test_notify_is_sent_only_by_a_committed_append(pg_url: str) -> None:
    """The NOTIFY rides in the append's transaction: a listener hears the committed seq
    and nothing of a rolled-back one."""
    store = HubStore.open(pg_url)
    try:
        _args, kwargs = store.engine.dialect.create_connect_args(store.engine.url)
        kwargs.pop("context", None)
        with psycopg.connect(autocommit=True, **kwargs) as conn:
            conn.execute("LISTEN rr_hub_feed")
            assert _append(store, "zendesk:acme/1", rollback=True) == 1
            committed = _append(store, "zendesk:acme/2", rollback=False)
            heard = [note.payload for note in conn.notifies(timeout=10, stop_after=1)]
    finally:
        store.close()
    assert heard == [str(committed)] and committed == 1
