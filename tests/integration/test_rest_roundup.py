"""The REST channel against a real issue tracker: Roundup (tests/peers/roundup.py), mapped
by the shipped resources/channels/example-roundup.json (schema_version 2), synced by the
real SyncEngine into the real Store, and written back with If-Match.

What each new mapping feature meets here, as Roundup really answers:
- list and item endpoints of different shapes (`data.collection[]` vs `data.attributes`),
- the record's text in a linked sub-resource (the issue's first `msg`),
- the next page's URL inside the JSON body (`data["@links"].next[0].uri`),
- the human link as a URL template (`{base}/issue{id}`),
- write-back in the item's shape, conditional on the item's ETag.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rr_desktop.channels.rest import RestChannel, decode_config
from rr_desktop.domain import Channel
from rr_desktop.store import channel_state as cs
from rr_desktop.store import outbox as ob
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import SyncEngine
from tests.peers.roundup import ADMIN_PASSWORD, RoundupTracker

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "channels" / \
    "example-roundup.json"
NAME = "tracker"


@dataclass
class Env:
    rt: RoundupTracker
    store: Store
    engine: SyncEngine
    client: RestChannel

    def run(self) -> Any:
        report = self.engine.run(NAME)
        assert report.error is None, report.error
        return report

    def rows(self) -> dict[str, dict[str, Any]]:
        with self.store.read() as db:
            cur = db.execute("SELECT external_id, id, title, body, status, severity, tags, "
                             "content_url, remote_version FROM escalation")
            names = [d[0] for d in cur.description]
            return {r[0]: dict(zip(names, r, strict=True)) for r in cur}


def config_for(rt: RoundupTracker, page_size: int) -> RestChannel:
    doc: dict[str, Any] = json.loads(EXAMPLE.read_text())
    doc["base_url"] = rt.web.rstrip("/")
    doc["headers"] = {"X-Requested-With": "rr-desktop", **rt.csrf_headers()}
    doc["pagination"]["page_size"] = page_size
    return RestChannel(NAME, decode_config(json.dumps(doc)), ADMIN_PASSWORD,
                       username="admin")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with RoundupTracker() as rt:
        store = Store.open(tmp_path / "cache.sqlite3")
        with store.write() as db:
            cs.ensure_channel(db, Channel(NAME, "rest", {"config_file": str(EXAMPLE)}))
        client = config_for(rt, page_size=2)
        yield Env(rt, store, SyncEngine(store, {NAME: client}, rng=random.Random(5)),
                  client)
        client.close()
        store.close()


def _seed(rt: RoundupTracker) -> list[str]:
    live = rt.create("keyword", name="livestream")
    ids = []
    for n, (title, priority, status) in enumerate([
            ("Attack video re-uploaded", "critical", "unread"),
            ("Scam ads impersonating a bank", "urgent", "chatting"),
            ("Election rumour spreading", "bug", "need-eg"),
            ("Challenge video, no report text", "feature", "unread"),
            ("Doxxing of a journalist", "urgent", "in-progress")]):
        props: dict[str, Any] = {"title": title, "priority": priority, "status": status}
        if n != 3:
            first = rt.create("msg", author="1", content=f"Report {n}: {title} (ภาษาไทย)")
            later = rt.create("msg", author="1", content=f"Follow-up on report {n}")
            props["messages"] = [first, later]
        if n % 2 == 0:
            props["keyword"] = [live]
        ids.append(rt.create("issue", **props))
    return ids


def test_issues_arrive_with_their_first_message_and_their_tracker_link(env: Env) -> None:
    ids = _seed(env.rt)
    report = env.run()
    assert (report.received, report.quarantined) == (5, 0)
    assert report.pages == 3  # 2 + 2 + 1, following the next link in the body
    rows = env.rows()
    first = rows[ids[0]]
    assert first["title"] == "Attack video re-uploaded"
    assert first["body"] == "Report 0: Attack video re-uploaded (ภาษาไทย)"
    assert (first["status"], first["severity"]) == ("new", 0)
    assert first["tags"] == "livestream"
    assert first["content_url"] == f"{env.rt.web}issue{ids[0]}"
    assert rows[ids[2]]["status"] == "waiting_on_partner"
    assert rows[ids[3]]["body"] == ""  # no message: no follow-up, no body
    assert env.client.follow.requests == 4  # one per issue with a message
    again = env.run()  # the overlap window re-reads them: the messages come from the cache
    assert again.changed == 0 and env.client.follow.requests == 4
    env.rt.change(ids[1], title="Scam ads impersonating a bank (now in TH)")
    third = env.run()
    assert third.changed == 1
    assert env.rows()[ids[1]]["title"] == "Scam ads impersonating a bank (now in TH)"
    assert env.client.follow.requests == 4  # a message never changes (cache "url")


def test_write_back_uses_the_item_shape_and_its_etag(env: Env) -> None:
    ids = _seed(env.rt)
    env.run()
    esc = env.rows()[ids[0]]["id"]
    with env.store.write() as db:
        ob.record_local_update(db, esc, {"status": "investigating", "severity": "S1"},
                               "a.tan", "on it", utcnow())
    report = env.run()
    assert report.pushed == 1, report
    issue = env.rt.issue(ids[0])
    assert (issue["status"]["name"], issue["priority"]["name"]) == ("chatting", "urgent")
    row = env.rows()[ids[0]]
    assert (row["status"], row["severity"]) == ("investigating", 1)
    assert row["body"].startswith("Report 0:")  # the item shape's own follow-up
    assert env.run().changed == 0  # the echo was applied

    # Changed in the tracker since the analyst saw it: a conflict, theirs kept.
    esc2 = env.rows()[ids[4]]["id"]
    with env.store.write() as db:
        ob.record_local_update(db, esc2, {"status": "resolved"}, "a.tan", "done",
                               utcnow())
    env.rt.change(ids[4], status="deferred")
    report = env.engine.run(NAME)
    assert report.conflicts == 1
    assert env.rt.issue(ids[4])["status"]["name"] == "deferred"
    with env.store.read() as db:
        assert db.execute("SELECT field, mine, theirs FROM conflict").fetchall() == [
            ("status", '"resolved"', '"waiting_on_stakeholder"')]


class _RacingChannel(RestChannel):
    """Someone changes the issue's status in Roundup right after our read (once), so only
    the If-Match of the write can notice."""

    rt: RoundupTracker
    race: tuple[str, str] | None = None

    def item_doc(self, external_id: str) -> Any:
        doc = super().item_doc(external_id)
        if self.race is not None and self.race[0] == external_id:
            ident, status = self.race
            self.race = None
            self.rt.change(ident, status=status)
        return doc


def test_if_match_keeps_a_change_made_between_read_and_write(env: Env) -> None:
    ids = _seed(env.rt)
    env.run()
    racing = _RacingChannel(NAME, env.client.cfg, ADMIN_PASSWORD, username="admin",
                            base_url=env.client.base)
    racing.rt, racing.race = env.rt, (ids[0], "testing")
    racing._http.session.headers.update(env.client._http.session.headers)
    env.engine.clients[NAME] = racing
    esc = env.rows()[ids[0]]["id"]
    with env.store.write() as db:
        ob.record_local_update(db, esc, {"status": "resolved"}, "a.tan", "done", utcnow())
    report = env.engine.run(NAME)
    racing.close()
    assert report.conflicts == 1, report  # 412 from Roundup, then a real conflict
    assert env.rt.issue(ids[0])["status"]["name"] == "testing"  # theirs, not overwritten
    with env.store.read() as db:
        assert db.execute("SELECT field, mine, theirs FROM conflict").fetchall() == [
            ("status", '"resolved"', '"contained"')]
