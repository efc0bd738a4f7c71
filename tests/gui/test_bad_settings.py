"""A hand-edited settings.json never stops the window from starting: values of the wrong
shape are reported in the status bar and the defaults are used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.keymap import COMMANDS
from rr_desktop.settings import SETTINGS_NAME
from rr_desktop.store.store import Store

from .conftest import FakeWorkspace


@pytest.mark.parametrize("keymap", [{"resolve": None}, {"resolve": 5}, {"accept": [None]}])
def test_window_starts_with_a_keymap_override_of_the_wrong_shape(
        qtbot: QtBot, store: Store, tmp_path: Path, keymap: dict[str, object]) -> None:
    (tmp_path / SETTINGS_NAME).write_text(json.dumps({"keymap": keymap, "me": "aditi"}),
                                          encoding="utf-8")
    win = MainWindow(FakeWorkspace(store, data_dir=tmp_path), sync_interval_s=None)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: "keymap" in win.statusBar().currentMessage().lower(),
                    timeout=3000)
    for name in ("resolve", "accept"):  # the defaults stay
        default = next(c for c in COMMANDS if c.name == name)
        assert win.commands.command(name).keys == default.keys
    win.shutdown()
