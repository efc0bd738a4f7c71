"""Every key is a registered command: no widget defines a shortcut of its own, and a new
triage action class reaches the keys, the palette, the `?` overlay and the README table
without any other change."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import QApplication, QMenu, QWidget
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.palette import CommandPalette, ShortcutOverlay
from rr_desktop.keymap import Mode, all_commands, keymap_markdown
from rr_desktop.store.actions import ACTION_TYPES, ActionCommand, Plan, Skip, TriageAction

from .conftest import FakeWorkspace
from .test_triage_keys import active, press

GUI = Path(__file__).parents[2] / "rr_desktop" / "gui"
OWN_KEYS = re.compile(r"QShortcut\(|\.setShortcuts?\(|def keyPressEvent|installEventFilter"
                      r"|def eventFilter")


def test_no_gui_module_binds_keys_outside_the_registry() -> None:
    offenders = [f"{path.relative_to(GUI)}:{n}"
                 for path in GUI.rglob("*.py")
                 if "forms" not in path.parts and path.name != "commands.py"
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if OWN_KEYS.search(line)]
    assert offenders == []


def _key_owners(window: MainWindow) -> tuple[list[str], list[str]]:
    """QShortcut objects anywhere, and actions with keys that are not commands."""
    shortcuts: list[str] = []
    foreign: list[str] = []
    for top in QApplication.topLevelWidgets():
        for sc in top.findChildren(QShortcut):
            shortcuts.append(f"{type(top).__name__}: {sc.key().toString()}")
        for widget in [top, *top.findChildren(QWidget)]:
            for action in widget.actions():
                if action.shortcuts() and not action.objectName().startswith("command-"):
                    foreign.append(f"{type(widget).__name__}: {action.text()}")
    return shortcuts, foreign


def test_open_dialogs_have_no_keys_of_their_own(qtbot: QtBot, window: MainWindow) -> None:
    # A picker (assign), a prompt with presets (snooze), the composer (from the detail
    # pane), the palette: each is open while the widget tree is inspected.
    for keys, target in (([Qt.Key.Key_A], None), ([Qt.Key.Key_H], None)):
        press(qtbot, window, *keys, target=target)
        qtbot.waitUntil(lambda: active(window.triage.prompt))
        assert _key_owners(window) == ([], [])
        window.triage.prompt.reject()  # type: ignore[union-attr]
        qtbot.waitUntil(lambda: window.triage.prompt is None)
    window.commands.run("palette")
    qtbot.waitUntil(lambda: window.findChild(CommandPalette) is not None)
    assert _key_owners(window) == ([], [])


def test_a_snooze_preset_is_a_registered_key(qtbot: QtBot, window: MainWindow) -> None:
    press(qtbot, window, Qt.Key.Key_H)
    qtbot.waitUntil(lambda: active(window.triage.prompt))
    snooze = window.triage.prompt
    qtbot.keyClick(snooze.when, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)  # type: ignore[union-attr]
    assert snooze.when.text() == "tomorrow"  # type: ignore[union-attr]
    assert any(c.name == "preset-3" and Mode.PROMPT in c.modes
               for c in window.commands.commands())
    snooze.reject()  # type: ignore[union-attr]


@dataclass(frozen=True, slots=True)
class FlagForReview(TriageAction):
    """A made-up action: tag for the lead's review (the test's new action class)."""

    kind = "flag"
    pushes = ("tags",)
    commands = (ActionCommand("flag-for-review", "Flag for review", ("Shift+F",),
                              "Tag the escalation for the lead's review"),)

    @classmethod
    def build(cls, values: Mapping[str, Any]) -> TriageAction:
        return cls()

    def plan(self, cur: Mapping[str, Any], esc_id: int, prepared: int | None) -> Plan | Skip:
        tags = str(cur["tags"] or "").split()
        if "review" in tags:
            return Skip(True, "already flagged")
        return Plan(edits={"tags": [*tags, "review"]}, done="flagged")

    def describe(self, n: int) -> tuple[str, str]:
        return f"flag {n} for review", f"Flagged {n} for review"


def test_a_new_action_class_is_registered_everywhere(qtbot: QtBot,
                                                     workspace: FakeWorkspace) -> None:
    actions = (*ACTION_TYPES, FlagForReview)
    assert "| `Shift+F` | Flag for review | list, detail |" in keymap_markdown(
        all_commands(actions))
    win = MainWindow(workspace, sync_interval_s=None, actions=actions)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    try:
        assert win.commands.command("flag-for-review").menu == "Triage"
        menu_texts = [a.text() for menu in win.menuBar().findChildren(QMenu)
                      for a in menu.actions()]
        assert "Flag for review\tShift+F" in menu_texts  # the menu shows the key too
        palette = CommandPalette(win.commands, win)
        assert "flag-for-review" in palette.finder.shown_keys()
        overlay = ShortcutOverlay(win.commands, Mode.LIST, win)
        assert "Flag for review" in overlay.shown_commands()
        palette.deleteLater()
        overlay.deleteLater()
        # And its key works like any other action's.
        win.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
        win.table.setFocus()
        qtbot.waitUntil(win.table.hasFocus)
        esc = win.current_id()
        with qtbot.waitSignal(win.triage.applied, timeout=5000):
            qtbot.keyClick(win.table, Qt.Key.Key_F, Qt.KeyboardModifier.ShiftModifier)
        with workspace.store.read() as db:
            payload = db.execute("SELECT payload FROM outbox WHERE escalation_id = ?",
                                 (esc,)).fetchone()[0]
        assert "review" in json.loads(payload)["tags"]
    finally:
        win.shutdown()
