"""Trends metrics against hand-computed figures: buckets across a DST change and a
market-local day boundary, percentiles, SLA breach rates (held to domain/sla.py's own
judgement), period-over-period changes, incident counts and durations."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rr_desktop.domain.sla import SlaKind, SlaPolicy, SlaState, SlaTargets, clocks
from rr_desktop.store.sla_sql import save_policy
from rr_desktop.store.store import Store
from rr_desktop.trends import queries as q
from rr_desktop.trends.metrics import Stack, distribution, volume_series
from rr_desktop.trends.snapshot import read_snapshot
from rr_desktop.trends.zones import MARKET_LOCAL, Bucket, label


def ts(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


_n = iter(range(1, 10_000))


def add(db, created: int, *, category: str = "hate_speech", market: str = "AU",
        channel: int = 1, severity: int = 1, ack: int | None = None,
        contained: int | None = None, resolved: int | None = None, paused_at: int | None = None,
        paused_s: int = 0, reporter_type: str = "user", status: str = "triaged") -> int:
    n = next(_n)
    cur = db.execute(
        "INSERT INTO escalation (channel_id, external_id, remote_version, payload_hash, "
        "title, body, reporter, reporter_type, category, market, region, language, severity, "
        "urgency, priority, status, created_at, updated_at, synced_at, acknowledged_at, "
        "contained_at, resolved_at, sla_paused_at, sla_paused_s) VALUES (?, ?, 1, '', "
        "'t', 'b', 'r', ?, ?, ?, 'APAC', 'en', ?, 1, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (channel, f"TREND-{n}", reporter_type, category, market, severity, status, created,
         created, created, ack, contained, resolved, paused_at, paused_s))
    return int(cur.lastrowid or 0)


@pytest.fixture
def store(tmp_path: Path):
    s = Store.open(tmp_path / "cache.sqlite3")
    with s.write() as db:
        db.executemany("INSERT INTO channel (id, name, kind) VALUES (?, ?, 'rr_api')",
                       [(1, "demo"), (2, "partners")])
    yield s
    s.close()


def series(db, f: q.TrendFilter, stack: Stack = Stack.CATEGORY) -> dict[str, int]:
    rows = q.cube(db, f, f.bucket, f.start, f.end)
    buckets = sorted({r.bucket for r in rows if r.side == q.CURRENT})
    s = volume_series(rows, buckets, stack)
    return {label(b, f.bucket): t for b, t in zip(s.buckets, s.totals(), strict=True)}


def test_days_follow_the_zone_across_the_spring_dst_change(store) -> None:
    # Sydney moves from +10 to +11 at 2026-10-04 02:00 local
    with store.write() as db:
        for at in ("2026-10-03T13:30Z",  # 23:30 on the 3rd (+10)
                   "2026-10-03T14:30Z",  # 00:30 on the 4th (+10)
                   "2026-10-04T12:30Z",  # 23:30 on the 4th (+11)
                   "2026-10-04T13:30Z"):  # 00:30 on the 5th (+11)
            add(db, ts(at))
    start, end = ts("2026-10-01T00:00Z"), ts("2026-10-08T00:00Z")
    with store.read() as db:
        sydney = series(db, q.TrendFilter(start, end, "Australia/Sydney"))
        utc = series(db, q.TrendFilter(start, end, "UTC"))
        hours = series(db, q.TrendFilter(start, end, "Australia/Sydney", Bucket.HOUR))
    assert sydney == {"2026-10-03": 1, "2026-10-04": 2, "2026-10-05": 1}
    assert utc == {"2026-10-03": 2, "2026-10-04": 2}
    assert hours == {"2026-10-03 23:00": 1, "2026-10-04 00:00": 1, "2026-10-04 23:00": 1,
                     "2026-10-05 00:00": 1}


def test_market_local_days_put_each_row_on_its_markets_calendar(store) -> None:
    with store.write() as db:
        add(db, ts("2026-11-01T17:30Z"), market="ID")  # 00:30 on the 2nd in Jakarta
        add(db, ts("2026-11-01T18:00Z"), market="IN")  # 23:30 on the 1st in Kolkata
        add(db, ts("2026-11-01T18:00Z"), market="NP")  # 23:45 on the 1st in Kathmandu
        add(db, ts("2026-11-01T18:20Z"), market="NP")  # 00:05 on the 2nd (+5:45)
    start, end = ts("2026-10-30T00:00Z"), ts("2026-11-05T00:00Z")
    with store.read() as db:
        local = q.TrendFilter(start, end, MARKET_LOCAL)
        by_market = {(r.market, label(r.bucket, Bucket.DAY)): r.count
                     for r in q.cube(db, local, Bucket.DAY, start, end)}
        utc = series(db, q.TrendFilter(start, end, "UTC"))
    assert by_market == {("ID", "2026-11-02"): 1, ("IN", "2026-11-01"): 1,
                         ("NP", "2026-11-01"): 1, ("NP", "2026-11-02"): 1}
    assert utc == {"2026-11-01": 4}


def test_percentiles_are_nearest_rank_over_whole_minutes() -> None:
    minutes = [1, 2, 3, 4, 10]
    d = distribution([(m, 1, m * 60 + 30) for m in minutes])  # each 30 s past the minute
    assert d.count == 5
    assert d.p(50) == 3 * 60 and d.p(90) == 10 * 60 and d.p(95) == 10 * 60
    assert d.mean_s == pytest.approx((sum(minutes) * 60 + 5 * 30) / 5)
    assert d.max_s == 600
    assert distribution([]).count == 0 and distribution([]).p(50) is None


def test_snapshot_figures_match_a_hand_count(store) -> None:
    now = ts("2026-11-20T12:00Z")
    start, end = ts("2026-11-10T00:00Z"), ts("2026-11-21T00:00Z")  # previous: 30th-10th
    policy = SlaPolicy((SlaTargets(300, 3600, 86400), SlaTargets(600, 7200, 172800),
                        SlaTargets(1800, 14400, 259200), SlaTargets(3600, 28800, 604800)))
    t = ts("2026-11-12T08:00Z")
    with store.write() as db:
        save_policy(db, policy)
        ids = [
            add(db, t, ack=t + 60, contained=t + 3600, resolved=t + 7200),  # all in time
            add(db, t, ack=t + 120, category="privacy", reporter_type="regulator"),
            add(db, t, ack=t + 180, channel=2),
            add(db, t, ack=t + 240, paused_s=500, contained=t + 7800),  # contain in time
            add(db, t, ack=t + 600),  # acknowledged right at the target: in time
            add(db, t, ack=t + 600 + 60 * 10),  # acknowledged late (target 600 s)
            add(db, now - 1000, status="new"),  # unacknowledged, overdue at now
            add(db, now - 100, status="new"),  # unacknowledged, still within target
            add(db, t, status="waiting_on_partner", ack=t + 60, paused_at=t + 100),
        ]
        add(db, ts("2026-11-05T08:00Z"), ack=ts("2026-11-05T08:00Z") + 900)  # previous
        add(db, ts("2026-11-06T08:00Z"), market="ID")  # previous
        add(db, ts("2026-11-25T08:00Z"))  # after the period: not counted
        rows = db.execute("SELECT * FROM escalation WHERE id IN (SELECT value FROM "
                          "json_each(?))", (json.dumps(ids),)).fetchall()
        names = [c[0] for c in db.execute("SELECT * FROM escalation").description]
        # incidents: A declared, contained after 1 h, resolved after 3 h; B still open
        for uid, kind, at, status in (("A", "declare", t, None), ("A", "status", t + 3600,
                                      "contained"), ("A", "status", t + 10800, "resolved"),
                                      ("B", "declare", t + 60, None)):
            body = {"kind": kind, "data": {"status": status} if status else {}}
            db.execute("INSERT INTO incident_event (uid, incident_uid, kind, at, body, state)"
                       " VALUES (?, ?, ?, ?, ?, 'sent')",
                       (f"{uid}-{kind}-{at}", uid, kind, at, json.dumps(body)))
    with store.read() as db:
        s = read_snapshot(db, q.TrendFilter(start, end, "UTC"), now)

    assert (s.total.current, s.total.previous) == (9, 2)
    assert s.by_category["privacy"].current == 1 and s.by_market["ID"].previous == 1
    assert s.by_channel["partners"].current == 1
    assert s.reporter_types["regulator"].current == 1
    ack = s.clocks[SlaKind.ACKNOWLEDGE]
    assert ack.count == 7  # 60, 60, 120, 180, 240, 600, 1200 s
    assert ack.p(50) == 180 and ack.p(90) == 1200 and ack.mean_s == pytest.approx(2460 / 7)
    assert s.clocks_before[SlaKind.ACKNOWLEDGE].p(50) == 900
    # SLA, held to domain/sla.py's judgement of each row at `now`
    expected = {k: [0, 0] for k in SlaKind}
    for row in rows:
        fields = dict(zip(names, row, strict=True))
        if fields["created_at"] >= end:
            continue
        for c in clocks(fields, policy,
                        datetime.fromtimestamp(now, UTC)):
            if c.state is SlaState.BREACHED:
                expected[c.kind][0] += 1
            if c.met or c.state is SlaState.BREACHED:
                expected[c.kind][1] += 1
    for kind in SlaKind:
        rate = s.breaches[("", kind)]
        assert [rate.breached, rate.decided] == expected[kind], kind
    ack_rate = s.breaches[("", SlaKind.ACKNOWLEDGE)]
    assert (ack_rate.on_time, ack_rate.late, ack_rate.overdue, ack_rate.pending) == (6, 1, 1, 1)
    assert s.incidents.declared == 2 and s.incidents.still_open == 1
    assert s.incidents.to_contain.p(50) == 3600 and s.incidents.to_resolve.p(50) == 10800
