"""Hub changes feed: committed writes per second with 1, 4 and 16 concurrent writers.

    python -m tests.benchmarks.bench_hub_feed [--seconds 3]

Each write is one transaction holding one feed append, committed durably: a PostgreSQL
server started with fsync and synchronous_commit on (tests/peers/postgres.py,
durable=True), and the hub's SQLite file (WAL, synchronous=FULL). Designs on PostgreSQL:

- `counter`: the hub's feed (rr_desktop/hub/feed.py): the counter row updated in the
  committing transaction; writers are serialised from append to commit.
- `advisory`: pg_advisory_xact_lock, then max(seq)+1: the same serialisation by another
  lock (the alternative considered in docs/hub.md).
- `naive`: an identity column, no serialisation (fast, and wrong: it skips changes,
  tests/hub/test_feed_order.py).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, func, insert, select, text

from rr_desktop.hub import feed
from rr_desktop.hub.schema import change
from rr_desktop.hub.store import HubStore, utc_stamp
from tests.hub.feed_rig import naive_change, naive_metadata
from tests.peers.postgres import postgres_server

WRITERS = (1, 4, 16)


def _counter(conn: Connection, key: str) -> None:
    feed.append_change(conn, "bench", key, {"key": key})


def _advisory(conn: Connection, key: str) -> None:
    conn.execute(text("SELECT pg_advisory_xact_lock(7031)"))
    seq = conn.execute(select(func.coalesce(func.max(change.c.seq), 0) + 1)).scalar_one()
    conn.execute(insert(change).values(seq=seq, kind="bench", key=key, at=utc_stamp(),
                                       payload="{}"))


def _naive(conn: Connection, key: str) -> None:
    conn.execute(insert(naive_change).values(key=key))


def rate(store: HubStore, write: Callable[[Connection, str], None], writers: int,
         seconds: float) -> float:
    stop = time.monotonic() + seconds
    counts = [0] * writers

    def loop(i: int) -> None:
        while time.monotonic() < stop:
            with store.write() as conn:
                write(conn, f"w{i}-{counts[i]}")
            counts[i] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(writers)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    print(f"writes/s (one feed append per durable commit), {args.seconds:g} s each")
    with postgres_server(durable=True) as server:
        store = HubStore.open(server.url(server.create_database()))
        naive_metadata.create_all(store.engine)
        for name, write in (("counter", _counter), ("advisory", _advisory),
                            ("naive", _naive)):
            figures = [rate(store, write, n, args.seconds) for n in WRITERS]
            print(f"  PostgreSQL {name:9}" + "".join(
                f"  {n:2} writers: {r:7.0f}" for n, r in zip(WRITERS, figures, strict=True)))
        store.close()
    with tempfile.TemporaryDirectory() as tmp:
        store = HubStore.open(f"sqlite:///{Path(tmp) / 'hub.sqlite3'}")
        figures = [rate(store, _counter, n, args.seconds) for n in WRITERS]
        print("  SQLite     counter  " + "".join(
            f"  {n:2} writers: {r:7.0f}" for n, r in zip(WRITERS, figures, strict=True)))
        store.close()


if __name__ == "__main__":
    main()
