"""Demo data benchmark: how fast a queue is generated, and what the app's demo day looks like.

    python -m tests.benchmarks.bench_demo [--count 100000] [--runs 5]

Prints the time of ``generate(7, count, now)`` (min and median of ``runs``; the ingest and
search benchmarks generate 100k-1M records, so it has to stay cheap: 1.5-1.9 s per 100k on
the 2-core target machine), then for the app's demo (seed 7, 3000 records) at eight times
of the UTC day: how many items are new (the Triage view), how many open items are at risk
and breached as a cache derives their clocks on its first sync under the default policy,
and the status mix.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from rr_desktop.demo.generator import generate
from rr_desktop.demo.wire import parse_iso
from rr_desktop.domain.enums import Severity, Status
from rr_desktop.domain.sla import SlaFacts, SlaPolicy, advance, next_deadline

NOW = datetime(2026, 11, 25, 1, 2, 3, tzinfo=UTC)


def time_generate(count: int, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        records = generate(7, count, NOW)
        times.append(time.perf_counter() - start)
        del records
    return times


def day_shape(now: datetime) -> str:
    policy = SlaPolicy.default()
    now_s = int(now.timestamp())
    records = generate(7, 3000, now)
    clocks: Counter[str] = Counter()
    for r in records:
        status = Status(r["status"])
        if not status.is_open:
            continue
        facts = SlaFacts(Severity(int(r["severity"][1])), parse_iso(r["created_at"]))
        if status is not Status.NEW:
            facts = advance(facts, status, parse_iso(r["updated_at"]))
        deadline = next_deadline(facts, policy)
        clocks["paused" if deadline is None else "breached" if now_s >= deadline[0]
               else "at risk" if now_s >= deadline[1] else "ok"] += 1
    statuses = Counter(r["status"] for r in records)
    open_count = sum(clocks.values())
    return (f"{now:%H:%M}Z new {statuses['new']:3d}  open {open_count:4d}  at risk "
            f"{clocks['at risk']:3d}  breached {clocks['breached']:3d}  paused "
            f"{clocks['paused']:3d}  | " + " ".join(f"{k} {v}" for k, v in statuses.most_common()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    times = time_generate(args.count, args.runs)
    print(f"generate(7, {args.count:,}): min {min(times):.3f} s, median "
          f"{statistics.median(times):.3f} s ({min(times) / args.count * 1e6:.1f} us a record)")
    print("The app's demo day (seed 7, 3000 records):")
    for hour in range(0, 24, 3):
        print("  " + day_shape(NOW.replace(minute=17, second=0) + timedelta(hours=hour)))


if __name__ == "__main__":
    main()
