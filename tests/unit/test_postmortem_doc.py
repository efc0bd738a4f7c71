"""The post-mortem document: sections, the three-way merge by section, auto parts that a
refresh replaces only while unedited, action items (docs/postmortems.md)."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from rr_desktop.domain.postmortem_actions import parse_actions, task_line
from rr_desktop.domain.postmortem_doc import (
    auto_block,
    fill_template,
    join_sections,
    merge_by_section,
    outline,
    refresh_auto,
    resolve_section,
    split_sections,
)

BASE = ("# Post-mortem: Blackout challenge\n\n## Summary\nDraft summary.\n\n"
        "## Impact\nUnknown yet.\n\n## Detection\nA partner flagged it.\n")


def test_sections_split_and_join_back_exactly() -> None:
    sections = split_sections(BASE)
    assert [s.heading for s in sections] == ["", "Summary", "Impact", "Detection"]
    assert join_sections(sections) == BASE


@given(st.lists(st.sampled_from(["## A\n", "## B\n", "## A", "x", "\n", "#", " ", "é",
                                 "\r\n", "\r", "\u2028", "\x0b"]), max_size=40))
def test_any_text_splits_and_joins_back(parts: list[str]) -> None:
    text = "".join(parts)
    assert join_sections(split_sections(text)) == text


def test_edits_to_different_sections_merge_by_themselves() -> None:
    mine = BASE.replace("Draft summary.", "Three sounds drove the challenge.")
    theirs = BASE.replace("Unknown yet.", "1.2M views in ID and MY.")
    merged = merge_by_section(BASE, mine, theirs)
    assert merged.conflicts == []
    assert "Three sounds drove the challenge." in merged.text
    assert "1.2M views in ID and MY." in merged.text


def test_the_same_section_changed_on_both_sides_is_a_conflict_with_both_kept() -> None:
    mine = BASE.replace("Draft summary.", "Mine.")
    theirs = BASE.replace("Draft summary.", "Theirs.").replace("Unknown yet.", "Big.")
    merged = merge_by_section(BASE, mine, theirs)
    [conflict] = merged.conflicts
    assert conflict.heading == "Summary"
    assert (conflict.base, conflict.mine, conflict.theirs) == (
        "Draft summary.\n\n", "Mine.\n\n", "Theirs.\n\n")
    assert "Mine." in merged.text and "Big." in merged.text
    fixed = resolve_section(merged.text, "Summary", "Mine, and theirs.\n\n")
    assert "Mine, and theirs." in fixed and "Mine.\n" not in fixed


def test_added_sections_keep_their_place_and_a_deletion_against_an_edit_conflicts() -> None:
    mine = BASE.replace("## Detection", "## Containment\nHashes blocked.\n\n## Detection")
    theirs = BASE.replace("## Detection\nA partner flagged it.\n", "") + "## Resolution\nDone.\n"
    merged = merge_by_section(BASE, mine, theirs)
    assert [s.heading for s in split_sections(merged.text)] == [
        "", "Summary", "Impact", "Containment", "Resolution"]
    edited = BASE.replace("A partner flagged it.", "A partner flagged it at 02:00.")
    gone = merge_by_section(BASE, edited, theirs)
    assert [c.heading for c in gone.conflicts] == ["Detection"]
    assert gone.conflicts[0].theirs is None and "02:00" in gone.text


def test_a_refresh_replaces_only_auto_parts_nobody_edited() -> None:
    doc = fill_template("# PM\n## Timeline\n{{auto:timeline}}\n## Metrics\n{{auto:metrics}}\n",
                        {"timeline": "- 09:00 declared\n", "metrics": "| a | 1 |\n"})
    assert doc.count("<!-- rr:end -->") == 2
    edited = doc.replace("| a | 1 |", "| a | 1 | (checked by Legal)")
    result = refresh_auto(edited, {"timeline": "- 09:00 declared\n- 10:00 contained\n",
                                   "metrics": "| a | 2 |\n"})
    assert result.refreshed == ["timeline"] and result.kept == ["metrics"]
    assert "10:00 contained" in result.text and "(checked by Legal)" in result.text
    # refreshed again with the same content: unchanged text
    again = refresh_auto(result.text, {"timeline": "- 09:00 declared\n- 10:00 contained\n"})
    assert again.text == result.text
    assert auto_block("x", "a") == auto_block("x", "a\n")


def test_outline_skips_code_fences() -> None:
    assert outline("# T\n```\n## not a heading\n```\n## Real\n") == [(0, "# T"),
                                                                      (4, "## Real")]


def test_action_items_are_read_from_their_section() -> None:
    doc = ("## Summary\n- [ ] not an action (owner: x, due: 2026-01-01)\n"
           "## Action items\n"
           + task_line("Hash the three sounds", "b.santoso", date(2026, 12, 13)) + "\n"
           "- [x] Brief the ID team (owner: @s.lim, due: 2026-12-08)\n"
           "- [ ] Write the FAQ\n"
           "- [ ] Fix the dashboard (owner: mei, due: next week)\n"
           "plain text line\n")
    items = parse_actions(doc)
    assert [(i.text, i.owner, i.due, i.done) for i in items] == [
        ("Hash the three sounds", "b.santoso", date(2026, 12, 13), False),
        ("Brief the ID team", "s.lim", date(2026, 12, 8), True),
        ("Write the FAQ", "", None, False),
        ("Fix the dashboard", "mei", None, False)]
    assert "not YYYY-MM-DD" in items[3].problem
