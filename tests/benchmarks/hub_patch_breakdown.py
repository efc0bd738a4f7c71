"""Where a PATCH's time goes on the hub (bench_hub_load.py's last part).

The hub's own code, in this process, on the benchmark's database once the load run has
ended (so nothing else runs): `TokenGate.identify` then `api.answer` for PATCH
/v1/escalations/{id}, as the server calls them for a request, one after the other. Each
SQL statement is timed by SQLAlchemy's cursor events (the round trip to PostgreSQL and
its work), the commit from SQLAlchemy's commit event to the end of the call (PostgreSQL's
WAL flush: fsync is on); the rest is Python (routing, JSON, SQLAlchemy's own work, the
pool's checkout ping). Then cProfile over the same calls, by own time.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import re
import statistics
import time
from collections import defaultdict
from typing import Any

from sqlalchemy import event, select

from rr_desktop.hub import caller, tokens
from rr_desktop.hub.api import HubRoutes, answer
from rr_desktop.hub.schema import escalation
from rr_desktop.hub.server import TokenGate
from rr_desktop.hub.store import HubStore

_TABLE = re.compile(r"\b(hub_\w+)")
_FUNCTION = re.compile(r"^SELECT\s+(\w+)\(", re.IGNORECASE)  # pg_notify(...)


def _label(statement: str) -> str:
    verb = statement.split(None, 1)[0].upper()
    table = _TABLE.search(statement) or _FUNCTION.search(statement)
    lock = " FOR UPDATE" if "FOR UPDATE" in statement else ""
    return f"{verb} {table.group(1) if table else '?'}{lock}"


class _Request:
    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers


def breakdown(url: str, count: int) -> None:
    store = HubStore.open(url)
    try:
        _run(store, count)
    finally:
        store.close()


def _run(store: HubStore, count: int) -> None:
    with store.write() as conn:
        token = tokens.add_analyst(conn, "bench.profile", "analyst")
    with store.read() as conn:
        free = [r.api_id for r in conn.execute(
            select(escalation.c.api_id).where(escalation.c.fields.like('%"assignee":null%'))
            .limit(20))]
    gate, routes = TokenGate(store), HubRoutes(store)
    request = _Request({"authorization": f"Bearer {token}"})
    t0 = time.perf_counter()
    identity = gate.identify(request)  # type: ignore[arg-type]
    scrypt_ms = 1000 * (time.perf_counter() - t0)
    assert identity is not None
    who = caller.Caller(identity.analyst, identity.role, "bench-profile")
    versions = {eid: json.loads(routes.handle("GET", f"/v1/escalations/{eid}", "", {},
                                              b"").body)["version"] for eid in free}

    sql: dict[str, list[float]] = defaultdict(list)
    marks: dict[str, float] = {}

    @event.listens_for(store.engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        marks["stmt"] = time.perf_counter()

    @event.listens_for(store.engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sql[_label(statement)].append(time.perf_counter() - marks["stmt"])

    @event.listens_for(store.engine, "commit")
    def _commit(conn: Any) -> None:
        marks["commit"] = time.perf_counter()

    checkouts = [0]

    @event.listens_for(store.engine, "checkout")
    def _checkout(*args: Any) -> None:
        checkouts[0] += 1

    def one(n: int, phases: dict[str, list[float]] | None) -> None:
        eid = free[n % len(free)]
        body = {"assignee": "bench.profile"} if n < len(free) else \
            {"severity": ("S1", "S2", "S3")[n % 3]}
        t0 = time.perf_counter()
        gate.identify(request)  # type: ignore[arg-type]
        t1 = time.perf_counter()
        marks.pop("commit", None)
        got = answer(routes, who, "PATCH", f"/v1/escalations/{eid}", "",
                     {"If-Match": f'"{versions[eid]}"'}, json.dumps(body).encode())
        t2 = time.perf_counter()
        assert got.status == 200, got.body
        versions[eid] = json.loads(got.body)["version"]
        if phases is not None:
            phases["token check"].append(t1 - t0)
            phases["route + store"].append(t2 - t1)
            phases["commit (WAL flush)"].append(t2 - marks.get("commit", t2))
            phases["total"].append(t2 - t0)

    for n in range(len(free)):  # take them, unmeasured
        one(n, None)
    sql.clear()
    checkouts[0] = 0
    phases: dict[str, list[float]] = defaultdict(list)
    for n in range(len(free), len(free) + count):
        one(n, phases)
    print(f"\n where a PATCH's time goes (in-process, one at a time, {count} PATCHes; "
          f"a token's first scrypt check {scrypt_ms:.0f} ms; "
          f"{checkouts[0] / count:.1f} pool checkouts, i.e. transactions, a PATCH)")
    for name in ("total", "token check", "route + store", "commit (WAL flush)"):
        values = phases[name]
        print(f"    {name:<34} mean {1000 * statistics.fmean(values):6.2f} ms  p50 "
              f"{1000 * statistics.median(values):6.2f} ms")
    total = statistics.fmean(phases["total"])
    in_sql = 0.0
    for label, values in sorted(sql.items(), key=lambda kv: -sum(kv[1])):
        per = sum(values) / count
        in_sql += per
        print(f"    SQL {label:<30} {len(values) / count:4.1f}x  {1000 * per:6.2f} ms a PATCH")
    commit = statistics.fmean(phases["commit (WAL flush)"])
    print(f"    Python and the driver (the rest)       {1000 * (total - in_sql - commit):6.2f}"
          f" ms a PATCH")
    _polls(store, routes, gate, request, who, count)
    profiler = cProfile.Profile()
    profiler.enable()
    for n in range(len(free) + count, len(free) + 2 * count):
        one(n, None)
    profiler.disable()
    print(f"  cProfile, the same {count} PATCHes, by own time (ms a PATCH):")
    stats = pstats.Stats(profiler)
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:12]  # type: ignore[attr-defined]
    for (path, line, name), (_, calls, own, _cum, _) in rows:
        where = path.rsplit("/site-packages/", 1)[-1].rsplit("/rr_desktop/", 1)[-1]
        print(f"    {1000 * own / count:6.2f}  {calls / count:5.1f}x  {name} ({where}:{line})")


def _polls(store: HubStore, routes: HubRoutes, gate: TokenGate, request: _Request,
           who: caller.Caller, count: int) -> None:
    """A desktop's feed poll as the server answers it: the token, then the page from a
    cursor at the head (nothing new: a 250 ms poll's usual answer) and 100 behind it."""
    head = routes.state.max_seq  # type: ignore[attr-defined]
    instance = routes.state.instance  # type: ignore[attr-defined]
    checkouts = [0]

    @event.listens_for(store.engine, "checkout")
    def _checkout(*args: Any) -> None:
        checkouts[0] += 1

    for behind in (0, 100):
        times, checkouts[0] = [], 0
        for _ in range(count):
            t0 = time.perf_counter()
            gate.identify(request)  # type: ignore[arg-type]
            got = answer(routes, who, "GET", "/v1/escalations",
                         f"cursor={instance}.{head - behind}&limit=1000", {}, b"")
            times.append(time.perf_counter() - t0)
            assert got.status == 200
        print(f"    a feed poll, {behind:3} new: mean {1000 * statistics.fmean(times):6.2f} ms"
              f"  p50 {1000 * statistics.median(times):6.2f} ms, "
              f"{checkouts[0] / count:.1f} transactions")
    event.remove(store.engine, "checkout", _checkout)
