"""Playbook, overlay and stakeholder files: good files load, every bad one is left out
with one sentence naming the file and the place, and the others still load
(docs/playbooks.md)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from rr_desktop.playbooks import Source, load_directory, load_library

GOOD = """\
schema_version: 1
id: {id}
title: {title}
steps:
  - id: declare
    title: Declare the incident
    role: commander
    minutes: 10
  - id: notice-received
    title: Log the notice
    role: scribe
    minutes: 5
    evidence: [the notice]
  - id: remove
    title: Remove the content
    role: analyst
    minutes: 30
    required: false
clocks:
  - id: removal
    title: Remove within 24 h
    hours: 24
    starts: step:notice-received
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def res(tmp_path: Path) -> Path:
    """A stand-in for resources/ holding one good playbook."""
    root = tmp_path / "res"
    write(root / "playbooks" / "good.yaml", GOOD.format(id="good", title="Good one"))
    return root


def only_problem(res: Path) -> str:
    library = load_library(None, bundled_root=res)
    assert "good" in library.playbooks, "the good playbook must load beside the bad one"
    assert len(library.problems) == 1, library.problems
    return str(library.problems[0])


def test_a_good_playbook_loads_with_its_steps_and_clock(res: Path) -> None:
    library = load_library(None, bundled_root=res)
    assert library.problems == ()
    playbook = library.playbooks["good"]
    assert playbook.step_ids == ("declare", "notice-received", "remove")
    assert playbook.spec.steps[1].evidence == ("the notice",)
    assert playbook.spec.steps[2].required is False
    assert playbook.spec.clocks[0].hours == 24
    assert playbook.spec.clocks[0].legal_confirm is True  # statutory by default
    assert playbook.file == "playbooks/good.yaml" and playbook.source is Source.BUNDLED


BAD_PLAYBOOKS = [
    ("yaml syntax",
     "id: bad\ntitle: x\nsteps:\n  - id: a\n    title: [unclosed\n",
     "playbooks/bad.yaml: line 6, column 1 is not valid YAML"),
    ("minutes as text",
     GOOD.format(id="bad", title="x").replace("minutes: 5", "minutes: ten"),
     "playbooks/bad.yaml: steps[1].minutes must be a whole number (not 'ten')"),
    ("fractional minutes",
     GOOD.format(id="bad", title="x").replace("minutes: 5", "minutes: 2.5"),
     "playbooks/bad.yaml: steps[1].minutes must be a whole number (not the number 2.5)"),
    ("zero minutes",
     GOOD.format(id="bad", title="x").replace("minutes: 5", "minutes: 0"),
     "playbooks/bad.yaml: steps[1].minutes must be at least 1"),
    ("unknown role",
     GOOD.format(id="bad", title="x").replace("role: scribe", "role: boss"),
     "playbooks/bad.yaml: steps[1].role 'boss' is not a role (one of commander, scribe"),
    ("duplicate step id",
     GOOD.format(id="bad", title="x").replace("id: remove", "id: declare"),
     "playbooks/bad.yaml: steps[2].id repeats the step id 'declare'"),
    ("unknown field",
     GOOD.format(id="bad", title="x").replace("    required: false", "    owner: Legal"),
     "playbooks/bad.yaml: steps[2].owner is not a field this file format knows"),
    ("missing field",
     GOOD.format(id="bad", title="x").replace("    minutes: 30\n", ""),
     "playbooks/bad.yaml: steps[2].minutes is missing"),
    ("required not a bool",
     GOOD.format(id="bad", title="x").replace("required: false", "required: maybe"),
     "playbooks/bad.yaml: steps[2].required must be true or false (not 'maybe')"),
    ("clock starts at an unknown step",
     GOOD.format(id="bad", title="x").replace("step:notice-received", "step:notice"),
     "playbooks/bad.yaml: clocks[0].starts names the step 'notice', which this playbook "
     "does not have"),
    ("clock starts at nonsense",
     GOOD.format(id="bad", title="x").replace("step:notice-received", "whenever"),
     "playbooks/bad.yaml: clocks[0].starts 'whenever' is neither 'declared' nor"),
    ("negative hours",
     GOOD.format(id="bad", title="x").replace("hours: 24", "hours: -1"),
     "playbooks/bad.yaml: clocks[0].hours must be more than 0"),
    ("key written twice",
     GOOD.format(id="bad", title="x").replace("title: x\n", "title: x\ntitle: y\n"),
     "playbooks/bad.yaml: line 4, column 1 is not valid YAML (the key 'title' is written "
     "twice)"),
    ("not an id",
     GOOD.format(id="Bad One", title="x"),
     "playbooks/bad.yaml: id 'Bad One' is not an id"),
    ("newer format",
     GOOD.format(id="bad", title="x").replace("schema_version: 1", "schema_version: 7"),
     "playbooks/bad.yaml: schema_version is 7: the file was written for a newer RR Desktop"),
    ("a list at the top",
     "- id: bad\n",
     "playbooks/bad.yaml: must hold a mapping (key: value lines) at the top, not a list"),
    ("steps not a list",
     "id: bad\ntitle: x\nsteps: declare\n",
     "playbooks/bad.yaml: steps must be a list (not 'declare')"),
]


