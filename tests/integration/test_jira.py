"""The Jira Cloud channel end to end: a local fake of Jira's documented REST v3 shapes,
the real SyncEngine and Store."""

from __future__ import annotations

import json
import random
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rr_desktop.channels.contract import AuthError, Mutation, NetworkError, RateLimited, Rejected
from rr_desktop.channels.jira import SPEC, JiraChannel
from rr_desktop.domain import Channel
from rr_desktop.store import channel_state as cs
from rr_desktop.store import outbox as ob
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import SyncEngine
from tests.peers.jira_server import EMAIL, TOKEN, JiraFake, adf, jira_time


class _QuickBackoff(random.Random):
    """Backoff timing is the engine's business, tested elsewhere: wait 10 ms here."""

    def uniform(self, a: float, b: float) -> float:
        return min(b, 0.01)


CONFIG = {"site_url": "", "email": EMAIL, "projects": "LEGAL", "default_market": "SG"}


@dataclass
class Env:
    """A fake Jira site, a cache and an engine wired together."""

    jira: JiraFake
    store: Store
    engine: SyncEngine
    client: JiraChannel

    def run(self) -> Any:
        return self.engine.run("jira")

    def count(self, table: str = "escalation") -> int:
        with self.store.read() as db:
            return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def cached(self, issue_id: str) -> tuple[Any, ...]:
        with self.store.read() as db:
            row = db.execute("SELECT id, status, assignee, severity, urgency, tags, "
                             "remote_version FROM escalation WHERE external_id = ?",
                             (issue_id,)).fetchone()
        assert row is not None, issue_id
        return tuple(row)

    def drain(self, runs: int = 8) -> int:
        """Run until the outbox is empty (not waiting out backoff); ops left over."""
        for _ in range(runs):
            self.run()
            with self.store.write() as db:
                db.execute("UPDATE outbox SET next_attempt_at = 0")
            if not (left := self.count("outbox WHERE state = 'pending'")):
                break
        return left


def make_env(jira: JiraFake, tmp_path: Path, page_size: int = 5,
             token: str = TOKEN, **config: str) -> Env:
    store = Store.open(tmp_path / "cache.sqlite3")
    settings = {**CONFIG, "site_url": jira.url, **config}
    with store.write() as db:
        cs.ensure_channel(db, Channel("jira", "jira", settings))
    client = JiraChannel("jira", jira.url, EMAIL, token, settings, page_size=page_size)
    return Env(jira, store, SyncEngine(store, {"jira": client}, rng=_QuickBackoff()), client)


@pytest.fixture
def jira() -> Iterator[JiraFake]:
    with JiraFake() as fake:
        for i in range(12):
            fake.add(f"Takedown request {i}", description=adf(f"Details of request {i}"),
                     labels=["market-IN"] if i % 2 else [])
        fake.add("Product question", project="PROD")
        yield fake


@pytest.fixture
def env(jira: JiraFake, tmp_path: Path) -> Iterator[Env]:
    e = make_env(jira, tmp_path)
    yield e
    e.store.close()


def _searches(jira: JiraFake) -> list[dict[str, Any]]:
    return [body for _, path, body in jira.log if path.endswith("/search/jql")]


def test_issues_arrive_exactly_once_and_a_second_run_changes_nothing(env: Env) -> None:
    report = env.run()
    assert report.error is None, report.error
    assert report.received == 12 and report.changed == 12 and env.count() == 12
    searches = _searches(env.jira)
    assert len(searches) == 3  # 5 + 5 + 2: paged with nextPageToken until it was absent
    assert "nextPageToken" not in searches[0] and searches[1]["nextPageToken"]
    assert searches[0]["jql"] == 'project in ("LEGAL") ORDER BY updated ASC, key ASC'
    assert "description" in searches[0]["fields"] and searches[0]["maxResults"] == 5
    again = env.run()  # the overlap window re-reads everything, the seen set drops it
    assert again.error is None and again.received == 0 and again.changed == 0
    assert 'updated >= "' in _searches(env.jira)[-1]["jql"]
    first = env.jira.issues["10001"]
    assert env.cached("10001")[6] == first.updated  # remote_version = updated in epoch ms


@pytest.mark.parametrize(("zone", "reported"), [
    ("America/Los_Angeles", None), ("Pacific/Kiritimati", None),
    ("Etc/GMT+12", "Not/AZoneThisMachineKnows")])
def test_a_remote_change_arrives_whatever_the_account_time_zone(
        tmp_path: Path, zone: str, reported: str | None) -> None:
    with JiraFake(time_zone=zone, reported_zone=reported) as jira:
        ids = [jira.add(f"Issue {i}") for i in range(3)]
        env = make_env(jira, tmp_path)
        assert env.run().received == 3
        jira.mutate(ids[1], status="In Progress", assignee="acc-lee")
        report = env.run()
        assert report.error is None and report.received == 1 and report.changed == 1
        assert env.cached(ids[1])[1:3] == ("investigating", "acc-lee")
        env.store.close()


