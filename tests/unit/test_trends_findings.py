"""Surge findings: a planted surge is found with its window, expected and observed counts
and escalations; a weekly rhythm without a surge is not flagged; thresholds matter."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from rr_desktop.store.store import Store
from rr_desktop.trends.findings import SurgeSettings, detect, poisson_tail, robust_z
from rr_desktop.trends.queries import TrendFilter
from rr_desktop.trends.snapshot import read_snapshot
from rr_desktop.trends.zones import Bucket, bucket_of
from tests.unit.test_trends_metrics import add, ts

DAY = 86400
START = ts("2026-09-07T00:00Z")  # a Monday
FIRST_DAY = START // DAY


def weekly(days: int, seed: int = 3) -> dict[int, int]:
    """Daily counts with a strong weekly rhythm (weekends ~3x) and Poisson-like noise."""
    rng = random.Random(seed)
    out = {}
    for d in range(days):
        base = 60 if (FIRST_DAY + d + 3) % 7 in (5, 6) else 20  # Sat, Sun
        out[FIRST_DAY + d] = max(0, round(rng.gauss(base, base ** 0.5)))
    return out


def test_a_weekly_rhythm_without_a_surge_is_not_flagged() -> None:
    counts = {("hate_speech", "ID", 1): weekly(10 * 7)}
    for seed in range(5):
        counts[("privacy", "PH", seed + 2)] = weekly(10 * 7, seed)
    found = detect(counts, FIRST_DAY + 6 * 7, FIRST_DAY + 10 * 7 - 1, SurgeSettings(), "UTC")
    assert found == []
    # against a flat baseline (the last 6 days, no season) the weekends would look like
    # surges: the seasonal baseline is what keeps them quiet
    days = counts[("hate_speech", "ID", 1)]
    saturday = next(d for d in range(FIRST_DAY + 6 * 7, FIRST_DAY + 7 * 7)
                    if (d + 3) % 7 == 5)
    _expected, z_flat = robust_z(days[saturday], [days[saturday - i] for i in range(1, 6)])
    assert z_flat > 4


def test_a_planted_surge_is_found_with_its_evidence() -> None:
    days = weekly(10 * 7)
    wednesday = next(d for d in range(FIRST_DAY + 8 * 7, FIRST_DAY + 9 * 7)
                     if (d + 3) % 7 == 2)
    days[wednesday] = 80
    counts = {("dangerous_challenges", "ID", 1): days,
              ("hate_speech", "TH", 1): weekly(10 * 7, 9)}
    [f] = detect(counts, FIRST_DAY + 6 * 7, FIRST_DAY + 10 * 7 - 1, SurgeSettings(),
                 "Asia/Jakarta", {1: "demo"})
    assert (f.category, f.market, f.channel, f.number) == ("dangerous_challenges", "ID",
                                                           "demo", wednesday)
    assert f.observed == 80
    baseline = [days[wednesday - 7 * w] for w in range(1, 7)]
    assert f.baseline == tuple(baseline)
    assert f.expected == sorted(baseline)[2] / 2 + sorted(baseline)[3] / 2
    assert f.z > 4 and f.p_value < 1e-6
    assert f.end - f.start == DAY and f.window == "2026-11-04"
    # Jakarta is UTC+7: its day starts at 17:00 UTC the day before
    assert f.start == ts("2026-11-03T17:00Z")
    # a stricter threshold leaves it out
    assert detect(counts, FIRST_DAY + 6 * 7, FIRST_DAY + 10 * 7 - 1,
                  SurgeSettings(z_threshold=f.z + 1), "UTC") == []


def test_too_little_history_is_no_judgement() -> None:
    days = {FIRST_DAY + d: 20 for d in range(14)}
    days[FIRST_DAY + 13] = 200
    found = detect({("privacy", "ID", 1): days}, FIRST_DAY + 7, FIRST_DAY + 13,
                   SurgeSettings(), "UTC", history_start=FIRST_DAY)
    assert found == []  # 1 week of baseline, 3 needed
    found = detect({("privacy", "ID", 1): days}, FIRST_DAY + 7, FIRST_DAY + 13,
                   SurgeSettings(min_baseline_weeks=1), "UTC", history_start=FIRST_DAY)
    assert [f.observed for f in found] == [200]


def test_poisson_tail_against_hand_values() -> None:
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - 0.1353352832366127)
    assert poisson_tail(3, 1.0) == pytest.approx(1 - 0.36787944 * (1 + 1 + 0.5), rel=1e-6)
    assert poisson_tail(40, 5.0) < 1e-15


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        SurgeSettings(bucket=Bucket.WEEK)
    with pytest.raises(ValueError):
        SurgeSettings(baseline_weeks=2, min_baseline_weeks=3)


def test_a_surge_in_the_cache_names_its_escalations(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "cache.sqlite3")
    try:
        with store.write() as db:
            db.execute("INSERT INTO channel (id, name, kind) VALUES (1, 'demo', 'rr_api')")
            rng = random.Random(5)
            for d in range(8 * 7):  # 8 weeks of a steady trickle, a few a day
                for _ in range(rng.randint(2, 5)):
                    add(db, START + d * DAY + rng.randint(0, DAY - 1), market="ID",
                        category="dangerous_challenges")
            surge_day = START + 7 * 7 * DAY + 2 * DAY
            planted = [add(db, surge_day + 3600 + i * 60, market="ID",
                           category="dangerous_challenges") for i in range(30)]
        f = TrendFilter(START + 7 * 7 * DAY, START + 8 * 7 * DAY, "UTC", Bucket.DAY)
        with store.read() as db:
            snap = read_snapshot(db, f, START + 9 * 7 * DAY)
        [finding] = snap.findings
        assert finding.number == bucket_of(surge_day, "UTC", Bucket.DAY)
        assert finding.observed >= 30
        assert set(planted) <= set(finding.escalation_ids)
        assert len(finding.escalation_ids) == finding.observed
    finally:
        store.close()
