"""What every field-changing command queues for the source, driven by its keys in the real
window on the real workspace (an `rr_api` channel: the platform's service receives every
field): the outbox row's op, payload, base and context, then, after F5, the value the
reference service holds. Commands whose change stays on this machine (snooze, queue,
incident) queue nothing and leave a local marker; the service receives no write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from PySide6.QtCore import Qt

from rr_desktop.domain import Status

from .driving import ALT, CTRL, act, answer, press, prompt
from .real_sync import ME, RealDesk

Served = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """A command, the escalation it suits, how the analyst drives it, and what it must
    queue: `expect(desk, esc_id, before)` returns [(op, payload, base, context)], or []
    for a local change, whose `local` (column, check) says what is kept instead."""

    suits: Callable[[Served], bool]
    drive: Callable[[RealDesk, int], None]
    expect: Callable[[RealDesk, int, Served], list[tuple[str, dict[str, Any],
                                                         dict[str, Any], dict[str, Any]]]]
    served: Callable[[RealDesk, int, Served], Served] | None = None  # what the service holds
    local: tuple[str, Callable[[Any], bool]] | None = None
    view: tuple[Qt.Key, str] = (Qt.Key.Key_T, "Triage")  # g + this key shows the view


def _keys(*keys: Qt.Key) -> Callable[[RealDesk, int], None]:
    return lambda desk, _esc: act(desk.qtbot, desk.window, *keys)


def _reason(key: Qt.Key, text: str) -> Callable[[RealDesk, int], None]:
    def drive(desk: RealDesk, _esc: int) -> None:
        press(desk.qtbot, desk.window, key)
        answer(desk.qtbot, desk.window, prompt(desk.qtbot, desk.window).edit, text)
    return drive


def _duplicate(desk: RealDesk, esc: int) -> None:
    canonical = next(i for i in desk.view_ids() if i != esc)
    press(desk.qtbot, desk.window, Qt.Key.Key_2)
    picker = prompt(desk.qtbot, desk.window)
    desk.qtbot.keyClicks(picker.finder.edit, desk.external_id(canonical))
    desk.qtbot.keyClick(picker.finder.edit, Qt.Key.Key_Return)
    reason = prompt(desk.qtbot, desk.window, previous=picker)
    desk.qtbot.keyClick(reason.edit, Qt.Key.Key_2, ALT)  # "Same account"
    with desk.qtbot.waitSignal(desk.window.triage.applied, timeout=5000):
        desk.qtbot.keyClick(reason.edit, Qt.Key.Key_Return)


def _canonical_of(desk: RealDesk, esc: int) -> str:
    return desk.external_id(desk.cached(esc, "duplicate_of")[0])


def _pick(text: str, key: Qt.Key) -> Callable[[RealDesk, int], None]:
    def drive(desk: RealDesk, _esc: int) -> None:
        press(desk.qtbot, desk.window, key)
        answer(desk.qtbot, desk.window, prompt(desk.qtbot, desk.window).finder.edit, text)
    return drive


def _compose(key: Qt.Key, text: str, as_fact: bool = False
             ) -> Callable[[RealDesk, int], None]:
    def drive(desk: RealDesk, _esc: int) -> None:
        press(desk.qtbot, desk.window, key)
        composer = prompt(desk.qtbot, desk.window)
        if as_fact:  # its mnemonic, Alt+L (a button clicks a moment after its key)
            desk.qtbot.keyClick(composer.editor, Qt.Key.Key_L, ALT)
            desk.qtbot.waitUntil(composer.as_fact.isChecked)
        answer(desk.qtbot, desk.window, composer.editor, text, Qt.Key.Key_Return, CTRL)
    return drive


def _snooze(desk: RealDesk, _esc: int) -> None:
    press(desk.qtbot, desk.window, Qt.Key.Key_H)
    dialog = prompt(desk.qtbot, desk.window)
    desk.qtbot.keyClick(dialog.when, Qt.Key.Key_3, ALT)  # tomorrow
    desk.qtbot.keyClicks(dialog.reason, "Waiting for the partner")
    with desk.qtbot.waitSignal(desk.window.triage.applied, timeout=5000):
        desk.qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)


def _update(payload: dict[str, Any], base: dict[str, Any],
            context: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any],
                                                              dict[str, Any], dict[str, Any]]]:
    return [("update", payload, base, context or {})]


def _status(to: str, **context: Any) -> Case:
    return Case(lambda r: r["status"] == "new", lambda d, e: None,
                lambda d, e, b: _update({"status": to}, {"status": "new"}, context),
                lambda d, e, b: {"status": to, **context})


REASON = "Out of scope for Rapid Response"
ROSTER_PICK = "r.santos"  # Rafael Santos, on the service's roster
CASES: dict[str, Case] = {
    "accept": Case(lambda r: r["status"] == "new", _keys(Qt.Key.Key_1),
                   lambda d, e, b: _update({"status": "triaged"}, {"status": "new"}),
                   lambda d, e, b: {"status": "triaged"}),
    "decline": Case(lambda r: r["status"] == "new", _reason(Qt.Key.Key_3, REASON),
                    lambda d, e, b: _update({"status": "declined"}, {"status": "new"},
                                            {"status_reason": REASON}),
                    lambda d, e, b: {"status": "declined", "status_reason": REASON}),
    "mark-duplicate": Case(
        lambda r: r["status"] == "new", _duplicate,
        lambda d, e, b: _update({"status": "duplicate"}, {"status": "new"},
                                {"duplicate_of": _canonical_of(d, e),
                                 "status_reason": "Same account"}),
        lambda d, e, b: {"status": "duplicate", "duplicate_of": _canonical_of(d, e),
                         "status_reason": "Same account"}),
    "resolve": Case(lambda r: r["status"] == "new", _keys(Qt.Key.Key_E),
                    lambda d, e, b: _update({"status": "resolved"}, {"status": "new"}),
                    lambda d, e, b: {"status": "resolved"}),
    **{f"severity-{n}": Case(
        lambda r, n=n: r["severity"] != f"S{n}",
        _keys(Qt.Key.Key_S, getattr(Qt.Key, f"Key_{n}")),
        lambda d, e, b, n=n: _update({"severity": f"S{n}"}, {"severity": b["severity"]}),
        lambda d, e, b, n=n: {"severity": f"S{n}"}) for n in range(4)},
    **{f"urgency-{n}": Case(
        lambda r, n=n: r["urgency"] != f"U{n}",
        _keys(Qt.Key.Key_Y, getattr(Qt.Key, f"Key_{n}")),
        lambda d, e, b, n=n: _update({"urgency": f"U{n}"}, {"urgency": b["urgency"]}),
        lambda d, e, b, n=n: {"urgency": f"U{n}"}) for n in range(4)},
    "assign": Case(lambda r: r["assignee"] != ROSTER_PICK,
                   _pick("Rafael Santos", Qt.Key.Key_A),
                   lambda d, e, b: _update({"assignee": ROSTER_PICK},
                                           {"assignee": b["assignee"]}),
                   lambda d, e, b: {"assignee": ROSTER_PICK}),
    "assign-me": Case(lambda r: r["assignee"] != ME, _keys(Qt.Key.Key_I),
                      lambda d, e, b: _update({"assignee": ME}, {"assignee": b["assignee"]}),
                      lambda d, e, b: {"assignee": ME}),
    "unassign": Case(lambda r: r["assignee"] is not None and Status(r["status"]).is_open,
                     _pick("Unassigned", Qt.Key.Key_A),
                     lambda d, e, b: _update({"assignee": None}, {"assignee": b["assignee"]}),
                     lambda d, e, b: {"assignee": None}, view=(Qt.Key.Key_E, "All")),
    "tags-add": Case(lambda r: "needs-legal" not in r["tags"],
                     _reason(Qt.Key.Key_L, "+needs-legal"),
                     lambda d, e, b: _update({"tags": [*b["tags"], "needs-legal"]},
                                             {"tags": b["tags"]}),
                     lambda d, e, b: {"tags": [*b["tags"], "needs-legal"]}),
    "tags-remove": Case(lambda r: bool(r["tags"]),
                        lambda d, e: _reason(Qt.Key.Key_L,
                                             f"-{d.served(e)['tags'][0]}")(d, e),
                        lambda d, e, b: _update({"tags": b["tags"][1:]}, {"tags": b["tags"]}),
                        lambda d, e, b: {"tags": b["tags"][1:]}),
    "note": Case(lambda r: True, _compose(Qt.Key.Key_M, "Partner confirms the account"),
                 lambda d, e, b: [("note", {"text": "Partner confirms the account",
                                            "author": ME}, {}, {})]),
    "note-as-fact": Case(lambda r: True,
                         _compose(Qt.Key.Key_M, "Views passed 3M", as_fact=True),
                         lambda d, e, b: [("fact", {"text": "Views passed 3M",
                                                    "author": ME}, {}, {})]),
    "reply": Case(lambda r: True, _compose(Qt.Key.Key_R, "We removed the clip, thank you"),
                  lambda d, e, b: [("reply", {"text": "We removed the clip, thank you",
                                              "author": ME}, {}, {})]),
    "snooze": Case(lambda r: True, _snooze, lambda d, e, b: [],
                   local=("snoozed_until", lambda v: v is not None)),
    "move-queue": Case(lambda r: True, _pick("legal-review", Qt.Key.Key_V),
                       lambda d, e, b: [], local=("queue", lambda v: v == "legal-review")),
    "escalate-incident": Case(lambda r: True,
                              _pick("Typhoon misinformation wave", Qt.Key.Key_F),
                              lambda d, e, b: [], local=("incident_id",
                                                         lambda v: v is not None)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_field_changing_command_queues_exactly_its_change(real_desk: RealDesk,
                                                             name: str) -> None:
    desk, case = real_desk, CASES[name]
    key, title = case.view
    if desk.window.views.current.title != title:
        press(desk.qtbot, desk.window, Qt.Key.Key_G, key)
        desk.qtbot.waitUntil(lambda: desk.window.views.current.title == title, timeout=5000)
    esc = next((i for i in desk.view_ids() if case.suits(desk.served(i))), None)
    assert esc is not None, f"no escalation in {title} suits {name}"
    before = desk.served(esc)
    desk.select(esc)
    case.drive(desk, esc)
    queued = [(op.op_type, op.payload, op.base, op.context)
              for op in desk.outbox(esc)]
    assert queued == case.expect(desk, esc, before)
    assert {op.state for op in desk.outbox(esc)} <= {"pending"}
    if case.local is not None:
        column, check = case.local
        value = desk.cached(esc, column)[0]
        assert check(value), f"{column} = {value!r}"
    desk.synced_cleanly(desk.sync())
    after = desk.served(esc)
    if case.served is not None:
        wanted = case.served(desk, esc, before)
        assert {k: after[k] for k in wanted} == wanted
        assert len(desk.writes(esc)) == 1
    elif queued and queued[0][0] == "fact":
        assert [f["text"] for f in after["facts"]][-1:] == ["Views passed 3M"]
    elif queued:
        kind = queued[0][0]
        held = desk.service.notes(desk.external_id(esc)) if kind == "note" \
            else desk.service.replies(desk.external_id(esc))
        assert [(m["text"], m["author"]) for m in held][-1:] == [
            (queued[0][1]["text"], ME)]
    else:  # stays on this machine: the service received nothing
        assert desk.writes(esc) == [] and after == before
    assert {op.state for op in desk.outbox(esc)} <= {"done"}
