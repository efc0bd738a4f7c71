"""Search and view benchmark at 100k and 1M cached escalations.

    python -m tests.benchmarks.bench_search [--sizes 100000,1000000] [--runs 30]

The caches are built once through the real ingest path (demo factory -> rr_api.validate
-> prepare_rows -> merge_page with deferred FTS -> one FTS rebuild), plus some local
triage state (snoozes, queues, open conflicts), and kept under /tmp/rr-bench-search/ keyed
by a hash of the schema/ingest code, so later runs reuse them. Prints p50/p95 and the chosen
driver per query for `search_ids` with limit 1,000 ("search"), without a limit ("all":
every match, what a view narrowed by a search reads) and `View.ids` ("view").
Budgets (docs/performance.md): search <= 50 ms at 100k and <= 250 ms at 1M; view switch <= 50 ms
at 1M for indexed filters.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from rr_desktop.channels.rr_api import validate
from rr_desktop.demo.factory import EscalationFactory
from rr_desktop.domain import Channel, Incoming
from rr_desktop.store import channel_state, fts
from rr_desktop.store.connections import raw_reader
from rr_desktop.store.ingest import merge_page, prepare_rows
from rr_desktop.store.search import parse_query, search_ids
from rr_desktop.store.search_sql import plan
from rr_desktop.store.store import Store
from rr_desktop.store.views import BUILTIN_VIEWS

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
SPAN_S = 30 * 86400
PAGE = 500
CACHE_DIR = Path("/tmp/rr-bench-search")
SEARCHES = (
    "livestream", "jakarta", '"blackout challenge"', "challenge -livestream", "scam*",
    "sev:0,1", "pri:0", "status:new market:ID", "cat:child_safety", "region:EMEA sev:2",
    "channel:demo sev:3", "assignee:me is:open", "is:breached", "is:at_risk is:open",
    "is:snoozed", "is:conflict", "queue:legal-review", "after:2d", "livestream sev:0 -is:snoozed",
    "-status:new", "status:new -is:snoozed", "police status:open",
)


def _code_tag() -> str:
    root = Path(__file__).resolve().parents[2] / "rr_desktop" / "store"
    digest = hashlib.sha1()
    for name in ("schema.py", "ingest.py", "sla_sql.py", "migrations/versions"):
        for path in sorted((root / name).rglob("*.py")) if (root / name).is_dir() \
                else [root / name]:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def build(path: Path, count: int) -> None:
    """A cache of `count` escalations through the real ingest path, plus local state."""
    tmp = path.with_suffix(".building")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    store = Store.open(tmp)
    with store.write() as db:
        cid = channel_state.ensure_channel(db, Channel("demo", "rr_api", {}))
    factory = EscalationFactory(random.Random(7))
    now_s = int(NOW.timestamp())
    step = SPAN_S / count
    store.set_autocheckpoint(0)
    t = time.perf_counter()
    for start in range(0, count, PAGE):
        records = [factory.record(i + 1, now_s - SPAN_S + int((i + 0.5) * step), now_s)
                   for i in range(start, min(start + PAGE, count))]
        items = [r for r in (validate(json.dumps(rec).encode()) for rec in records)
                 if isinstance(r, Incoming)]
        rows = prepare_rows(items, NOW)
        with store.write() as db:
            merge_page(db, cid, items, [], NOW, rows=rows, defer_fts=True)
        if start % (200 * PAGE) == 0:
            store.checkpoint()  # keeps the WAL (and /tmp) from growing to tens of GB
    with store.write() as db:
        fts.rebuild(db)
        _local_state(db, count)
    store.set_autocheckpoint(1000)
    store.checkpoint()
    store.close()
    print(f"  built {count:,} in {time.perf_counter() - t:.0f} s -> {path}")
    tmp.rename(path)
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)


def _local_state(conn: sqlite3.Connection, count: int) -> None:
    """Snoozes, local queues and open conflicts on a few open items (bulk SQL)."""
    now_s = int(NOW.timestamp())
    conn.execute(
        "UPDATE escalation SET snoozed_until = ? + (id % 7) * 3600 WHERE status = 'new' "
        "AND id % 50 = 0", (now_s - 2 * 3600,))
    conn.execute(
        "UPDATE escalation SET queue = CASE id % 3 WHEN 0 THEN 'legal-review' WHEN 1 THEN "
        "'apac-tier1' ELSE 'policy' END WHERE status IN ('triaged', 'investigating') "
        "AND id % 20 = 0")
    conn.execute(
        "INSERT INTO conflict (escalation_id, op_id, field, theirs_version, detected_at) "
        "SELECT id, 'bench-' || id, 'status', 2, ? FROM escalation WHERE id % ? = 0",
        (now_s, max(count // 300, 1)))


def cache(count: int) -> Path:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"cache-{count}-{_code_tag()}.sqlite3"
    if not path.exists():
        print(f"  building a {count:,}-row cache (once; reused while the schema is unchanged)")
        build(path, count)
    return path


def busiest_analyst(path: Path) -> str:
    conn = raw_reader(path)
    try:
        row = conn.execute("SELECT assignee FROM escalation WHERE assignee IS NOT NULL "
                           "AND status = 'investigating' LIMIT 1").fetchone()
        return str(row[0])
    finally:
        conn.close()


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(path: Path, runs: int) -> None:
    me = busiest_analyst(path)
    conn = raw_reader(path)
    try:
        cases = [(f"search {q}", q, 1_000) for q in SEARCHES]
        cases += [(f"all    {q}", q, None) for q in SEARCHES]
        views = {f"view   {v.name}": v.for_analyst(me) for v in BUILTIN_VIEWS}
        cases += [(label, v.query, None) for label, v in views.items()]
        times: dict[str, list[float]] = {label: [] for label, _, _ in cases}
        hits: dict[str, int] = {}
        for _ in range(runs):
            for label, query, limit in cases:
                t = time.perf_counter()
                if limit is None and label.startswith("view"):
                    ids = views[label].ids(conn, now=NOW)
                else:
                    ids = search_ids(conn, parse_query(query), me, NOW, limit=limit)
                times[label].append((time.perf_counter() - t) * 1000)
                hits[label] = len(ids)
        for label, query, limit in cases:
            s = times[label]
            driver = plan(conn, parse_query(query), me, NOW, limit).driver
            driver = driver.removeprefix("ix_escalation_")
            print(f"    {label:<40} {hits[label]:>9,} ids  p50 {statistics.median(s):7.1f} ms"
                  f"  p95 {_pct(s, 0.95):7.1f} ms  [{driver}]")
        for kind in ("search", "all   "):
            p95s = [_pct(times[label], 0.95) for label, _, _ in cases if label.startswith(kind)]
            print(f"    {kind.strip()}: worst p95 {max(p95s):.1f} ms, median p95 "
                  f"{statistics.median(p95s):.1f} ms")
    finally:
        conn.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"\nsearch benchmark, {size:,} cached escalations ({args.runs} runs each)")
        measure(cache(size), args.runs)


if __name__ == "__main__":
    main()
