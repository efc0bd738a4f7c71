"""The keymap as data: docs/keymap.md's keys, conflict detection, overrides, the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from rr_desktop.keymap import (
    COMMANDS,
    Command,
    KeymapError,
    Mode,
    find_conflicts,
    normalize_key,
    with_overrides,
    with_readme_section,
)

ROOT = Path(__file__).resolve().parents[2]


def keys_of(name: str) -> tuple[str, ...]:
    return next(c.keys for c in COMMANDS if c.name == name)


def test_defaults_follow_keymap_md() -> None:
    expected = {
        "next-item": ("J", "Down"), "previous-item": ("K", "Up"), "toggle-select": ("X",),
        "extend-down": ("Shift+J",), "select-all": ("Ctrl+A",), "accept": ("1",),
        "mark-duplicate": ("2",), "decline": ("3",), "snooze": ("H",), "resolve": ("E",),
        "assign": ("A",), "assign-me": ("I",), "tags": ("L",), "move-queue": ("V",),
        "escalate-incident": ("F",), "note": ("M",), "reply": ("R",), "palette": ("Ctrl+K",),
        "search": ("/",), "go-triage": ("G, T",), "go-outbox": ("G, O",),
        "sync-now": ("F5", "Ctrl+R"), "shortcuts": ("?", "Shift+?"), "toggle-split": ("Ctrl+\\",),
        "severity-0": ("S, 0",), "urgency-3": ("Y, 3",), "view-9": ("Ctrl+9",),
    }
    for name, keys in expected.items():
        assert keys_of(name) == keys, name


def test_default_keymap_has_no_conflicts() -> None:
    assert find_conflicts(COMMANDS) == []


def test_names_are_unique() -> None:
    names = [c.name for c in COMMANDS]
    assert len(names) == len(set(names))


def test_normalize_key_folds_case_and_modifier_order() -> None:
    assert normalize_key("Shift+Ctrl+K") == normalize_key("ctrl+shift+k")
    assert normalize_key("G, T") == "g, t"
    assert normalize_key("Ctrl++") == "ctrl++"


def test_same_key_in_overlapping_modes_conflicts() -> None:
    a = Command("a", "A", ("E",), (Mode.LIST,), "")
    b = Command("b", "B", ("e",), (Mode.LIST, Mode.DETAIL), "")
    c = Command("c", "C", ("E",), (Mode.OUTBOX,), "")
    assert [(x.first, x.second) for x in find_conflicts([a, b, c])] == [("a", "b")]


def test_a_key_that_starts_a_chord_conflicts() -> None:
    g = Command("g", "G", ("G",), (Mode.GLOBAL,), "")
    gt = Command("gt", "GT", ("G, T",), (Mode.GLOBAL,), "")
    assert find_conflicts([g, gt])


def test_override_applies_and_conflicting_override_is_refused() -> None:
    changed = with_overrides({"resolve": ["Shift+E"]})
    assert next(c for c in changed if c.name == "resolve").keys == ("Shift+E",)
    with pytest.raises(KeymapError, match="accept"):
        with_overrides({"resolve": ["1"]})  # 1 is accept
    with pytest.raises(KeymapError, match="unknown command"):
        with_overrides({"no-such-command": ["Q"]})
    assert next(c for c in with_overrides({"resolve": []}) if c.name == "resolve").keys == ()


@pytest.mark.parametrize("overrides", [
    {"resolve": None}, {"resolve": 5}, {"resolve": "E"}, {"resolve": [None]},
    {"resolve": [5]}, ["resolve"], None, {"resolve": {"key": "E"}},
])
def test_overrides_of_the_wrong_shape_are_refused_not_raised(overrides: object) -> None:
    """settings.json is hand-edited: null, a number or a bare string where a list of keys
    belongs is refused with a message (the defaults stay), never a TypeError."""
    with pytest.raises(KeymapError, match=r"list|not a key|map command names"):
        with_overrides(overrides)  # type: ignore[arg-type]


def test_readme_keymap_is_generated_from_the_registry() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert with_readme_section(readme) == readme, (
        "README keymap is stale: run python -m rr_desktop.keymap --readme")
