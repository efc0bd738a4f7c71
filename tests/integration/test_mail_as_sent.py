"""Mail as the world sends it, through a real Dovecot and the real engine: APAC clients'
charset labels, a body far longer than the cache keeps, and a server that cannot deliver
one message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from rr_desktop.channels.email import EmailChannel, EmailConfig
from rr_desktop.channels.email.reading import MESSAGE_TRIES
from rr_desktop.domain import MAX_BODY, Channel, cut_marker
from rr_desktop.store import channel_state as cs
from rr_desktop.store.store import Store
from rr_desktop.sync.engine import SyncEngine
from tests.integration.cache_rows import rows_by_external_id
from tests.peers.dovecot import Dovecot, dovecot, message
from tests.peers.imap_proxy import refusing_proxy
from tests.peers.mail_clients import (
    FOXMAIL,
    OUTLOOK_HONG_KONG,
    OUTLOOK_JAPANESE,
    OUTLOOK_KOREAN,
    OUTLOOK_THAI,
)


@pytest.fixture(scope="module")
def imap_server() -> Iterator[Dovecot]:
    with dovecot() as server:
        yield server


@pytest.fixture
def dv(imap_server: Dovecot) -> Dovecot:
    return imap_server.fresh_account()


@dataclass
class Env:
    store: Store
    engine: SyncEngine
    client: EmailChannel

    def rows(self) -> dict[str, dict[str, Any]]:
        return rows_by_external_id(self.store)

    def quarantine(self) -> list[tuple[str | None, str]]:
        with self.store.read() as db:
            return db.execute("SELECT external_id, reason FROM quarantine ORDER BY id"
                              ).fetchall()


def channel(dv: Dovecot, port: int | None = None) -> EmailChannel:
    cfg = {"imap_host": "127.0.0.1", "imap_port": str(port or dv.port),
           "imap_security": "plain", "username": dv.user, "smtp_host": "127.0.0.1",
           "smtp_port": "1", "smtp_security": "plain",
           "from_address": "Rapid Response <rr@platform.example>", "default_market": "TH"}
    return EmailChannel("mail", EmailConfig.from_mapping("mail", cfg), "secret")


@pytest.fixture
def make_env(tmp_path: Path) -> Iterator[Any]:
    made: list[Env] = []

    def make(client: EmailChannel, store: Store | None = None) -> Env:
        if store is None:
            store = Store.open(tmp_path / "cache.sqlite3")
            with store.write() as db:
                cs.ensure_channel(db, Channel("mail", "email", {}))
        env = Env(store, SyncEngine(store, {"mail": client}), client)
        made.append(env)
        return env

    yield make
    for env in made:
        env.client.close()
    for store in {id(e.store): e.store for e in made}.values():
        store.close()


# -- charsets ---------------------------------------------------------------------------

SENT = [  # client, subject, display name, body (each with characters the label lacks)
    (OUTLOOK_THAI, "ด่วน: ลบคลิป “ไลฟ์สด” … ภายใน 24 ชม.", "สมชาย ใจดี",
     "เรียนทีม\nกรุณาลบคลิป “ไลฟ์สด” โดยด่วน – มีผู้ชม €1 ล้าน …"),  # noqa: RUF001
    (FOXMAIL, "朱鎔基 相关视频 紧急删除", "张伟 (网信办)",
     "您好：\n请尽快删除有关朱鎔基的视频。\n谢谢"),  # noqa: RUF001
    (OUTLOOK_KOREAN, "똠방각하 영상 긴급 삭제 요청", "김똠방 경위",
     "똠방각하 관련 영상의 삭제를 요청드립니다.\n감사합니다."),
    (OUTLOOK_JAPANESE, "①至急：㈱髙﨑の動画削除依頼", "髙﨑 太郎",  # noqa: RUF001
     "お世話になっております。\n①の動画を至急削除願います。㈱髙﨑 ｱﾝｹｰﾄ"),
    (OUTLOOK_HONG_KONG, "香港 𨋢 片段 刪除 €500", "陳大文",
     "請刪除 𨋢 內的片段。\n罰款 €500"),
]


def test_mail_from_apac_clients_reads_as_written(dv: Dovecot, make_env: Any) -> None:
    raws = []
    for i, (client, subject, name, body) in enumerate(SENT):
        html = None
        if client is FOXMAIL:  # Foxmail sends both, in the same charset
            html = "<div>" + body.replace("\n", "<br>") + "</div>"
        raws.append(client.mail(f"m{i}@apac.example", subject, (name, f"desk{i}@apac.example"),
                                body, html))
    dv.append(*raws)
    env = make_env(channel(dv))
    report = env.engine.run("mail")
    assert report.error is None and report.quarantined == 0, report.summary()
    rows = env.rows()
    for i, (client, subject, name, body) in enumerate(SENT):
        row = rows[f"m{i}@apac.example"]
        assert row["title"] == subject, client.name
        assert row["reporter"] == f"{name} <desk{i}@apac.example>", client.name
        assert row["body"] == body, client.name
        facts = [f["text"] for f in json.loads(row["facts"])]
        assert facts[0].startswith(f"From {name} <desk{i}@apac.example>: {body[:10]}")


# -- long bodies ------------------------------------------------------------------------

def long_body(chars: int) -> str:
    # Thai with marks above and below, CJK, Hangul, emoji sequences: a cut in the wrong
    # place shows. No line breaks near the cut, so it has to find a character boundary.
    unit = "ผู้ใหญ่ที่นี่ 朱鎔基 똠방각하 \U0001F469\u200D\U0001F4BB \U0001F1F9\U0001F1ED "
    return (unit * (chars // len(unit) + 1))[:chars - 1] + "."


def test_a_660k_body_ends_with_the_cut_line_and_no_broken_character(
        dv: Dovecot, make_env: Any) -> None:
    body = long_body(660_000)
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = "Officer Lee <lee@police.example.au>"
    msg["Subject"] = "Transcript"
    msg["Message-ID"] = "<long@police.example.au>"
    msg.set_content(body, cte="base64")  # UTF-8, ~2.7 MB on the wire
    dv.append(bytes(msg))
    env = make_env(channel(dv))
    assert env.engine.run("mail").error is None
    stored = env.rows()["long@police.example.au"]["body"]
    kept, _, line = stored.rpartition("\n\n")
    assert line == cut_marker(len(kept), 660_000)
    assert line.endswith(" of 660,000 characters; full text at the source]")
    assert len(stored) <= MAX_BODY and len(kept) > MAX_BODY - 300
    assert body.startswith(kept) and "\ufffd" not in stored
    # The next character is not a mark or the second half of a sequence.
    after = body[len(kept):len(kept) + 1]
    assert after in (" ", "") or after.isalpha() or after == "\U0001F469"


# -- a message the server cannot deliver ------------------------------------------------

def _thirty(dv: Dovecot) -> None:
    dv.append(*(message(f"n{i}@ngo.example", f"Report {i}", f"text {i}",
                        "NGO <desk@ngo.example>", minutes=i) for i in range(1, 31)))


@pytest.mark.parametrize("only", [b"", b"BODYSTRUCTURE"], ids=["every-fetch", "body-fetch"])
def test_a_message_the_server_cannot_deliver_is_quarantined_and_the_rest_arrive(
        dv: Dovecot, make_env: Any, only: bytes) -> None:
    _thirty(dv)
    with refusing_proxy(dv.port, refused_uid=13, only_items=only) as proxy:
        env = make_env(channel(dv, proxy.port))
        report = env.engine.run("mail")
        assert report.error is None, report.summary()
        rows = env.rows()
        assert set(rows) == {f"n{i}@ngo.example" for i in range(1, 31) if i != 13}
        assert report.quarantined == 1
        [(_, reason)] = env.quarantine()
        assert reason.startswith("INBOX UID 13: the server dropped the connection on each "
                                 f"of {MESSAGE_TRIES} fetches of this message")
        assert "dropped the connection" in reason.partition(" (")[2]
        assert proxy.dropped.count("13") == MESSAGE_TRIES  # tried alone, a bounded number
        drops = len(proxy.dropped)

        # Later runs do not ask for it again, nor quarantine it again; new mail arrives.
        dv.append(message("n31@ngo.example", "Report 31", "text 31", "desk@ngo.example"))
        again = env.engine.run("mail")
        assert (again.error, again.received, again.quarantined) == (None, 1, 0)
        assert len(proxy.dropped) == drops
        with dv.client() as colleague:  # its flags change: still not asked for
            colleague.select_folder("INBOX")
            colleague.add_flags([13], [b"\\Flagged"])
        assert env.engine.run("mail").error is None and len(proxy.dropped) == drops

        # Nor does a new process (the `sync --once` CLI): the cursor remembers it.
        fresh = make_env(channel(dv, proxy.port), env.store)
        third = fresh.engine.run("mail")
        assert (third.error, third.received, third.quarantined) == (None, 0, 0)
        assert len(proxy.dropped) == drops and len(env.quarantine()) == 1


def test_a_server_that_drops_every_fetch_fails_the_run_and_quarantines_nothing(
        dv: Dovecot, make_env: Any) -> None:
    _thirty(dv)
    with refusing_proxy(dv.port, refused_uid=1, only_items=b"") as proxy:
        proxy.refuses = lambda line: b"UID FETCH" in line.upper()  # type: ignore[method-assign]
        env = make_env(channel(dv, proxy.port))
        import rr_desktop.sync.engine as eng

        old, eng.MAX_PULL_ATTEMPTS = eng.MAX_PULL_ATTEMPTS, 1
        try:
            report = env.engine.run("mail")
        finally:
            eng.MAX_PULL_ATTEMPTS = old
    assert report.error is not None and "failed on every message" in report.error
    assert env.quarantine() == [] and env.rows() == {}
