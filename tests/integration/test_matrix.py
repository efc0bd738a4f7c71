"""The Matrix channel against a real Synapse on loopback, driven through the real
SyncEngine and Store; what reaches the homeserver is read back through its API as
another user. One Synapse per module: every test makes its own users and rooms.
(What needs no homeserver is in tests/unit/test_matrix_wire.py.)"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rr_desktop import channel_setup as setup
from rr_desktop.channels import registry
from rr_desktop.channels.contract import Mutation, PushResult, Rejected
from rr_desktop.channels.matrix import MatrixChannel
from rr_desktop.domain import Channel, Severity
from rr_desktop.paths import db_path
from rr_desktop.store import channel_state as cs
from rr_desktop.store import outbox as ob
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import SyncEngine, SyncProgress
from tests.integration.cache_rows import rows_by_external_id
from tests.peers.secret_service import secret_service
from tests.peers.synapse import Account, MatrixUser, Synapse, synapse

# The first test of a clean machine also builds the Synapse venv (pip, ~1 min or more).
pytestmark = pytest.mark.timeout(900)

THAI = "\u0e44\u0e25\u0e1f\u0e4c\u0e2a\u0e14"  # "livestream" in Thai


@pytest.fixture(scope="module")
def hs() -> Iterator[Synapse]:
    with synapse() as server:
        yield server


@dataclass
class Team:
    """A market team's room: Kanya posts, Somchai replies, the RR account watches."""

    hs: Synapse
    kanya: MatrixUser
    somchai: MatrixUser
    rr: Account
    room: str
    alias: str

    def config(self, **over: str) -> dict[str, str]:
        return {"base_url": self.hs.url, "rooms": f"{self.alias}=TH", "auth": "token",
                **over}

    def channel(self, credential: str | None = None, **over: str) -> MatrixChannel:
        built = registry.spec("matrix").build(
            "chat", self.config(**over), {"credential": credential or self.rr.token}.get)
        assert isinstance(built, MatrixChannel)
        return built


@pytest.fixture
def team(hs: Synapse) -> Team:
    tag = uuid.uuid4().hex[:8]
    kanya = hs.client(hs.register(f"kanya{tag}"))
    somchai = hs.client(hs.register(f"somchai{tag}"))
    rr = hs.register(f"rr{tag}")
    kanya.call("PUT", f"/v3/profile/{kanya.user_id}/displayname",
               json={"displayname": "Kanya (TH market)"})
    room = kanya.create_room("TH escalations", invite=(somchai.user_id, rr.user_id),
                             alias=f"th-esc-{tag}")
    somchai.join(room)
    return Team(hs, kanya, somchai, rr, room, f"#th-esc-{tag}:rr.test")


def shown(user: MatrixUser) -> str:
    """How a member without a display name of their own is named (Synapse sets the
    localpart as the display name at registration)."""
    return f"{user.account.localpart} ({user.user_id})"


class MaxJitter(random.Random):
    """The engine's backoff at its ceiling (1, 2, 4, 8, 16 s): deterministic waits."""

    def uniform(self, a: float, b: float) -> float:
        return b


class NoJitter(random.Random):
    """The engine's backoff at its floor (no wait): all its retries at once."""

    def uniform(self, a: float, b: float) -> float:
        return a


@dataclass
class Env:
    store: Store
    engine: SyncEngine
    client: MatrixChannel

    def rows(self) -> dict[str, dict[str, Any]]:
        return rows_by_external_id(self.store)

    def row(self, event_id: str) -> dict[str, Any]:
        found = [r for ext, r in self.rows().items() if ext.endswith("/" + event_id)]
        assert len(found) == 1, (event_id, list(self.rows()))
        return found[0]

    def facts(self, event_id: str) -> list[str]:
        return [f["text"] for f in json.loads(self.row(event_id)["facts"])]

    def quarantine(self) -> list[tuple[str | None, str]]:
        with self.store.read() as db:
            return [(r[0], r[1]) for r in db.execute(
                "SELECT external_id, reason FROM quarantine ORDER BY id")]

    def cursor(self) -> dict[str, Any]:
        with self.store.read() as db:
            cid = db.execute("SELECT id FROM channel WHERE name = 'chat'").fetchone()[0]
            return dict(json.loads(cs.get_cursor(db, cid, "default") or "{}"))

    def sync(self) -> Any:
        report = self.engine.run("chat")
        assert report.error is None, report.error
        return report

    def esc_id(self, event_id: str) -> int:
        return int(self.row(event_id)["id"])