def test_late_visible_update_inside_the_overlap_window_is_received(env: Env) -> None:
    env.jira.mutate("10001", updated=env.jira.now_ms() - 100_000)  # an older issue
    assert env.run().received == 12
    hw = max(i.updated for i in env.jira.issues.values())
    # Jira's search index shows an update late, stamped before the high-water mark.
    env.jira.mutate("10001", summary="Takedown request 0 (amended)", updated=hw - 30_000)
    report = env.run()
    assert report.received == 1 and report.changed == 1
    with env.store.read() as db:
        title = db.execute("SELECT title FROM escalation WHERE external_id = '10001'"
                           ).fetchone()[0]
    assert title == "LEGAL-1: Takedown request 0 (amended)"


def test_an_issue_stamped_in_the_future_does_not_stall_the_feed(env: Env) -> None:
    future = '{"id": "30001", "key": "LEGAL-999", "fields": {"summary": "clock skew", ' \
             '"status": {"name": "To Do"}, "created": "2999-01-01T00:00:00.000+0000", ' \
             '"updated": "2999-01-01T00:00:00.000+0000"}}'
    env.jira.inject(future)
    assert env.run().received == 13
    env.jira.mutate("10001", status="Done")
    assert env.run().changed == 1 and env.cached("10001")[1] == "resolved"
    with env.store.write() as db:  # a cursor from a clock gone wrong: resync
        db.execute("UPDATE sync_cursor SET cursor = ?", ('{"v":1,"hw":32503680000000,'
                                                         '"seen":{}}',))
    assert env.run().resynced


def test_comments_and_description_arrive_as_plain_text(env: Env) -> None:
    env.jira.mutate("10002", description={"version": 1, "type": "doc", "content": [
        {"type": "paragraph", "content": [
            {"type": "text", "text": "<img src=https://evil.example/x.png>"},
            {"type": "text", "text": "report", "marks": [
                {"type": "link", "attrs": {"href": "https://evil.example/"}}]}]}]})
    env.jira.comment("10002", "Legal: hold until the court order arrives")
    assert env.run().error is None
    with env.store.read() as db:
        body, facts, market = db.execute(
            "SELECT body, facts, market FROM escalation WHERE external_id = '10002'"
        ).fetchone()
    assert body == "<img src=https://evil.example/x.png>report (https://evil.example/)"
    assert json.loads(facts)[0]["text"] == "Raj Legal: Legal: hold until the court order " \
                                           "arrives"
    assert market == "IN"  # from the label market-IN


def bad_items(now: str) -> list[str]:
    """Broken issues as a misbehaving server might send them (recently updated)."""
    dates = f'"created": "{now}", "updated": "{now}"'
    return [
        "42",
        '{"id": "20001", "key": "LEGAL-901", "fields": {"summary": "no dates"}}',
        '{"id": "20002", "key": "LEGAL-902", "fields": {"summary": 7, ' + dates + "}}",
        '{"id": "20003", "key": "LEGAL-903", "fields": {"summary": "s", "status": '
        '{"name": "Limbo"}, ' + dates + "}}",
        '{"id": "20004", "key": "LEGAL-904", "fields": {"summary": "s", "labels": '
        '["two words"], "status": {"name": "Done"}, ' + dates + "}}",
        '{"id": "20005", "fields": {"description": ' + '{"content": [' * 5000
        + "]}" * 5000 + "}}",
    ]


def test_malformed_items_are_quarantined_and_good_ones_stored(env: Env) -> None:
    for raw in bad_items(jira_time(env.jira.now_ms())):
        env.jira.inject(raw)
    report = env.run()
    assert report.error is None, report.error
    assert env.count() == 12 and report.quarantined == 6
    with env.store.read() as db:
        reasons = dict(db.execute("SELECT coalesce(external_id, '?'), reason FROM quarantine "
                                  "WHERE external_id IS NOT NULL"))
    assert "summary" in reasons["20002"] and "Limbo" in reasons["20003"]
    assert "labels" in reasons["20004"]
    again = env.run()  # the same bad items are not quarantined a second time
    assert again.error is None and again.quarantined == 0 and env.count("quarantine") == 6


def test_rate_limit_is_waited_out_not_counted(env: Env) -> None:
    env.jira.fail("429", "POST", "/rest/api/3/search/jql", retry_after=1)
    waits: list[str] = []
    report = env.engine.run("jira", progress=lambda p: waits.append(p.message)
                            if p.phase == "wait" else None)
    assert report.error is None and report.received == 12
    assert waits == ["rate limited, waiting 1 s"]


