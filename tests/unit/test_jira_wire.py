"""Jira wire details and issue validation, without a server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rr_desktop.channels.jira.config import DEFAULT_STATUS_MAP, JiraSettings, parse_pairs
from rr_desktop.channels.jira.cursor import SEEN_CAP, Cursor
from rr_desktop.channels.jira.jql import build_jql, check_filter, jql_time, parse_projects
from rr_desktop.channels.jira.records import merged_labels, validate
from rr_desktop.channels.jira.search_page import split_page
from rr_desktop.domain import Incoming, PolicyCategory, Quarantined, Severity, Status, Urgency

SETTINGS = JiraSettings.from_config("https://t.atlassian.net/", {"default_market": "ID"})


def issue(**fields: Any) -> dict[str, Any]:
    base = {"summary": "Regulator notice", "status": {"name": "To Do"},
            "created": "2024-05-01T10:00:00.000+0000",
            "updated": "2024-05-01T11:30:15.250+0530"}
    return {"id": "10042", "key": "LEGAL-7", "fields": {**base, **fields}}


def check(obj: Any) -> Incoming | Quarantined:
    return validate(json.dumps(obj).encode(), SETTINGS)[0]


def test_a_full_issue_maps_to_an_escalation() -> None:
    result = check(issue(
        priority={"name": "Highest"}, labels=["urgency-U0", "market-au", "category-privacy",
                                             "esafety"],
        assignee={"accountId": "acc-1", "displayName": "Ana"},
        reporter={"accountId": "acc-9", "displayName": "Legal Team"},
        status={"name": "Weird Custom", "statusCategory": {"key": "indeterminate"}},
        duedate="2024-05-02",
        description={"version": 1, "type": "doc", "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Remove within 24 h"}]}]},
        comment={"comments": [
            {"author": {"displayName": "Raj"}, "created": "2024-05-01T10:05:00.000+0000",
             "body": {"type": "doc", "content": [{"type": "paragraph", "content": [
                 {"type": "text", "text": "on it"}]}]}},
            {"author": {"displayName": "Broken"}, "created": "yesterday"}, "junk"]}))
    assert isinstance(result, Incoming)
    r = result.record
    assert (r.external_id, r.title, r.body) == ("10042", "LEGAL-7: Regulator notice",
                                                "Remove within 24 h")
    assert r.remote_version == int(datetime(2024, 5, 1, 6, 0, 15, 250000, UTC).timestamp()
                                   * 1000)
    assert (r.severity, r.urgency, r.market, r.category) == (
        Severity.S0, Urgency.U0, "AU", PolicyCategory.PRIVACY)
    assert r.status == Status.INVESTIGATING  # unmapped name: its category decides
    assert (r.assignee, r.reporter, r.tags) == ("acc-1", "Legal Team", ("esafety",))
    assert r.deadline_at == datetime(2024, 5, 2, 23, 59, tzinfo=UTC)
    assert [f.text for f in r.facts] == ["Raj: on it"]
    assert r.content_url == "https://t.atlassian.net/browse/LEGAL-7"


def test_defaults_come_from_the_settings() -> None:
    r = check(issue())
    assert isinstance(r, Incoming)
    assert (r.record.market, r.record.severity, r.record.urgency, r.record.status) == (
        "ID", Severity.S2, Urgency.U2, Status.NEW)


@pytest.mark.parametrize(("obj", "reason"), [
    ([], "not a JSON object"),
    ({"key": "LEGAL-1", "fields": {}}, "id is missing"),
    ({**issue(), "key": "<script>"}, "key is missing"),
    (issue(summary=None), "summary"),
    (issue(summary="x" * 5000), "summary"),
    (issue(updated="2024-05-01 10:00"), "no time zone"),
    (issue(updated="soon"), "not a timestamp"),
    (issue(status={"name": "Limbo"}), "'Limbo' is not in the status mapping"),
    (issue(status="Done"), "status is not an object"),
    (issue(labels=["has space"]), "labels"),
    (issue(labels="one"), "labels"),
    (issue(assignee={"accountId": 5}), "assignee.accountId"),
    (issue(duedate="tomorrow"), "duedate"),
    (issue(created="0001-01-01T00:00:00.000+1400"), "out of range"),
])
def test_bad_issues_are_quarantined_with_a_reason(obj: Any, reason: str) -> None:
    result = check(obj)
    assert isinstance(result, Quarantined) and reason in result.reason, result


def test_quarantined_issues_keep_their_identity_for_the_cursor() -> None:
    result, ident = validate(json.dumps(issue(summary=None)).encode(), SETTINGS)
    assert isinstance(result, Quarantined) and result.external_id == "10042"
    assert ident is not None and ident[0] == "10042"
    assert validate(b"not json", SETTINGS)[1] is None
    deep = b'{"id": "1", "fields": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    result, ident = validate(deep, SETTINGS)
    assert isinstance(result, Quarantined) and "nested too deeply" in result.reason


def test_settings_parse_and_explain_mistakes() -> None:
    assert parse_pairs("To Do=new, In Progress=investigating", Status, "m") == (
        ("To Do", Status.NEW), ("In Progress", Status.INVESTIGATING))
    assert parse_pairs("A=B=new", Status, "m") == (("A=B", Status.NEW),)
    with pytest.raises(ValueError, match="'in_progress' is not a known value"):
        parse_pairs("In Progress=in_progress", Status, "Status mapping")
    with pytest.raises(ValueError, match="not NAME=VALUE"):
        parse_pairs("Done", Status, "Status mapping")
    parse_pairs(DEFAULT_STATUS_MAP, Status, "default")
    cfg = JiraSettings.from_config("https://x", {"severity_map": "P1=S0,P2=S1"})
    assert cfg.severity_of("p1") == Severity.S0 and cfg.priority_for(Severity.S1) == "P2"
    assert cfg.priority_for(Severity.S3) is None and cfg.severity_of(None) == Severity.S2
    with pytest.raises(ValueError):
        JiraSettings.from_config("https://x", {"default_market": "XX"})


def test_labels_written_back_keep_structure_and_replace_urgency() -> None:
    current = ["market-IN", "market-SG", "urgency-U2", "old-tag"]
    assert merged_labels(current, {"urgency": "U0"}) == [
        "market-IN", "market-SG", "old-tag", "urgency-U0"]
    assert merged_labels(current, {"tags": ["new"]}) == [
        "market-IN", "market-SG", "new", "urgency-U2"]


def test_jql_is_bounded_quoted_and_ordered() -> None:
    assert parse_projects(" legal, PROD ") == ("LEGAL", "PROD")
    with pytest.raises(ValueError):
        parse_projects('LEGAL") OR project = "X')
    with pytest.raises(ValueError, match="ORDER BY"):
        check_filter("labels = x order  by created")
    assert build_jql(("LEGAL",), "labels = t", "2024-05-01 10:00") == (
        'project in ("LEGAL") AND (labels = t) AND updated >= "2024-05-01 10:00" '
        "ORDER BY updated ASC, key ASC")


def test_jql_time_is_written_in_the_account_zone_and_floored_to_the_minute() -> None:
    ms = int(datetime(2024, 5, 1, 10, 7, 59, 999000, UTC).timestamp() * 1000)
    assert jql_time(ms, UTC) == "2024-05-01 10:07"
    assert jql_time(ms, ZoneInfo("America/Los_Angeles")) == "2024-05-01 03:07"
    assert jql_time(ms, ZoneInfo("Asia/Kathmandu")) == "2024-05-01 15:52"


def test_cursor_round_trips_and_refuses_anything_else() -> None:
    c = Cursor()
    c.note("1", 1_000_000)
    c.note("2", 1_200_000)
    c.in_pass, c.since, c.token = True, 900_000, "tok"
    back = Cursor.decode(c.encode())
    assert (back.hw, back.seen, back.in_pass, back.since, back.token) == (
        1_200_000, {"1": 1_000_000, "2": 1_200_000}, True, 900_000, "tok")
    for bad in ["x", "[]", '{"v": 2}', '{"v": 1, "hw": "1", "seen": {}}',
                '{"v": 1, "hw": 1, "seen": {"a": true}}', '{"v": 1, "hw": 1, "seen": {}, '
                '"pass": {"token": 5}}', "[" * 100_000]:
        with pytest.raises(ValueError):
            Cursor.decode(bad)
    assert Cursor.decode(None).hw is None


def test_cursor_forgets_what_the_next_pass_cannot_return() -> None:
    c = Cursor()
    for i in range(SEEN_CAP + 50):
        c.note(str(i), 10_000_000 + i)
    c.note("old", 1)
    c.prune(120_000)
    assert "old" not in c.seen and len(c.seen) == SEEN_CAP
    assert str(SEEN_CAP + 49) in c.seen and "0" not in c.seen


def test_split_page_reads_tokens_and_last_page() -> None:
    page = split_page(b'{"issues": [{"id": "1"}, {"id": "2"}], "nextPageToken": "t",'
                      b' "isLast": false}')
    assert page.issues == [b'{"id": "1"}', b'{"id": "2"}'] and page.next_token == "t"
    assert split_page(b'{"issues": [], "isLast": true}').next_token is None
    assert split_page(b'{"issues": [], "nextPageToken": "t", "isLast": true}'
                      ).next_token is None
    for broken in [b"", b"<html>", b"[]", b"{}", b'{"issues": 5}']:
        with pytest.raises(ValueError):
            split_page(broken)


def test_a_hostile_deep_issue_is_split_off_the_page() -> None:
    deep = b'{"id": "9", "x": "\\"]}", "d": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    raw = b'{"isLast": false, "issues": [{"id": "1"}, ' + deep + b', {"id": "2"}],' \
          b' "nextPageToken": "abc"}'
    page = split_page(raw)
    assert page.issues == [b'{"id": "1"}', deep, b'{"id": "2"}'] and page.next_token == "abc"
    with pytest.raises(ValueError):
        split_page(raw[:-3])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=20), max_size=6), st.none() | st.text(max_size=10))
def test_the_scanner_agrees_with_json(items: list[Any], token: str | None) -> None:
    from rr_desktop.channels.jira import search_page as wire

    body = json.dumps({"issues": items, "nextPageToken": token, "isLast": token is None})
    found, tok, last = wire._scan_page(body.encode())
    assert [json.loads(x) for x in found] == items
    assert (tok, last) == (token, token is None)


junk = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=12),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(
                        st.text(max_size=6), c, max_size=3), max_leaves=12)
field_values = {
    "summary": st.text(max_size=30) | junk, "status": st.fixed_dictionaries(
        {"name": st.sampled_from(["To Do", "Done", "Odd"]) | junk}) | junk,
    "labels": st.lists(st.text(max_size=8), max_size=3) | junk,
    "updated": st.sampled_from(["2024-05-01T10:00:00.000+0000", "2024-13-01", ""]) | junk,
    "created": st.just("2024-05-01T10:00:00.000+0000") | junk,
    "assignee": st.none() | st.fixed_dictionaries({"accountId": st.text(max_size=5)}) | junk,
    "priority": st.fixed_dictionaries({"name": st.text(max_size=8)}) | junk,
    "description": junk, "comment": junk, "duedate": st.none() | junk,
}


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({"id": st.just("77") | junk, "key": st.just("LEGAL-1") | junk},
                             optional={"fields": st.fixed_dictionaries({}, optional=
                                                                       field_values)}))
def test_any_issue_shape_validates_or_is_quarantined(obj: dict[str, Any]) -> None:
    result, ident = validate(json.dumps(obj).encode(), SETTINGS)
    assert isinstance(result, Incoming | Quarantined)
    if isinstance(result, Incoming):
        assert result.record.external_id == "77" and ident == ("77", result.record
                                                               .remote_version)
