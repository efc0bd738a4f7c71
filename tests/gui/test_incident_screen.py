"""The incident list (`g i`) and the incident screen on the real window, from the keyboard:
group escalations into an incident from triage, open it, log and pin a fact, move its
status, take a role, run a playbook step, ask a blocking request that is overdue; what
the analyst sees and what the incident's event log holds. Also a conflict from two
machines resolved by keeping mine, and hostile text shown as plain text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from rr_desktop.domain.sla import SlaState
from rr_desktop.gui import theme
from rr_desktop.gui.incident_timeline import fact_uid
from rr_desktop.gui.main_window import MainWindow
from rr_desktop.keymap import Mode
from rr_desktop.store import incident_log

from .conftest import FakeWorkspace
from .driving import CTRL, active, export_to, press, prompt
from .seed import ME, write_elsewhere

TITLE = "Jakarta flood misinformation wave"
# The team's own playbook, in the data dir as a user would keep it (docs/playbooks.md):
# the real library reads it beside the bundled ones.
PLAYBOOK = """\
id: misinfo-wave
title: Misinformation wave
steps:
  - id: scope
    title: Scope the narrative
    role: commander
    minutes: 15
  - id: notify
    title: Notify the regulator
    role: liaison
    minutes: 30
    evidence: [receipt]
clocks:
  - id: reg
    title: Regulator notice
    hours: 1
    starts: declared
  - id: after
    title: Follow-up report
    hours: 72
    starts: step:notify
    legal_confirm: false
"""


@pytest.fixture(autouse=True)
def playbooks(workspace: FakeWorkspace) -> None:
    assert workspace.data_dir is not None
    folder = workspace.data_dir / "playbooks"
    folder.mkdir(exist_ok=True)
    (folder / "misinfo-wave.yaml").write_text(PLAYBOOK, encoding="utf-8")


def ask(qtbot: QtBot, window: MainWindow, previous: Any = None) -> Any:
    """The incident screen's prompt that is open and has the keyboard."""
    actions = window.incidents.actions
    qtbot.waitUntil(lambda: actions.prompt is not None and actions.prompt is not previous
                    and active(actions.prompt))
    return actions.prompt


def answer(qtbot: QtBot, window: MainWindow, text: str, previous: Any = None) -> Any:
    dialog = ask(qtbot, window, previous)
    edit = dialog.finder.edit if hasattr(dialog, "finder") else dialog.edit
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    return dialog


def key_then_answers(qtbot: QtBot, window: MainWindow, key: Any, *answers: str) -> None:
    """Press `key` on the incident screen, answer its prompts, wait for the re-read."""
    view = window.incidents.view
    with qtbot.waitSignal(view.refreshed, timeout=5000):
        press(qtbot, window, key, target=focused(window))
        previous = None
        for text in answers:
            previous = answer(qtbot, window, text, previous)


def focused(window: MainWindow) -> QWidget:
    return window.incidents.view.current_section().table


def stored(ws: FakeWorkspace, uid: str) -> Any:
    with ws.store.read() as db:
        return incident_log.state(db, uid)


def open_incident(qtbot: QtBot, window: MainWindow, title: str) -> str:
    """g i, then Enter on the incident titled `title`; its uid."""
    screens = window.incidents
    shown = window.pages.currentWidget()
    press(qtbot, window, "gi", target=screens.list.table if shown is screens.list else None)
    qtbot.waitUntil(lambda: any(r[0] == title for r in screens.list.section.texts()))
    assert window.pages.currentWidget() is screens.list
    while screens.list.section.texts()[screens.list.table.currentRow()][0] != title:
        press(qtbot, window, "j", target=screens.list.table)
    with qtbot.waitSignal(screens.view.refreshed, timeout=5000) as opened:
        press(qtbot, window, Qt.Key.Key_Return, target=screens.list.table)
    assert window.pages.currentWidget() is screens.view
    return str(opened.args[0])


