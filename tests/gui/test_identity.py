"""Who the analyst is comes from the roster or their own choice, never the OS login: asked
at first start, kept in settings, shown in the status bar, used by `i` and as the author."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.settings import load_settings
from rr_desktop.store.store import Store

from .conftest import FakeWorkspace
from .test_triage_keys import active, press


def test_first_start_asks_who_you_are_from_the_roster(qtbot: QtBot, store: Store,
                                                      tmp_path: Path) -> None:
    assert load_settings(tmp_path).me == ""  # a fresh data dir: nobody chosen yet
    win = MainWindow(FakeWorkspace(store, data_dir=tmp_path), sync_interval_s=None)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    try:
        qtbot.waitUntil(lambda: active(win.identity.prompt), timeout=5000)
        chooser = win.identity.prompt
        assert chooser is not None
        assert set(chooser.finder.shown_keys()) == {"aditi", "budi", "chen", "maria"}
        assert win.identity_label.text() == "You: not chosen yet"
        chooser.reject()  # later: a change asks first, and writes nothing meanwhile
        qtbot.waitUntil(lambda: win.identity.prompt is None)
        win.activateWindow()
        win.table.setFocus()
        press(qtbot, win, Qt.Key.Key_1)
        qtbot.waitUntil(lambda: active(win.identity.prompt), timeout=5000)
        with store.read() as db:
            assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
        chooser = win.identity.prompt
        assert chooser is not None
        qtbot.keyClicks(chooser.finder.edit, "santoso")
        qtbot.keyClick(chooser.finder.edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: win.me == "budi")
        assert json.loads((tmp_path / "settings.json").read_text())["me"] == "budi"
        assert win.identity_label.text() == "You: Budi Santoso (budi)"
        win.activateWindow()
        win.table.setFocus()
        esc = win.current_id()
        with qtbot.waitSignal(win.triage.applied, timeout=5000):
            press(qtbot, win, Qt.Key.Key_I)
        with store.read() as db:
            assert db.execute("SELECT assignee FROM escalation WHERE id = ?",
                              (esc,)).fetchone() == ("budi",)
            actors = {r[0] for r in db.execute("SELECT actor FROM audit_log WHERE "
                                                "action LIKE 'triage.%'")}
        assert actors == {"budi"}
    finally:
        win.shutdown()
