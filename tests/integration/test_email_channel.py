"""The email channel against a real Dovecot (IMAP) and a real aiosmtpd (SMTP) on loopback,
driven through the real SyncEngine and Store."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from rr_desktop.channels.contract import (
    AuthError,
    CursorExpired,
    Mutation,
    NetworkError,
    Rejected,
    ServerError,
)
from rr_desktop.channels.email import EmailChannel, EmailConfig
from rr_desktop.channels.email import writes as pushing
from rr_desktop.domain import Channel
from rr_desktop.store import channel_state as cs
from rr_desktop.store import outbox as ob
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import SyncEngine
from tests.peers.dovecot import Dovecot, dovecot, message
from tests.peers.smtp_server import SmtpServer, smtp_server

LEE = "Officer Lee <lee@police.example.au>"
mail = partial(message, sender=LEE)


def config(dv: Dovecot, sm: SmtpServer | None, **over: str) -> dict[str, str]:
    return {"imap_host": "127.0.0.1", "imap_port": str(dv.port), "imap_security": "plain",
            "username": dv.user, "smtp_username": "analyst",
            "from_address": "Rapid Response <rr@platform.example>",
            "smtp_host": "127.0.0.1", "smtp_port": str(sm.port if sm else 1),
            "smtp_security": "plain", "resolved_folder": "Resolved",
            "law_enforcement_domains": "police.example.au", "default_market": "AU", **over}


def client(dv: Dovecot, sm: SmtpServer | None = None, password: str = "secret",
           **over: str) -> EmailChannel:
    return EmailChannel("mail", EmailConfig.from_mapping("mail", config(dv, sm, **over)),
                        password)


@dataclass
class Env:
    store: Store
    engine: SyncEngine
    client: EmailChannel

    def row(self, ext: str) -> dict[str, Any]:
        with self.store.read() as db:
            cur = db.execute("SELECT * FROM escalation WHERE external_id = ?", (ext,))
            names = [d[0] for d in cur.description]
            found = cur.fetchone()
        assert found is not None, ext
        return dict(zip(names, found, strict=True))

    def count(self) -> int:
        with self.store.read() as db:
            return int(db.execute("SELECT count(*) FROM escalation").fetchone()[0])

    def facts(self, ext: str) -> list[str]:
        return [f["text"] for f in json.loads(self.row(ext)["facts"])]


@pytest.fixture(scope="module")
def imap_server() -> Iterator[Dovecot]:
    with dovecot() as server:  # one server; every test gets its own account
        yield server


@pytest.fixture
def dv(imap_server: Dovecot) -> Dovecot:
    return imap_server.fresh_account()


@pytest.fixture
def sm() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def make_env(tmp_path: Path, ch: EmailChannel) -> Env:
    store = Store.open(tmp_path / "cache.sqlite3")
    with store.write() as db:
        cs.ensure_channel(db, Channel("mail", "email", {"imap_host": ch.cfg.imap_host,
                                                        "username": ch.cfg.username}))
    return Env(store, SyncEngine(store, {"mail": ch}), ch)


@pytest.fixture
def env(dv: Dovecot, sm: SmtpServer, tmp_path: Path) -> Iterator[Env]:
    e = make_env(tmp_path, client(dv, sm))
    yield e
    e.client.close()
    e.store.close()


def test_new_mail_becomes_escalations_exactly_once(env: Env, dv: Dovecot) -> None:
    dv.append(
        mail("a1@police.example.au", "Request A: livestream", "Please review "
             "https://video.example/live/42 urgently.", minutes=0),
        mail("b1@ngo.example", "Report B", "plain part", sender="NGO <desk@ngo.example>",
             html="<p>Hello <b>team</b><script>alert(1)</script>"
                  "<img src='https://tracker.example/x.gif'></p>",
             attachment=("court order.pdf", b"%PDF-1.4 " * 500), minutes=1),
        mail("a2@police.example.au", "Re: Request A: livestream", "More context.",
             parents="<a1@police.example.au>", minutes=2),
        mail("nofrom@x.example", "No sender", "a message without From", sender=""),
        mail("e1@partner.example", "Thread E", "one", sender="p@partner.example"),
        mail("e2@partner.example", "Re: Thread E", "two", sender="p@partner.example",
             parents="<e1@partner.example>", reply_to_only=True),
        mail("e3@partner.example", "Re: Thread E", "three", sender="p@partner.example",
             parents="<e2@partner.example>", reply_to_only=True),
    )
    report = env.engine.run("mail")
    assert report.error is None, report.error
    assert env.count() == 3 and report.quarantined == 1
    a = env.row("a1@police.example.au")
    assert (a["title"], a["reporter_type"], a["category"], a["market"], a["status"]) == (
        "Request A: livestream", "law_enforcement", "regulatory_legal", "AU", "new")
    assert a["content_url"] == "https://video.example/live/42"
    assert [f.split(":")[0] for f in env.facts("a1@police.example.au")] == [
        "From Officer Lee <lee@police.example.au>"] * 2
    b = env.row("b1@ngo.example")
    assert b["body"].startswith("plain part")  # text/plain preferred over the HTML
    assert "court order.pdf (application/pdf, 4 KB)" in b["body"]
    assert "%PDF" not in b["body"] and "<" not in b["body"].replace("<desk", "")
    assert len(env.facts("e1@partner.example")) == 3  # In-Reply-To chain, one thread
    with env.store.read() as db:
        reason = db.execute("SELECT reason FROM quarantine").fetchone()[0]
    assert "no From address" in reason
    assert all("\\Seen" not in f for f in dv.flags().values())  # reading marks nothing read

    again = env.engine.run("mail")
    assert (again.error, again.received, again.changed, again.quarantined) == (None, 0, 0, 0)

    dv.append(mail("a3@police.example.au", "Re: Request A: livestream", "Now 1M views.",
                   parents="<a1@police.example.au> <a2@police.example.au>", minutes=3))
    third = env.engine.run("mail")
    assert (third.received, third.changed) == (1, 1) and env.count() == 3
    assert "Now 1M views." in env.facts("a1@police.example.au")[-1]


def test_html_only_mail_becomes_plain_text_and_keeps_its_html(env: Env, dv: Dovecot) -> None:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"], msg["Subject"], msg["Message-ID"] = LEE, "HTML only", "<h1@police.example.au>"
    msg.set_content("<div>Take down <a href='https://bad.example/p'>this</a>&nbsp;now"
                    "<style>p{}</style></div>", subtype="html")
    dv.append(bytes(msg))
    assert env.engine.run("mail").error is None
    row = env.row("h1@police.example.au")
    assert row["body"] == "Take down this [link: https://bad.example/p] now"
    # The HTML as sent, for the formatted view (sanitized there, never here).
    assert "<a href='https://bad.example/p'>this</a>" in row["body_html"]
    # A mail with a plain part has no formatted body: the plain part is what is shown.
    dv.append(mail("p1@police.example.au", "Plain", "just text", html="<p>rich</p>"))
    assert env.engine.run("mail").error is None
    assert env.row("p1@police.example.au")["body_html"] is None


def test_triage_is_kept_as_keywords_and_filed_exactly_once(env: Env, dv: Dovecot) -> None:
    dv.append(mail("a1@police.example.au", "Request A", "one"),
              mail("a2@police.example.au", "Re: Request A", "two",
                   parents="<a1@police.example.au>"),
              mail("b1@ngo.example", "Other", "x", sender="desk@ngo.example"))
    assert env.engine.run("mail").error is None
    esc = env.row("a1@police.example.au")
    with env.store.write() as db:
        ob.record_local_update(db, esc["id"], {"status": "resolved", "severity": "S1",
                                               "assignee": "a.tan", "tags": ["legal-hold"]},
                               "a.tan", "answered", utcnow())
    report = env.engine.run("mail")
    assert report.error is None and report.pushed == 1 and report.dead == 0
    filed = dv.flags("Resolved")
    assert set(filed) == {"a1@police.example.au", "a2@police.example.au"}
    for got in filed.values():
        assert got == {"\\Seen", "$RR-status-resolved", "$RR-severity-S1",
                       "$RR-assignee-a.tan", "$RR-tag-legal-hold"}
    assert set(dv.flags()) == {"b1@ngo.example"}  # the other thread was not touched
    row = env.row("a1@police.example.au")
    assert (row["status"], row["assignee"], row["tags"]) == ("resolved", "a.tan", "legal-hold")
    again = env.engine.run("mail")
    assert (again.error, again.pushed, again.changed) == (None, 0, 0)
    with env.store.read() as db:
        assert db.execute("SELECT state FROM outbox").fetchall() == [("done",)]
    # The partner writes again: the thread is reopened, its history kept.
    dv.append(mail("a3@police.example.au", "Re: Request A", "any news?", minutes=9,
                   parents="<a1@police.example.au> <a2@police.example.au>"))
    assert env.engine.run("mail").changed == 1
    row = env.row("a1@police.example.au")
    assert row["status"] == "new" and len(env.facts("a1@police.example.au")) == 3


def test_same_field_changed_by_a_colleague_is_a_conflict(env: Env, dv: Dovecot) -> None:
    dv.append(mail("a1@police.example.au", "Request A", "one"))
    assert env.engine.run("mail").error is None
    with dv.client() as c:  # a colleague triages in another RR Desktop
        c.select_folder("INBOX")
        c.add_flags(c.search("ALL"), [b"$RR-status-investigating"])
    with env.store.write() as db:
        ob.record_local_update(db, env.row("a1@police.example.au")["id"],
                               {"status": "declined"}, "a.tan", "spam", utcnow())
    report = env.engine.run("mail")
    assert report.conflicts == 1 and report.pushed == 0
    assert dv.flags()["a1@police.example.au"] == {"$RR-status-investigating"}


def test_reply_arrives_threaded_and_is_sent_once(env: Env, dv: Dovecot,
                                                 sm: SmtpServer) -> None:
    dv.append(mail("a1@police.example.au", "Request A", "one"),
              mail("a2@police.example.au", "Re: Request A", "two", minutes=5,
                   parents="<a1@police.example.au>"))
    assert env.engine.run("mail").error is None
    with env.store.write() as db:
        _, op_id = ob.record_message(db, env.row("a1@police.example.au")["id"], "reply",
                                  "We are on it.", "a.tan", utcnow())
    report = env.engine.run("mail")
    assert report.error is None and report.pushed == 1
    [sent] = sm.deliveries
    assert sm.logins == ["analyst"]
    assert sent.rcpt_tos == ["lee@police.example.au"]
    m = sent.message
    assert m["Subject"] == "Re: Request A"
    assert m["In-Reply-To"] == "<a2@police.example.au>"
    assert m["References"].split() == ["<a1@police.example.au>", "<a2@police.example.au>"]
    assert m["Message-ID"] == f"<{op_id}@platform.example>"
    assert m.get_content().strip() == "We are on it."
    assert set(dv.flags("Sent")) == {f"{op_id}@platform.example"}
    assert "\\Answered" in dv.flags()["a2@police.example.au"]
    # A replay of the same op (its answer lost) does not send twice.
    env.client.push(Mutation(op_id, "reply", "a1@police.example.au",
                             {"text": "We are on it.", "author": "a.tan"}, 0))
    assert len(sm.deliveries) == 1


def test_notes_are_filed_internally_never_sent(env: Env, dv: Dovecot, sm: SmtpServer,
                                               tmp_path: Path) -> None:
    dv.append(mail("a1@police.example.au", "Request A", "one"))
    assert env.engine.run("mail").error is None
    with env.store.write() as db:
        _, op_id = ob.record_message(db, env.row("a1@police.example.au")["id"], "note",
                                  "Checked with Legal.", "a.tan", utcnow())
    assert env.engine.run("mail").pushed == 1
    assert sm.deliveries == []
    assert set(dv.flags("RR Notes")) == {f"note-{op_id}@platform.example"}
    assert env.facts("a1@police.example.au")[-1] == "Internal note by a.tan: Checked with Legal."
    env.client.push(Mutation(op_id, "note", "a1@police.example.au",
                             {"text": "Checked with Legal.", "author": "a.tan"}, 0))
    assert len(dv.flags("RR Notes")) == 1
    bare = client(dv, sm, notes_folder="")
    with pytest.raises(Rejected, match="no notes folder is set"):
        bare.push(Mutation("n2", "note", "a1@police.example.au", {"text": "x"}, 0))
    bare.close()


def test_uidvalidity_change_resyncs_without_duplicates_or_wrong_message(
        dv: Dovecot, sm: SmtpServer, tmp_path: Path) -> None:
    a, b = mail("a1@police.example.au", "A", "a"), mail("b1@ngo.example", "B", "b",
                                                       sender="desk@ngo.example")
    dv.append(a, b, folder="Inquiries")
    env = make_env(tmp_path, client(dv, sm, mailbox="Inquiries"))
    assert env.engine.run("mail").error is None
    with env.store.read() as db:
        old_cursor = db.execute("SELECT cursor FROM sync_cursor").fetchone()[0]
    stale = {m.uid: m for m in env.client.call(
        lambda s: env.client.thread(s, "a1@police.example.au"))[1]}
    with dv.client() as c:  # the mailbox is recreated: same mail, UIDs now mean others
        c.delete_folder("Inquiries")
        c.create_folder("Inquiries")
    dv.append(b, a, folder="Inquiries")
    with pytest.raises(CursorExpired, match="UIDVALIDITY"):
        client(dv, sm, mailbox="Inquiries").pull(old_cursor)
    # A write that still holds old UIDs is refused before anything is touched: by the
    # Message-ID now at that UID, and by the UIDVALIDITY of the folder.
    fresh = client(dv, sm, mailbox="Inquiries")
    fresh.pull(None)
    with pytest.raises(ServerError, match="no longer holds the expected message"):
        fresh.call(lambda s: pushing._select_verified(fresh, s, "Inquiries",
                                                      list(stale.values())))
    fresh.pull(None)
    fresh.index.folders["Inquiries"].uidvalidity = json.loads(old_cursor)["Inquiries"][
        "uidvalidity"]
    with pytest.raises(ServerError, match="recreated on the server"):
        fresh.call(lambda s: pushing._select_verified(fresh, s, "Inquiries",
                                                      list(stale.values())))
    fresh.close()
    with env.store.write() as db:
        ob.record_local_update(db, env.row("a1@police.example.au")["id"],
                               {"status": "triaged"}, "a.tan", None, utcnow())
    report = env.engine.run("mail")
    assert report.error is None and report.resynced and report.pushed == 1
    assert env.count() == 2
    now = dv.flags("Inquiries")
    assert now["a1@police.example.au"] == {"\\Seen", "$RR-status-triaged"}
    assert now["b1@ngo.example"] == set()  # UID 1 is B now: it was not touched
    assert env.engine.run("mail").changed == 0
    env.client.close()
    env.store.close()


def test_wrong_password_gives_the_clear_error(dv: Dovecot, sm: SmtpServer,
                                              tmp_path: Path) -> None:
    dv.append(mail("a1@police.example.au", "A", "a"))
    env = make_env(tmp_path, client(dv, sm, password="wrong"))
    report = env.engine.run("mail")
    assert report.error == (f"mail: 127.0.0.1:{dv.port} refused the login of {dv.user!r}: "
                            "wrong user name or password ([AUTHENTICATIONFAILED] "
                            "Authentication failed.)")
    assert env.count() == 0
    with pytest.raises(AuthError, match="wrong user name or password"):
        env.client.check()
    env.store.close()
    smtp_wrong = EmailChannel("mail", EmailConfig.from_mapping("mail", config(dv, sm)),
                              "secret", smtp_password="nope")
    with pytest.raises(AuthError, match="refused the SMTP login of 'analyst'"):
        smtp_wrong.check()
    smtp_wrong.close()
    client(dv, sm).check()  # and the right ones pass


def test_connection_problems_are_clear_sentences(dv: Dovecot, sm: SmtpServer) -> None:
    with pytest.raises(NetworkError, match=r"cannot reach 127\.0\.0\.1:1 "):
        client(dv, sm, imap_port="1").pull(None)
    with pytest.raises(Rejected, match="does not offer STARTTLS"):
        client(dv, sm, smtp_security="starttls").check()
    with pytest.raises(Rejected, match="does not offer STARTTLS"):
        client(dv, sm, imap_security="starttls").pull(None)
    with pytest.raises(Rejected, match="mailbox 'Nope' does not exist"):
        client(dv, sm, mailbox="Nope").check()
    with pytest.raises(Rejected, match="only allowed to a loopback host"):
        EmailConfig.from_mapping("mail", config(dv, sm, imap_host="imap.example.com"))


def test_pages_are_bounded_and_flag_changes_come_back(env: Env, dv: Dovecot) -> None:
    dv.append(*[mail(f"m{i}@partner.example", f"Item {i}", "x", sender="p@partner.example")
                for i in range(130)])
    cursor: str | None = None

    def drain() -> list[tuple[str, str]]:
        nonlocal cursor
        out: list[tuple[str, str]] = []
        while True:
            page = env.client.pull(cursor)
            assert len(page.items) <= 100
            out += [(i.record.external_id, i.record.status.value) for i in page.items]
            cursor = page.next_cursor
            if page.done:
                return out

    seen = drain()
    assert len(seen) == len(set(seen)) == 130
    with dv.client() as c:  # a colleague works through 110 of them, one at a time
        c.select_folder("INBOX")
        for uid in c.search("ALL")[:110]:
            c.add_flags([uid], [b"$RR-status-investigating"])
    changed = drain()
    assert len(changed) == len(set(changed)) == 110
    assert {status for _, status in changed} == {"investigating"}


def test_idle_wait_reports_new_mail(dv: Dovecot, sm: SmtpServer) -> None:
    ch = client(dv, sm)
    assert ch.idle_wait(0.2) is False
    timer = threading.Timer(0.3, lambda: dv.append(mail("n1@partner.example", "N", "n")))
    timer.start()
    started = time.monotonic()
    assert ch.idle_wait(10) is True
    assert time.monotonic() - started < 5
    timer.join()
    ch.close()


def test_servers_without_condstore_still_get_new_mail_once(env: Env, dv: Dovecot) -> None:
    env.client.call(lambda s: setattr(s, "condstore", False))  # as if not offered
    dv.append(mail("a1@police.example.au", "Request A", "one"))
    first = env.engine.run("mail")
    assert (first.error, first.received) == (None, 1)
    v1 = env.row("a1@police.example.au")["remote_version"]
    with env.store.write() as db:
        ob.record_local_update(db, env.row("a1@police.example.au")["id"],
                               {"status": "investigating"}, "a.tan", None, utcnow())
    assert env.engine.run("mail").pushed == 1
    assert dv.flags()["a1@police.example.au"] == {"\\Seen", "$RR-status-investigating"}
    dv.append(mail("a2@police.example.au", "Re: Request A", "two", minutes=4,
                   parents="<a1@police.example.au>"))
    assert env.engine.run("mail").changed == 1
    row = env.row("a1@police.example.au")
    assert row["remote_version"] > v1 and row["status"] == "investigating"
    assert env.engine.run("mail").changed == 0