@pytest.fixture
def env(team: Team, tmp_path: Path) -> Iterator[Env]:
    client = team.channel()
    store = Store.open(tmp_path / "cache.sqlite3")
    with store.write() as db:  # as the app records it: what the source receives
        cs.ensure_channel(db, Channel("chat", "matrix", team.config(),
                                      pushes=frozenset(client.pushes)))
    e = Env(store, SyncEngine(store, {"chat": client}, rng=MaxJitter()), client)
    yield e
    client.close()
    store.close()


@pytest.mark.slow
def test_messages_and_thread_roots_arrive_once_and_thread_replies_as_facts(
        team: Team, env: Env) -> None:
    a = team.kanya.say(team.room, f"{THAI}: a livestream of an attack in Bangkok\n"
                                  "https://video.example/live/42 is spreading fast",
                       html="<p>A <b>livestream</b> of an attack</p>")
    b = team.kanya.say(team.room, "Scam ads impersonating the Bank of Thailand")
    r1 = team.somchai.reply_in_thread(team.room, a, "Also on two mirror accounts")
    team.kanya.edit(team.room, b, "Scam ads impersonating the Bank of Thailand (120 ads)")
    first = env.sync()
    rows = env.rows()
    assert first.received == 2 and len(rows) == 2
    ra, rb = env.row(a), env.row(b)
    assert ra["title"] == f"{THAI}: a livestream of an attack in Bangkok"
    assert "https://video.example/live/42" in ra["body"]
    assert "<b>livestream</b>" in ra["body_html"]
    assert ra["market"] == "TH" and ra["severity"] == Severity.S2
    assert ra["reporter"] == f"Kanya (TH market) ({team.kanya.user_id})"
    assert ra["content_url"].startswith("https://matrix.to/#/!")
    assert env.facts(a) == [f"Thread reply by {shown(team.somchai)}: Also on two mirror "
                            "accounts"]
    assert rb["body"] == "Scam ads impersonating the Bank of Thailand (120 ads)"
    assert env.facts(b)[0].startswith("Edited in Matrix by Kanya")

    assert env.sync().received == 0  # nothing new: nothing again
    team.somchai.reply_in_thread(team.room, a, "Taken down on one of them")
    team.kanya.react(team.room, r1, "\U0001F440")  # a reaction on a reply: not a change
    third = env.sync()
    assert third.received == 1 and len(env.rows()) == 2
    assert [f.split(": ", 1)[1] for f in env.facts(a)] == [
        "Also on two mirror accounts", "Taken down on one of them"]
    assert env.quarantine() == []


