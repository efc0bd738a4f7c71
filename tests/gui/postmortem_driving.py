"""Driving the post-mortem screens of the real window (no network: a cached incident
made through the incident log, as an analyst on a plane has)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.postmortem_autosave import editor_text
from rr_desktop.gui.triage.prompts import PickPrompt
from rr_desktop.store import incident_log, postmortems
from rr_desktop.store.postmortems import Draft

from .driving import active, has_keyboard
from .seed import NOW, write_elsewhere

INCIDENT = "Blackout challenge spreading in Jakarta"


def declare_incident(window: MainWindow, title: str = INCIDENT) -> str:
    """A cached incident with a pinned fact and a stakeholder request; its uid."""

    def write(db: Any) -> str:
        _, uid = incident_log.declare(db, title, "budi", NOW - timedelta(hours=3),
                                      severity="S1", priority="P1", markets=["ID"])
        fact = incident_log.append(db, uid, "fact", "budi", NOW - timedelta(hours=2),
                                   {"text": "Sounds reused in 4,000 clips <img src=x>"})
        incident_log.append(db, uid, "pin", "budi", NOW - timedelta(hours=2),
                            {"fact": fact["uid"], "pinned": True})
        return uid

    return write_elsewhere(window.store, write)


def add_request(window: MainWindow, uid: str, question: str) -> None:
    write_elsewhere(window.store, lambda db: incident_log.append(
        db, uid, "request", "budi", NOW - timedelta(minutes=30),
        {"request": "r-" + str(abs(hash(question))), "function": "Legal",
         "asked_of": "ID counsel", "question": question, "due": "", "blocking": False}))


def draft(window: MainWindow, pm_id: int | None = None) -> Draft:
    pm = pm_id if pm_id is not None else window.postmortems.editor.pm_id
    assert pm is not None
    with window.store.read() as db:
        found = postmortems.get(db, pm)
    assert found is not None
    return found


def source(window: MainWindow) -> QWidget:
    return window.postmortems.editor.text


def text(window: MainWindow) -> str:
    return editor_text(window.postmortems.editor.text)


def chord(qtbot: QtBot, window: MainWindow, key: Qt.Key,
          modifier: Qt.KeyboardModifier, target: QWidget | None = None) -> None:
    """A Ctrl/Alt command key in the editor (or `target`) once it has the keyboard."""
    widget = target or source(window)
    qtbot.waitUntil(lambda: has_keyboard(window, widget))
    qtbot.keyClick(widget, key, modifier)


def picker(qtbot: QtBot, window: MainWindow, name: str) -> PickPrompt:
    qtbot.waitUntil(lambda: active(window.findChild(PickPrompt, name)))
    found = window.findChild(PickPrompt, name)
    assert isinstance(found, PickPrompt)
    return found


def pick(qtbot: QtBot, prompt: PickPrompt, typed: str) -> None:
    qtbot.keyClicks(prompt.finder.edit, typed)
    qtbot.keyClick(prompt.finder.edit, Qt.Key.Key_Return)


def create_postmortem(qtbot: QtBot, window: MainWindow, title: str = INCIDENT) -> int:
    """New post-mortem… (from the palette's command), the incident picked by typing."""
    window.commands.run("new-postmortem")
    pick(qtbot, picker(qtbot, window, "postmortemIncidentPicker"), title[:12])
    editor = window.postmortems.editor
    qtbot.waitUntil(lambda: editor.pm_id is not None and editor.isVisible()
                    and QApplication.focusWidget() is editor.text, timeout=5000)
    assert editor.pm_id is not None
    return editor.pm_id


def saved(qtbot: QtBot, window: MainWindow, needle: str, timeout: int = 6000) -> Draft:
    """Wait until the store's draft holds `needle` (an autosave landed)."""
    qtbot.waitUntil(lambda: needle in draft(window).text, timeout=timeout)
    return draft(window)
