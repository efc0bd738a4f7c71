"""SLA clocks: policy, states, pauses, and the cache's SQL keeping the same answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rr_desktop.domain import Channel, Severity, Status
from rr_desktop.domain.sla import (
    WAITING_STATUSES,
    SlaFacts,
    SlaKind,
    SlaPolicy,
    SlaState,
    SlaTargets,
    advance,
    clocks,
    next_deadline,
)
from rr_desktop.store import channel_state as cs
from rr_desktop.store import sla_sql
from rr_desktop.store.database import Store
from rr_desktop.store.ingest import merge_page
from rr_desktop.store.outbox import record_local_update
from tests.factories import escalation, incoming

T = 1_800_000_000
POLICY = SlaPolicy.default()


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(T + seconds, UTC)


def test_default_targets_per_severity() -> None:
    assert POLICY.for_severity(Severity.S0) == SlaTargets(15 * 60, 3600, 4 * 3600)
    assert POLICY.for_severity(Severity.S3) == SlaTargets(86400, 3 * 86400, 7 * 86400)


def test_policy_from_dict_with_durations_and_defaults() -> None:
    policy = SlaPolicy.from_dict({"S0": {"acknowledge": "10m", "contain": "30m"},
                                  "s2": {"resolve": "4d"}, "at_risk_percent": 20})
    assert policy.for_severity(Severity.S0) == SlaTargets(600, 1800, 4 * 3600)
    assert policy.for_severity(Severity.S2).resolve_s == 4 * 86400
    assert policy.for_severity(Severity.S1) == POLICY.for_severity(Severity.S1)
    assert SlaPolicy.from_dict(policy.to_dict()) == policy


@pytest.mark.parametrize(("data", "message"), [
    ({"S9": {"acknowledge": "1h"}}, "Unknown severity"),
    ({"S0": {"ack": "1h"}}, "unknown clock"),
    ({"S0": {"acknowledge": "soon"}}, "not a duration"),
    ({"S0": {"acknowledge": "5h"}}, "no later than contain"),
    ({"S1": {"resolve": 0}}, "more than 0"),
    ({"at_risk_percent": 100}, "between 1 and 99"),
    ({"S0": "fast"}, "must map"),
])
def test_policy_validation_says_what_is_wrong(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SlaPolicy.from_dict(data)


def _facts(**kw: int | None) -> SlaFacts:
    return SlaFacts(Severity.S1, T, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("facts", "now_s", "state", "remaining"), [
    (_facts(), 30 * 60, SlaState.OK, 30 * 60),  # S1: 1 h to acknowledge
    (_facts(), 46 * 60, SlaState.AT_RISK, 14 * 60),  # < 25% (15 min) left
    (_facts(), 3600, SlaState.BREACHED, 0),
    (_facts(), 5400, SlaState.BREACHED, -1800),
    (_facts(acknowledged_at=T + 600, paused_at=T + 600), 9000, SlaState.MET, 3000),
])
def test_acknowledge_clock_states(facts: SlaFacts, now_s: int, state: SlaState,
                                  remaining: int) -> None:
    ack = clocks(facts, POLICY, at(now_s))[0]
    assert ack.kind is SlaKind.ACKNOWLEDGE
    assert (ack.state, ack.remaining_s) == (state, remaining)


def test_a_paused_clock_stands_still_and_shows_no_due_time() -> None:
    facts = _facts(acknowledged_at=T + 60, paused_at=T + 600)
    early, late = clocks(facts, POLICY, at(700)), clocks(facts, POLICY, at(90_000))
    assert early == late
    assert early[1].state is SlaState.PAUSED and early[1].due_at is None
    assert early[1].remaining_s == 4 * 3600 - 600


def test_clocks_accept_cache_rows() -> None:
    row = {"severity": 0, "created_at": T, "acknowledged_at": None, "contained_at": None,
           "resolved_at": None, "sla_paused_at": None, "sla_paused_s": 0}
    ack = clocks(row, POLICY, at(60))[0]
    assert ack.due_at == at(900) and ack.state is SlaState.OK


_STATUSES = st.sampled_from(list(Status))
_STEPS = st.lists(st.tuples(_STATUSES, st.integers(1, 6 * 3600)), min_size=1, max_size=12)


def _replay(steps: list[tuple[Status, int]]) -> tuple[SlaFacts, int, int]:
    """Facts after the steps, the time of the last step, and the paused seconds counted
    independently (time spent in a waiting state)."""
    facts, now, paused, status = SlaFacts(Severity.S2, T), T, 0, Status.NEW
    for new_status, dt in steps:
        now += dt
        if status in WAITING_STATUSES:
            paused += dt
        facts = advance(facts, new_status, now) if new_status != status else facts
        status = new_status
    return facts, now, paused


@given(_STEPS, st.integers(0, 3 * 86400))
def test_paused_time_never_counts(steps: list[tuple[Status, int]], later: int) -> None:
    facts, last, paused = _replay(steps)
    now = last + later
    if facts.paused_at is not None:  # still waiting: that time is paused too
        paused += later
    for clock in clocks(facts, POLICY, datetime.fromtimestamp(now, UTC)):
        if clock.met:  # met in time, or late (a breach): not running any more
            continue
        target = POLICY.for_severity(Severity.S2).target(clock.kind)
        running = now - T - paused
        assert clock.remaining_s == target - running
        if clock.state is not SlaState.PAUSED:
            assert clock.due_at == datetime.fromtimestamp(T + paused + target, UTC)


@given(_STEPS)
def test_milestones_follow_the_status(steps: list[tuple[Status, int]]) -> None:
    facts, _, _ = _replay(steps)
    final = steps[-1][0]
    assert (facts.acknowledged_at is None) == (final is Status.NEW)
    if final in (Status.RESOLVED, Status.CLOSED, Status.DECLINED, Status.DUPLICATE):
        assert facts.resolved_at is not None and next_deadline(facts, POLICY) is None
    if final in (Status.NEW, Status.TRIAGED, Status.INVESTIGATING):
        assert facts.contained_at is None and facts.resolved_at is None
    assert (facts.paused_at is not None) == (final in WAITING_STATUSES)


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(tmp_path_factory.mktemp("sla") / "c.sqlite3")
    with store.write() as db:
        cs.ensure_channel(db, Channel("demo", "rr_api", {}))
    yield store
    store.close()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(_STATUSES, st.integers(1, 6 * 3600), st.booleans()),
                min_size=1, max_size=6), st.sampled_from(list(Severity)))
def test_the_cache_keeps_the_same_clocks_as_the_rules(
        shared_store: Store, steps: list[tuple[Status, int, bool]], severity: Severity) -> None:
    """Remote changes (merge_page, dated by updated_at) and local edits (apply_fields,
    dated now) compute the SQL columns the pure rules compute."""
    store = shared_store
    created = datetime.fromtimestamp(T, UTC)
    first = escalation(severity=severity, created_at=created, updated_at=created)
    with store.write() as db:
        [esc_id] = merge_page(db, 1, [incoming(first)], [], created).changed_ids
    facts = advance(SlaFacts(severity, T), Status.NEW, T)
    now, version, status = T, 1, Status.NEW
    for new_status, dt, remote in steps:
        now += dt
        moment = datetime.fromtimestamp(now, UTC)
        with store.write() as db:
            if remote:  # local edits so far were pushed: nothing pending to re-apply
                db.execute("DELETE FROM outbox")
                version += 1
                rec = escalation(external_id=first.external_id, remote_version=version,
                                 severity=severity, status=new_status, created_at=created,
                                 updated_at=moment)
                merge_page(db, 1, [incoming(rec)], [], moment)
            else:
                record_local_update(db, esc_id, {"status": new_status.value}, "me", None,
                                    moment)
        if new_status != status:
            facts = advance(facts, new_status, now)
        status = new_status
    with store.read() as db:
        row = db.execute(
            "SELECT acknowledged_at, contained_at, resolved_at, sla_paused_at, sla_paused_s, "
            "sla_due_at, sla_risk_at FROM escalation WHERE id = ?", (esc_id,)).fetchone()
        policy = sla_sql.load_policy(db)
    deadline = next_deadline(facts, policy)
    assert row == (facts.acknowledged_at, facts.contained_at, facts.resolved_at,
                   facts.paused_at, facts.paused_s, *(deadline if deadline else (None, None)))


def test_a_new_policy_recomputes_open_deadlines(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "c.sqlite3")
    created = datetime.fromtimestamp(T, UTC)
    with store.write() as db:
        cid = cs.ensure_channel(db, Channel("demo", "rr_api", {}))
        merge_page(db, cid, [incoming(escalation(severity=Severity.S0, created_at=created,
                                                 updated_at=created))], [], created)
        assert db.execute("SELECT sla_due_at FROM escalation").fetchone()[0] == T + 900
        faster = SlaPolicy.from_dict({"S0": {"acknowledge": "5m"}})
        assert sla_sql.save_policy(db, faster) == 1
        assert sla_sql.load_policy(db) == faster
        assert db.execute("SELECT sla_due_at, sla_risk_at FROM escalation").fetchone() == \
            (T + 300, T + 300 - 75)
    store.close()


def test_met_margin_and_breach_after_a_pause() -> None:
    facts = advance(_facts(), Status.TRIAGED, T + 600)
    facts = advance(facts, Status.WAITING_ON_PARTNER, T + 3600)
    facts = advance(facts, Status.INVESTIGATING, T + 3600 + 7200)
    assert facts.paused_s == 7200
    contain = clocks(facts, POLICY, at(7200 + 4 * 3600))[1]
    assert contain.state is SlaState.BREACHED and contain.remaining_s == 0
    assert contain.due_at == at(7200 + 4 * 3600) - timedelta(0)


def test_a_target_met_late_is_a_breach_not_met() -> None:
    """Acknowledged weeks after its deadline: a breach, with how late (never "met")."""
    created = T
    facts = SlaFacts(Severity.S2, created, acknowledged_at=created + 25 * 86400)
    ack, *_ = clocks(facts, POLICY, datetime.fromtimestamp(created + 26 * 86400, UTC))
    target = POLICY.for_severity(Severity.S2).acknowledge_s
    assert ack.met and ack.state is SlaState.BREACHED
    assert ack.remaining_s == target - 25 * 86400  # negative: how late
    in_time = SlaFacts(Severity.S2, created, acknowledged_at=created + 60)
    ack, *_ = clocks(in_time, POLICY, datetime.fromtimestamp(created + 3600, UTC))
    assert ack.met and ack.state is SlaState.MET and ack.remaining_s == target - 60
