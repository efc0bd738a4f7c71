"""The team hub under a team's load: simulated desktops syncing and writing triage
actions against a hub holding a million escalations on PostgreSQL (docs/hub.md, "Load").

    python -m tests.benchmarks.bench_hub_load [--escalations 1000000] [--desktops 50]
        [--seconds 60] [--rate 200]

- PostgreSQL: a durable server (fsync, synchronous_commit on: tests/peers/postgres.py),
  seeded through `HubEscalations.load` (timed), then `VACUUM ANALYZE` (timed);
- one analyst per desktop, each token made by `rr-desktop hub users add` in its own
  process; the hub is `rr-desktop hub --db ... --port 0`, in its own process;
- the desktops (hub_desktops.py, one asyncio loop in this process, loopback only): each
  pages `/v1/escalations?cursor=` from the head's cursor whenever `/v1/changes/wait` says
  the feed moved (every 250 ms without that route), and writes triage actions at
  rate/desktops a second: PATCH with If-Match on what it holds or takes from the free
  pool (some races, so some 412/403), releases some, posts facts and notes with an
  Idempotency-Key;
- measured over the write window: changes/s (the feed's growth, checked against the
  writes the hub acknowledged), write-to-arrival latency at every other desktop, answer
  times, status counts, hub RSS and CPU, PostgreSQL's CPU (all its processes), the
  generator's own CPU; then where a PATCH's time goes (hub_patch_breakdown.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from rr_desktop.demo.factory import EscalationFactory
from rr_desktop.demo.generator import history_s
from rr_desktop.demo.wire import epoch, gc_paused
from rr_desktop.hub.escalation_store import HubEscalations
from rr_desktop.hub.store import HubStore
from tests.benchmarks.hub_desktops import POLL_S, Desktop, Tally, loopback
from tests.hub.hub_rig import hub_process
from tests.peers.postgres import PostgresServer, postgres_server

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
POOL_PER_DESKTOP = 25
DRAIN_S = 30.0
TICK = os.sysconf("SC_CLK_TCK")


def records(count: int, seed: int = 7, fresh: int = 0) -> Iterator[dict[str, Any]]:
    """`generate(seed, count, NOW, fresh=fresh)`'s records one at a time (a million at
    once would hold gigabytes): the same demo queue, the newest `fresh` untaken."""
    factory = EscalationFactory(random.Random(seed))
    now_s = epoch(NOW)
    times = factory.arrivals.times(count, now_s - history_s(count), now_s,
                                   factory.rng.random)
    first_fresh = count - min(fresh, count) + 1
    for i, created in enumerate(times, 1):
        if i < first_fresh:
            yield factory.record(i, created, now_s)
        else:
            yield factory.record(i, max(created, now_s - 60 * (count - i + 1)), now_s,
                                 fresh=True)


def seed(server: PostgresServer, count: int, desktops: int) -> tuple[str, float, float]:
    """A new hub database holding `count` escalations; (its name, load s, vacuum s)."""
    name = server.create_database("hubload")
    store = HubStore.open(server.url(name))
    try:
        fresh = min(count, max(4 * POOL_PER_DESKTOP * desktops, count // 50))
        t0 = time.perf_counter()
        with gc_paused():
            HubEscalations(store).load(records(count, fresh=fresh))
        loaded = time.perf_counter() - t0
    finally:
        store.close()
    t0 = time.perf_counter()
    with psycopg.connect(server.dsn(name), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return name, loaded, time.perf_counter() - t0


def add_users(url: str, count: int, run: int = 0) -> dict[str, str]:
    """`rr-desktop hub users add bench.rRdNN --role analyst`, one process each; tokens."""
    def add(n: int) -> tuple[str, str]:
        name = f"bench.r{run}d{n:02d}"
        done = subprocess.run(
            [sys.executable, "-m", "rr_desktop", "hub", "--db", url, "users", "add", name,
             "--role", "analyst"], capture_output=True, text=True, check=True, timeout=120)
        return name, done.stdout.strip()

    with ThreadPoolExecutor(4) as pool:
        return dict(pool.map(add, range(count)))


def cpu_ticks(pids: list[int], reaped: bool = False) -> dict[int, int]:
    """utime + stime of each pid still alive, in clock ticks; `reaped`: plus, for the
    first pid, its children that have exited (PostgreSQL's backends that came and went:
    the postmaster reaps them)."""
    out = {}
    for n, pid in enumerate(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        out[pid] = int(fields[11]) + int(fields[12])
        if reaped and n == 0:
            out[pid] += int(fields[13]) + int(fields[14])
    return out


# The hub's PostgreSQL sessions by what they are doing: waiting for a lock (another
# transaction's row: the feed's counter, or the same escalation), running a statement, or
# inside a transaction with nothing to run (the hub's Python has the next step).
SESSION_STATES = (
    "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), "
    "count(*) FILTER (WHERE state = 'active' AND wait_event_type IS DISTINCT FROM 'Lock'), "
    "count(*) FILTER (WHERE state = 'idle in transaction') "
    "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")


def sessions(dsn: str) -> int:
    """Connections PostgreSQL has opened to this database so far."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SELECT sessions FROM pg_stat_database "
                           "WHERE datname = current_database()").fetchone()
    return int(row[0]) if row else 0


