"""Surge detection at 100k and 1M cached escalations (store/surge.py, docs/surges.md).

    python -m tests.benchmarks.bench_surge [--sizes 100000,1000000] [--runs 20]

Uses the search benchmark's caches (bench_search.cache: 30 days of demo traffic through
the real ingest path in one channel, built once and reused). Prints p50/p95 of each read
(the recent window; with URL/account extraction forced, as two channels need it, cold
and with a warm memo, as every check after the first), the same-hours baseline, the
pure detection, `find_surges` as the app calls it, and the same with a generated burst
of 40 dangerous-challenge reports from ID in 30 minutes written in a transaction that is
rolled back afterwards (the cache is left as it was), with what was found. It runs off
the GUI thread after a sync; the search budget (250 ms at 1M) is the yardstick.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from rr_desktop.domain.surge import detect
from rr_desktop.store import surge
from tests.benchmarks.bench_search import NOW, cache

BURST = 40  # at 1M the pair runs ~10/h: 40 in 30 min is a surge at both sizes


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _time(label: str, runs: int, fn: Callable[[], object]) -> object:
    times: list[float] = []
    result: object = None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    print(f"    {label:<44} p50 {statistics.median(times):7.1f} ms  "
          f"p95 {_pct(times, 0.95):7.1f} ms")
    return result


def _add_burst(db: sqlite3.Connection, now_s: int) -> None:
    """Copies of an existing row as a burst (bulk SQL, inside the caller's transaction)."""
    template = db.execute("SELECT max(id) FROM escalation").fetchone()[0]
    for n in range(BURST):
        db.execute(
            "INSERT INTO escalation (channel_id, external_id, remote_version, payload_hash, "
            "title, body, reporter, reporter_type, category, market, region, language, "
            "severity, urgency, priority, status, created_at, updated_at, synced_at) "
            "SELECT channel_id, 'BURST-' || ?, 1, 'x', 'Blackout challenge clip', 'Copied it.', "
            "reporter, reporter_type, 'dangerous_challenges', 'ID', 'APAC', language, "
            "severity, urgency, priority, 'new', ?, ?, ? FROM escalation WHERE id = ?",
            (n, now_s - 1800 + 1800 * n // BURST, now_s, now_s, template))


def measure(path: Path, runs: int) -> None:
    now_s = int(NOW.timestamp())
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        recent = _time("recent window, no URLs (one channel)", runs,
                       lambda: surge.recent_arrivals(conn, now_s))
        assert isinstance(recent, list)
        print(f"      ({len(recent):,} escalations in the recent window)")
        _time("recent window + URLs/accounts, cold", runs,
              lambda: surge.recent_arrivals(conn, now_s, surge.SignalMemo(), extract=True))
        memo = surge.SignalMemo()
        surge.recent_arrivals(conn, now_s, memo, extract=True)
        _time("recent window + URLs/accounts, warm memo", runs,
              lambda: surge.recent_arrivals(conn, now_s, memo, extract=True))
        _time("baseline (same hours, 7 days)", runs, lambda: surge.baseline(conn, now_s))
        arrivals = surge.recent_arrivals(conn, now_s, memo, extract=True)
        base = surge.baseline(conn, now_s)
        _time("detect (pure), with URLs/accounts", runs,
              lambda: detect(arrivals, base, now_s, {}))
        found = _time("find_surges, ordinary traffic", runs,
                      lambda: surge.find_surges(conn, now_s, {}))
        assert isinstance(found, list)
        print(f"      found {len(found)}: " + "; ".join(s.reason for s in found))
        conn.execute("BEGIN")
        try:
            _add_burst(conn, now_s)
            found = _time(f"find_surges, a burst of {BURST} in 30 min", runs,
                          lambda: surge.find_surges(conn, now_s, {}))
        finally:
            conn.execute("ROLLBACK")
        assert isinstance(found, list)
        print(f"      found {len(found)}: " + "; ".join(s.reason for s in found))
    finally:
        conn.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"\nsurge detection, {size:,} cached escalations ({args.runs} runs each)")
        measure(cache(size), args.runs)


if __name__ == "__main__":
    main()
