"""Writes whose outcome is unknown, and ids that are not safe in a URL, pushed through the
real engine and `rr_api` client to the reference service in its own process; the
server's state is asserted through its own API."""

from __future__ import annotations

from pathlib import Path

import pytest

from rr_desktop.store import outbox as ob
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.limits import SyncLimits
from tests.integration.hostile_env import answers, routes, synced
from tests.peers.reference_service import ReferenceService

HOSTILE_IDS = ("ESC-a/b", "ESC-what?admin=1", "../../admin", "..", "ESC-100%", "ESC-#top")


def test_an_update_whose_answer_is_cut_off_is_settled_as_applied(tmp_path: Path) -> None:
    with ReferenceService(count=60, extra_args=[
            "--fault", "truncate:method=PATCH,count=1"]) as svc:
        env = synced(svc, tmp_path)
        assert env.engine.run("ref").error is None
        # One not contained already (which one depends on the clock), so this is a change.
        ext = next(i for i in svc.ids(60)[5:] if svc.record(i)["status"] != "contained")
        version = svc.record(ext)["version"]
        with env.store.write() as db:
            ob.record_local_update(db, env.local_id(ext), {"status": "contained"}, "aditi",
                                   None, utcnow())
        report = env.engine.run("ref")
        assert report.error is None and report.dead == 0, report.summary()
        assert report.pushed == 1 and report.conflicts == 0
        held = svc.record(ext)
        assert held["status"] == "contained" and held["version"] > version
        # Applied once (its answer cut off); sent again on the old version: 412, and the
        # server's record holding our value settles it as done.
        assert answers(svc, f"PATCH /v1/escalations/{ext}") == {200: 1, 412: 1}
        assert env.outbox() == [("done", 1, None)]
        [(outcome, text)] = env.unknown_outcomes()
        assert outcome == "resend" and "outcome unknown" in text
        assert "connection broke" in text and "may or may not have been applied" in text
        env.store.close()


def test_an_update_cut_off_before_it_was_applied_is_applied_once(tmp_path: Path) -> None:
    with ReferenceService(count=60, extra_args=[
            "--fault", "drop_before:method=PATCH,count=1"]) as svc:
        env = synced(svc, tmp_path)
        assert env.engine.run("ref").error is None
        # One that is not S0 already (which one depends on the clock), so S0 is a change.
        ext = next(i for i in svc.ids(60)[6:] if svc.record(i)["severity"] != "S0")
        with env.store.write() as db:
            ob.record_local_update(db, env.local_id(ext), {"severity": "S0"}, "aditi", None,
                                   utcnow())
        report = env.engine.run("ref")
        assert report.dead == 0 and report.error is None, report.summary()
        assert report.pushed == 1
        assert [o for o, _ in env.unknown_outcomes()] == ["resend"]
        assert svc.record(ext)["severity"] == "S0"
        assert routes(svc, f"PATCH /v1/escalations/{ext}") == 2
        assert answers(svc, f"PATCH /v1/escalations/{ext}") == {200: 1}
        assert env.outbox()[0][0] == "done"
        env.store.close()


def test_a_write_that_never_gets_an_answer_ends_saying_its_outcome_is_unknown(
        tmp_path: Path) -> None:
    with ReferenceService(count=60, extra_args=["--fault", "truncate:method=PATCH"]) as svc:
        env = synced(svc, tmp_path)
        assert env.engine.run("ref").error is None
        ext = svc.ids(60)[8]
        urgency = "U3" if svc.record(ext)["urgency"] != "U3" else "U2"
        with env.store.write() as db:
            ob.record_local_update(db, env.local_id(ext), {"urgency": urgency}, "aditi",
                                   None, utcnow())
        for _ in range(10):
            env.engine.run("ref")
            if env.outbox()[0][0] != "pending":
                break
            with env.store.write() as db:  # don't wait out the backoff in a test
                db.execute("UPDATE outbox SET next_attempt_at = 0")
        [(state, attempts, last_error)] = env.outbox()
        assert state == "dead" and attempts == 7
        assert last_error is not None and last_error.startswith("outcome unknown")
        assert "gave up after 8 attempts" in last_error
        assert svc.record(ext)["urgency"] == urgency  # the first one was applied, once
        assert answers(svc, f"PATCH /v1/escalations/{ext}") == {200: 1, 412: 7}
        env.store.close()