def descendants(root: int) -> list[int]:
    """`root` and every process below it (PostgreSQL's backends and workers)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except OSError:
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def feed_head(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SELECT coalesce(max(seq), 0) FROM hub_change").fetchone()
    return int(row[0]) if row else 0


@dataclass
class LoadResult:
    """What one load run measured (the smoke test checks these)."""

    seconds: float
    head_growth: int
    tally: Tally
    hub_cpu_pct: float
    hub_rss_mib: tuple[float, float]  # at the start, the most during the run
    pg_cpu_pct: float
    generator_cpu_pct: float
    push: bool
    drained: bool
    per_second: list[int]  # the feed's growth in each second of the window
    pg_sessions: int  # connections opened to PostgreSQL during the window (the hub's)
    poll_s: float = POLL_S
    states: list[tuple[int, ...]] = field(default_factory=list)  # SESSION_STATES a second


async def _load(base: str, dsn: str, hub_pid: int, pg_pid: int, tokens: dict[str, str],
                pool: list[tuple[str, int]], seconds: float, rate: float,
                rng: random.Random, poll_s: float) -> LoadResult:
    host, port = loopback(base)
    with psycopg.connect(dsn, autocommit=True) as conn:
        instance = conn.execute(
            "SELECT value FROM hub_meta WHERE name = 'instance'").fetchone()
    head0 = feed_head(dsn)
    tally = Tally(len(tokens))
    shared = [eid for eid, _ in pool]
    desks = [Desktop(n, name, token, host, port, tally, shared,
                     cursor=f"{instance[0] if instance else ''}.{head0}", head=head0,
                     poll_s=poll_s)
             for n, (name, token) in enumerate(sorted(tokens.items()))]
    for known in tally.known:  # every desktop has synced the queue already
        known.update(pool)
    probe = desks[0].conn()  # the wait route, and every token verified once (scrypt)
    status, _ = await probe.request("GET", f"/v1/changes/wait?after={head0}&timeout=0")
    probe.close()
    push = status == 200
    warm = [d.conn() for d in desks]
    await asyncio.gather(*(c.request("GET", "/v1/escalations?limit=1") for c in warm))
    for c in warm:
        c.close()

    stop = asyncio.Event()
    syncs = [asyncio.create_task(d.sync(push, stop)) for d in desks]
    sessions0 = sessions(dsn)
    hub0, pg0, self0 = cpu_ticks([hub_pid]), cpu_ticks(descendants(pg_pid), reaped=True), \
        resource.getrusage(resource.RUSAGE_SELF)
    rss = [rss_mib(hub_pid)]
    per_second: list[int] = []
    states: list[tuple[int, ...]] = []
    start = time.monotonic()
    until = start + seconds

    async def sample() -> None:
        last = head0
        with psycopg.connect(dsn, autocommit=True) as conn:
            while time.monotonic() < until:
                await asyncio.sleep(1.0)
                rss.append(rss_mib(hub_pid))
                row = conn.execute("SELECT coalesce(max(seq), 0) FROM hub_change").fetchone()
                head = int(row[0]) if row else last
                per_second.append(head - last)
                last = head
                sessions_now = conn.execute(SESSION_STATES).fetchone()
                if sessions_now:
                    states.append(tuple(int(v) for v in sessions_now))

    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(d.write(rate / len(desks), until, random.Random(rng.random()))
                           for d in desks))
    elapsed = time.monotonic() - start
    hub1, pg1, self1 = cpu_ticks([hub_pid]), cpu_ticks(descendants(pg_pid), reaped=True), \
        resource.getrusage(resource.RUSAGE_SELF)
    opened = sessions(dsn) - sessions0 - 1  # less this count's own connection
    await sampler
    head1 = feed_head(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:  # a note is not in this feed
        row = conn.execute("SELECT coalesce(max(seq), 0) FROM hub_escalation").fetchone()
    last_escalation = int(row[0]) if row else head1
    deadline = time.monotonic() + DRAIN_S
    while any(d.head < last_escalation for d in desks) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    drained = all(d.head >= last_escalation for d in desks)
    if not drained:
        behind = sorted(last_escalation - d.head for d in desks if d.head < last_escalation)
        print(f"  after {DRAIN_S:.0f} s, {len(behind)} desktops still behind the last "
              f"escalation change by {behind} seqs", flush=True)
        now = time.monotonic()
        for d, task in zip(desks, syncs, strict=True):
            if d.head < last_escalation:
                state = f"ended: {task.exception()!r}" if task.done() else "running"
                print(f"    desk {d.number}: {d.doing[0]} for {now - d.doing[1]:.1f} s; "
                      f"sync task {state}")
    stop.set()
    for task in syncs:
        task.cancel()
    await asyncio.gather(*syncs, return_exceptions=True)

    def pct(before: dict[int, int], after: dict[int, int]) -> float:
        used = sum(t - before.get(pid, 0) for pid, t in after.items())
        return 100 * used / TICK / elapsed

    mine = (self1.ru_utime + self1.ru_stime - self0.ru_utime - self0.ru_stime)
    return LoadResult(elapsed, head1 - head0, tally, pct(hub0, hub1), (rss[0], max(rss)),
                      pct(pg0, pg1), 100 * mine / elapsed, push, drained, per_second,
                      opened, poll_s, states)


def pick_pool(dsn: str, size: int) -> list[tuple[str, int]]:
    """Escalations nobody holds, (id, version), at random: what the desktops take."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT api_id, version FROM hub_escalation WHERE fields LIKE %s "
            "ORDER BY random() LIMIT %s", ('%"assignee":null%', size)).fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]


