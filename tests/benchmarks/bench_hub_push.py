"""Hub push: from a commit on the hub's database to a waiting desktop's answer, in ms.

    python -m tests.benchmarks.bench_hub_push [--rounds 40]

The hub's app is served by uvicorn on a thread (tests/hub/push_rig.py); each round one
request waits on `GET /v1/changes/wait` (or the rr_api client's `idle_wait`), then one
feed append commits and the time from the end of that commit to the waiter's answer is
taken. Wake-ups: on SQLite the shared poller (POLL_S) for a commit made through another
connection, the pool's commit hook for the hub's own; on PostgreSQL the NOTIFY heard by
the listener thread.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.hub.store import HubStore
from rr_desktop.hub.waker import POLL_S
from tests.hub.push_rig import ServedHub, _append, served_hub, until
from tests.peers.postgres import postgres_server


def _round(hub: ServedHub, writer: HubStore, key: str,
           waiter: Callable[[], object]) -> float:
    answered: list[float] = []

    def wait() -> None:
        waiter()
        answered.append(time.perf_counter())

    before = hub.waker.waiting
    thread = threading.Thread(target=wait)
    thread.start()
    until(lambda: hub.waker.waiting > before, "waiting")
    _append(writer, key, rollback=False)
    committed = time.perf_counter()
    thread.join(60)
    return (answered[0] - committed) * 1000


def _figures(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    print(f"  {name:44} median {statistics.median(ordered):6.1f}  p90 {p90:6.1f}  "
          f"max {ordered[-1]:6.1f}  ({len(ordered)} rounds)")


def bench(label: str, url: str, rounds: int) -> None:
    with served_hub(url) as hub:
        if hub.store.dialect == "postgresql":
            hub.wait(timeout=0)
            until(lambda: hub.waker.listening, "listening")
        other = HubStore.open(url, migrate=False)
        client = RrApiChannel("hub", hub.base, hub.token, desktop_id="bench-desktop")
        try:
            client.idle_wait(0.1)  # learns the head
            n = [0]

            def key() -> str:
                n[0] += 1
                return f"bench:{n[0]}"

            def raw() -> object:
                return hub.wait(hub.head())

            _figures(f"{label}: another connection -> wait answered",
                     [_round(hub, other, key(), raw) for _ in range(rounds)])
            _figures(f"{label}: the hub's own commit -> wait answered",
                     [_round(hub, hub.store, key(), raw) for _ in range(rounds)])

            def desktop() -> object:
                assert client.idle_wait(25) is True
                return None

            samples = []
            for _ in range(rounds):
                while client.idle_wait(0.05):  # catch up with the rounds above
                    pass
                samples.append(_round(hub, other, key(), desktop))
            _figures(f"{label}: another connection -> idle_wait True", samples)
        finally:
            client.close()
            other.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    print(f"ms from a feed commit to the waiter's answer (SQLite poll every "
          f"{POLL_S * 1000:.0f} ms)")
    with tempfile.TemporaryDirectory() as tmp:
        bench("SQLite", f"sqlite:///{Path(tmp) / 'hub.sqlite3'}", args.rounds)
    with postgres_server(durable=True) as server:
        bench("PostgreSQL", server.url(server.create_database()), args.rounds)


if __name__ == "__main__":
    main()
