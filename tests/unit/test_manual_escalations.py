"""Escalations typed in by analysts (KEYMAP `c`): the local manual channel."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rr_desktop.channels.contract import Mutation, Rejected
from rr_desktop.channels.manual import ManualChannel
from rr_desktop.channels.registry import spec
from rr_desktop.domain import Channel, PolicyCategory, Severity, Urgency
from rr_desktop.store import channel_state as cs
from rr_desktop.store import outbox as ob
from rr_desktop.store import triage_actions as ta
from rr_desktop.store.manual import ManualDraft, create_escalation
from rr_desktop.store.search import search_ids
from rr_desktop.store.store import Store
from rr_desktop.sync.engine import SyncEngine

NOW = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "cache.sqlite3")
    yield s
    s.close()


def draft(**changes: object) -> ManualDraft:
    base = {"title": "  Regulator call:  livestream of  flood looting ", "market": "id",
            "body": "KOMINFO called at 09:10 asking for removal within 4 hours.",
            "severity": Severity.S0, "urgency": Urgency.U0,
            "category": PolicyCategory.MISINFO_CRISIS,
            "content_url": "https://video.example/live/77"}
    return ManualDraft(**{**base, **changes})  # type: ignore[arg-type]


def test_a_typed_in_escalation_is_cached_searchable_and_attributed(store: Store) -> None:
    with store.write() as db:
        created = create_escalation(db, draft(), "aditi", NOW)
    with store.read() as db:
        row = db.execute(
            "SELECT e.title, e.market, e.region, e.status, e.priority, e.reporter, "
            "e.content_url, e.external_id, c.name, c.kind FROM escalation e "
            "JOIN channel c ON c.id = e.channel_id WHERE e.id = ?",
            (created.escalation_id,)).fetchone()
        assert row[:7] == ("Regulator call: livestream of flood looting", "ID", "APAC", "new",
                           0, "aditi", "https://video.example/live/77")
        assert row[7].startswith("M-20261205-") and row[8:] == ("manual", "manual")
        assert created.channel == "manual"
        assert search_ids(db, "looting", "aditi", NOW) == [created.escalation_id]
        assert db.execute("SELECT kind, author, source FROM escalation_event "
                          "WHERE escalation_id = ?", (created.escalation_id,)).fetchall() == [
            ("created", "aditi", "local")]
        assert db.execute("SELECT actor, action FROM audit_log WHERE escalation_id = ?",
                          (created.escalation_id,)).fetchall() == [("aditi",
                                                                    "create_escalation")]
    with store.write() as db:  # a second one goes to the same channel, with its own id
        second = create_escalation(db, draft(title="Chat from partner desk"), "budi", NOW)
    assert second.escalation_id != created.escalation_id and second.channel == "manual"


@pytest.mark.parametrize(("changes", "message"), [
    ({"title": "   "}, "A title is required."),
    ({"market": "Jakarta"}, "Jakarta is not a country code"),
    ({"market": ""}, "An empty market is not a country code"),
    ({"content_url": "javascript:alert(1)"}, "must start with http:// or https://"),
])
def test_a_bad_draft_says_what_is_wrong_and_writes_nothing(
        store: Store, changes: dict[str, object], message: str) -> None:
    with store.write() as db, pytest.raises(ValueError, match=message):
        create_escalation(db, draft(**changes), "aditi", NOW)
    with store.read() as db:
        assert db.execute("SELECT count(*) FROM escalation").fetchone()[0] == 0


def test_a_configured_channel_named_manual_is_left_alone(store: Store) -> None:
    with store.write() as db:
        cs.ensure_channel(db, Channel("manual", "feed", {"base_url": "https://x.example/f"}))
        created = create_escalation(db, draft(), "aditi", NOW)
    assert created.channel == "manual-2"
    with store.read() as db:
        assert dict(db.execute("SELECT name, kind FROM channel").fetchall()) == {
            "manual": "feed", "manual-2": "manual"}


def test_the_manual_channel_syncs_nothing_and_keeps_triage_local(store: Store) -> None:
    client = spec("manual").build("manual", {}, lambda _f: None)
    assert isinstance(client, ManualChannel)
    with store.write() as db:
        created = create_escalation(db, draft(), "aditi", NOW)
    report = SyncEngine(store, {"manual": client}).run("manual")
    assert (report.error, report.received, report.changed) == (None, 0, 0)
    update = Mutation("op-1", "update", "M-1", {"status": "triaged"}, 1)
    assert client.push(update).remote_version is None  # accepted, sent nowhere
    with pytest.raises(Rejected, match=r"no reporter to reply to.*the reply was not sent"):
        client.push(Mutation("op-2", "reply", "M-1", {"text": "thanks"}, 1))  # never "sent"
    with pytest.raises(Rejected):
        client.fetch("M-1")
    with store.read() as db:
        assert db.execute("SELECT count(*) FROM escalation WHERE id = ?",
                          (created.escalation_id,)).fetchone()[0] == 1


def test_the_first_typed_in_escalation_records_that_nothing_is_sent(store: Store) -> None:
    """The manual channel is made while the app runs, before any sync built its client:
    its pushes (nothing) are recorded with it, so triage on it queues nothing, its
    timeline says so, and a reply is refused before anything is written."""
    with store.write() as db:
        created = create_escalation(db, draft(), "aditi", NOW)
        assert cs.channel_pushes(db, 1) == frozenset()
        ta.apply_action(db, ta.Accept(), [created.escalation_id], "aditi", NOW)
        ta.apply_action(db, ta.AddNote("Called back"), [created.escalation_id], "aditi", NOW)
        with pytest.raises(ob.NotReceived, match="cannot send replies"):
            ob.record_message(db, created.escalation_id, "reply", "hi", "aditi", NOW)
        assert db.execute("SELECT count(*) FROM outbox").fetchone() == (0,)
        assert db.execute("SELECT count(op_id) FROM escalation_event").fetchone() == (0,)
        db.execute("UPDATE channel SET pushes = NULL")  # made by an earlier version
        create_escalation(db, draft(title="Another call"), "aditi", NOW)
        assert cs.channel_pushes(db, 1) == frozenset()