@pytest.mark.parametrize(("text", "expected"), [(t, e) for _n, t, e in BAD_PLAYBOOKS],
                         ids=[n for n, _t, _e in BAD_PLAYBOOKS])
def test_a_bad_playbook_is_one_sentence_naming_file_and_place(
        res: Path, text: str, expected: str) -> None:
    write(res / "playbooks" / "bad.yaml", text)
    message = only_problem(res)
    assert message.startswith(expected), message
    assert "\n" not in message and "Traceback" not in message
    assert "bad" not in load_library(None, bundled_root=res).playbooks


def test_a_file_that_is_not_utf8_is_named(res: Path) -> None:
    (res / "playbooks" / "latin.yaml").write_bytes("title: caf\xe9\n".encode("latin-1"))
    assert only_problem(res) == "playbooks/latin.yaml: is not UTF-8 text"


OVERLAY = """\
market: {market}
title: Test overlay
playbooks:
  good:
{section}
"""

BAD_OVERLAYS = [
    ("unknown market", "XX", "    add: []",
     "playbooks/overlays/bad.yaml: market 'XX' is not a market"),
    ("replace a step the base lacks", "AU",
     "    replace:\n      - {id: ghost, title: G, role: analyst, minutes: 5}",
     "playbooks/overlays/bad.yaml: playbooks.good.replace[0].id names the step 'ghost', "
     "which the base playbook does not have: nothing to replace"),
    ("remove a step the base lacks", "AU", "    remove: [ghost]",
     "playbooks/overlays/bad.yaml: playbooks.good.remove[0] names the step 'ghost', which "
     "the base playbook does not have: nothing to remove"),
    ("add after a step nobody has", "AU",
     "    add:\n      - {id: extra, after: ghost, title: E, role: legal, minutes: 5}",
     "playbooks/overlays/bad.yaml: playbooks.good.add[0].after names the step 'ghost'"),
    ("add a step id the base has", "AU",
     "    add:\n      - {id: remove, title: E, role: legal, minutes: 5}",
     "playbooks/overlays/bad.yaml: playbooks.good.add[0].id repeats the step id 'remove' "
     "(the base playbook has it)"),
    ("wrong type inside a section", "AU",
     "    add:\n      - {id: extra, title: E, role: legal, minutes: soon}",
     "playbooks/overlays/bad.yaml: playbooks.good.add[0].minutes must be a whole number "
     "(not 'soon')"),
    ("remove and replace the same step", "AU",
     "    remove: [remove]\n    replace:\n      - {id: remove, title: R, role: analyst, "
     "minutes: 5}",
     "playbooks/overlays/bad.yaml: playbooks.good.remove[0] removes the step 'remove' this "
     "section also replaces"),
    ("section for an unknown playbook", "AU", None,
     "playbooks/overlays/bad.yaml: playbooks.nothing names the playbook 'nothing', which is "
     "not loaded"),
]


@pytest.mark.parametrize(("market", "section", "expected"),
                         [(m, s, e) for _n, m, s, e in BAD_OVERLAYS],
                         ids=[n for n, _m, _s, _e in BAD_OVERLAYS])
def test_a_bad_overlay_is_one_sentence_naming_file_and_place(
        res: Path, market: str, section: str | None, expected: str) -> None:
    text = OVERLAY.format(market=market, section=section or "    add: []")
    if section is None:
        text = text.replace("  good:", "  nothing:")
    write(res / "playbooks" / "overlays" / "bad.yaml", text)
    message = only_problem(res)
    assert message.startswith(expected), message


def test_a_bad_section_leaves_the_rest_of_its_overlay(res: Path) -> None:
    write(res / "playbooks" / "other.yaml", GOOD.format(id="other", title="Other"))
    write(res / "playbooks" / "overlays" / "au.yaml", """\
        market: au
        title: Australia
        playbooks:
          good:
            remove: [ghost]
          other:
            add:
              - {id: extra, title: Extra, role: legal, minutes: 5}
        """)
    library = load_library(None, bundled_root=res)
    assert [str(p) for p in library.problems] == [
        "playbooks/overlays/au.yaml: playbooks.good.remove[0] names the step 'ghost', which "
        "the base playbook does not have: nothing to remove"]
    overlay = library.overlays["AU"]  # market codes are normalised
    assert list(overlay.changes) == ["other"]