def run_load(server: PostgresServer, database: str, desktops: int, seconds: float,
             rate: float, seed_: int = 7, poll_s: float = POLL_S) -> LoadResult:
    """Users, the hub in its own process, the desktops' load; the figures."""
    url = server.url(database, tcp=True)
    t0 = time.perf_counter()
    tokens = add_users(url, desktops, seed_)
    print(f"  {desktops} tokens by `rr-desktop hub users add`: "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    pool = pick_pool(server.dsn(database), POOL_PER_DESKTOP * desktops)
    with hub_process(url) as hub:
        return asyncio.run(_load(hub.base, server.dsn(database), hub.proc.pid,
                                 server.proc.pid, tokens, pool, seconds, rate,
                                 random.Random(seed_), poll_s))


def _ms(samples: list[float], q: float) -> str:
    if not samples:
        return "     -"
    ordered = sorted(samples)
    return f"{1000 * ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]:6.1f}"


def report(result: LoadResult, desktops: int, rate: float) -> None:
    t = result.tally
    print(f"  window {result.seconds:.1f} s, {desktops} desktops, target {rate:g} writes/s, "
          "feed moves by " + ("the wait route" if result.push else
                              f"polling every {1000 * result.poll_s:.0f} ms"))
    print(f"  changes/s sustained: {result.head_growth / result.seconds:7.1f} "
          f"(feed +{result.head_growth}, writes acknowledged {t.changes}; per second "
          f"min {min(result.per_second, default=0)}, median "
          f"{statistics.median(result.per_second or [0]):g}, max "
          f"{max(result.per_second, default=0)})")
    print(f"  arrival at the other desktops (write acknowledged -> in their feed), "
          f"{len(t.arrival_s)} samples: p50 {_ms(t.arrival_s, 0.5)} ms  p95 "
          f"{_ms(t.arrival_s, 0.95)} ms  p99 {_ms(t.arrival_s, 0.99)} ms  max "
          f"{_ms(t.arrival_s, 1.0)} ms")
    print(f"  record writes nobody else saw: {t.missing()} of "
          f"{sum(len(v) for v in t.acks.values())}; every desktop caught up: {result.drained}")
    for kind, samples in sorted(t.write_s.items()):
        print(f"  {kind:<6} answer: p50 {_ms(samples, 0.5)} ms  p95 {_ms(samples, 0.95)} ms"
              f"  p99 {_ms(samples, 0.99)} ms  ({len(samples)})")
    print(f"  feed page answer: p50 {_ms(t.page_s, 0.5)} ms  p95 {_ms(t.page_s, 0.95)} ms"
          f"  ({len(t.page_s)} pages)")
    print("  statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(t.statuses.items())))
    print(f"  hub process: CPU {result.hub_cpu_pct:5.1f}% of a core, RSS "
          f"{result.hub_rss_mib[0]:.0f} MiB at start, {result.hub_rss_mib[1]:.0f} MiB most")
    print(f"  PostgreSQL (all its processes): CPU {result.pg_cpu_pct:5.1f}% of a core;"
          f" this generator: {result.generator_cpu_pct:5.1f}%; connections the hub "
          f"opened to it in the window: {result.pg_sessions}")
    if result.states:
        mean = [statistics.fmean(s[i] for s in result.states) for i in range(3)]
        print(f"  the hub's PostgreSQL sessions, sampled each second (mean): waiting for a "
              f"lock {mean[0]:.1f}, running a statement {mean[1]:.1f}, in a transaction "
              f"waiting for the hub {mean[2]:.1f}", flush=True)


def main() -> None:
    from tests.benchmarks.hub_patch_breakdown import breakdown

    ap = argparse.ArgumentParser()
    ap.add_argument("--escalations", type=int, default=1_000_000)
    ap.add_argument("--desktops", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rate", type=float, default=200.0, help="writes a second, all desktops")
    ap.add_argument("--runs", type=int, default=1, help="load runs on the one seeded hub")
    ap.add_argument("--profile", type=int, default=300, help="PATCHes in the breakdown")
    ap.add_argument("--poll", type=float, default=POLL_S,
                    help="seconds between feed reads when the hub has no wait route")
    args = ap.parse_args()
    if not (1 <= args.desktops <= 60 and args.rate > 0 and args.seconds > 0):
        ap.error("desktops 1..60 (PostgreSQL's max_connections), rate and seconds > 0")
    with postgres_server(durable=True) as server:
        with psycopg.connect(server.dsn(), autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET max_wal_size = '4GB'")  # a production setting
            conn.execute("SELECT pg_reload_conf()")
        print(f"hub load: {args.escalations:,} escalations on PostgreSQL (durable)",
              flush=True)
        database, loaded, vacuumed = seed(server, args.escalations, args.desktops)
        print(f"  seeded by HubEscalations.load in {loaded:.1f} s "
              f"({args.escalations / loaded:,.0f}/s), VACUUM ANALYZE {vacuumed:.1f} s",
              flush=True)
        for run in range(args.runs):
            print(f"\n run {run + 1}", flush=True)
            report(run_load(server, database, args.desktops, args.seconds, args.rate,
                            seed_=run, poll_s=args.poll), args.desktops, args.rate)
        if args.profile:
            breakdown(server.url(database), args.profile)


if __name__ == "__main__":
    main()
