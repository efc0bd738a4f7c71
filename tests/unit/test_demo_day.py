"""A generated demo queue looks like a real APAC team's day, at any hour and for any seed:
a handful of fresh items new, the older ones worked by analysts who fit them, the SLA
clocks (as a cache derives them from created_at, status and updated_at under the default
policy) mostly met, some at risk, very few breached."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rr_desktop.demo.generator import generate
from rr_desktop.demo.vocab import ANALYSTS, MARKET_BY_CODE
from rr_desktop.demo.workflow import Workflow
from rr_desktop.domain.enums import Severity, Status
from rr_desktop.domain.sla import SlaFacts, SlaKind, SlaPolicy, advance, clocks, next_deadline

POLICY = SlaPolicy.default()
BASE = datetime(2026, 11, 25, tzinfo=UTC)
HOURS = (1, 7, 13, 19)  # UTC: APAC morning, afternoon, evening and night
SEEDS = range(8)
ROSTER = {a.id: a for a in ANALYSTS}
ACK_STEP = {"triaged", "declined", "duplicate"}  # their updated_at is the acknowledgement


def parse_iso(text: str) -> int:
    """Epoch seconds of a wire timestamp (wire.parse_iso, 20 times faster)."""
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


@dataclass
class Day:
    seed: int
    now: datetime
    records: list[dict[str, Any]]
    states: Counter[str]  # the next clock of each open record: ok/at_risk/breached/paused

    @property
    def now_s(self) -> int:
        return int(self.now.timestamp())

    @property
    def open_count(self) -> int:
        return sum(self.states.values())


def facts_of(record: dict[str, Any]) -> SlaFacts:
    """What a cache knows after its first sync of the record (store/ingest.py dates a
    remote status by the record's updated_at)."""
    facts = SlaFacts(Severity(int(record["severity"][1])), parse_iso(record["created_at"]))
    status = Status(record["status"])
    return facts if status is Status.NEW else advance(facts, status,
                                                      parse_iso(record["updated_at"]))


def next_clock(record: dict[str, Any], now_s: int) -> str:
    deadline = next_deadline(facts_of(record), POLICY)
    if deadline is None:
        return "paused"
    due, risk = deadline
    return "breached" if now_s >= due else "at_risk" if now_s >= risk else "ok"


@pytest.fixture(scope="module")
def days() -> list[Day]:
    out = []
    for seed in SEEDS:
        for hour in HOURS:
            now = BASE + timedelta(days=seed, hours=hour, minutes=7 * seed)
            records = generate(seed, 3000, now)
            states = Counter(next_clock(r, int(now.timestamp())) for r in records
                             if Status(r["status"]).is_open)
            out.append(Day(seed, now, records, states))
    return out


def age_h(record: dict[str, Any], day: Day) -> float:
    return (day.now_s - parse_iso(record["created_at"])) / 3600


def test_items_older_than_four_hours_are_mostly_no_longer_new(days: list[Day]) -> None:
    for day in days:
        older = [r for r in day.records if age_h(r, day) > 4]
        worked = sum(r["status"] != "new" for r in older) / len(older)
        assert worked >= 0.9, (day.seed, day.now, worked)  # at least ~70% asked; ~99.5%


def test_few_open_items_are_breached(days: list[Day]) -> None:
    for day in days:
        assert day.states["breached"] < 0.05 * day.open_count, (day.seed, day.now, day.states)


def test_some_items_but_not_most_are_at_risk(days: list[Day]) -> None:
    for day in days:
        assert day.states["at_risk"] < 0.5 * day.open_count, (day.seed, day.now, day.states)
    with_risk = sum(day.states["at_risk"] > 0 for day in days)
    assert with_risk >= 0.9 * len(days)
    at_risk = sum(day.states["at_risk"] for day in days)
    assert 0.01 < at_risk / sum(day.open_count for day in days) < 0.2


def test_only_a_handful_of_fresh_items_are_new(days: list[Day]) -> None:
    for day in days:
        new = [r for r in day.records if r["status"] == "new"]
        assert 3 <= len(new) <= 40, (day.seed, day.now, len(new))
        for r in new:  # nothing new past twice its acknowledge target (a day for S3)
            target = POLICY.for_severity(int(r["severity"][1])).acknowledge_s
            assert age_h(r, day) * 3600 < 2 * target, r["id"]
        breached = [r for r in new if next_clock(r, day.now_s) == "breached"]
        assert len(breached) <= 3, (day.seed, day.now)


def test_a_team_works_the_queue(days: list[Day]) -> None:
    statuses: Counter[str] = Counter()
    for day in days:
        statuses.update(r["status"] for r in day.records)
        open_statuses = {r["status"] for r in day.records if Status(r["status"]).is_open}
        assert {"new", "investigating", "contained"} <= open_statuses
    assert set(statuses) == {s.value for s in Status}
    done = sum(statuses[s] for s in ("resolved", "closed", "declined", "duplicate"))
    assert done > 0.9 * sum(statuses.values())


def test_every_assignee_is_on_the_roster_and_covers_the_item(days: list[Day]) -> None:
    speaks = 0
    worked = 0
    for day in days:
        for r in day.records:
            if r["status"] == "new":
                assert r["assignee"] is None
                continue
            worked += 1
            analyst = ROSTER[r["assignee"]]
            assert r["market"] in analyst.markets, (r["id"], r["market"], analyst)
            speaks += r["language"] in analyst.languages
    assert speaks > 0.95 * worked  # only Telugu and Sinhala have no reader on the roster


def test_timestamps_agree_with_the_status(days: list[Day]) -> None:
    for day in days:
        for r in day.records:
            created, updated = parse_iso(r["created_at"]), parse_iso(r["updated_at"])
            assert created <= updated <= day.now_s, r["id"]
            if r["status"] == "new":
                assert updated == created and r["facts"] == []
            for fact in r["facts"]:
                assert created <= parse_iso(fact["at"]) <= updated
        created = [parse_iso(r["created_at"]) for r in day.records]
        assert created == sorted(created)


def test_most_acknowledgements_meet_their_target(days: list[Day]) -> None:
    met = total = 0
    for day in days:
        for r in day.records:
            if r["status"] in ACK_STEP:
                ack = clocks(facts_of(r), POLICY, day.now)[0]
                assert ack.kind is SlaKind.ACKNOWLEDGE
                total += 1
                met += ack.remaining_s >= 0
    assert met > 0.95 * total > 1000


def test_severity_mix_is_realistic(days: list[Day]) -> None:
    severities = Counter(r["severity"] for day in days for r in day.records)
    total = sum(severities.values())
    assert 0.01 < severities["S0"] / total < 0.05
    assert 0.1 < severities["S1"] / total < 0.3
    assert severities["S2"] + severities["S3"] > 0.7 * total


def test_arrivals_follow_the_apac_day(days: list[Day]) -> None:
    by_hour = Counter(datetime.fromtimestamp(parse_iso(r["created_at"]), UTC).hour
                      for r in days[0].records)
    apac_day = sum(by_hour[h] for h in range(2, 10))  # 08:00-16:00 in Singapore
    apac_night = sum(by_hour[h] for h in range(18, 24))  # 02:00-08:00 in Singapore
    assert apac_day > 1.5 * apac_night / 6 * 8
    # At 23:00 UTC it is morning in Auckland and Sydney and night in Karachi.
    late = Counter(r["market"] for day in days for r in day.records
                   if datetime.fromtimestamp(parse_iso(r["created_at"]), UTC).hour == 23)
    early = Counter(r["market"] for day in days for r in day.records
                    if datetime.fromtimestamp(parse_iso(r["created_at"]), UTC).hour == 15)
    share = {code: late[code] / sum(late.values()) - early[code] / sum(early.values())
             for code in MARKET_BY_CODE}
    assert share["AU"] > 0 and share["NZ"] > 0 and share["PK"] < 0 and share["IN"] < 0


@settings(max_examples=300, deadline=None)
@given(severity=st.integers(0, 3), created=st.integers(1_700_000_000, 1_900_000_000),
       age=st.integers(0, 40 * 86400), seed=st.integers(0, 2**32))
def test_a_snapshot_and_the_next_step_follow_each_other(severity: int, created: int, age: int,
                                                        seed: int) -> None:
    workflow = Workflow()
    rng = random.Random(seed)
    now = created + age
    status, since = workflow.snapshot(severity, created, now, rng.random)
    assert created <= since <= now
    assert (status == "new") == (since == created)
    step = workflow.next_step(status, severity, created, since, now, rng)
    if step is not None:
        target, at = step
        assert at > now and target != status
    if status in ("closed", "duplicate", "declined"):
        assert step is None
