"""Situation reports drafted from an incident folded from a scripted timeline: the team
report (conditions, actions, needs) and the executive one (status, overview, next steps),
times in the reader's zone, hostile text kept literal, the analyst's own template."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from rr_desktop.domain.incident import fold
from rr_desktop.domain.incident_events import new_event
from rr_desktop.templates.front_matter import TemplateFileError
from rr_desktop.templates.sitrep import (
    SITREP_PLACEHOLDERS,
    draft_sitrep,
    load_sitrep_template,
    sitrep_values,
    span,
)

T0 = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
INC = "inc-7"
TOKYO = ZoneInfo("Asia/Tokyo")


def ev(kind: str, minutes: float, data: dict[str, Any], actor: str = "a.tan",
       base: str | None = None) -> dict[str, Any]:
    return new_event(INC, kind, actor, T0 + timedelta(minutes=minutes), data, base)


def scripted(title: str = "Livestreamed attack clips") -> list[dict[str, Any]]:
    declare = ev("declare", 0, {"title": title, "type": "violent_event", "severity": "S1",
                                "priority": "P1", "markets": ["AU", "NZ"],
                                "summary": "Clips of the Christchurch-style attack spread"})
    fact = ev("fact", 20, {"text": "Hash list shared with GIFCT"})
    return [
        declare,
        ev("link", 1, {"source": "rr_api:http://svc", "external_id": "ESC-1",
                       "title": "Clip reupload", "category": "violent_extremism",
                       "market": "AU", "reported_at": "2026-12-06T01:35:00Z"}),
        ev("role", 6, {"role": "commander", "analyst": "m.lee", "assume": True}),
        fact,
        ev("fact", 25, {"text": "Views passed 1M"}),
        ev("pin", 26, {"fact": fact["uid"], "pinned": True}),
        ev("containment", 30, {"action": "c1", "text": "Hash-match blocking on upload",
                               "state": "done"}),
        ev("containment", 31, {"action": "c2", "text": "Search suppression",
                               "state": "in_progress"}),
        ev("playbook_start", 32, {
            "run": "r1", "playbook": "violent_event", "title": "Violent event", "markets": [],
            "steps": [{"id": "s1", "title": "Notify GIFCT", "role": "liaison", "minutes": 60,
                       "required": True, "evidence": "", "origin": ""},
                      {"id": "s2", "title": "Legal hold", "role": "commander",
                       "minutes": 120, "required": True, "evidence": "", "origin": ""}],
            "clocks": []}),
        ev("step", 40, {"run": "r1", "step": "s1", "done": True, "note": "", "evidence": ""}),
        ev("request", 45, {"request": "q1", "function": "Legal", "asked_of": "k.ito",
                           "question": "May we share hashes with NZ police?",
                           "due": "2026-12-06T03:00:00Z", "blocking": True}),
        ev("status", 95, {"status": "contained"}, base=declare["uid"]),
    ]


def test_the_team_report_has_conditions_actions_and_needs() -> None:
    state = fold(scripted())
    now = T0 + timedelta(hours=3, minutes=20)
    text = draft_sitrep(state, "team", now, TOKYO)
    conditions, actions = text.index("CONDITIONS"), text.index("ACTIONS")
    needs = text.index("NEEDS")
    assert conditions < actions < needs
    assert "SITREP (team): Livestreamed attack clips" in text
    assert "S1 / P1 · contained · markets AU, NZ · as of 2026-12-06 14:20 (UTC+09:00)" in text
    assert "3 h 20 min ago · commander m.lee" in text
    # Pinned facts stand for the key facts; the unpinned one is left out.
    assert "- 2026-12-06 11:20 (UTC+09:00) Hash list shared with GIFCT (a.tan)" in text
    assert "Views passed 1M" not in text
    assert "- ESC-1 Clip reupload (AU, violent extremism)" in text[conditions:actions]
    assert "- Hash-match blocking on upload: done" in text[actions:needs]
    assert "Playbook: 1 of 2 required steps done" in text
    assert "- Notify GIFCT (2026-12-06 11:40 (UTC+09:00), a.tan)" in text
    need = text[needs:]
    assert "- BLOCKING OVERDUE Legal (k.ito): May we share hashes with NZ police?" in need
    assert "- a scribe: nobody holds the role" in need
    assert "[" not in text  # every value there


def test_the_exec_report_has_status_overview_and_next_steps() -> None:
    state = fold(scripted())
    text = draft_sitrep(state, "exec", T0 + timedelta(hours=1), UTC)
    status, overview, nxt = (text.index(h) for h in ("STATUS", "OVERVIEW", "NEXT STEPS"))
    assert status < overview < nxt
    assert "time to detect 25 min; time to acknowledge 6 min; time to contain 1 h 35 min" \
        in text[status:overview]
    assert "Clips of the Christchurch-style attack spread" in text[overview:nxt]
    steps = text[nxt:]
    assert "- Legal hold (commander)" in steps
    assert "- Search suppression (under way)" in steps
    assert "- Legal: May we share hashes with NZ police? (due 2026-12-06 03:00 (UTC))" \
        in steps
    assert "Notify GIFCT" not in steps  # done


def test_an_empty_incident_leaves_visible_holes() -> None:
    state = fold([ev("declare", 0, {"title": "Rumour wave", "type": "", "severity": "S2",
                                    "priority": "P2", "markets": [], "summary": ""})])
    text = draft_sitrep(state, "exec", T0 + timedelta(minutes=5), UTC)
    assert "[summary?]" in text and "[markets?]" in text
    assert "no milestone reached yet" in text
    assert sitrep_values(state, T0, UTC).keys() == SITREP_PLACEHOLDERS.keys()


def test_hostile_incident_text_comes_out_literally() -> None:
    state = fold(scripted(title="{0.__class__} {summary} {{x}}"))
    text = draft_sitrep(state, "team", T0 + timedelta(hours=1), UTC)
    assert "SITREP (team): {0.__class__} {summary} {{x}}" in text


def test_the_analysts_own_template_replaces_the_shipped_one(tmp_path: Path) -> None:
    own = tmp_path / "templates" / "sitreps" / "exec.md"
    own.parent.mkdir(parents=True)
    own.write_text("---\ntitle: Board note\n---\n{incident_title}: {status}\n",
                   encoding="utf-8")
    template, problem = load_sitrep_template("exec", tmp_path)
    assert (template.title, problem) == ("Board note", None)
    text = draft_sitrep(fold(scripted()), "exec", T0, UTC, template)
    assert text == "Livestreamed attack clips: contained\n"
    own.write_text("---\ntitle: Board note\n---\n{incident_name}\n", encoding="utf-8")
    template, problem = load_sitrep_template("exec", tmp_path)
    assert template.title == "Executive update"  # the shipped one
    assert problem is not None and str(own) in problem and "{incident_name}" in problem
    with pytest.raises(ValueError, match="no sitrep audience"):
        load_sitrep_template("press")
    assert issubclass(TemplateFileError, ValueError)


def test_durations_read_as_people_say_them() -> None:
    assert [span(timedelta(minutes=m)) for m in (0, 45, 60, 200, 1440, 1500)] == [
        "0 min", "45 min", "1 h", "3 h 20 min", "1 d", "1 d 1 h"]