@pytest.mark.slow
def test_a_reply_from_rr_desktop_arrives_as_a_thread_reply_once(team: Team, env: Env) -> None:
    root = team.kanya.say(team.room, "Doxxing of a journalist in Chiang Mai")
    earlier = team.somchai.reply_in_thread(team.room, root, "Her address is in the post")
    env.sync()
    text = f"Thanks, we are on it \u0e02\u0e2d\u0e1a\u0e04\u0e38\u0e13 ({uuid.uuid4().hex[:6]})"
    with env.store.write() as db:
        ob.record_message(db, env.esc_id(root), "reply", text, "aditi", utcnow())
        ob.record_message(db, env.esc_id(root), "note", "internal: check the partner",
                          "aditi", utcnow())
        ob.record_local_update(db, env.esc_id(root), {"severity": "S0", "status": "triaged"},
                               "aditi", None, utcnow())
    with env.store.read() as db:  # only the reply is queued: the rest stays here
        assert db.execute("SELECT op_type FROM outbox").fetchall() == [("reply",)]
    report = env.sync()
    assert report.pushed == 1 and report.dead == 0, report.summary()

    thread = team.somchai.thread(team.room, root)  # as another user sees it
    ours = [e for e in thread if e["sender"] == team.rr.user_id]
    assert len(ours) == 1
    assert ours[0]["content"]["body"] == text
    rel = ours[0]["content"]["m.relates_to"]
    assert rel["rel_type"] == "m.thread" and rel["event_id"] == root
    assert rel["m.in_reply_to"]["event_id"] == earlier  # fallback for thread-less clients
    # The note and the triage went nowhere: only the reply is in the room.
    sent = [e for e in team.somchai.messages(team.room) if e["sender"] == team.rr.user_id
            and e["type"] != "m.room.member"]
    assert [e["content"]["body"] for e in sent] == [text]
    assert env.facts(root)[-1].endswith(f"(sent from RR Desktop): {text}")
    # The triage is the analyst's: a new reply in the room re-reads the escalation and
    # leaves it as it is here.
    team.somchai.reply_in_thread(team.room, root, "Second post found")
    assert env.sync().received == 1
    row = env.row(root)
    assert (row["severity"], row["status"]) == (Severity.S0, "triaged")
    assert env.facts(root)[-1].endswith("Second post found")
    with env.store.read() as db:
        assert db.execute("SELECT DISTINCT state FROM outbox").fetchall() == [("done",)]

    # A replay after a lost answer (same op id), even from another session of the account
    # (the app restarted and signed in again: the homeserver's transaction IDs are per
    # device), does not post it twice.
    op_id = ours[0]["content"]["org.rr-desktop.op_id"]
    other = team.channel(team.hs.login(team.rr))
    try:
        again = other.push(Mutation(op_id, "reply", f"{team.room}/{root}", {"text": text}, 0))
    finally:
        other.close()
    assert again == PushResult(None)
    assert len([e for e in team.somchai.thread(team.room, root)
                if e["sender"] == team.rr.user_id]) == 1
    assert env.sync().received == 0  # nothing new in the room: nothing re-read


@pytest.mark.slow
def test_severity_from_the_command_prefix_and_reactions(team: Team, env: Env) -> None:
    cmd = team.kanya.say(team.room, "!sev S0 Credible threat against a school in Khon Kaen")
    emoji = team.kanya.say(team.room, "Coordinated harassment of a streamer")
    team.somchai.react(team.room, emoji, "\U0001F7E0")  # orange circle: S1 by default
    text_key = team.kanya.say(team.room, "Spam wave, low reach")
    team.somchai.react(team.room, text_key, "s3")
    in_thread = team.kanya.say(team.room, "Fake donation pages after the floods")
    team.somchai.reply_in_thread(team.room, in_thread, "!sev S1 now 40 pages")
    plain = team.kanya.say(team.room, "Question about a takedown")
    team.somchai.react(team.room, plain, "\U0001F44D")  # thumbs up marks nothing
    env.sync()
    assert env.row(cmd)["severity"] == Severity.S0
    assert env.row(cmd)["title"] == "Credible threat against a school in Khon Kaen"
    assert env.row(emoji)["severity"] == Severity.S1
    assert env.row(text_key)["severity"] == Severity.S3
    assert env.row(in_thread)["severity"] == Severity.S1
    assert env.row(plain)["severity"] == Severity.S2  # the channel's default
    assert any("Severity S1 marked by" in f for f in env.facts(emoji))

    # Triage is local: a mark made after the escalation arrived shows in its timeline,
    # and the severity the analyst sees stands.
    team.somchai.react(team.room, plain, "\U0001F534")
    assert env.sync().received == 1
    assert env.row(plain)["severity"] == Severity.S2
    assert any(f"Severity S0 marked by {shown(team.somchai)} (reaction \U0001F534)" in f
               for f in env.facts(plain))