def test_incident_journey_from_triage_to_an_overdue_request(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    first, second = window.model.id_at(0), window.model.id_at(1)
    press(qtbot, window, "xjx")
    press(qtbot, window, Qt.Key.Key_F)
    dialog = prompt(qtbot, window)
    qtbot.keyClicks(dialog.finder.edit, TITLE)
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(dialog.finder.edit, Qt.Key.Key_Return)

    screens = window.incidents
    uid = open_incident(qtbot, window, TITLE)
    listed = next(r for r in screens.list.section.texts() if r[0] == TITLE)
    assert listed[1:4] == ["active", "S2", "P2"] and listed[5] == "2"
    view = screens.view
    assert view.header.title.text() == TITLE
    assert "Status: active" in view.header.fields.text()
    assert len(view.links.texts()) == 2
    assert window.commands.current_mode() is Mode.INCIDENT
    assert "Time to detect" in view.header.metrics.text() and \
        "contain \u2014" in view.header.metrics.text()

    key_then_answers(qtbot, window, "m", "Hoax video reposted by 40 accounts")
    assert any(r[4] == "Hoax video reposted by 40 accounts" for r in view.timeline.texts())
    state = view.state
    while fact_uid(view.timeline.current_key(), state) is None:
        press(qtbot, window, "j", target=view.timeline.table)
    key_then_answers(qtbot, window, "p")
    assert view.timeline.texts()[0][3].endswith("pinned")
    assert view.timeline.texts()[0][4] == "Hoax video reposted by 40 accounts"

    key_then_answers(qtbot, window, "s", "contained")
    assert "Status: contained" in view.header.fields.text()
    assert "contained " in view.header.stages.text()
    assert "contain \u2014" not in view.header.metrics.text()

    key_then_answers(qtbot, window, "o", "take commander")
    assert f"Commander: {ME} (since" in view.header.roles.text()

    key_then_answers(qtbot, window, "b", "misinfo")
    assert [r[1] for r in view.checklist.texts()] == ["Scope the narrative",
                                                      "Notify the regulator"]
    press(qtbot, window, Qt.Key.Key_Tab, target=view.timeline.table)
    qtbot.waitUntil(view.checklist.table.hasFocus)
    press(qtbot, window, "j", target=view.checklist.table)
    key_then_answers(qtbot, window, Qt.Key.Key_Space)
    assert view.checklist.texts()[1][0].startswith("\u2713")
    assert any(r[4] == "done: Notify the regulator" for r in view.timeline.texts())
    clocks = view.checklist.clocks.texts()
    assert clocks[0][3].endswith("left") and "Legal confirms" in clocks[0][0]
    assert clocks[1][3].endswith("left")  # started by the tick

    key_then_answers(qtbot, window, "q", "Legal", "Ana Lim",
                     "Can we share the takedown list?", "2020-01-01T00:00Z", "Blocking")
    row = view.requests.texts()[0]
    assert row[0] == "Legal" and row[1] == "Ana Lim"
    assert row[4].startswith("\u2716 OVERDUE") and "BLOCKING" in row[5]
    assert view.requests.table.item(0, 4).foreground().color() == \
        theme.SLA_FG[SlaState.BREACHED]
    assert "1 overdue" in view.requests.heading.text()
    # the directory offers who to ask: APAC Legal covers ID (its region), with contacts
    press(qtbot, window, "q", target=focused(window))
    function = answer(qtbot, window, "Legal")
    picker = ask(qtbot, window, function)
    offered = [picker.finder.list.item(i).text() for i in range(picker.finder.list.count())]
    assert offered[0].startswith("APAC Legal - Trust & Safety")
    assert "legal-apac-ts@trust.example.com" in offered[0]
    previous = answer(qtbot, window, "APAC Legal", function)
    with qtbot.waitSignal(view.refreshed, timeout=5000):
        for text in ("Is the Kominfo order binding?", "4", "Not blocking"):
            previous = answer(qtbot, window, text, previous)
    qtbot.waitUntil(lambda: len(stored(workspace, uid).requests) == 2)
    assert stored(workspace, uid).requests[1].asked_of == "APAC Legal - Trust & Safety"

    s = stored(workspace, uid)
    assert s.title == TITLE and s.status == "contained" and "contained" in s.stage_times
    assert [f.pinned for f in s.facts] == [True]
    assert s.holders("commander") == [ME]
    assert [st.done for st in s.runs[0].steps] == [False, True]
    req = s.requests[0]
    assert req.blocking and req.overdue(datetime.now(UTC)) and req.function == "Legal"
    with workspace.store.read() as db:
        members = {r[0] for r in db.execute(
            "SELECT id FROM escalation WHERE incident_id = ?",
            (incident_log.id_of(db, uid),))}
    assert members == {first, second} and len(s.links) == 2

    # x unlinks the selected linked escalation; the escalation leaves the incident
    for _ in range(3):
        press(qtbot, window, Qt.Key.Key_Tab, target=focused(window))
    qtbot.waitUntil(view.links.table.hasFocus)
    key_then_answers(qtbot, window, "x")
    assert len(view.links.texts()) == 1 and len(stored(workspace, uid).links) == 1


def test_a_statutory_clock_at_risk_and_breached(qtbot: QtBot, window: MainWindow,
                                                workspace: FakeWorkspace) -> None:
    uid = write_elsewhere(workspace.store, lambda db: incident_log.declare(
        db, "Clock test", ME, datetime.now(UTC) - timedelta(minutes=50))[1])
    open_incident(qtbot, window, "Clock test")
    key_then_answers(qtbot, window, "b", "misinfo")
    view = window.incidents.view
    row = view.checklist.clocks.texts()[0]
    assert row[3].startswith("\u26a0 ")  # 10 of 60 minutes left: at risk
    assert view.checklist.clocks.table.item(0, 3).foreground().color() == \
        theme.SLA_FG[SlaState.AT_RISK]
    window.ctx.clock = lambda: datetime.now(UTC) + timedelta(hours=1)
    view.show_now()
    assert view.checklist.clocks.texts()[0][3].startswith("\u2716 breached")
    assert stored(workspace, uid).runs[0].playbook == "misinfo-wave"


def test_a_conflict_shows_and_keep_mine_resolves_it(qtbot: QtBot, window: MainWindow,
                                                    workspace: FakeWorkspace) -> None:
    now = datetime.now(UTC)

    def two_machines(db: Any) -> str:
        _, uid = incident_log.declare(db, "Election deepfake", ME, now)
        base = incident_log.state(db, uid).head("severity")
        incident_log.append(db, uid, "set", ME, now, {"field": "severity", "value": "S1"},
                            base)
        incident_log.append(db, uid, "set", "b.lee", now,
                            {"field": "severity", "value": "S0"}, base)
        return uid

    uid = write_elsewhere(workspace.store, two_machines)
    assert stored(workspace, uid).conflicts
    open_incident(qtbot, window, "Election deepfake")
    listed = next(r for r in window.incidents.list.section.texts()
                  if r[0] == "Election deepfake")
    assert listed[7] == "\u26a0 severity"
    view = window.incidents.view
    assert view.header.conflicts.isVisible()
    assert "CONFLICT on severity: S1" in view.header.conflicts.text()
    assert "S0 (b.lee" in view.header.conflicts.text()
    key_then_answers(qtbot, window, "r", "keep mine")
    assert not view.header.conflicts.isVisible()
    s = stored(workspace, uid)
    assert s.conflicts == [] and s.severity == "S1"
    assert "Severity S1" in view.header.fields.text()
    assert "S1 (" in view.header.history.text()


def test_hostile_text_in_a_fact_is_plain_text(qtbot: QtBot, window: MainWindow,
                                              workspace: FakeWorkspace) -> None:
    hostile = "<b>bold</b><img src=x onerror=alert(1)> \u202eevil"
    write_elsewhere(workspace.store, lambda db: incident_log.declare(
        db, "<i>Title</i>", ME, datetime.now(UTC)))
    open_incident(qtbot, window, "<i>Title</i>")
    view = window.incidents.view
    assert view.header.title.text() == "<i>Title</i>"
    assert view.header.title.textFormat() == Qt.TextFormat.PlainText
    key_then_answers(qtbot, window, "m", hostile.replace("\u202e", ""))
    shown = [r[4] for r in view.timeline.texts() if r[2] == "fact"]
    assert shown == ["<b>bold</b><img src=x onerror=alert(1)> evil"]


def test_declare_from_the_list_and_open_a_linked_escalation_in_triage(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    screens = window.incidents
    press(qtbot, window, "gi")
    qtbot.waitUntil(lambda: window.pages.currentWidget() is screens.list)
    with qtbot.waitSignal(screens.list.refreshed, timeout=5000):
        press(qtbot, window, "c", target=screens.list.table)
        answer(qtbot, window, "Typhoon scam ads")
    qtbot.waitUntil(lambda: screens.list.section.current_key() is not None and
                    screens.list.section.texts()[screens.list.table.currentRow()][0]
                    == "Typhoon scam ads")
    with workspace.store.read() as db:
        assert db.execute("SELECT status, created_by FROM incident WHERE title = ?",
                          ("Typhoon scam ads",)).fetchone() == ("active", ME)

    esc = window.model.id_at(3)
    assert esc is not None
    press(qtbot, window, "gt", target=screens.list.table)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is not screens.list)
    window.select_id(esc)
    press(qtbot, window, Qt.Key.Key_F)
    dialog = prompt(qtbot, window)
    qtbot.keyClicks(dialog.finder.edit, "Typhoon scam ads")
    with qtbot.waitSignal(window.triage.applied, timeout=5000):
        qtbot.keyClick(dialog.finder.edit, Qt.Key.Key_Return)
    open_incident(qtbot, window, "Typhoon scam ads")
    view = screens.view
    assert len(view.links.texts()) == 1
    press(qtbot, window, Qt.Key.Key_Tab, modifier=Qt.KeyboardModifier.ShiftModifier,
          target=view.timeline.table)
    qtbot.waitUntil(view.links.table.hasFocus)
    press(qtbot, window, Qt.Key.Key_Return, target=view.links.table)
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 0 and window.current_id() == esc)


