"""The Matrix channel's wire side without a homeserver: settings and their messages, the
severity command and reaction keys, a damaged cursor, and hostile event shapes (which
must be Malformed, never a traceback). The channel against a real Synapse is in
tests/integration/test_matrix.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rr_desktop import channel_setup as setup
from rr_desktop.channels import registry
from rr_desktop.channels.contract import ChannelError, CursorExpired
from rr_desktop.channels.matrix import MatrixConfig, events, records
from rr_desktop.channels.matrix.config import reaction_key
from rr_desktop.domain import Severity


def test_bad_settings_are_named_one_by_one() -> None:
    with pytest.raises(ChannelError) as caught:
        MatrixConfig.from_mapping("chat", {
            "base_url": "https://matrix.example.org", "auth": "password",
            "rooms": "#th:example.org=XX, ops", "severity_reactions": "fire",
            "history_days": "forever"})
    message = str(caught.value)
    assert message.startswith("chat: password sign-in needs the account's user ID")
    assert "'#th:example.org=XX': 'XX' is not an ISO country code" in message
    assert "severity_reactions: 'fire' is not KEY=S0..S3" in message
    assert "history_days: 'forever' is not a number of days" in message
    draft = setup.new_draft("matrix", "chat", {"base_url": "https://m.example.org"},
                            {"credential": "t"})
    assert "Watched rooms is required" in draft.problems()
    cfg = MatrixConfig.from_mapping("chat", {
        "base_url": "https://m.example.org/", "rooms": "!a:x\n#th:x=th",
        "severity_reactions": "\u2764\ufe0f=S1"})
    assert [(r.ref, r.market) for r in cfg.rooms] == [("!a:x", None), ("#th:x", "TH")]
    assert cfg.homeserver == "https://m.example.org"
    assert events.reaction_severity(reaction_key("\u2764"), cfg.severity_reactions) \
        is Severity.S1  # with or without the emoji variation selector


@pytest.mark.parametrize(("text", "severity", "rest"), [
    ("!sev S0 Threat against a school", Severity.S0, "Threat against a school"),
    ("  !SEV s2: spam wave", Severity.S2, ": spam wave"),
    ("!sev S9 nine", None, "!sev S9 nine"),
    ("!severe weather", None, "!severe weather"),
    ("please !sev S0", None, "please !sev S0"),
])
def test_the_severity_command(text: str, severity: Severity | None, rest: str) -> None:
    assert events.command_severity(text, "!sev") == (severity, rest)


def test_a_damaged_cursor_means_a_resync_not_a_crash() -> None:
    client = registry.spec("matrix").build(
        "chat", {"base_url": "http://127.0.0.1:9", "rooms": "!a:x"}, {"credential": "t"}.get)
    try:
        for junk in ("{not json", json.dumps({"v": 1, "user": 5}), "[]"):
            with pytest.raises(CursorExpired):
                client.pull(junk)
    finally:
        client.close()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**60, 2**60) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["event_id", "type", "sender", "origin_server_ts", "content", "body",
                         "msgtype", "m.relates_to", "rel_type", "key", "unsigned",
                         "m.relations", "m.replace", "m.new_content", "state_key",
                         "redacted_because", "format", "formatted_body"]),
        inner, max_size=6),
    max_leaves=30)
EVENT = st.fixed_dictionaries({}, optional={
    "event_id": st.sampled_from(["$a", "$b", "x", 5]),
    "type": st.sampled_from(["m.room.message", "m.reaction", "m.room.encrypted",
                             "m.room.encryption", "m.room.redaction", 7]),
    "sender": st.sampled_from(["@k:x", None]), "origin_server_ts": st.integers(-5, 2**54),
    "content": JSON, "unsigned": JSON, "state_key": st.sampled_from(["", "x"])})

ROOT = st.fixed_dictionaries({
    "event_id": st.just("$a"), "type": st.just("m.room.message"), "sender": st.just("@k:x"),
    "origin_server_ts": st.integers(1, 2**45),
    "content": st.fixed_dictionaries(
        {"msgtype": st.sampled_from(["m.text", "m.image", "m.emote", "x"]),
         "body": st.text(max_size=50)},
        optional={"m.relates_to": JSON, "format": st.just("org.matrix.custom.html"),
                  "formatted_body": JSON})},
    optional={"unsigned": JSON})


@settings(max_examples=100, deadline=None)
@given(root=EVENT | ROOT, replies=st.lists(EVENT | JSON, max_size=4),
       reactions=st.lists(EVENT | JSON, max_size=4))
def test_hostile_event_shapes_are_malformed_never_a_traceback(
        root: Any, replies: list[Any], reactions: list[Any]) -> None:
    cfg = MatrixConfig.from_mapping("chat", {"base_url": "https://m.example.org",
                                             "rooms": "!r:x"})
    for event in (root, *replies, *reactions):
        try:
            events.classify(event)
        except events.Malformed:
            pass
    thread = records.Thread("!r:x", root, [r for r in replies if isinstance(r, dict)],
                            [r for r in reactions if isinstance(r, dict)], {"@k:x": "K"})
    try:
        built = records.build(thread, cfg, {}, "x")
    except (events.Malformed, ValueError):
        return
    assert built.record.external_id == f"!r:x/{root['event_id']}"
