"""Ingest benchmark: the full sync pipeline against the raw set-based merge, same run.

    python -m tests.benchmarks.bench_ingest [--count 100000]

1. The reference service runs in its own process (so it does not share our GIL) with
   COUNT escalations; we sync them into an empty cache (HTTP + parse + validate + upsert +
   FTS), then the service changes every one of them and we sync the changes into the full
   cache.
2. The same rows, already parsed, are merged with raw sqlite3 (temp stage + one
   INSERT ... SELECT ... ON CONFLICT + FTS5 delete/insert per 500-row page, one
   transaction per page) into a fresh cache of the same schema: the physical baseline.
Prints escalations/s for each and the ratio. Budget: >= 0.8x raw and >= 15k/s.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.domain import Incoming
from rr_desktop.store.ingest import STAGE_COLUMNS, escalation_row
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import hand_over_the_gil_sooner
from tests.integration.sync_env import TOKEN, make_env, server_ids

PAGE = 500


def _serve(count: int, conn: Connection) -> None:
    from rr_desktop.demo import DemoServer

    server = DemoServer(token=TOKEN, seed=42, count=count)
    server.start()
    conn.send(server.url)
    while True:
        cmd = conn.recv()
        if cmd == "change_all":
            for ext in server_ids(server):
                rec = server.state.get(ext)
                server.state.mutate(ext, status="investigating",
                                    reach={"views": rec["reach"]["views"] + 1000,
                                           "shares": rec["reach"]["shares"]})
            conn.send("ok")
        elif cmd == "stop":
            server.stop()
            conn.send("ok")
            return


def _collect(url: str) -> list[list[Incoming]]:
    """Every page of the feed, parsed, for the raw baseline (not timed)."""
    client = RrApiChannel("demo", url, TOKEN, page_size=PAGE)
    pages, cursor = [], None
    while True:
        page = client.pull(cursor)
        pages.append(page.items)
        cursor = page.next_cursor
        if page.done:
            return pages


_COLS = ", ".join(STAGE_COLUMNS)
_RAW_UPSERT = (
    f"INSERT INTO escalation (channel_id, synced_at, {_COLS}) SELECT 1, 0, {_COLS} "
    "FROM stage WHERE true ON CONFLICT (channel_id, external_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in STAGE_COLUMNS if c != "external_id")
    + " WHERE excluded.remote_version > escalation.remote_version")


def raw_merge(store: Store, pages: list[list[Incoming]]) -> float:
    """Seconds to merge the pages with the minimal set-based SQL."""
    now = utcnow()
    rows = [[escalation_row(i.record, i.payload_hash, now) for i in p] for p in pages]
    marks = ", ".join("?" * len(STAGE_COLUMNS))
    match = "e.channel_id = 1 AND e.external_id = s.external_id"  # stage drives the join
    store.set_autocheckpoint(0)
    start = time.perf_counter()
    for page in rows:
        with store.write() as db:
            db.execute(f"CREATE TEMP TABLE IF NOT EXISTS stage ({_COLS})")
            db.execute("DELETE FROM stage")
            db.executemany(f"INSERT INTO stage VALUES ({marks})", page)
            db.execute("INSERT INTO escalation_fts (escalation_fts, rowid, title, body, tags) "
                       "SELECT 'delete', e.id, e.title, e.body, e.tags FROM stage s "
                       f"CROSS JOIN escalation e ON {match} ORDER BY e.id")
            db.execute(_RAW_UPSERT)
            db.execute("INSERT INTO escalation_fts (rowid, title, body, tags) SELECT e.id, "
                       f"e.title, e.body, e.tags FROM stage s CROSS JOIN escalation e ON {match} "
                       "ORDER BY e.id")
    elapsed = time.perf_counter() - start
    store.set_autocheckpoint(1000)
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    args = ap.parse_args()
    hand_over_the_gil_sooner()  # as the app does (Workspace.open)
    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(args.count, theirs), daemon=True)
    proc.start()
    url = ours.recv()
    tmp = Path(tempfile.mkdtemp(prefix="rr-bench-"))
    try:
        env = make_env(type("S", (), {"url": url})(), tmp / "ours.sqlite3", page_size=PAGE)
        t = time.perf_counter()
        r1 = env.engine.run("demo")
        initial = time.perf_counter() - t
        assert r1.error is None and r1.changed == args.count, r1.summary()
        initial_pages = _collect(url)

        ours.send("change_all")
        if not ours.poll(600) or ours.recv() != "ok":
            raise SystemExit("the service process did not change the records")
        changed_pages = _collect_after(url, env)
        t = time.perf_counter()
        r2 = env.engine.run("demo")
        incremental = time.perf_counter() - t
        assert r2.error is None and r2.changed == args.count, r2.summary()
        env.store.close()

        raw_store = Store.open(tmp / "raw.sqlite3")
        with raw_store.write() as db:
            db.execute("INSERT INTO channel (id, name, kind) VALUES (1, 'demo', 'rr_api')")
        raw_initial = raw_merge(raw_store, initial_pages)
        raw_incremental = raw_merge(raw_store, changed_pages)
        raw_store.close()
    finally:
        ours.send("stop")
        ours.recv()
        proc.join(5)

    n = args.count
    print(f"\ningest benchmark, {n:,} escalations, {PAGE}-item pages")
    for label, full, raw in (("initial (empty cache)", initial, raw_initial),
                             ("incremental (full cache, all changed)", incremental,
                              raw_incremental)):
        print(f"  {label}:")
        print(f"    full pipeline (HTTP+parse+validate+upsert+FTS): {n / full:>9,.0f} esc/s")
        print(f"    raw set-based merge + FTS5 (same rows):          {n / raw:>9,.0f} esc/s")
        print(f"    ratio full/raw: {raw / full:.2f}x   (budget >= 0.80x and >= 15,000/s)")


def _collect_after(url: str, env: object) -> list[list[Incoming]]:
    """The changed records as the incremental sync will see them: from the cache's cursor."""
    store: Store = env.store  # type: ignore[attr-defined]
    with store.read() as db:
        cursor = db.execute("SELECT cursor FROM sync_cursor").fetchone()[0]
    client = RrApiChannel("demo", url, TOKEN, page_size=PAGE)
    pages = []
    while True:
        page = client.pull(cursor)
        pages.append(page.items)
        cursor = page.next_cursor
        if page.done:
            return pages


if __name__ == "__main__":
    main()
