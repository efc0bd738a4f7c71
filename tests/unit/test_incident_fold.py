"""An incident folded from a scripted timeline: lifecycle, stage times, roles, metrics,
conflicts both machines agree on, and events that do not fit (docs/incidents.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rr_desktop.domain.incident import fold, metrics
from rr_desktop.domain.incident_events import new_event, validate_event

T0 = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
INC = "inc-1"


def ev(kind: str, minutes: float, data: dict[str, Any], actor: str = "aiko",
       base: str | None = None) -> dict[str, Any]:
    return new_event(INC, kind, actor, T0 + timedelta(minutes=minutes), data, base)


def declare(minutes: float = 0) -> dict[str, Any]:
    return ev("declare", minutes, {"title": "Livestreamed attack clips", "type": "violent_event",
                                   "severity": "S1", "priority": "P1", "markets": ["AU", "NZ"],
                                   "summary": ""})


def link(ext: str, reported_min: float, minutes: float) -> dict[str, Any]:
    return ev("link", minutes, {"source": "rr_api:http://svc", "external_id": ext,
                                "title": f"clip {ext}", "category": "violent_extremism",
                                "market": "AU",
                                "reported_at": (T0 + timedelta(minutes=reported_min))
                                .strftime("%Y-%m-%dT%H:%M:%SZ")})


def test_a_scripted_incident_has_its_stages_roles_and_metrics() -> None:
    d = declare(0)
    contained = ev("status", 95, {"status": "contained"}, base=d["uid"])
    stable = ev("status", 300, {"status": "stable"}, base=contained["uid"])
    events = [
        d, link("ESC-1", -25, 1), link("ESC-2", -10, 2),
        ev("role", 6, {"role": "commander", "analyst": "mei", "assume": True}),
        ev("role", 7, {"role": "scribe", "analyst": "aiko", "assume": True}),
        contained,
        ev("role", 100, {"role": "commander", "analyst": "mei", "assume": False}),
        ev("role", 100, {"role": "commander", "analyst": "raj", "assume": True}),
        stable,
        ev("status", 1440, {"status": "resolved"}, base=stable["uid"]),
    ]
    state = fold(events)
    assert state.status == "resolved"
    assert list(state.stage_times) == ["active", "contained", "stable", "resolved"]
    assert state.holders("commander") == ["raj"]
    mei = next(r for r in state.roles if r.analyst == "mei")
    assert mei.renounced_at == T0 + timedelta(minutes=100)
    m = metrics(state)
    assert m.detect == timedelta(minutes=25)
    assert m.acknowledge == timedelta(minutes=6)
    assert m.contain == timedelta(minutes=95)
    assert m.resolve == timedelta(minutes=1440)
    assert not state.conflicts and not state.problems
    assert [t.kind for t in state.timeline][:3] == ["declare", "link", "link"]


def test_an_event_before_the_declaration_is_a_problem_not_a_crash() -> None:
    state = fold([link("ESC-1", -5, 1), declare(2)])
    assert len(state.problems) == 1 and "before the incident was declared" in state.problems[0]
    assert state.title == "Livestreamed attack clips" and state.links == []


def test_two_edits_without_seeing_each_other_conflict_and_a_later_edit_resolves() -> None:
    d = declare()
    mine = ev("set", 10, {"field": "severity", "value": "S0"}, "aiko", base=d["uid"])
    theirs = ev("set", 11, {"field": "severity", "value": "S2"}, "raj", base=d["uid"])
    state = fold([d, mine, theirs])
    conflict = state.conflict("severity")
    assert conflict is not None
    assert [(v[1], v[2]) for v in conflict.values] == [("S0", "aiko"), ("S2", "raj")]
    assert state.severity == "S0"  # the earlier in the shared order stands
    # the same order gives the same conflict, whoever folds it
    assert fold([d, mine, theirs]).to_json() == state.to_json()
    resolve = ev("set", 20, {"field": "severity", "value": "S2"}, "aiko", base=theirs["uid"])
    after = fold([d, mine, theirs, resolve])
    assert after.conflicts == [] and after.severity == "S2"
    assert after.head("severity") == resolve["uid"]


def test_an_edit_that_saw_the_latest_value_or_agrees_is_no_conflict() -> None:
    d = declare()
    first = ev("set", 1, {"field": "priority", "value": "P0"}, base=d["uid"])
    second = ev("set", 2, {"field": "priority", "value": "P2"}, "raj", base=first["uid"])
    same = ev("set", 3, {"field": "priority", "value": "P2"}, "mei", base=first["uid"])
    state = fold([d, first, second, same])
    assert state.conflicts == [] and state.priority == "P2"


def test_facts_pins_requests_containment_and_playbook_steps() -> None:
    d = declare()
    fact = ev("fact", 3, {"text": "Original stream taken down at 02:01"})
    req = ev("request", 5, {"request": "r1", "function": "Legal", "asked_of": "AU counsel",
                            "question": "Is the eSafety notice valid?",
                            "due": "2026-12-06T04:00:00Z", "blocking": True})
    run = ev("playbook_start", 6, {
        "run": "run1", "playbook": "violent_event", "title": "Violent event", "markets": ["AU"],
        "steps": [{"id": "hash", "title": "Hash and block re-uploads", "role": "analyst",
                   "minutes": 30, "required": True, "evidence": "hash list", "origin": "base"}],
        "clocks": [{"id": "au-notice", "title": "eSafety removal notice", "hours": 24,
                    "market": "AU", "starts": "step:hash", "legal_confirm": True}]})
    events = [d, fact, ev("pin", 4, {"fact": fact["uid"], "pinned": True}), req, run,
              ev("step", 30, {"run": "run1", "step": "hash", "done": True, "note": "GIFCT",
                              "evidence": "hashes.csv"}),
              ev("containment", 31, {"action": "c1", "text": "Block search terms",
                                     "state": "planned"}),
              ev("containment_update", 40, {"action": "c1", "state": "done"}),
              ev("request_update", 50, {"request": "r1", "status": "answered",
                                        "answer": "Valid; comply"})]
    state = fold(events)
    assert state.facts[0].pinned
    assert [t.pinned for t in state.timeline if t.kind == "fact"] == [True]
    step = state.runs[0].steps[0]
    assert step.done and step.done_at == T0 + timedelta(minutes=30) and step.note == "GIFCT"
    clock = state.runs[0].clocks[0]
    assert state.runs[0].clock_start(clock, T0) == T0 + timedelta(minutes=30)
    assert state.containment[0].state == "done"
    assert state.requests[0].status == "answered"
    assert not state.requests[0].overdue(T0 + timedelta(hours=5))
    assert not state.problems
    assert state.to_json()["holders"] == {"commander": [], "scribe": [], "liaison": []}


@pytest.mark.parametrize(("mutate", "says"), [
    (lambda e: e.update(kind="explode"), "Unknown event kind"),
    (lambda e: e.update(at="yesterday"), "ISO-8601"),
    (lambda e: e["data"].update(severity="S9"), "data.severity must be one of"),
    (lambda e: e["data"].pop("title"), "data.title is missing"),
    (lambda e: e["data"].update(markets=["australia"]), "two-letter market codes"),
    (lambda e: e.update(uid=""), "uid must be non-empty"),
    (lambda e: e.update(data=[1]), "data must be an object"),
])
def test_malformed_events_get_one_sentence(mutate: Any, says: str) -> None:
    e = declare()
    mutate(e)
    why = validate_event(e)
    assert why is not None and says in why
    assert says in fold([e], INC).problems[0]


def test_new_event_refuses_a_malformed_one() -> None:
    with pytest.raises(ValueError, match=r"data\.text cannot be empty"):
        ev("fact", 1, {"text": "  "})


def test_a_newer_writers_extra_keys_in_a_checklist_are_left_aside() -> None:
    run = ev("playbook_start", 1, {
        "run": "r", "playbook": "p", "title": "P", "markets": [],
        "steps": [{"id": "a", "title": "A", "role": "analyst", "minutes": 5,
                   "required": True, "evidence": ["log"], "origin": "base", "icon": "x"}],
        "clocks": [{"id": "c", "title": "C", "hours": 4, "market": "ID",
                    "starts": "step:a", "legal_confirm": True, "colour": "red"}]})
    state = fold([declare(), run])
    assert not state.problems
    assert state.runs[0].steps[0].evidence == "log"
    assert state.runs[0].clocks[0].hours == 4
