"""Fault injection decisions (the HTTP behaviour is in tests/integration/test_demo_server.py)."""

from __future__ import annotations

from collections import Counter

import pytest

from rr_desktop.demo.faults import FaultInjector
from rr_desktop.demo.wire import InvalidRequest, validate_note, validate_patch


def test_scripted_faults_are_consumed_in_order_by_matching_requests() -> None:
    faults = FaultInjector()
    faults.add("429", count=2, retry_after=3, method="get")
    faults.add("drop", method="PATCH", path="/v1/escalations/")
    assert faults.pending == 3
    assert faults.take("PATCH", "/v1/analysts") is None
    dropped = faults.take("PATCH", "/v1/escalations/ESC-000001")
    assert dropped is not None and dropped.kind == "drop"
    first, second = faults.take("GET", "/v1/x"), faults.take("GET", "/v1/x")
    assert first is not None and first.kind == "429" and first.retry_after == 3
    assert second is not None and second.kind == "429"
    assert faults.take("GET", "/v1/x") is None
    assert faults.pending == 0
    assert [f.kind for f in faults.injected] == ["drop", "429", "429"]


def test_bad_faults_are_refused() -> None:
    faults = FaultInjector()
    with pytest.raises(ValueError):
        faults.add("teapot")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        faults.add("5xx", status=404)
    with pytest.raises(ValueError):
        faults.add("latency", count=0)
    with pytest.raises(ValueError):
        faults.set_random(1, rate_5xx=0.7, rate_429=0.7)


def test_random_faults_are_seeded_and_roughly_at_their_rates() -> None:
    def run() -> list[str | None]:
        faults = FaultInjector()
        faults.set_random(seed=1, rate_5xx=0.1, rate_429=0.1, rate_drop=0.1)
        out: list[str | None] = []
        for _ in range(2000):
            fault = faults.take("GET", "/v1/escalations")
            out.append(None if fault is None else fault.kind)
        return out

    first = run()
    assert first == run()
    counts = Counter(first)
    for kind in ("5xx", "429", "drop"):
        assert 140 < counts[kind] < 260, counts
    assert "drop_before" not in counts and "latency" not in counts


def test_random_faults_respect_filters_and_clear() -> None:
    faults = FaultInjector()
    faults.set_random(seed=2, rate_5xx=1.0, method="PATCH")
    assert faults.take("GET", "/v1/escalations") is None
    fault = faults.take("PATCH", "/v1/escalations/ESC-000001")
    assert fault is not None and fault.status in (500, 502, 503)
    faults.clear()
    assert faults.take("PATCH", "/v1/escalations/ESC-000001") is None


@pytest.mark.parametrize("body", [
    [], {}, {"title": "x"}, {"status": "open"}, {"severity": "S4"}, {"urgency": "u1"},
    {"assignee": ""}, {"assignee": 5}, {"tags": "a"}, {"tags": [""]}, {"tags": ["x" * 65]},
    {"tags": ["t"] * 33},
])
def test_invalid_patches(body: object) -> None:
    with pytest.raises(InvalidRequest):
        validate_patch(body)


def test_valid_patch_and_notes() -> None:
    body = {"status": "triaged", "assignee": None, "severity": "S0", "urgency": "U1",
            "tags": ["livestream"]}
    assert validate_patch(body) == body
    assert validate_note({"text": "Logged", "author": "a.tan"}) == ("Logged", "a.tan")
    for bad in ({"text": "", "author": "a"}, {"text": "   ", "author": "a"},
                {"text": "x" * 20_001, "author": "a"}, {"text": "x"}, {"text": "x", "author": "a",
                                                                         "extra": 1}):
        with pytest.raises(InvalidRequest):
            validate_note(bad)
