"""REST records -> escalations: field mapping, value maps, times, versions, quarantine."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rr_desktop.channels.html_text import html_to_text
from rr_desktop.channels.rest import decode_config
from rr_desktop.channels.rest.records import Mapper, to_datetime, to_version
from rr_desktop.domain import Incoming, Quarantined, ReporterType, Severity, Status, Urgency

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "channels" / "example-rest.json"


def mapper(**changes: Any) -> Mapper:
    doc = json.loads(EXAMPLE.read_text())
    for key, value in changes.items():
        doc[key] = {**doc.get(key, {}), **value}
    return Mapper(decode_config(json.dumps(doc)))


def record(**fields: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": "AB-7", "version": 3, "summary": "Clip re-uploaded",
        "description": "<p>Seen <b>14</b> times</p><script>alert(1)</script>",
        "priority": "P2", "state": "in_progress", "assignee": {"login": "a.tan"},
        "labels": [{"name": "livestream"}, {"name": "au"}], "country": "au",
        "reporter": {"name": "eSafety desk", "kind": "partner"},
        "created_at": "2024-05-01T08:00:00+08:00", "updated_at": "2024-05-01T01:00:00Z",
        "comments": [{"at": "2024-05-01T00:30:00Z", "body": "<i>Views</i> passed 1M",
                      "author": "k.lee"}],
    }
    rec.update(fields)
    return rec


def ok(result: Incoming | Quarantined) -> Incoming:
    assert isinstance(result, Incoming), result
    return result


def bad(result: Incoming | Quarantined) -> Quarantined:
    assert isinstance(result, Quarantined), result
    return result


def test_a_full_record_maps_every_field() -> None:
    esc = ok(mapper().validate(record())).record
    assert (esc.external_id, esc.remote_version, esc.title) == ("AB-7", 3, "Clip re-uploaded")
    assert esc.body == "Seen 14 times"  # HTML made plain, script dropped
    assert esc.severity is Severity.S1 and esc.status is Status.INVESTIGATING
    assert esc.urgency is Urgency.U2  # from defaults: the tool has no urgency
    assert esc.reporter == "eSafety desk" and esc.reporter_type is ReporterType.TRUSTED_PARTNER
    assert esc.market == "AU" and esc.region.value == "APAC" and esc.language == "en"
    assert esc.assignee == "a.tan" and esc.tags == ("livestream", "au")
    assert esc.created_at == datetime(2024, 5, 1, 0, 0, tzinfo=UTC)
    assert esc.updated_at.tzinfo is not None
    assert [(f.at.hour, f.at.minute, f.text) for f in esc.facts] == [(0, 30,
                                                                      "k.lee: Views passed 1M")]


def test_missing_optional_fields_take_the_defaults() -> None:
    rec = {"id": 42, "summary": "x", "updated_at": 1714521600}
    assert bad(mapper().validate(rec)).reason == "no version at 'version'"
    esc = ok(mapper(fields={"version": ""}).validate(rec)).record
    assert esc.external_id == "42" and esc.market == "SG" and esc.status is Status.NEW
    assert esc.severity is Severity.S2 and esc.assignee is None and esc.tags == ()
    assert esc.created_at == esc.updated_at == datetime(2024, 5, 1, tzinfo=UTC)
    assert esc.remote_version == 1714521600 * 1000  # version path absent: updated_at in ms


def test_value_maps_are_case_insensitive_and_have_a_wildcard() -> None:
    m = mapper()
    assert ok(m.validate(record(state="DONE"))).record.status is Status.RESOLVED
    assert ok(m.validate(record(state="parked"))).record.status is Status.INVESTIGATING  # *
    assert ok(m.validate(record(state="snoozed"))).record.status is Status.SNOOZED  # own value


def test_an_unmapped_value_without_wildcard_is_quarantined() -> None:
    q = bad(mapper().validate(record(priority="Blocker")))
    assert q.external_id == "AB-7" and q.reason == "severity 'Blocker' is not in values.severity"
    assert '"priority":"Blocker"' in q.raw


def test_severity_from_labels_takes_the_first_that_means_something() -> None:
    m = mapper(fields={"severity": "labels[*].name"},
               values={"severity": {"sev0": "S0", "sev1": "S1"}})
    esc = ok(m.validate(record(labels=[{"name": "au"}, {"name": "SEV1"}]))).record
    assert esc.severity is Severity.S1
    plain = ok(m.validate(record(labels=[{"name": "au"}]))).record
    assert plain.severity is Severity.S2  # no severity label: the default


@pytest.mark.parametrize(("change", "reason"), [
    ({"id": None}, "no usable id at 'id'"),
    ({"id": "x" * 300}, "no usable id"),
    ({"id": True}, "no usable id"),
    ({"summary": None}, "no title at 'summary'"),
    ({"summary": {"text": "x"}}, "title is not text"),
    ({"updated_at": "yesterday"}, "updated_at is not a timestamp ('yesterday')"),
    ({"updated_at": None}, "no updated_at at 'updated_at'"),
    ({"version": -1}, "version is negative"),
    ({"version": "v2"}, "version is not a timestamp"),
    ({"country": "Atlantis"}, "market 'Atlantis' is not in values.market"),
    ({"labels": [{"name": "x"}] * 100}, "100 tags"),
    ({"labels": [{"name": ["nested"]}]}, "a tag is not text"),
    ({"comments": [{"at": "soon", "body": "x"}]}, "facts[0].at is not a timestamp"),
    ({"comments": "none"}, "comments is not a list"),
])
def test_bad_records_are_quarantined_with_the_reason(change: dict[str, Any],
                                                     reason: str) -> None:
    q = bad(mapper().validate(record(**change)))
    assert reason in q.reason


def test_records_that_are_not_objects() -> None:
    assert bad(mapper().validate("AB-1")).reason == "the record is a JSON str, not an object"
    assert bad(mapper().validate(None)).external_id is None


def test_views_shares_deadline_and_urls() -> None:
    m = mapper(fields={"views": "reach.views", "shares": "reach.shares",
                       "deadline_at": "due", "content_url": "link"})
    esc = ok(m.validate(record(reach={"views": 10, "shares": 2}, due=1714608000000,
                               link="https://video.example/v/1"))).record
    assert (esc.views, esc.shares) == (10, 2)
    assert esc.deadline_at == datetime(2024, 5, 2, tzinfo=UTC)
    assert esc.content_url == "https://video.example/v/1"
    hostile = ok(m.validate(record(link="javascript:alert(1)"))).record
    assert hostile.content_url is None
    assert "views is not a whole number" in bad(m.validate(record(reach={"views": -1}))).reason


def test_long_text_is_capped_not_refused() -> None:
    esc = ok(mapper().validate(record(summary="t" * 5000))).record
    assert len(esc.title) < 1100 and "truncated, 5000 characters" in esc.title


def test_payload_hash_is_stable_across_key_order() -> None:
    a = ok(mapper().validate(record()))
    b = ok(mapper().validate(dict(reversed(list(record().items())))))
    assert a.payload_hash == b.payload_hash


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ("2024-05-01T18:00:00+08:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ("2024-05-01 10:00:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),  # naive = UTC
    (1714557600, datetime(2024, 5, 1, 10, tzinfo=UTC)),
    (1714557600000, datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ("1714557600", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    (1714557600.5, datetime(2024, 5, 1, 10, 0, 0, 500000, tzinfo=UTC)),
])
def test_timestamps(value: Any, expected: datetime) -> None:
    assert to_datetime(value, "t") == expected


def test_versions_ints_as_is_timestamps_in_ms() -> None:
    assert to_version(7, "v") == 7 and to_version("12", "v") == 12
    assert to_version("2024-05-01T00:00:00.250Z", "v") == 1714521600250
    with pytest.raises(ValueError):
        to_version(True, "v")


def test_html_to_text_is_plain_and_safe() -> None:
    html = ('<h1>Title</h1><p>One&nbsp;&amp; two<br>three</p><ul><li>a</li><li>b</li></ul>'
            '<img src="https://tracker.example/x.png"><style>p{}</style>'
            '<a href="file:///etc/passwd">link</a>&lt;script&gt;')
    assert html_to_text(html) == "Title\n\nOne\xa0& two\nthree\n\n- a\n\n- b\n\nlink<script>"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "summary", "updated_at", "version", "priority", "state",
                         "labels", "name", "country", "comments", "at", "body", "x"]),
        kids, max_size=8),
    max_leaves=30)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_json)
def test_any_json_is_a_record_or_quarantined_never_an_exception(item: Any) -> None:
    result = mapper().validate(item)
    assert isinstance(result, (Incoming, Quarantined))
    if isinstance(result, Quarantined):
        assert result.reason and msgspec.json.decode(result.raw) == item


@settings(max_examples=100)
@given(st.dictionaries(st.sampled_from(list(record())), _json, max_size=6))
def test_damaged_good_records_never_raise(damage: dict[str, Any]) -> None:
    result = mapper().validate(record(**damage))
    assert isinstance(result, (Incoming, Quarantined))


def test_the_read_only_cursor_example_maps_its_shape() -> None:
    from rr_desktop.channels.rest import load_config

    m = Mapper(load_config(EXAMPLE.parent / "example-rest-cursor.json"))
    esc = ok(m.validate({
        "alert_id": "TR-9", "headline": "Challenge spreading", "modified_ms": 1714557600000,
        "created_ms": 1714550000000, "geo": {"country_code": "id", "language": "id"},
        "policy_area": "challenge", "labels": ["sev:high", "schools"], "velocity": "viral",
        "reach": {"views": 120000, "shares": 900}, "details": {"text": "Clips of ..."}})).record
    assert (esc.severity, esc.urgency, esc.category.value) == (
        Severity.S1, Urgency.U0, "dangerous_challenges")
    assert esc.tags == ("sev:high", "schools") and esc.market == "ID"
    assert esc.remote_version == 1714557600000 and esc.reporter == "Trend monitor"
    assert esc.reporter_type is ReporterType.INTERNAL_TOOLING
