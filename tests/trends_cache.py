"""Big caches for the trends screen and its benchmark, built in seconds with one
`INSERT ... SELECT` over a recursive counter (the real ingest path builds 1M rows in
minutes; the trends aggregates only read columns, so what matters is realistic spreads of
markets, categories, channels, reporter types and SLA milestones, which the expressions
below give deterministically from the row number).

    build_cache(path, rows, now) -> Path

Rows are spread evenly over `SPAN_DAYS` days before `now`, with a daily shape (busier in
APAC working hours) and a planted surge: `SURGE_EXTRA` extra escalations of
dangerous_challenges in ID on the first channel during the last full day before `now`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from rr_desktop.domain.markets import REGION_OF_MARKET
from rr_desktop.store.store import Store

SPAN_DAYS = 60
SURGE_EXTRA = 400
CHANNELS = (("demo", "rr_api"), ("partners", "zendesk"), ("le-inbox", "email"))
MARKETS = ("ID", "IN", "PH", "VN", "TH", "MY", "SG", "AU", "JP", "KR", "NZ", "TW")
CATEGORIES = ("violent_extremism", "child_safety", "suicide_self_harm",
              "dangerous_challenges", "hate_speech", "harassment_doxxing",
              "misinformation_civic", "impersonation_scams", "privacy", "regulatory_legal")
REPORTER_TYPES = ("user", "user", "user", "trusted_flagger", "trusted_partner", "ngo",
                  "regulator", "law_enforcement", "media", "internal")
STATUSES = ("new", "triaged", "investigating", "contained", "resolved", "resolved",
            "closed", "closed", "waiting_on_partner", "declined")


def _pick(values: tuple[str, ...], expr: str) -> str:
    whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
    return f"CASE ({expr}) % {len(values)} {whens} END"


def _rows_sql(first_id: int, count: int, total: int, start: int, span: int) -> str:
    """An INSERT of rows `first_id`.. (`count` of them; `total` in all), created evenly
    across [start, start + span)."""
    h = "((n * 2654435761) % 4294967291)"  # a fixed scramble of the row number
    market = _pick(MARKETS, f"{h} / 7")
    region = "CASE m " + " ".join(f"WHEN '{m}' THEN '{REGION_OF_MARKET[m].value}'"
                                  for m in MARKETS) + " END"
    status = _pick(STATUSES, f"{h} / 13")
    # created: even spread plus a daily wave (more between 01:00 and 10:00 UTC)
    created = (f"{start} + (n - 1) * {span} / {total} "
               f"+ ({h} % 3600) * (CASE WHEN ({h} / 3) % 3 = 0 THEN 1 ELSE 0 END)")
    return f"""
    WITH RECURSIVE c(n) AS (SELECT {first_id} UNION ALL SELECT n + 1 FROM c
                            WHERE n < {first_id + count - 1}),
    r AS (SELECT n, {h} AS h, {market} AS m, {status} AS s, {created} AS t FROM c)
    INSERT INTO escalation (id, channel_id, external_id, remote_version, payload_hash, title,
        body, reporter, reporter_type, category, market, region, language, severity,
        urgency, priority, status, created_at, updated_at, synced_at, acknowledged_at,
        contained_at, resolved_at, sla_paused_s)
    SELECT n, 1 + h % {len(CHANNELS)}, 'T-' || n, 1, '', 'Trends row ' || n,
        'Generated for the trends benchmark.', 'reporter-' || (h / 11) % 150,
        {_pick(REPORTER_TYPES, 'h / 17')}, {_pick(CATEGORIES, 'h / 19')}, m, {region},
        'en', (h / 23) % 4, (h / 29) % 4, (h / 31) % 5, s, t, t, t,
        CASE WHEN s = 'new' THEN NULL ELSE t + 60 + (h / 37) % 7200 END,
        CASE WHEN s IN ('contained', 'resolved', 'closed', 'declined')
             THEN t + 600 + (h / 41) % 86400 END,
        CASE WHEN s IN ('resolved', 'closed', 'declined')
             THEN t + 3600 + (h / 43) % (5 * 86400) END,
        0
    FROM r"""


def build_cache(path: Path, rows: int, now: datetime) -> Path:
    """A migrated cache at `path` with `rows` escalations (plus the planted surge)."""
    store = Store.open(path)
    now_s = int(now.timestamp())
    span = SPAN_DAYS * 86400
    surge_day = (now_s // 86400 - 1) * 86400  # the last full UTC day before now
    started = time.perf_counter()
    try:
        with store.write() as db:
            db.executemany("INSERT INTO channel (id, name, kind) VALUES (?, ?, ?)",
                           [(i + 1, n, k) for i, (n, k) in enumerate(CHANNELS)])
        store.set_autocheckpoint(0)
        step = 250_000
        for first in range(1, rows + 1, step):
            with store.write() as db:
                db.execute(_rows_sql(first, min(step, rows - first + 1), rows, now_s - span,
                                     span))
            store.checkpoint()
        with store.write() as db:
            db.execute(f"""
                WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c
                                        WHERE n < {SURGE_EXTRA})
                INSERT INTO escalation (id, channel_id, external_id, remote_version,
                    payload_hash, title, body, reporter, reporter_type, category, market,
                    region, language, severity, urgency, priority, status, created_at,
                    updated_at, synced_at, acknowledged_at)
                SELECT {rows} + n, 1, 'S-' || n, 1, '', 'Blackout challenge clip ' || n,
                    'Planted surge.', 'reporter-s', 'user', 'dangerous_challenges', 'ID',
                    'APAC', 'id', 1, 1, 1, 'triaged', {surge_day} + n * 200,
                    {surge_day} + n * 200, {surge_day} + n * 200, {surge_day} + n * 200 + 300
                FROM c""")
        store.set_autocheckpoint(1000)
        store.checkpoint()
    finally:
        store.close()
    print(f"  built {rows:,} trend rows in {time.perf_counter() - started:.1f} s -> {path}")
    return path


BENCH_NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
