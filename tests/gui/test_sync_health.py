"""Sync health you can't miss: each channel's state in the status bar (ok, syncing,
offline, failing, rate-limited until HH:MM, refused changes in red), a banner for a change
the source refused for good, and F5 always ending with a visible outcome."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.theme import load_stylesheet
from rr_desktop.store import channel_state as cs
from rr_desktop.store import outbox as ob
from rr_desktop.store.timecodec import from_epoch, to_epoch, utcnow
from rr_desktop.sync.engine import SyncProgress, SyncReport

from .conftest import FakeWorkspace
from .seed import write_elsewhere
from .test_triage_keys import press

SHOTS = Path("/tmp/rr-sync-health")


def label_of(window: MainWindow) -> tuple[str, str]:
    window.channels.refresh()
    label = window.channels.label("demo")
    assert label is not None
    return label.text(), str(label.property("state"))


def shoot(window: MainWindow, name: str) -> None:
    """The status bar as the analyst sees it, in the app's theme (looked at while writing
    these tests: green ok, red offline/failing/refused, amber rate-limited)."""
    window.statusBar().setStyleSheet(load_stylesheet())
    QApplication.processEvents()  # the label's new size is laid out first
    SHOTS.mkdir(exist_ok=True)
    window.statusBar().grab().save(str(SHOTS / f"{name}.png"))


def test_each_sync_state_reads_in_the_status_bar(qtbot: QtBot, window: MainWindow,
                                                 workspace: FakeWorkspace) -> None:
    now = utcnow()
    write_elsewhere(workspace.store, lambda db: cs.record_success(db, 1, now, None))
    assert label_of(window) == ("demo: synced 0 s ago", "ok")
    shoot(window, "ok")
    write_elsewhere(workspace.store, lambda db: cs.record_outcome(
        db, 1, cs.OFFLINE, now, "demo: cannot reach http://127.0.0.1:9 (ConnectionError)"))
    assert label_of(window) == ("demo: offline", "offline")
    shoot(window, "offline")
    write_elsewhere(workspace.store, lambda db: cs.record_outcome(
        db, 1, cs.FAILED, now, "demo: server error 503"))
    assert label_of(window) == ("demo: failing: server error 503", "error")
    shoot(window, "failing")
    until = to_epoch(now) + 600
    write_elsewhere(workspace.store, lambda db: cs.record_outcome(
        db, 1, cs.RATE_LIMITED, now, "demo: rate limited", until))
    hhmm = from_epoch(until).astimezone().strftime("%H:%M")
    assert label_of(window) == (f"demo: rate-limited until {hhmm}", "limited")
    shoot(window, "rate-limited")
    # A change the source refused for good turns the label red and counts it.
    esc = window.current_id()
    assert esc is not None

    def refused(db: sqlite3.Connection) -> None:
        cs.record_success(db, 1, now, None)
        ob.record_local_update(db, esc, {"status": "triaged"}, "aditi", None, now)
        db.execute("UPDATE outbox SET state = 'dead', last_error = 'demo: request refused "
                   "(422): status cannot go back'")

    write_elsewhere(workspace.store, refused)
    text, state = label_of(window)
    assert state == "refused" and text.endswith("1 refused")
    shoot(window, "refused")


def test_a_refused_change_raises_a_banner_naming_the_item(qtbot: QtBot, window: MainWindow,
                                                          workspace: FakeWorkspace) -> None:
    esc = window.current_id()
    assert esc is not None
    row = window.selection.row(esc)
    assert row is not None

    def refuse(_progress: Callable[[SyncProgress], None],
               _cancel: threading.Event) -> list[SyncReport]:
        def dead(db: sqlite3.Connection) -> None:
            ob.record_local_update(db, esc, {"status": "declined"}, "aditi", "spam", utcnow())
            db.execute("UPDATE outbox SET state = 'dead', last_error = 'demo: request "
                       "refused (422): declined needs a reason'")
        write_elsewhere(workspace.store, dead)
        return [SyncReport("demo", dead=1)]

    workspace.engine.step = refuse  # type: ignore[assignment]
    with qtbot.waitSignal(window.sync_reported, timeout=5000):
        window.sync_now()
    qtbot.waitUntil(window.banner.isVisible, timeout=3000)
    text = window.banner.message.text()
    assert row.title[:30] in text and "declined needs a reason" in text
    assert "refused" in window.statusBar().currentMessage()  # F5's outcome says so too
    SHOTS.mkdir(exist_ok=True)
    window.grab().save(str(SHOTS / "banner.png"))
    # Its button opens the Outbox & sync view; dismissing hides it.
    window.banner.act.click()
    assert window.pages.currentIndex() == 1
    window.banner.close_button.click()
    assert not window.banner.isVisible()
    # The same refusal is not announced again by the next sync.
    workspace.engine.step = lambda _p, _c: [SyncReport("demo")]  # type: ignore[assignment]
    with qtbot.waitSignal(window.sync_reported, timeout=5000):
        window.sync_now()
    assert not window.banner.isVisible()
    with workspace.store.read() as db:
        assert json.loads(db.execute("SELECT payload FROM outbox").fetchone()[0]) == {
            "status": "declined"}


def test_f5_always_ends_with_a_visible_outcome(qtbot: QtBot, window: MainWindow,
                                               workspace: FakeWorkspace) -> None:
    workspace.engine.step = lambda _p, _c: [SyncReport("demo")]  # type: ignore[assignment]
    with qtbot.waitSignal(window.sync_reported, timeout=5000):
        press(qtbot, window, Qt.Key.Key_F5)
    assert window.statusBar().currentMessage() == "Synced 1 channel: 0 changed, 0 sent"
    workspace.engine.step = lambda _p, _c: [  # type: ignore[assignment]
        SyncReport("demo", error="demo: cannot reach http://127.0.0.1:9", offline=True)]
    with qtbot.waitSignal(window.sync_reported, timeout=5000):
        press(qtbot, window, Qt.Key.Key_F5)
    assert window.statusBar().currentMessage() == \
        "demo: offline: cannot reach http://127.0.0.1:9"
    assert window.statusBar().property("level") == "error"


def test_an_offline_channel_raises_a_banner_until_it_is_back(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    """Offline is not only a label: a banner says the channel can't be reached, how many
    changes wait, and that they go once it is back; a good run takes it down."""
    esc = window.current_id()
    assert esc is not None
    write_elsewhere(workspace.store, lambda db: ob.record_local_update(
        db, esc, {"status": "triaged"}, "aditi", None, utcnow()))
    offline = [SyncReport("demo", error="demo: cannot reach http://127.0.0.1:9 "
                          "(ConnectionError)", offline=True)]
    workspace.engine.step = lambda _p, _c: offline  # type: ignore[assignment]
    for _ in range(2):  # a second failed run keeps one banner, not two
        with qtbot.waitSignal(window.sync_reported, timeout=5000):
            press(qtbot, window, Qt.Key.Key_F5)
    qtbot.waitUntil(window.banner.isVisible, timeout=3000)
    assert [p.key for p in window.banner.problems] == ["down:demo"]
    text = window.banner.message.text()
    assert text == ("demo is offline: cannot reach http://127.0.0.1:9 (ConnectionError). "
                    "1 change waits in the outbox and goes once it is back (F5 tries now).")
    assert window.banner.act.text() == "Sync details\u2026"
    SHOTS.mkdir(exist_ok=True)
    window.grab().save(str(SHOTS / "offline-banner.png"))
    workspace.engine.step = lambda _p, _c: [SyncReport("demo", pushed=1)]  # type: ignore[assignment]
    with qtbot.waitSignal(window.sync_reported, timeout=5000):
        press(qtbot, window, Qt.Key.Key_F5)
    assert not window.banner.isVisible() and window.banner.problems == []


def test_a_failing_channel_banner_names_the_reason(qtbot: QtBot, window: MainWindow,
                                                   workspace: FakeWorkspace) -> None:
    workspace.engine.step = lambda _p, _c: [  # type: ignore[assignment]
        SyncReport("demo", error="demo: the token was refused (401): check the credentials")]
    with qtbot.waitSignal(window.sync_reported, timeout=5000):
        window.sync_now()
    qtbot.waitUntil(window.banner.isVisible, timeout=3000)
    assert window.banner.message.text().startswith(
        "demo is failing: the token was refused (401): check the credentials. Your changes "
        "are kept")
    # Closed, it stays closed while the channel keeps failing (runs every 30 s) ...
    window.banner.close_button.click()
    with qtbot.waitSignal(window.sync_reported, timeout=5000):
        window.sync_now()
    assert not window.banner.isVisible()
    # ... and comes back when the channel recovers and then fails again.
    workspace.engine.step = lambda _p, _c: [SyncReport("demo")]  # type: ignore[assignment]
    with qtbot.waitSignal(window.sync_reported, timeout=5000):
        window.sync_now()
    workspace.engine.step = lambda _p, _c: [  # type: ignore[assignment]
        SyncReport("demo", error="demo: server error 503")]
    with qtbot.waitSignal(window.sync_reported, timeout=5000):
        window.sync_now()
    assert window.banner.isVisible() and "server error 503" in window.banner.message.text()
    # A rate limit is not a failure (the status bar says when it resumes): no banner.
    workspace.engine.step = lambda _p, _c: [  # type: ignore[assignment]
        SyncReport("demo", error="demo: rate limited", rate_limited_until=2_000_000_000)]
    with qtbot.waitSignal(window.sync_reported, timeout=5000):
        window.sync_now()
    assert window.banner.problems == []


def test_a_delivered_change_no_longer_reads_waiting_in_the_pane(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    """A sync that sends a queued reply changes no field, but the pane must stop saying
    it is waiting to sync (the delivery state is part of what it shows)."""
    esc = window.current_id()
    assert esc is not None
    write_elsewhere(workspace.store, lambda db: ob.record_message(
        db, esc, "reply", "We are looking into it.", "aditi", utcnow()))
    window.detail.refresh()
    assert "waiting to sync" in window.detail.text.toPlainText()

    def deliver(_progress: Callable[[SyncProgress], None],
                _cancel: threading.Event) -> list[SyncReport]:
        def done(db: sqlite3.Connection) -> None:
            (op,) = [o for o in ob.due_ops(db, 1, utcnow()) if o.escalation_id == esc]
            ob.mark_done(db, op, None, utcnow())
        write_elsewhere(workspace.store, done)
        return [SyncReport("demo", pushed=1, delivered_ids={esc})]

    workspace.engine.step = deliver  # type: ignore[assignment]
    with qtbot.waitSignal(window.sync_reported, timeout=5000):
        window.sync_now()
    qtbot.waitUntil(lambda: not window.detail.is_pending(), timeout=3000)
    text = window.detail.text.toPlainText()
    assert "We are looking into it." in text and "waiting to sync" not in text
