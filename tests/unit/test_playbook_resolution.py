"""Overlay resolution: a base playbook with its markets' overlays becomes the exact
checklist a `playbook_start` event carries (docs/playbooks.md, "Overlays")."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from rr_desktop.domain.statutory_clock import StatutoryClock
from rr_desktop.playbooks import UnknownPlaybook, load_library, resolve_playbook


def test_an_au_sg_in_violent_event_resolves_to_the_exact_checklist() -> None:
    run = resolve_playbook(load_library(None), "violent-event", ["SG", "au", "IN"])
    assert run.markets == ("AU", "IN", "SG")
    assert [(s.id, s.origin) for s in run.steps] == [
        ("declare", "base"),
        ("au-notify-market-team", "AU"),
        ("in-notify-market-team", "IN"),
        ("sg-notify-market-team", "SG"),
        ("assess", "base"),
        ("end-stream", "base"),
        ("preserve", "base"),
        ("au-avm-referral", "AU"),
        ("hash-share", "base"),
        ("sweep-copies", "base"),
        ("notify-legal-policy", "base"),
        ("au-esafety-notice-received", "AU"),
        ("sg-imda-direction", "SG"),
        ("crisis-protocol", "base"),
        ("search-interventions", "base"),
        ("comms-holding", "base"),
        ("sitrep-exec", "base"),
        ("post-mortem", "base"),
    ]
    assert [(c.id, c.market, c.hours, c.starts, c.legal_confirm) for c in run.clocks] == [
        ("first-hour-containment", "", 1.0, "declared", False),
        ("au-esafety-removal-notice", "AU", 24.0, "step:au-esafety-notice-received", True),
        ("sg-direction-target", "SG", 12.0, "step:sg-imda-direction", True),
    ]
    assert run.conflicts == () and run.notes == ()
    assert [c.id for c in run.contacts["AU"]] == ["au-esafety", "au-afp"]
    assert [t.language for t in run.templates["IN"]] == ["hi", "en-IN"]
    # The same markets in any order give the same checklist.
    assert resolve_playbook(load_library(None), "violent-event", ["IN", "SG", "AU"]) == run


def test_the_event_data_is_the_documented_plain_json_shape() -> None:
    run = resolve_playbook(load_library(None), "regulator-takedown-order", ["ID"])
    data = run.to_event_data()
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {"playbook", "title", "markets", "steps", "clocks"}
    assert data["playbook"] == "regulator-takedown-order"
    assert data["markets"] == ["ID"]
    steps = data["steps"]
    assert isinstance(steps, list)
    assert steps[2] == {
        "id": "notice-received",
        "title": "Log the Komdigi request - urgent (4 h) or ordinary (24 h), items, "
                 "received time WIB",
        "role": "scribe", "minutes": 10, "required": True,
        "evidence": ["the request as received", "urgency flag"], "origin": "ID"}
    assert data["clocks"] == [
        {"id": "id-mr5-urgent", "title": "MR5 urgent request (terrorism, child sexual abuse, "
         "public unrest) - 4 h", "hours": 4, "market": "ID", "starts": "step:notice-received",
         "legal_confirm": True},
        {"id": "id-mr5-ordinary", "title": "MR5 ordinary request - 24 h", "hours": 24,
         "market": "ID", "starts": "step:notice-received", "legal_confirm": True}]


def test_a_market_without_an_overlay_is_noted_and_changes_nothing() -> None:
    library = load_library(None)
    run = resolve_playbook(library, "dangerous-challenge", ["MY"])
    base = library.playbooks["dangerous-challenge"]
    assert [s.id for s in run.steps] == list(base.step_ids)
    assert {s.origin for s in run.steps} == {"base"}
    assert run.notes == ("MY has no overlay: the base playbook applies there",)


def test_unknown_playbook_and_market_are_refused() -> None:
    library = load_library(None)
    with pytest.raises(UnknownPlaybook, match="no playbook has the id 'nope'"):
        resolve_playbook(library, "nope", ["AU"])
    with pytest.raises(ValueError, match="not an ISO 3166-1 alpha-2"):
        resolve_playbook(library, "violent-event", ["Australia"])


BASE = """\
id: base
title: Base
steps:
  - {id: declare, title: Declare, role: commander, minutes: 5}
  - {id: notice-received, title: Notice received, role: scribe, minutes: 5}
  - {id: remove, title: Remove, role: analyst, minutes: 30}
  - {id: close, title: Close, role: commander, minutes: 5}