def test_rate_limit_reset_header_alone_gives_the_wait(env: Env) -> None:
    env.jira.fail("429-reset", "POST", "/rest/api/3/search/jql", retry_after=2)
    with pytest.raises(RateLimited) as caught:
        env.client.pull(None)
    assert 2.0 <= caught.value.retry_after <= 62.0  # until the minute it names


def test_server_errors_are_retried(env: Env) -> None:
    env.jira.fail("503", "POST", "/rest/api/3/search/jql", count=2)
    report = env.run()
    assert report.error is None and report.received == 12
    assert len(env.jira.injected) == 2


def test_a_malformed_page_is_kept_and_retried_without_moving_the_cursor(env: Env) -> None:
    env.jira.fail("garbage", "POST", "/rest/api/3/search/jql")
    report = env.run()
    assert report.error is None and report.received == 12 and report.quarantined == 1
    with env.store.read() as db:
        reason, raw = db.execute("SELECT reason, raw FROM quarantine").fetchone()
    assert reason.startswith("malformed page") and "<html>Atlassian</html>" in raw


def test_expired_page_token_restarts_the_pass_without_duplicates(env: Env) -> None:
    first = env.client.pull(None)
    env.jira.expire_tokens()
    got, cursor = [i.record.external_id for i in first.items], first.next_cursor
    while True:
        page = env.client.pull(cursor)
        got += [i.record.external_id for i in page.items]
        cursor = page.next_cursor
        if page.done:
            break
    assert sorted(got) == sorted(set(got)) and len(got) == 12


def test_a_damaged_cursor_means_a_full_resync(env: Env) -> None:
    assert env.run().error is None
    with env.store.write() as db:
        db.execute("UPDATE sync_cursor SET cursor = 'not-a-jira-cursor'")
    report = env.run()
    assert report.error is None and report.resynced and report.received == 12
    assert report.changed == 0


def _update(env: Env, issue_id: str, fields: dict[str, Any]) -> int:
    with env.store.write() as db:
        esc = env.cached(issue_id)[0]
        ob.record_local_update(db, esc, fields, "a.tan", "test", utcnow())
    return int(esc)


@pytest.mark.parametrize("fault", [
    ("drop", "POST", "/rest/api/3/issue/10003/transitions"),
    ("drop", "PUT", "/rest/api/3/issue/10003/assignee"),
    ("503", "PUT", "/rest/api/3/issue/10003"),
    ("429", "GET", "/rest/api/3/issue/10003"),
])
def test_a_pushed_change_reaches_jira_exactly_once(env: Env,
                                                  fault: tuple[str, str, str]) -> None:
    assert env.run().error is None
    _update(env, "10003", {"status": "investigating", "assignee": "acc-lee",
                           "severity": "S0", "urgency": "U1", "tags": ["court-order"]})
    env.jira.fail(*fault)
    assert env.drain() == 0
    assert env.jira.injected  # the fault really happened
    issue = env.jira.issues["10003"]
    assert (issue.status, issue.assignee, issue.priority) == ("In Progress", "acc-lee",
                                                              "Highest")
    assert issue.labels == ["court-order", "urgency-U1"]
    assert env.jira.count("10003", "transition") == 1
    assert env.jira.count("10003", "assignee") == 1
    cached = env.cached("10003")
    assert cached[1:6] == ("investigating", "acc-lee", 0, 1, "court-order")
    assert cached[6] == issue.updated  # echo: the cache holds Jira's version
    assert env.run().changed == 0


def test_a_note_is_posted_once_when_the_response_is_lost(env: Env) -> None:
    assert env.run().error is None
    with env.store.write() as db:
        ob.record_message(db, env.cached("10004")[0], "note", "Legal cleared it.\nProceed.",
                          "a.tan", utcnow())
    env.jira.fail("drop", "POST", "/rest/api/3/issue/10004/comment")
    assert env.drain() == 0
    comments = env.jira.issues["10004"].comments
    assert len(comments) == 1 and env.jira.count("10004", "comment") == 1
    assert comments[0]["body"]["content"][0]["content"][0] == {
        "type": "text", "text": "Legal cleared it."}
    assert comments[0]["properties"][0]["key"] == "rr-desktop.op"
    assert comments[0]["visibility"] is None


