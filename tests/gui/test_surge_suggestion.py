"""The surge suggestion in the real main window: a generated burst arrives with a sync,
the banner offers to declare an incident, and the keys declare it through `f` (asserted
in the store), show the surge's escalations, or dismiss the suggestion until it grows."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from rr_desktop.domain import Escalation, PolicyCategory, Region, Status
from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.triage.prompts import PickPrompt
from rr_desktop.store.store import Store
from rr_desktop.store.surge import DISMISSED_KEY
from rr_desktop.sync.engine import SyncProgress, SyncReport

from .conftest import FakeWorkspace
from .driving import CTRL, SHIFT, press, prompt
from .seed import NOW, add, escalation

SURGE_MS = 10_000


def burst(count: int, start: int = 0, **fields: object) -> list[Escalation]:
    """`count` dangerous-challenge reports from Indonesia, one every 3 minutes."""
    out = []
    for n in range(start, start + count):
        created = NOW - timedelta(minutes=45 - 3 * n)
        out.append(escalation(
            9000 + n, external_id=f"SURGE-{n:03d}", title=f"Blackout challenge clip {n}",
            category=PolicyCategory.DANGEROUS_CHALLENGES, market="ID", region=Region.APAC,
            status=Status.NEW, created_at=created, updated_at=created, assignee=None,
            **fields))
    return out


def sync_in(qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace,
            records: list[Escalation], channel: str = "demo") -> list[int]:
    """A sync run that brings `records` (written by the sync's worker, as a real run
    does); returns their cache ids once the window has looked for surges again."""
    added: list[int] = []

    def step(_progress: Callable[[SyncProgress], None], _cancel: threading.Event
             ) -> list[SyncReport]:
        added.extend(add(workspace.store, records, channel))
        return [SyncReport(channel, changed=len(added), changed_ids=set(added))]

    workspace.engine.step = step
    with qtbot.waitSignal(window.surge.checked, timeout=SURGE_MS):
        window.sync_now()
    return added


def enter(qtbot: QtBot, window: MainWindow, picker: PickPrompt) -> Any:
    """Enter in the `f` picker; waits for the action's write and returns its result."""
    with qtbot.waitSignal(window.triage.applied, timeout=SURGE_MS) as blocker:
        qtbot.keyClick(picker.finder.edit, Qt.Key.Key_Return)
    return blocker.args[0]


def banner_text(window: MainWindow) -> str:
    return window.banner.message.text() if window.banner.isVisible() else ""


def linked(store: Store, ids: list[int]) -> dict[int, int | None]:
    with store.read() as db:
        return dict(db.execute(
            f"SELECT id, incident_id FROM escalation WHERE id IN ({','.join('?' * len(ids))})",
            ids).fetchall())