def test_every_bundled_file_loads_without_a_problem() -> None:
    library = load_library(None)
    assert library.problems == ()
    assert set(library.playbooks) == {
        "violent-event", "child-safety-emergency", "dangerous-challenge",
        "civic-misinformation", "coordinated-harassment", "regulator-takedown-order",
        "public-figure-compromise"}
    assert set(library.overlays) >= {"AU", "IN", "ID", "JP", "KR", "PH", "SG"}
    for playbook in library.playbooks.values():
        assert 6 <= len(playbook.spec.steps) <= 14, playbook.id
    for overlay in library.overlays.values():
        changes = [c for c in overlay.changes.values() if c.add or c.replace]
        assert changes or overlay.every_playbook.add, overlay.market
        assert overlay.contacts and overlay.templates, overlay.market
        clocks = [c for ch in overlay.changes.values() for c in ch.clocks]
        assert all(c.legal_confirm for c in clocks), overlay.market
    directory = load_directory(None, library)
    assert directory.problems == ()
    assert {"legal", "public_policy", "product", "engineering", "comms",
            "law_enforcement_response", "market_team"} <= set(directory.functions())


def test_a_user_playbook_replaces_the_bundled_one_and_the_listing_says_so(
        res: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    write(data / "playbooks" / "mine.yaml", GOOD.format(id="good", title="Our own"))
    write(data / "playbooks" / "extra.yaml", GOOD.format(id="extra", title="Extra"))
    write(data / "playbooks" / "overlays" / "sg.yaml", OVERLAY.format(
        market="SG", section="    add:\n      - {id: x, title: X, role: legal, minutes: 5}"))
    library = load_library(data, bundled_root=res)
    assert library.problems == ()
    assert library.playbooks["good"].title == "Our own"
    assert library.playbooks["good"].source is Source.USER
    assert library.playbooks["good"].file == str(data / "playbooks" / "mine.yaml")
    entry = next(e for e in library.entries if e.key == "good")
    assert entry.replaces and entry.replaced_file == "playbooks/good.yaml"
    assert entry.describe() == (f"playbook good: Our own (yours) from "
                                f"{data / 'playbooks' / 'mine.yaml'}, replaces the bundled "
                                "playbooks/good.yaml")
    assert not next(e for e in library.entries if e.key == "extra").replaces
    assert library.overlays["SG"].source is Source.USER


def test_a_bad_user_file_leaves_the_bundled_one_in_place(res: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    write(data / "playbooks" / "good.yaml",
          GOOD.format(id="good", title="Broken").replace("minutes: 5", "minutes: x"))
    library = load_library(data, bundled_root=res)
    assert library.playbooks["good"].title == "Good one"
    assert [str(p) for p in library.problems] == [
        f"{data / 'playbooks' / 'good.yaml'}: steps[1].minutes must be a whole number "
        "(not 'x')"]


def test_two_files_with_one_id_keep_the_first(res: Path) -> None:
    write(res / "playbooks" / "zz-copy.yaml", GOOD.format(id="good", title="Copy"))
    assert only_problem(res) == ("playbooks/zz-copy.yaml: has the playbook id 'good' that "
                                 "playbooks/good.yaml already has: this file is left out")


STAKEHOLDERS = """\
stakeholders:
  - id: legal-apac
    name: APAC Legal
    function: legal
    regions: [APAC]
    channels: {email: legal@example.com}
  - id: market-jp
    name: Japan market team
    function: market_team
    markets: [JP]
    channels: {chat: "#market-japan"}
"""


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("function: legal", "function: lawyers",
     "stakeholders/team.yaml: stakeholders[0].function 'lawyers' is not a function"),
    ("markets: [JP]", "markets: [JPN]",
     "stakeholders/team.yaml: stakeholders[1].markets[0] 'JPN' is not a market"),
    ("regions: [APAC]", "regions: [ASIA]",
     "stakeholders/team.yaml: stakeholders[0].regions[0] 'ASIA' is not a region"),
    ('channels: {chat: "#market-japan"}', "channels: {}",
     "stakeholders/team.yaml: stakeholders[1].channels must give at least one way"),
    ("legal@example.com", "legal at example",
     "stakeholders/team.yaml: stakeholders[0].channels.email 'legal at example' is not an "
     "email address"),
    ("id: market-jp", "id: legal-apac",
     "stakeholders/team.yaml: stakeholders[1].id repeats the stakeholder id 'legal-apac'"),
])
def test_a_bad_stakeholder_file_is_named(tmp_path: Path, old: str, new: str,
                                         expected: str) -> None:
    res = tmp_path / "res"
    write(res / "stakeholders" / "team.yaml", STAKEHOLDERS.replace(old, new))
    write(res / "stakeholders" / "other.yaml", STAKEHOLDERS.replace("legal-apac", "x")
          .replace("market-jp", "y"))
    directory = load_directory(None, bundled_root=res)
    assert [str(p)[:len(expected)] for p in directory.problems] == [expected]
    assert {s.id for s in directory.stakeholders} == {"x", "y"}