def test_notes_can_be_restricted_and_replies_are_not(jira: JiraFake) -> None:
    client = JiraChannel("jira", jira.url, EMAIL, TOKEN,
                         {**CONFIG, "note_visibility": "role:Administrators"})
    client.push(Mutation("op-1", "note", "10007", {"text": "internal"}, 0))
    client.push(Mutation("op-2", "reply", "10007", {"text": "to the team"}, 0))
    first, second = jira.issues["10007"].comments
    assert first["visibility"] == {"type": "role", "value": "Administrators"}
    assert second["visibility"] is None
    with pytest.raises(Rejected, match="cannot take a 'delete' change"):
        client.push(Mutation("op-3", "delete", "10007", {}, 0))
    with pytest.raises(Rejected, match="the issue is gone from Jira"):
        client.push(Mutation("op-4", "reply", "99999", {"text": "hello?"}, 0))


def test_same_field_changed_in_jira_is_a_conflict(env: Env) -> None:
    assert env.run().error is None
    esc = _update(env, "10005", {"status": "resolved", "severity": "S3"})
    env.jira.mutate("10005", status="In Review")  # a colleague moved it meanwhile
    report = env.run()
    assert report.conflicts == 1
    assert env.jira.issues["10005"].status == "In Review"
    assert env.jira.count("10005", "transition") == 0
    with env.store.read() as db:
        rows = db.execute("SELECT field, mine, theirs FROM conflict WHERE escalation_id = ?",
                          (esc,)).fetchall()
    assert rows == [("status", '"resolved"', '"investigating"')]


def test_a_status_jira_cannot_reach_is_dead_lettered_with_the_reason(env: Env) -> None:
    assert env.run().error is None
    _update(env, "10006", {"status": "waiting_on_stakeholder"})  # To Do -> Blocked: no
    env.run()
    with env.store.read() as db:
        state, error = db.execute("SELECT state, last_error FROM outbox").fetchone()
    assert state == "dead"
    assert "offers no transition from 'new' to a status mapped to 'waiting on " \
           "stakeholder' (offered: Done, In Progress)" in error


def test_a_lost_answer_on_a_status_jira_shares_is_done_not_a_conflict(
        jira: JiraFake, tmp_path: Path) -> None:
    """A team maps its simplified workflow (Done=resolved,Done=declined): a decline whose
    transition was applied but whose answer was lost is sent again; Jira's Done reads
    back as "resolved", which is still our decline there, not someone else's change."""
    env = make_env(jira, tmp_path, status_map="To Do=new,In Progress=investigating,"
                   "Done=resolved,Done=declined")
    assert env.run().error is None
    _update(env, "10008", {"status": "declined"})
    env.jira.fail("drop", "POST", "/rest/api/3/issue/10008/transitions")
    assert env.drain() == 0
    assert env.jira.injected and env.jira.issues["10008"].status == "Done"
    assert env.jira.count("10008", "transition") == 1
    with env.store.read() as db:
        assert db.execute("SELECT state FROM outbox").fetchall() == [("done",)]
        assert db.execute("SELECT count(*) FROM conflict").fetchone() == (0,)
    env.store.close()


def test_wrong_token_is_a_clear_error(jira: JiraFake, tmp_path: Path) -> None:
    env = make_env(jira, tmp_path, token="wrong")
    report = env.run()
    assert report.error == "jira: Jira refused the email address or API token (401)"
    env.store.close()


def test_check_gives_one_clear_verdict(jira: JiraFake) -> None:
    def client(url: str, token: str = TOKEN, **config: str) -> JiraChannel:
        return JiraChannel("jira", url, EMAIL, token, {**CONFIG, **config})

    client(jira.url).check()
    with pytest.raises(AuthError, match="refused the email address or API token"):
        client(jira.url, "wrong").check()
    with pytest.raises(Rejected, match="rejected the project/JQL filter: The value 'NOPE' "
                                       "does not exist for the field 'project'"):
        client(jira.url, projects="NOPE").check()
    with pytest.raises(Rejected, match=r"was not found \(404\): check the URL"):
        client(jira.url + "/wrong").check()
    jira.fail("garbage", "GET", "/rest/api/3/myself")  # a 200 that is not Jira
    with pytest.raises(Rejected, match="answered, but not like a Jira Cloud site"):
        client(jira.url).check()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(NetworkError, match="cannot reach"):
        client(closed).check()
    jira.captcha = True
    with pytest.raises(AuthError, match="CAPTCHA"):
        client(jira.url).check()


def test_kind_is_registered_with_secret_token(jira: JiraFake) -> None:
    assert SPEC.kind == "jira" and [f.name for f in SPEC.secret_fields()] == ["api_token"]
    assert SPEC.validate({"site_url": jira.url, "email": EMAIL}) == []
    client = SPEC.build("j", {**CONFIG, "site_url": jira.url}, lambda _: TOKEN)
    assert isinstance(client, JiraChannel)
    assert [a.id for a in client.analysts()] == ["acc-ana", "acc-lee", "acc-raj"]