def test_severity_priority_evidence_answer_and_containment_keys(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    now = datetime.now(UTC)

    def seeded(db: Any) -> str:
        _, uid = incident_log.declare(db, "Second", ME, now - timedelta(hours=1))
        incident_log.declare(db, "First", ME, now)
        incident_log.append(db, uid, "request", "b.lee", now, {
            "request": "r1", "function": "Comms", "asked_of": "Press desk",
            "question": "Statement ready?", "due": "", "blocking": False})
        return uid

    uid = write_elsewhere(workspace.store, seeded)
    screens = window.incidents
    press(qtbot, window, "gi")
    qtbot.waitUntil(lambda: [r[0] for r in screens.list.section.texts()][:2]
                    == ["First", "Second"])
    press(qtbot, window, "j", target=screens.list.table)
    press(qtbot, window, "k", target=screens.list.table)
    assert screens.list.table.currentRow() == 0
    assert open_incident(qtbot, window, "Second") == uid
    view = screens.view

    key_then_answers(qtbot, window, "v", "S0")
    key_then_answers(qtbot, window, "y", "P0")
    assert "Severity S0" in view.header.fields.text() and "Priority P0" in \
        view.header.fields.text()
    assert view.header.history.text().startswith("Severity: S2 (declared) \u2192 S0 (")

    key_then_answers(qtbot, window, "b", "misinfo")
    view.focus_section(1)
    press(qtbot, window, "j", target=view.checklist.table)
    press(qtbot, window, "k", target=view.checklist.table)
    key_then_answers(qtbot, window, "e", "evidence", "ticket REG-42")
    assert view.checklist.texts()[0][5] == "ticket REG-42"

    view.focus_section(2)
    key_then_answers(qtbot, window, "a", "Statement at 15:00")
    assert view.requests.texts()[0][6:] == ["answered", "Statement at 15:00"]

    view.focus_section(3)
    key_then_answers(qtbot, window, "n", "Geo-block the hoax video in ID")
    assert view.containment.texts()[0][0] == "planned"
    key_then_answers(qtbot, window, "d")
    assert view.containment.texts()[0][0] == "done"

    s = stored(workspace, uid)
    assert (s.severity, s.priority) == ("S0", "P0")
    assert s.runs[0].steps[0].evidence_text == "ticket REG-42"
    assert s.requests[0].status == "answered" and s.containment[0].state == "done"

    press(qtbot, window, "u", target=view.containment.table)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is screens.list)
    press(qtbot, window, Qt.Key.Key_Return, target=screens.list.table)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is view)
    press(qtbot, window, Qt.Key.Key_Escape, target=view.timeline.table)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is screens.list)


