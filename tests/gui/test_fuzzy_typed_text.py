"""A picker that also takes typed text (a new incident's title, a name not in the
directory) offers that text as typed before loose matches, so Enter never turns a new
title into an existing incident that merely contains the same letters in order."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from rr_desktop.gui.fuzzy import Choice, FuzzyList


def _rows(f: FuzzyList) -> list[str]:
    return [f.list.item(i).text() for i in range(f.list.count())]


def test_typed_text_comes_before_loose_matches_and_after_whole_ones(qtbot: QtBot) -> None:
    f = FuzzyList([Choice("7", "Resident Grievance Officer (India)", "grievance@ex.com"),
                   Choice("8", "APAC Legal - Trust & Safety", "legal@ex.com")],
                  allow_new=True)
    qtbot.addWidget(f)
    f.edit.setText("Ana Lim")  # a loose subsequence of the first choice only
    assert _rows(f)[0].startswith("+ Ana Lim")
    with qtbot.waitSignal(f.picked) as picked:
        f.handle_command("choice-pick")  # Enter, as the picker dialog passes it on
    assert picked.args == ["Ana Lim"]
    f.edit.setText("apac legal")  # found whole in a choice: that choice first
    assert _rows(f)[0].startswith("APAC Legal") and _rows(f)[1].startswith("+ apac legal")
    with qtbot.waitSignal(f.picked) as picked:
        f.handle_command("choice-pick")  # Enter, as the picker dialog passes it on
    assert picked.args == ["8"]


def test_without_allow_new_nothing_is_offered_as_typed(qtbot: QtBot) -> None:
    f = FuzzyList([Choice("7", "Resident Grievance Officer (India)")])
    qtbot.addWidget(f)
    f.edit.setText("Ana Lim")
    assert [r for r in _rows(f) if r.endswith("(as typed)")] == []
