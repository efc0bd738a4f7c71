"""The hub load benchmark (tests/benchmarks/bench_hub_load.py) end to end at a tiny size:
its figures must be true before its big runs mean anything. Real PostgreSQL, the hub in
its own process, tokens from `rr-desktop hub users add`."""

from __future__ import annotations

import psycopg
import pytest

from tests.benchmarks.bench_hub_load import run_load, seed
from tests.benchmarks.hub_desktops import loopback
from tests.peers.postgres import PostgresServer

EXPECTED = {"patch 200", "patch 412", "patch 403", "facts 201", "notes 201"}


@pytest.mark.slow
def test_the_load_generator_counts_what_the_hub_did(postgres: PostgresServer) -> None:
    database, loaded, _ = seed(postgres, 200, desktops=3)
    assert loaded > 0
    result = run_load(postgres, database, desktops=3, seconds=2.0, rate=15.0)
    tally = result.tally
    writes = sum(len(v) for v in tally.acks.values())  # patches and facts: record changes
    with psycopg.connect(postgres.dsn(database)) as conn:
        row = conn.execute("SELECT count(*) FROM hub_change WHERE desktop LIKE "
                           "'bench-desk-%'").fetchone()
    assert row is not None
    # Every change the hub acknowledged is one step of its feed, and no other.
    assert 0 < tally.changes == result.head_growth == row[0]
    assert set(tally.statuses) <= EXPECTED, tally.statuses
    # Every record write arrived at each of the two other desktops, exactly once.
    assert result.drained and writes > 0 and tally.missing() == 0
    assert len(tally.arrival_s) == 2 * writes
    assert all(0 <= s < 30 for s in tally.arrival_s)
    assert sum(result.per_second) <= result.head_growth
    assert result.hub_cpu_pct > 0 and result.hub_rss_mib[1] > 0 and result.pg_cpu_pct > 0


def test_the_generator_loads_only_a_hub_on_this_machine() -> None:
    assert loopback("http://127.0.0.1:8770") == ("127.0.0.1", 8770)
    assert loopback("http://localhost:8770")[1] == 8770
    for base in ("http://10.0.0.1:8770", "http://8.8.8.8:80", "https://127.0.0.1:8770",
                 "http://127.0.0.1"):
        with pytest.raises(ValueError):
            loopback(base)