def test_w_drafts_a_sitrep_and_recording_it_puts_it_on_the_timeline(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    now = datetime.now(UTC)

    def seeded(db: Any) -> str:
        _, uid = incident_log.declare(db, "Typhoon evacuation hoax", ME, now, markets=["PH"])
        incident_log.append(db, uid, "fact", ME, now, {"text": "Hoax video at 2M views"})
        return uid

    uid = write_elsewhere(workspace.store, seeded)
    press(qtbot, window, "gi")
    assert open_incident(qtbot, window, "Typhoon evacuation hoax") == uid
    actions = window.incidents.actions
    press(qtbot, window, "w", target=window.incidents.view.timeline.table)
    dialog = ask(qtbot, window)
    assert "Typhoon evacuation hoax" in dialog.windowTitle()
    assert "Hoax video at 2M views" in dialog.text()
    dialog.editor.setPlainText("Conditions: hoax contained in PH.\nActions: geo-block.\n"
                               "Needs: Comms statement.")
    dialog.editor.setFocus()
    qtbot.waitUntil(dialog.editor.hasFocus)
    qtbot.keyClick(dialog.editor, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: bool(stored(workspace, uid).sitreps))
    [sitrep] = stored(workspace, uid).sitreps
    assert (sitrep.audience, sitrep.actor) == ("team", ME)
    assert sitrep.text.startswith("Conditions: hoax contained in PH.")
    qtbot.waitUntil(lambda: actions.prompt is None)
    qtbot.waitUntil(lambda: any("team sitrep sent" in " ".join(r)
                                for r in window.incidents.view.timeline.texts()))


def test_shift_p_writes_the_incidents_post_mortem_offline(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    now = datetime.now(UTC)
    uid = write_elsewhere(workspace.store, lambda db: incident_log.declare(
        db, "Doxxing of a streamer", ME, now, markets=["KR"])[1])
    press(qtbot, window, "gi")
    assert open_incident(qtbot, window, "Doxxing of a streamer") == uid
    press(qtbot, window, Qt.Key.Key_P, target=focused(window),
          modifier=Qt.KeyboardModifier.ShiftModifier)
    editor = window.postmortems.editor
    qtbot.waitUntil(lambda: window.pages.currentWidget() is editor, timeout=5000)
    with workspace.store.read() as db:
        assert db.execute("SELECT incident_uid FROM postmortem").fetchall() == [(uid,)]
    qtbot.waitUntil(lambda: "Doxxing of a streamer" in editor.text.toPlainText())


def test_the_incident_list_exports_what_it_shows(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    write_elsewhere(workspace.store, lambda db: [
        incident_log.declare(db, title, ME, now, severity=sev, markets=["JP"])
        for title, sev in (("Stalking ring =HYPERLINK(\"x\")", "S1"), ("Spam wave", "S3"))])
    screens = window.incidents
    press(qtbot, window, "gi")
    qtbot.waitUntil(lambda: len(screens.list.section.texts()) == 2)
    qtbot.waitUntil(screens.list.table.hasFocus)
    out = tmp_path / "incidents.xlsx"
    export_to(qtbot, window, out, screens.list.table)
    sheet = load_workbook(out).active
    assert sheet is not None
    rows = [["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)]
    table = screens.list.table
    assert rows[0] == [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert rows[1:] == screens.list.section.texts()
    assert sheet.title == "incidents"