def test_changes_queued_behind_a_conflict_wait_without_holding_up_the_run(
        tmp_path: Path) -> None:
    with ReferenceService(count=60) as svc:
        env = synced(svc, tmp_path)
        assert env.engine.run("ref").error is None
        # One that is neither contained nor resolved yet, so that both changes change it.
        ext = next(i for i in svc.ids(60)[9:]
                   if svc.record(i)["status"] not in ("contained", "resolved"))
        with env.store.write() as db:
            ob.record_local_update(db, env.local_id(ext), {"status": "contained"}, "aditi",
                                   None, utcnow())
            ob.record_message(db, env.local_id(ext), "note", "behind", "aditi", utcnow())
        svc.patch(ext, status="resolved")  # a colleague, meanwhile
        report = env.engine.run("ref")  # ends (it used to spin here)
        assert report.conflicts == 1 and report.error is None, report.summary()
        assert [state for state, _, _ in env.outbox()] == ["conflict", "pending"]
        assert svc.notes(ext) == []
        env.store.close()


@pytest.mark.parametrize("kind", ["note", "reply"])
def test_a_message_whose_answer_is_cut_off_is_held_once(tmp_path: Path, kind: str) -> None:
    path = "notes" if kind == "note" else "replies"
    with ReferenceService(count=60, extra_args=[
            "--fault", "truncate:method=POST,count=1"]) as svc:
        env = synced(svc, tmp_path)
        assert env.engine.run("ref").error is None
        ext = svc.ids(60)[7]
        with env.store.write() as db:
            ob.record_message(db, env.local_id(ext), kind, "On it", "aditi", utcnow())
        report = env.engine.run("ref")
        assert report.dead == 0 and report.pushed == 1, report.summary()
        [(outcome, text)] = env.unknown_outcomes()
        assert outcome == "resend" and "same op id" in text
        assert env.outbox()[0][0] == "done"
        assert routes(svc, f"POST /v1/escalations/{ext}/{path}") == 2  # sent twice ...
        held = svc.notes(ext) if kind == "note" else svc.replies(ext)
        assert [m["text"] for m in held] == ["On it"]  # ... held once (Idempotency-Key)
        env.store.close()


def test_ids_with_slash_question_mark_and_dots_reach_their_own_record(tmp_path: Path) -> None:
    with ReferenceService(count=40, extra_args=["--hostile", "ids"]) as svc:
        env = synced(svc, tmp_path, limits=SyncLimits(run_deadline_s=60))
        assert env.engine.run("ref").error is None
        before = {ext: svc.record(ext) for ext in svc.ids(100)}
        assert set(HOSTILE_IDS) <= set(before)
        with env.store.write() as db:
            for ext in HOSTILE_IDS:
                ob.record_local_update(db, env.local_id(ext), {"assignee": "aditi"},
                                       "aditi", None, utcnow())
                ob.record_message(db, env.local_id(ext), "note", f"note on {ext}", "aditi",
                                  utcnow())
        report = env.engine.run("ref")
        assert report.error is None and report.dead == 0, report.summary()
        assert report.pushed == 2 * len(HOSTILE_IDS)
        for ext, old in before.items():
            now = svc.record(ext)
            if ext in HOSTILE_IDS:
                assert now["assignee"] == "aditi", ext
                assert [n["text"] for n in svc.notes(ext)] == [f"note on {ext}"]
            else:  # nothing else was touched
                assert now == old, ext
        stats = svc.stats()
        assert not [r for r in stats["routes"] if "admin" in r and "%" not in r]
        assert not [r for r in stats["routes"] if r.startswith(("PATCH", "POST")) and
                    not r.startswith(("PATCH /v1/escalations/", "POST /v1/escalations/"))]
        env.store.close()


def test_the_run_deadline_stops_pushing_without_blaming_changes_never_sent(
        tmp_path: Path) -> None:
    with ReferenceService(count=60, extra_args=[
            "--fault", "latency:method=PATCH,seconds=3,count=1"]) as svc:
        env = synced(svc, tmp_path)
        assert env.engine.run("ref").error is None
        first, second = svc.ids(60)[10:12]
        with env.store.write() as db:
            for ext in (first, second):
                ob.record_local_update(db, env.local_id(ext), {"tags": ["deadline"]},
                                       "aditi", None, utcnow())
        env.engine.limits = SyncLimits(run_deadline_s=1.5)
        report = env.engine.run("ref")
        assert report.error is not None and "did not finish within 1.5 s" in report.error
        (_, attempts1, error1), (_, attempts2, error2) = env.outbox()
        assert attempts1 == 1 and error1 is not None and error1.startswith("outcome unknown")
        assert (attempts2, error2) == (0, None)  # never sent: nothing to settle
        assert routes(svc, f"PATCH /v1/escalations/{second}") == 0
        env.engine.limits = SyncLimits()
        with env.store.write() as db:
            db.execute("UPDATE outbox SET next_attempt_at = 0")
        again = env.engine.run("ref")
        assert again.error is None and again.pushed == 2, again.summary()
        assert svc.record(first)["tags"] == svc.record(second)["tags"] == ["deadline"]
        env.store.close()
