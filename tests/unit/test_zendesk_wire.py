"""Zendesk mapping, cursor and budget rules without a server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rr_desktop.channels.contract import ChannelError, CursorExpired
from rr_desktop.channels.zendesk import SPEC, ZendeskChannel
from rr_desktop.channels.zendesk.api import ExportBudget
from rr_desktop.channels.zendesk.cursor import decode_cursor, encode_cursor
from rr_desktop.channels.zendesk.records import (
    FROM_ZD_STATUS,
    TO_ZD_STATUS,
    Comment,
    Defaults,
    Ticket,
    User,
    ticket_decoder,
    to_record,
)
from rr_desktop.channels.zendesk.writes import canon, ticket_changes
from rr_desktop.domain import MAX_BODY, PolicyCategory, Severity, Status, Urgency

D = Defaults(market="SG", agent_url="https://acme.zendesk.com")


def _ticket(**over: Any) -> Ticket:
    wire = {"id": 7, "created_at": "2024-05-01T10:00:00Z", "updated_at": "2024-05-02T11:00:05Z",
            "status": "open", "subject": "Scam page", "description": "Please remove",
            "priority": "high", "tags": [], "requester_id": 5, "assignee_id": None, **over}
    return ticket_decoder.decode(json.dumps(wire).encode())


def test_every_zendesk_status_round_trips() -> None:
    for z in ("new", "open", "pending", "hold", "solved", "closed"):
        assert TO_ZD_STATUS[FROM_ZD_STATUS[z]] == z
    assert set(TO_ZD_STATUS) == set(Status)  # every local status has a Zendesk one


def test_priority_is_urgency_and_severity_lives_in_a_tag() -> None:
    rec = to_record(_ticket(priority="urgent"), D, {})
    assert (rec.urgency, rec.severity) == (Urgency.U0, Severity.S1)
    rec = to_record(_ticket(priority=None, tags=["severity_s0", "Hate_Speech", "market_au"]),
                    D, {})
    assert (rec.urgency, rec.severity) == (Urgency.U2, Severity.S0)
    assert rec.category is PolicyCategory.HATE_SPEECH and rec.market == "AU"
    assert rec.tags == ("hate_speech", "market_au")  # the severity tag is not a label
    assert rec.remote_version == 1714647605000 and rec.external_id == "7"
    assert rec.content_url == "https://acme.zendesk.com/agent/tickets/7"
    assert to_record(_ticket(tags=["market_zz"]), D, {}).market == "SG"


def test_text_stays_plain_and_bounded() -> None:
    rec = to_record(_ticket(subject="a\x00b\nc\x1b[31m", description="x" * 2_000_001), D,
                    {5: User(id=5, name="NGO\u202e", locale="th")})
    assert rec.title == "ab c[31m"
    # Cut where every channel's body is (the domain), saying how much of how much.
    assert len(rec.body) == MAX_BODY and rec.body.startswith("x" * 100_000)
    assert rec.body.endswith(" of 2,000,001 characters; full text at the source]")
    assert rec.reporter == "NGO\u202e" and rec.language == "th"  # shown visibly by the UI


def test_comments_become_facts_and_the_description_is_not_repeated() -> None:
    at = datetime(2024, 5, 2, tzinfo=UTC)
    comments = [Comment(id=1, created_at=at, author_id=5, plain_body="Please remove"),
                Comment(id=2, created_at=at, author_id=9, body="On it", public=False)]
    rec = to_record(_ticket(), D, {5: User(id=5, name="NGO")}, comments, skip_first=True)
    assert [f.text for f in rec.facts] == ["Internal note by user 9: On it"]
    deleted = to_record(_ticket(status="deleted"), D, {})
    assert deleted.status is Status.CLOSED and deleted.facts[-1].text == "Deleted in Zendesk"


@pytest.mark.parametrize("over, reason", [
    ({"status": "bogus"}, "not a Zendesk status"),
    ({"priority": "p1"}, "not a Zendesk priority"),
    ({"tags": ["two words"]}, "tags"),
    ({"updated_at": "2024-05-02T11:00:05"}, "no time zone"),
    ({"id": 0}, "positive"),
])
def test_invalid_tickets_say_why(over: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        to_record(_ticket(**over), D, {})


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(
    st.sampled_from(["id", "created_at", "updated_at", "status", "priority", "tags",
                     "subject", "description", "assignee_id", "requester_id"]),
    st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), st.text(max_size=30),
              st.sampled_from(["open", "urgent", "2024-01-01T00:00:00Z", "2024-01-01"]),
              st.lists(st.text(max_size=8), max_size=3))))
def test_any_item_is_a_record_or_a_reason(item: dict[str, Any]) -> None:
    try:
        to_record(ticket_decoder.decode(json.dumps(item).encode()), D, {})
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        assert str(exc)


def test_canonical_values_compare_in_zendesk_terms() -> None:
    assert canon("status", "triaged") == canon("status", "contained") == "open"
    assert canon("assignee", "42") == 42 and canon("assignee", None) is None
    assert canon("tags", ["B", "a", "b"]) == ["a", "b"]
    for field, bad in [("assignee", "k.lee"), ("status", "nope"), ("tags", "x"),
                       ("queue", "x")]:
        with pytest.raises(ValueError):
            canon(field, bad)


def test_update_body_keeps_severity_in_tags() -> None:
    t = _ticket(tags=["vip", "severity_s2"], priority="normal")
    rec = to_record(t, D, {})
    assert ticket_changes({"severity": "S0"}, t, rec, "severity_") == {
        "tags": ["severity_s0", "vip"]}
    assert ticket_changes({"tags": ["press"]}, t, rec, "severity_") == {
        "tags": ["press", "severity_s2"]}
    plain = _ticket(tags=[], priority="normal")
    assert ticket_changes({"urgency": "U0", "status": "hold", "assignee": None}, plain,
                          to_record(plain, D, {}), "severity_") == {
        "status": "hold", "assignee_id": None, "priority": "urgent",
        "tags": ["severity_s2"]}  # pinned: changing priority must not move severity
    assert ticket_changes({"tags": ["vip"]}, t, rec, "severity_") == {}


def test_cursor_round_trip_and_unreadable_cursor_means_resync() -> None:
    assert decode_cursor("zd", encode_cursor("MTU3+/x=")) == "MTU3+/x="
    assert decode_cursor("zd", None) is None
    for bad in ("not json", '{"after": 3}', "[]", '{"cursor": "x"}'):
        with pytest.raises(CursorExpired):
            decode_cursor("zd", bad)


def test_export_budget_is_a_sliding_minute() -> None:
    now = [0.0]
    budget = ExportBudget(3, lambda: now[0])
    assert [budget.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    now[0] = 20.0
    assert budget.take() == pytest.approx(40.0)
    now[0] = 60.0  # the first three left the window
    assert [budget.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert budget.take() == pytest.approx(60.0)


def test_registry_kind_builds_from_config_and_keyring() -> None:
    assert SPEC.kind == "zendesk" and [f.name for f in SPEC.secret_fields()] == ["token"]
    config = {"base_url": "https://acme.zendesk.com/", "email": "ava@acme.example",
              "default_market": "au", "comments": "open"}
    assert SPEC.validate(config) == []
    client = SPEC.build("zd", config, lambda key: "tok" if key == "token" else None)
    assert isinstance(client, ZendeskChannel)
    client.close()
    assert SPEC.validate({**config, "comments": "some"}) == [
        "Comments as timeline must be one of all, open, none"]
    for bad, message in [({**config, "email": ""}, "email address"),
                         ({**config, "default_market": "XX"}, "ISO 3166"),
                         ({**config, "history_days": "-3"}, "whole number"),
                         ({**config, "comments": "some"}, "comments must be one of")]:
        with pytest.raises(ChannelError, match=message):
            SPEC.build("zd", bad, lambda key: "tok")
    with pytest.raises(ChannelError, match="keyring"):
        SPEC.build("zd", config, lambda key: None)
    oauth = SPEC.build("zd", {**config, "auth": "oauth", "email": ""}, lambda key: "tok")
    assert isinstance(oauth, ZendeskChannel)
    oauth.close()


def test_custom_fields_in_every_documented_shape() -> None:
    from rr_desktop.channels.zendesk.custom_fields import CustomFieldMap

    custom = CustomFieldMap.from_config({
        "custom_fields": "market=11, severity=12, category=13",
        "custom_values": "Team_Thailand=TH"}, "sev-")
    d = Defaults(market="SG", severity_prefix="sev-", custom=custom)
    legacy = to_record(_ticket(fields=[{"id": 11, "value": "team_thailand"},
                                       {"id": 12, "value": "sev-s0"}]), d, {})
    assert (legacy.market, legacy.severity) == ("TH", Severity.S0)  # legacy name, prefix
    multi = to_record(_ticket(custom_fields=[
        {"id": 13, "value": ["not_ours", "category_hate_speech"]},
        {"id": 12, "value": 3}, {"id": 11, "value": None}]), d, {})
    assert (multi.category, multi.severity, multi.market) == (
        PolicyCategory.HATE_SPEECH, Severity.S3, "SG")  # first option that maps; a number
    unset = to_record(_ticket(custom_fields=[{"id": 11, "value": ""}],
                              tags=["market_au", "sev-s2"]), d, {})
    assert (unset.market, unset.severity) == ("AU", Severity.S2)  # empty field: tags
    with pytest.raises(ValueError, match=r"custom field 11 \(market\) holds 'emea'"):
        to_record(_ticket(custom_fields=[{"id": 11, "value": "emea"}]), d, {})
    assert custom.remote_severity(Severity.S1) == "s1"
    changes = ticket_changes({"severity": "S1"}, _ticket(tags=["vip"]),
                             to_record(_ticket(), d, {}), "sev-", custom)
    assert changes == {"custom_fields": [{"id": 12, "value": "s1"}]}