clocks:
  - {id: removal, title: Remove in 24 h, hours: 24, starts: "step:notice-received"}
"""


def overlay(root: Path, market: str, section: str) -> None:
    path = root / "playbooks" / "overlays" / f"{market.lower()}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"market: {market}\ntitle: {market}\nplaybooks:\n  base:\n"
                    + textwrap.indent(textwrap.dedent(section), "    "), encoding="utf-8")


@pytest.fixture
def res(tmp_path: Path) -> Path:
    root = tmp_path / "res"
    (root / "playbooks").mkdir(parents=True)
    (root / "playbooks" / "base.yaml").write_text(BASE, encoding="utf-8")
    overlay(root, "AU", """\
        remove: [remove, notice-received]
        add:
          - {id: esafety, after: declare, title: eSafety, role: legal, minutes: 5}
        """)
    overlay(root, "SG", """\
        replace:
          - {id: remove, title: Disable access (SG), role: analyst, minutes: 20}
          - {id: notice-received, title: Direction received, role: scribe, minutes: 5}
        add:
          - {id: imda, after: notice-received, title: IMDA, role: legal, minutes: 5}
        clocks:
          - {id: direction, title: Direction, hours: 12, starts: "step:notice-received"}
        """)
    overlay(root, "KR", """\
        replace:
          - {id: notice-received, title: KCSC request received, role: scribe, minutes: 5}
        add:
          - {id: kcsc, after: declare, title: KCSC, role: legal, minutes: 5}
        """)
    overlay(root, "JP", "add: []\n")
    return root


def ids(res: Path, markets: list[str]) -> list[tuple[str, str, str]]:
    run = resolve_playbook(load_library(None, bundled_root=res), "base", markets)
    return [(s.id, s.origin, s.title) for s in run.steps]


def test_a_single_market_removes_steps_and_its_clock_falls_back_to_declaration(
        res: Path) -> None:
    run = resolve_playbook(load_library(None, bundled_root=res), "base", ["AU"])
    assert [s.id for s in run.steps] == ["declare", "au-esafety", "close"]
    assert run.clocks == (StatutoryClock("removal", "Remove in 24 h", 24.0, "", "declared",
                                         True),)
    assert run.conflicts == ("the clock 'removal' started at the step 'notice-received', "
                             "which this incident's markets removed: it starts at the "
                             "declaration",)


def test_a_removal_another_market_does_not_share_is_overruled_and_reported(
        res: Path) -> None:
    run = resolve_playbook(load_library(None, bundled_root=res), "base", ["AU", "JP"])
    assert [(s.id, s.origin) for s in run.steps] == [
        ("declare", "base"), ("au-esafety", "AU"), ("notice-received", "base"),
        ("remove", "base"), ("close", "base")]
    assert run.conflicts == (
        "AU removes the step 'notice-received', but JP keeps it: it stays",
        "AU removes the step 'remove', but JP keeps it: it stays")
    assert run.clocks[0].starts == "step:notice-received"


def test_a_replacement_wins_over_a_removal_and_two_replacements_are_both_kept(
        res: Path) -> None:
    run = resolve_playbook(load_library(None, bundled_root=res), "base", ["SG", "AU", "KR"])
    assert [(s.id, s.origin, s.title) for s in run.steps] == [
        ("declare", "base", "Declare"),
        ("au-esafety", "AU", "eSafety"),
        ("kr-kcsc", "KR", "KCSC"),
        ("notice-received", "KR", "KCSC request received"),
        ("sg-notice-received", "SG", "Direction received"),
        ("sg-imda", "SG", "IMDA"),
        ("remove", "SG", "Disable access (SG)"),
        ("close", "base", "Close"),
    ]
    assert run.conflicts == (
        "KR and SG each replace the step 'notice-received': every version is kept (KR's as "
        "'notice-received', the others after it)",
        "AU removes the step 'notice-received' that KR replaces: KR's version is kept",
        "AU removes the step 'remove' that SG replaces: SG's version is kept",
    )
    # SG's clock follows SG's own version of the step it starts at.
    assert [(c.id, c.starts) for c in run.clocks] == [
        ("removal", "step:notice-received"), ("sg-direction", "step:sg-notice-received")]
