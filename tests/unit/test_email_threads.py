"""Email channel without a server: thread roots, keyword triage rules, config, cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rr_desktop.channels.contract import CursorExpired, Rejected
from rr_desktop.channels.email import EmailConfig, decode_cursor, encode_cursor
from rr_desktop.channels.email.cursor import FolderCursor
from rr_desktop.channels.email.mime import Headers
from rr_desktop.channels.email.records import (
    Message,
    build,
    current_fields,
    keyword,
    parse_keyword,
    reporter_type,
    subject_title,
)
from rr_desktop.channels.email.threads import Link, ThreadIndex
from rr_desktop.domain import ReporterType

CFG = EmailConfig.from_mapping("m", {
    "imap_host": "imap.example.com", "username": "rr", "from_address": "rr@platform.example",
    "law_enforcement_domains": "police.example.au, @afp.gov.au", "partner_domains": "ngo.org",
    "default_market": "sg"})
T0 = datetime(2026, 3, 3, tzinfo=UTC)


def index(*links: tuple[str, int, str, tuple[str, ...]]) -> ThreadIndex:
    ix = ThreadIndex()
    for folder, uid, mid, parents in links:
        if ix.folder(folder) is None:
            ix.reset(folder, 1)
        ix.add(Link(folder, uid, mid, parents))
    return ix


def test_roots_from_references_in_reply_to_chains_and_folders() -> None:
    ix = index(("INBOX", 1, "a1", ()), ("INBOX", 2, "a2", ("a1",)),
               ("Resolved", 7, "a3", ("a1", "a2")),
               ("INBOX", 3, "e2", ("e1",)),  # the root e1 is not in any folder
               ("INBOX", 4, "c2", ("c1",)), ("INBOX", 5, "c3", ("c2",)),  # In-Reply-To only
               ("INBOX", 6, "c1", ()))
    assert {(lk.folder, lk.uid) for lk in ix.members("a1")} == {
        ("INBOX", 1), ("INBOX", 2), ("Resolved", 7)}
    assert [lk.uid for lk in ix.members("e1")] == [3]
    assert sorted(lk.uid for lk in ix.members("c1")) == [4, 5, 6]


def test_reference_cycles_and_new_uidvalidity() -> None:
    ix = index(("INBOX", 1, "x", ("y",)), ("INBOX", 2, "y", ("x",)))
    roots = {ix.root_of(lk) for lk in ix.members("x") + ix.members("y")}
    assert len(roots) == 1  # a loop ends, both land in one thread
    ix.reset("INBOX", 2)
    assert ix.members("x") == [] and ix.members("y") == []
    ix.add(Link("INBOX", 1, "z", ()))
    assert [lk.message_id for lk in ix.members("z")] == ["z"]
    ix.discard("INBOX", [1])
    assert ix.members("z") == []


def test_keywords_are_imap_atoms() -> None:
    assert keyword("status", "waiting_on_partner") == "$RR-status-waiting_on_partner"
    assert keyword("tags", "legal-hold") == "$RR-tag-legal-hold"
    assert parse_keyword("$rr-Tag-legal-hold") == ("tags", "legal-hold")
    assert parse_keyword("$label1") is None and parse_keyword("$RR-nothing-x") is None
    for bad in ("two words", "ünï", "a(b)", "x" * 60, 'q"uote', "star*"):
        with pytest.raises(ValueError, match="cannot be an IMAP keyword"):
            keyword("assignee", bad)


def msg(uid: int, minutes: int, role: str = "mailbox", flags: frozenset[str] = frozenset(),
        sender: str = "lee@police.example.au", urgent: bool = False) -> Message:
    when = T0 + timedelta(minutes=minutes)
    headers = Headers(f"m{uid}@x", (), None, "Re: RE: Fwd: Case 12", "", sender, sender, when,
                      None, urgent)
    folder = {"mailbox": "INBOX", "resolved": "Resolved", "notes": "RR Notes"}[role]
    return Message(folder, role, uid, flags, when, uid, headers, f"text {uid}", ())


def test_fields_come_from_the_newest_message_carrying_them() -> None:
    kw = frozenset({"$RR-status-investigating", "$RR-severity-S0", "$RR-tag-b", "$RR-tag-a",
                    "$RR-assignee-k.lee", "\\Seen"})
    fields = current_fields([msg(1, 0, flags=kw), msg(2, 5)], CFG)
    assert fields == {"status": "investigating", "severity": "S0", "urgency": "U2",
                      "assignee": "k.lee", "tags": ["a", "b"]}
    plain = current_fields([msg(1, 0, flags=frozenset({"\\Seen"}))], CFG)
    assert (plain["status"], plain["severity"], plain["assignee"], plain["tags"]) == (
        "new", "S2", None, [])  # \Seen alone is not triage
    assert current_fields([msg(1, 0, urgent=True)], CFG)["urgency"] == "U1"


def test_closed_threads_reopen_and_hand_filed_mail_is_resolved() -> None:
    done = frozenset({"$RR-status-resolved"})
    assert current_fields([msg(1, 0, "resolved", done)], CFG)["status"] == "resolved"
    assert current_fields([msg(1, 0, "resolved", done), msg(2, 9)], CFG)["status"] == "new"
    assert current_fields([msg(1, 0, "resolved")], CFG)["status"] == "resolved"
    notes_only = current_fields([msg(1, 0, "resolved", done), msg(2, 9, "notes")], CFG)
    assert notes_only["status"] == "resolved"  # an internal note does not reopen


def test_build_one_escalation_per_thread() -> None:
    incoming = build("m1@x", [msg(2, 5), msg(1, 0), msg(3, 7, "notes", sender="rr@x")], CFG,
                     42)
    assert incoming is not None
    rec = incoming.record
    assert (rec.external_id, rec.remote_version, rec.title) == ("m1@x", 42, "Case 12")
    assert rec.reporter_type is ReporterType.LAW_ENFORCEMENT and rec.market == "SG"
    assert [f.text for f in rec.facts] == ["From lee@police.example.au: text 1",
                                           "From lee@police.example.au: text 2",
                                           "Internal note by rr@x: text 3"]
    assert build("n@x", [msg(3, 7, "notes")], CFG, 1) is None  # notes alone are no thread
    assert subject_title("  AW: Re[2]: SV: x ") == "x" and subject_title("Re:") == "(no subject)"


def test_reporter_type_by_sender_domain() -> None:
    assert reporter_type("a@x.afp.gov.au", CFG) is ReporterType.LAW_ENFORCEMENT
    assert reporter_type("a@ngo.org", CFG) is ReporterType.TRUSTED_PARTNER
    assert reporter_type("a@notngo.org", CFG) is ReporterType.USER


def test_config_refuses_plain_text_off_loopback_and_bad_values() -> None:
    base = {"imap_host": "imap.example.com", "username": "rr",
            "from_address": "rr@platform.example"}
    with pytest.raises(Rejected, match="IMAP without TLS is only allowed to a loopback"):
        EmailConfig.from_mapping("m", {**base, "imap_security": "plain"})
    with pytest.raises(Rejected, match="SMTP without TLS"):
        EmailConfig.from_mapping("m", {**base, "smtp_security": "plain"})
    ok = EmailConfig.from_mapping("m", {**base, "imap_host": "127.0.0.1",
                                        "imap_security": "plain", "smtp_security": "plain"})
    assert ok.smtp_host == "127.0.0.1" and ok.smtp_username == "rr"
    with pytest.raises(Rejected, match="not an ISO 3166"):
        EmailConfig.from_mapping("m", {**base, "default_market": "Atlantis"})
    with pytest.raises(Rejected, match="must differ"):
        EmailConfig.from_mapping("m", {**base, "resolved_folder": "INBOX"})


def test_cursor_round_trip_and_garbage_means_resync() -> None:
    state = {"INBOX": FolderCursor(7, 120, 999), "Resolved": FolderCursor(8, 3, 4)}
    assert decode_cursor(encode_cursor(state)) == state
    assert decode_cursor(None) == {}
    for bad in ("not json", "[1]", '{"INBOX": {"uidvalidity": 1}}'):
        with pytest.raises(CursorExpired):
            decode_cursor(bad)


def test_kind_is_registered_and_builds_without_network() -> None:
    from rr_desktop.channels import registry
    from rr_desktop.channels.contract import ChannelError
    from rr_desktop.channels.email import EmailChannel

    spec = registry.spec("email")
    assert [f.name for f in spec.secret_fields()] == ["password", "smtp_password"]
    config = {"imap_host": "imap.example.com", "username": "rr",
              "from_address": "rr@platform.example"}
    assert spec.validate(config) == []
    assert "IMAP server is required" in spec.validate({})
    built = spec.build("m", config, {"password": "pw"}.get)
    assert isinstance(built, EmailChannel) and built.cfg.smtp_port == 587
    with pytest.raises(ChannelError, match="no password in the keyring"):
        spec.build("m", config, {}.get)
