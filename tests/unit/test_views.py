"""Saved views: built-ins as queries, snoozed items coming back when due, user views."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from rr_desktop.domain import Channel, Severity, Status
from rr_desktop.store import channel_state as cs
from rr_desktop.store import triage_actions as ta
from rr_desktop.store import views
from rr_desktop.store.ingest import merge_page
from rr_desktop.store.store import Store
from rr_desktop.store.triage_queries import escalation_detail, rows_by_id
from tests.factories import T0, escalation, incoming

NOW = T0 + timedelta(hours=1)
ME = "a.tan"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "cache.sqlite3")
    recs = [escalation(status=Status.NEW, severity=Severity.S1, created_at=T0,
                       updated_at=T0) for _ in range(4)]
    recs.append(escalation(status=Status.INVESTIGATING, assignee=ME, created_at=T0,
                           updated_at=T0))
    recs.append(escalation(status=Status.RESOLVED, assignee=ME, created_at=T0, updated_at=T0))
    with s.write() as db:
        cs.ensure_channel(db, Channel("demo", "rr_api", {}))
        merge_page(db, 1, [incoming(r) for r in recs], [], T0)
    yield s
    s.close()


def view(store: Store, v: views.View, now: datetime = NOW) -> list[int]:
    with store.read() as db:
        return list(v.for_analyst(ME).ids(db, now=now))


def test_builtin_views_are_named_queries() -> None:
    assert [v.name for v in views.BUILTIN_VIEWS] == ["Triage", "Mine", "Snoozed",
                                                     "SLA at risk", "All"]
    assert views.TRIAGE.query == "status:new -is:snoozed"
    assert all(v.parsed().errors == () for v in views.BUILTIN_VIEWS)
    assert views.view_named("sla AT risk") is views.SLA_AT_RISK


def test_snoozed_items_leave_triage_and_return_when_due(store: Store) -> None:
    assert view(store, views.TRIAGE) == [1, 2, 3, 4]
    with store.write() as db:
        ta.apply_action(db, ta.Snooze(NOW + timedelta(hours=2), "partner answers at 3"),
                        [2, 3], ME, NOW)
    assert view(store, views.TRIAGE) == [1, 4]
    assert view(store, views.SNOOZED) == [2, 3]
    later = NOW + timedelta(hours=2)
    assert view(store, views.TRIAGE, later) == [1, 2, 3, 4]  # back even before the wake-up
    assert view(store, views.SNOOZED, later) == []
    with store.write() as db:
        assert ta.wake_due_snoozes(db, NOW) == frozenset()
        assert ta.wake_due_snoozes(db, later) == {2, 3}
        assert ta.wake_due_snoozes(db, later) == frozenset()
        ended = db.execute("SELECT escalation_id, reason FROM escalation_event WHERE "
                           "field = 'snoozed_until' AND new IS NULL ORDER BY 1").fetchall()
    assert ended == [(2, "snooze ended"), (3, "snooze ended")]
    with store.read() as db:
        assert rows_by_id(db, [2])[2].snoozed_until is None


def test_mine_and_sla_at_risk(store: Store) -> None:
    assert view(store, views.MINE) == [5]  # open and mine; the resolved one is not
    # S1: acknowledge within 1 h; at risk in the last 15 minutes.
    assert view(store, views.SLA_AT_RISK, T0 + timedelta(minutes=30)) == []
    assert view(store, views.SLA_AT_RISK, T0 + timedelta(minutes=50)) == [1, 2, 3, 4]
    with store.write() as db:
        ta.apply_action(db, ta.Accept(), [1], ME, T0 + timedelta(minutes=50))
    assert view(store, views.SLA_AT_RISK, T0 + timedelta(minutes=50)) == [2, 3, 4]
    with store.read() as db:
        row = rows_by_id(db, [2])[2]
        detail = escalation_detail(db, 2, T0 + timedelta(minutes=50))
    assert row.sla_state(int((T0 + timedelta(minutes=50)).timestamp())) == "at_risk"
    assert detail is not None and detail.sla[0].state == "at_risk"


def test_all_view_is_everything_in_triage_order(store: Store) -> None:
    assert view(store, views.ALL) == [1, 2, 3, 4, 5, 6]  # all P1, same time: by id
    with store.write() as db:
        ta.apply_action(db, ta.SetSeverity(Severity.S0), [6], ME, NOW)
        ta.apply_action(db, ta.SetSeverity(Severity.S3), [1], ME, NOW)
    assert view(store, views.ALL) == [6, 2, 3, 4, 5, 1]


def test_user_views_follow_the_builtins_and_fill_the_shortcuts(store: Store) -> None:
    with store.write() as db:
        views.save_view(db, "Legal", "queue:legal-review is:open")
        views.save_view(db, "Indonesia S0", "market:ID sev:0")
        views.save_view(db, "Legal", "queue:legal-review")  # replaced, same place
        for n in range(5):
            views.save_view(db, f"extra {n}", "is:open")
        views.move_view(db, "Indonesia S0", 0)
        names = [v.name for v in views.saved_views(db)]
        shortcuts = [v.name for v in views.shortcut_views(db)]
    assert names[:7] == ["Triage", "Mine", "Snoozed", "SLA at risk", "All", "Indonesia S0",
                         "Legal"]
    assert shortcuts == names[:9]
    with store.write() as db:
        assert views.saved_views(db)[6].query == "queue:legal-review"
        assert views.delete_view(db, "Legal") and not views.delete_view(db, "Legal")


@pytest.mark.parametrize(("name", "query", "error"), [
    ("", "is:open", "needs a name"),
    ("Triage", "is:open", "built-in"),
    ("Bad", "sev:9", "sev: takes"),
])
def test_saving_a_bad_view_says_why(store: Store, name: str, query: str, error: str) -> None:
    with pytest.raises(ValueError, match=error), store.write() as db:
        views.save_view(db, name, query)
