"""A mail whose headers are raw UTF-8 (RFC 6532), or not UTF-8 at all, is stored with its
text made valid, beside the other mail of the mailbox: real Dovecot, real engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rr_desktop.channels.email import EmailChannel, EmailConfig
from rr_desktop.domain import Channel
from rr_desktop.store import channel_state as cs
from rr_desktop.store.store import Store
from rr_desktop.sync.engine import SyncEngine
from tests.peers.dovecot import Dovecot, dovecot, message


def _raw(mid: str, sender: bytes, subject: bytes) -> bytes:
    return (b"From: " + sender + b"\r\nTo: rr@platform.example\r\nSubject: " + subject
            + b"\r\nMessage-ID: <" + mid.encode() + b">\r\nDate: Tue, 24 Nov 2026 "
            b"10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
            b"charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + "Bài đăng lừa đảo, xin xem xét.\r\n".encode())


@pytest.fixture
def dv() -> Iterator[Dovecot]:
    with dovecot() as server:
        yield server.fresh_account()


def test_raw_utf8_and_undecodable_headers_are_stored_not_fatal(dv: Dovecot,
                                                               tmp_path: Path) -> None:
    dv.append(
        _raw("u1@vn.example", "Trần Văn Tân <tan@vn.example>".encode(),
             "Lừa đảo đầu tư".encode()),  # RFC 6532: raw UTF-8 in the header
        _raw("l1@es.example", b"Jos\xe9 P\xe9rez <jose@es.example>", b"Caf\xe9 fraud"),
        message("ok1@x.example", "A plain report", "plain", sender="desk@x.example"),
    )
    cfg = EmailConfig.from_mapping("mail", {
        "imap_host": "127.0.0.1", "imap_port": str(dv.port), "imap_security": "plain",
        "username": dv.user, "smtp_username": "analyst", "smtp_host": "127.0.0.1",
        "smtp_port": "1", "smtp_security": "plain",
        "from_address": "Rapid Response <rr@platform.example>", "default_market": "VN"})
    client = EmailChannel("mail", cfg, "secret")
    store = Store.open(tmp_path / "cache.sqlite3")
    try:
        with store.write() as db:
            cs.ensure_channel(db, Channel("mail", "email", {"imap_host": "127.0.0.1"}))
        report = SyncEngine(store, {"mail": client}).run("mail")
        assert report.error is None, report.error
        with store.read() as db:
            rows = dict(db.execute("SELECT external_id, reporter || ' | ' || title "
                                   "FROM escalation").fetchall())
    finally:
        client.close()
        store.close()
    assert rows["u1@vn.example"] == "Trần Văn Tân <tan@vn.example> | Lừa đảo đầu tư"
    assert rows["l1@es.example"] == "Jos\ufffd P\ufffdrez <jose@es.example> | Caf\ufffd fraud"
    assert "ok1@x.example" in rows and report.quarantined == 0
