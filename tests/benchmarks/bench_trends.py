"""Trends aggregates at 100k and 1M cached escalations.

    python -m tests.benchmarks.bench_trends [--sizes 100000,1000000] [--runs 3]

The caches are built with bulk SQL (tests/trends_cache.py: 60 days of escalations, a
planted surge) under /tmp/rr-bench-trends/, keyed by a hash of the schema and the
builder, and reused. Prints, per size, the median of `runs` for each aggregate of a
30-day period (the period before it and the 6 surge baseline weeks included, as the
screen reads them) and for the whole snapshot, in the analyst's zone, in market-local
time and with a market filter, plus the query plan of the cube (it must name
ix_escalation_trends). Figures, not pass/fail (docs/performance.md).
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from rr_desktop.domain.sla import SlaKind
from rr_desktop.store.connections import raw_reader
from rr_desktop.trends import queries as q
from rr_desktop.trends.snapshot import read_snapshot
from rr_desktop.trends.zones import MARKET_LOCAL, Bucket
from tests.trends_cache import BENCH_NOW, build_cache

CACHE_DIR = Path("/tmp/rr-bench-trends")
ROOT = Path(__file__).resolve().parents[2]


def _tag() -> str:
    digest = hashlib.sha1()
    for path in (ROOT / "rr_desktop/store/schema.py", ROOT / "tests/trends_cache.py",
                 *sorted((ROOT / "rr_desktop/store/migrations/versions").glob("*.py"))):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def cache(rows: int) -> Path:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"trends-{rows}-{_tag()}.sqlite3"
    if not path.exists():
        tmp = path.with_suffix(".building")
        for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            p.unlink(missing_ok=True)
        build_cache(tmp, rows, BENCH_NOW)
        tmp.rename(path)
    return path


def median_ms(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def measure(path: Path, runs: int) -> None:
    db = raw_reader(path)
    now = int(BENCH_NOW.timestamp())
    end = (now // 86400 + 1) * 86400
    period = q.TrendFilter(end - 30 * 86400, end, "Asia/Singapore", Bucket.DAY)
    history_start = period.start - 42 * 86400
    w = q.where(period, history_start)
    plan = [r[3] for r in db.execute(
        f"EXPLAIN QUERY PLAN SELECT category, market, channel_id, created_at / 86400 AS b, "
        f"count(*) FROM escalation WHERE {w.sql} GROUP BY category, market, channel_id, b",
        w.params)]
    print(f"  cube plan: {plan}")
    parts: dict[str, Callable[[], object]] = {
        "cube (volumes + SLA, 72 days)": lambda: q.cube(db, period, Bucket.DAY,
                                                        history_start, now),
        **{f"histogram {k.value} (60 days)": (lambda k=k: q.duration_histogram(
            db, period, k, period.previous().start)) for k in SlaKind},
        "reporter types (60 days)": lambda: q.reporter_types(db, period,
                                                             period.previous().start),
        "incidents": lambda: q.incident_times(db, period.start, period.end),
    }
    for name, fn in parts.items():
        print(f"  {name:<34} {median_ms(fn, runs):8.0f} ms")
    for name, f in (("snapshot, Asia/Singapore", period),
                    ("snapshot, market-local", q.TrendFilter(period.start, period.end,
                                                             MARKET_LOCAL, Bucket.DAY)),
                    ("snapshot, markets ID,PH", q.TrendFilter(period.start, period.end,
                                                              "Asia/Singapore", Bucket.DAY,
                                                              ("ID", "PH"))),
                    ("snapshot, 7 days hourly", q.TrendFilter(period.end - 7 * 86400,
                                                              period.end, "Asia/Singapore",
                                                              Bucket.HOUR))):
        ms = median_ms(lambda f=f: read_snapshot(db, f, now), runs)
        found = len(read_snapshot(db, f, now).findings)
        print(f"  {name:<34} {ms:8.0f} ms  ({found} findings)")
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"{size:,} escalations")
        measure(cache(size), args.runs)


if __name__ == "__main__":
    main()