@pytest.mark.slow
def test_an_encrypted_room_is_refused_with_a_clear_message(
        hs: Synapse, team: Team, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    secret = team.kanya.create_room("TH partners (E2EE)", invite=(team.rr.user_id,),
                                    alias=f"th-e2ee-{tag}", encrypted=True)
    alias = f"#th-e2ee-{tag}:rr.test"
    team.kanya.send(secret, {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEn...",
                             "device_id": "KANYAPHONE", "sender_key": "x" * 43,
                             "session_id": "y" * 43}, "m.room.encrypted")
    fine = team.kanya.say(team.room, "Account takeover of a celebrity")
    rooms = f"{team.alias}=TH, {alias}=TH"

    verdict = setup.check_connection(setup.new_draft(
        "matrix", "chat", team.config(rooms=rooms), {"credential": team.rr.token}))
    assert verdict.kind is setup.VerdictKind.WRONG_URL
    assert f"the room {alias} is end-to-end encrypted" in verdict.message
    assert "cannot read it" in verdict.message

    client = team.channel(rooms=rooms)
    store = Store.open(tmp_path / "cache.sqlite3")
    try:
        with store.write() as db:
            cs.ensure_channel(db, Channel("chat", "matrix", team.config(rooms=rooms)))
        env = Env(store, SyncEngine(store, {"chat": client}), client)
        env.sync()
        assert list(env.rows()) == [f"{team.room}/{fine}"]  # the other room still syncs
        reasons = [r for _, r in env.quarantine()]
        assert sum(f"the room {alias} is end-to-end encrypted" in r for r in reasons) == 1
        assert any("is end-to-end encrypted: this message cannot be read" in r
                   for r in reasons)
        env.sync()
        assert sum("end-to-end encrypted;" in r for _, r in env.quarantine()) == 1  # once
        with pytest.raises(Rejected, match=r"end-to-end encrypted.*the reply was not sent"):
            client.push(Mutation("op-1", "reply", f"{secret}/$abc", {"text": "hi"}, 0))
    finally:
        client.close()
        store.close()
    assert hs.running


@pytest.mark.slow
def test_malformed_events_are_quarantined_and_the_rest_arrives(team: Team, env: Env) -> None:
    # What Synapse lets through from its own users (it checks body and msgtype, not
    # relations); other homeservers' events reach it unchecked.
    orphan = team.kanya.send(team.room, {"msgtype": "m.text", "body": "thread reply to?",
                                         "m.relates_to": {"rel_type": "m.thread"}})
    good = team.kanya.say(team.room, "Impersonation of the health ministry")
    edit = team.kanya.send(team.room, {"msgtype": "m.text", "body": "* fixed",
                                       "m.relates_to": {"rel_type": "m.replace"}})
    env.sync()
    assert list(env.rows()) == [f"{team.room}/{good}"]
    assert env.quarantine() == [
        (f"{team.room}/{orphan}", f"{team.alias}: an m.thread relation without a target "
                                  "event"),
        (f"{team.room}/{edit}", f"{team.alias}: an m.replace relation without a target "
                                "event")]
    with env.store.read() as db:
        raw = db.execute("SELECT raw FROM quarantine ORDER BY id").fetchone()[0]
    assert json.loads(raw)["content"]["body"] == "thread reply to?"


@pytest.mark.slow
def test_a_synapse_restart_mid_sync_loses_and_doubles_nothing(
        hs: Synapse, team: Team, env: Env) -> None:
    before = [team.kanya.say(team.room, f"Earlier report {i}") for i in range(5)]
    env.sync()
    since = env.cursor()["since"]
    # More than one /sync timeline (50) and more than one page of escalations (50): a
    # gap backfilled with /messages over several pages.
    posted = team.kanya.say_many(team.room, [f"Report {i}: account {i} selling fake IDs"
                                             for i in range(130)])
    restarted: list[int] = []
    waits: list[str] = []

    def progress(p: SyncProgress) -> None:
        if p.phase == "pull" and not restarted:
            restarted.append(p.pages)
            hs.restart()  # the next page is being fetched meanwhile, and fails
        if p.phase == "wait":
            waits.append(p.message)

    report = env.engine.run("chat", progress)
    assert restarted == [1] and report.pages > 2
    assert waits and "cannot reach" in waits[0]  # the fetch failed and was retried
    assert report.error is None, report.error
    rows = env.rows()
    assert sorted(rows) == sorted(f"{team.room}/{e}" for e in before + posted)
    assert len(rows) == 135  # UNIQUE(channel, external_id): nothing doubled
    assert env.cursor()["since"] != since and env.cursor()["todo"] == []

    hs.stop()  # down for a whole run: a clear error, the cursor untouched
    cursor = env.cursor()
    down = SyncEngine(env.store, {"chat": env.client}, rng=NoJitter()).run("chat")
    assert down.error is not None and "cannot reach" in down.error
    assert env.cursor() == cursor
    hs.start()
    later = [team.kanya.say(team.room, f"After the restart {i}") for i in range(3)]
    resumed = env.sync()
    assert resumed.received == 3  # the since token resumed: nothing re-read
    assert len(env.rows()) == 138 and all(env.row(e) for e in later)


@pytest.mark.slow
def test_wrong_credentials_and_wrong_urls_give_clear_messages(
        hs: Synapse, team: Team, tmp_path: Path) -> None:
    def verdict(credential: str, **over: str) -> setup.Verdict:
        return setup.check_connection(setup.new_draft(
            "matrix", "chat", team.config(**over), {"credential": credential}))

    bad_token = verdict("syt_not_a_real_token")
    assert bad_token.kind is setup.VerdictKind.AUTH
    assert bad_token.message == (
        "chat: the homeserver does not accept the access token (401 M_UNKNOWN_TOKEN): it "
        "was revoked or belongs to another server; enter a valid one")
    bad_password = verdict("wrong password", auth="password", user=team.rr.user_id)
    assert bad_password.kind is setup.VerdictKind.AUTH
    assert bad_password.message == ("chat: the homeserver refused the user ID or password "
                                    "(403 M_FORBIDDEN)")
    good_password = verdict(team.rr.password, auth="password", user=team.rr.localpart)
    assert good_password.ok, good_password.message
    not_there = verdict(team.rr.token, rooms="#no-such-room:rr.test")
    assert not_there.message == ("chat: the room alias #no-such-room:rr.test does not exist "
                                 "on the homeserver: check the watched rooms")
    wrong_path = verdict(team.rr.token, base_url=hs.url + "/matrix")
    assert wrong_path.kind is setup.VerdictKind.WRONG_URL
    assert "check the URL" in wrong_path.message
    nothing = verdict(team.rr.token, base_url="http://127.0.0.1:9")
    assert nothing.kind is setup.VerdictKind.UNREACHABLE

    client = team.channel("syt_not_a_real_token")
    store = Store.open(tmp_path / "cache.sqlite3")
    try:
        with store.write() as db:
            cs.ensure_channel(db, Channel("chat", "matrix", team.config()))
        report = SyncEngine(store, {"chat": client}).run("chat")
        assert report.error == bad_token.message
    finally:
        client.close()
        store.close()


@pytest.mark.slow
def test_channels_add_matrix_with_a_password_in_the_keyring(
        hs: Synapse, team: Team, tmp_path: Path) -> None:
    root = team.kanya.say(team.room, "Hate speech campaign against a minority, 300 posts")
    data = tmp_path / "data"

    def cli(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "rr_desktop", "--data-dir", str(data),
                               *args], input=stdin, capture_output=True, text=True,
                              timeout=180, env={**os.environ, **env})

    with secret_service() as keyring_env:
        added = cli("channels", "add", "matrix", "th-chat", "--url", hs.url,
                    "--set", "auth=password", "--set", f"user={team.rr.user_id}",
                    "--set", f"rooms={team.alias}=TH", "--test",
                    env=keyring_env, stdin=team.rr.password + "\n")
        assert added.returncode == 0, added.stderr
        assert "th-chat: connection works" in added.stdout
        synced = cli("sync", "--once", env=keyring_env)
        assert synced.returncode == 0, synced.stdout + synced.stderr
        assert "th-chat: ok: 1 received" in synced.stdout
    outputs = added.stdout + added.stderr + synced.stdout + synced.stderr
    assert team.rr.password not in outputs and "Traceback" not in outputs
    for path in data.rglob("*"):
        if path.is_file():
            assert team.rr.password.encode() not in path.read_bytes(), path
    store = Store.open(db_path(data))
    try:
        with store.read() as db:
            ext = db.execute("SELECT external_id FROM escalation").fetchall()
        assert ext == [(f"{team.room}/{root}",)]
    finally:
        store.close()