def test_a_burst_raises_the_banner_and_the_keys_declare_an_incident(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    assert window.surge.current is None and not window.banner.isVisible()
    ids = sync_in(qtbot, window, workspace, burst(10))
    text = banner_text(window)
    assert text.startswith("Surge: 10 dangerous challenges reports from ID in 27 min")
    assert text.endswith("\u2014 Declare an incident?")
    assert window.banner.act.text() == "Declare\u2026 (Ctrl+Shift+D)"
    assert window.banner.other.text() == "Show them (Ctrl+Shift+L)"

    press(qtbot, window, Qt.Key.Key_D, modifier=CTRL | SHIFT)
    picker = prompt(qtbot, window)
    assert isinstance(picker, PickPrompt)
    # The list shows exactly the surge, all of it selected; the title is suggested.
    assert sorted(window.model.cached_ids()) == sorted(ids)
    assert window.table.selected_count() == 10
    assert picker.finder.edit.text() == "Dangerous challenges surge in ID"
    result = enter(qtbot, window, picker)
    assert sorted(result.changed_ids) == sorted(ids)

    with workspace.store.read() as db:
        [(incident, title)] = db.execute("SELECT id, title FROM incident").fetchall()
        others = db.execute("SELECT count(*) FROM escalation WHERE incident_id IS NOT NULL "
                            "AND external_id NOT LIKE 'SURGE-%'").fetchone()[0]
    assert title == "Dangerous challenges surge in ID"
    assert linked(workspace.store, ids) == dict.fromkeys(ids, incident)
    assert others == 0
    # In an incident now: the suggestion goes away.
    qtbot.waitUntil(lambda: window.surge.current is None and not window.banner.isVisible(),
                    timeout=SURGE_MS)


def test_show_lists_the_surge_and_dismiss_holds_until_it_grows(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    ids = sync_in(qtbot, window, workspace, burst(8))
    assert banner_text(window).startswith("Surge: 8 dangerous challenges reports from ID")

    with qtbot.waitSignal(window.views.view_changed, timeout=SURGE_MS):
        press(qtbot, window, Qt.Key.Key_L, modifier=CTRL | SHIFT)
    assert sorted(window.model.cached_ids()) == sorted(ids)
    assert window.views.bar.search.text().startswith("id:")
    assert window.triage.prompt is None  # showing them starts nothing

    with qtbot.waitSignal(window.surge.checked, timeout=SURGE_MS) as seen:
        press(qtbot, window, Qt.Key.Key_X, modifier=CTRL | SHIFT)
    assert seen.args[0] is None and not window.banner.isVisible()
    with workspace.store.read() as db:
        assert db.execute("SELECT count(*) FROM store_meta WHERE key = ?",
                          (DISMISSED_KEY,)).fetchone()[0] == 1

    sync_in(qtbot, window, workspace, burst(2, start=8))  # not material: stays dismissed
    assert window.surge.current is None and not window.banner.isVisible()
    sync_in(qtbot, window, workspace, burst(3, start=10))  # +5 since dismissed: back
    assert banner_text(window).startswith("Surge: 13 dangerous challenges reports from ID")

    # The banner's own Dismiss button dismisses it the same way.
    with qtbot.waitSignal(window.surge.checked, timeout=SURGE_MS) as seen:
        qtbot.mouseClick(window.banner.close_button, Qt.MouseButton.LeftButton)
    assert seen.args[0] is None and not window.banner.isVisible()


def test_most_already_in_an_incident_offers_to_add_the_rest(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    ids = sync_in(qtbot, window, workspace, burst(8))
    press(qtbot, window, Qt.Key.Key_D, modifier=CTRL | SHIFT)
    picker = prompt(qtbot, window)
    enter(qtbot, window, picker)
    qtbot.waitUntil(lambda: window.surge.current is None, timeout=SURGE_MS)
    [incident] = set(linked(workspace.store, ids).values())

    late = sync_in(qtbot, window, workspace, burst(2, start=8))
    assert banner_text(window).endswith(f"\u2014 Add 2 more to incident #{incident}?")
    assert window.banner.act.text() == f"Add to #{incident}\u2026 (Ctrl+Shift+D)"
    press(qtbot, window, Qt.Key.Key_D, modifier=CTRL | SHIFT)
    picker = prompt(qtbot, window)
    assert picker.finder.shown_keys()[picker.finder.list.currentRow()] == str(incident)
    enter(qtbot, window, picker)
    assert linked(workspace.store, ids + late) == dict.fromkeys(ids + late, incident)


def test_hostile_urls_show_as_plain_text(qtbot: QtBot, window: MainWindow,
                                         workspace: FakeWorkspace) -> None:
    url = "https://evil.example/\u202egnp.exe\u0007/v/73012345678"
    first = NOW - timedelta(minutes=20)
    reports = [escalation(9100 + n, external_id=f"HOSTILE-{n}", body=f"Look: {url} now",
                          created_at=first, updated_at=first) for n in range(2)]
    sync_in(qtbot, window, workspace, reports[:1], "platform")
    sync_in(qtbot, window, workspace, reports[1:], "partner-desk")
    text = banner_text(window)
    assert "https://evil.example/[U+202E]gnp.exe[U+0007]/v/73012345678" in text
    assert "\u202e" not in text and "\u0007" not in text
    assert window.banner.message.textFormat() == Qt.TextFormat.PlainText
    press(qtbot, window, Qt.Key.Key_D, modifier=CTRL | SHIFT)
    picker = prompt(qtbot, window)
    assert "\u202e" not in picker.finder.edit.text()
    assert picker.finder.edit.text().startswith("Reports of https://evil.example/[U+202E]")
    picker.reject()
