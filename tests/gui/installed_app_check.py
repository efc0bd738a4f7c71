"""Run by an INSTALLED rr-desktop's python (tests/gui/test_wheel_install.py), never by
pytest: builds the main window offscreen on an empty data dir (no demo channel), then opens
every dialog under rr_desktop/gui/ that is built from a Designer form, and prints one JSON
report on its last line of stdout. It asserts nothing itself; the test does.

    python -I installed_app_check.py DATA_DIR

Dialogs are found, not listed: every QDialog subclass in an rr_desktop.gui module whose
class (or a base class of ours) calls `load_form(...)`. Their constructor arguments are
found by the names in their annotations among the window's and the workspace's services
(Store, JobRunner, ...), so a new dialog needs no change here unless it asks for a kind of
value nothing in the window holds.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import os
import pkgutil
import re
import sys
import time
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QDialog, QWidget

# The offscreen plugin's own limits (as in tests/conftest.py), not the app's warnings.
IGNORED_QT = (re.compile(r"This plugin does not support propagateSizeHints\(\)"),
              re.compile(r"This plugin does not support raise\(\)"))


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}")


def form_dialogs() -> list[type[QDialog]]:
    """QDialog subclasses defined under rr_desktop.gui that build themselves from a form."""
    import rr_desktop.gui as gui

    found: list[type[QDialog]] = []
    for info in pkgutil.walk_packages(gui.__path__, "rr_desktop.gui."):
        if info.name.startswith("rr_desktop.gui.forms"):
            continue
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if not (isinstance(cls, type) and issubclass(cls, QDialog)
                    and cls.__module__ == module.__name__):
                continue
            ours = [c for c in cls.__mro__ if c.__module__.startswith("rr_desktop.")]
            if any("load_form(" in inspect.getsource(c) for c in ours):
                found.append(cls)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def services(*roots: object) -> list[object]:
    """The roots and the objects they hold, two levels deep (the window's store, its job
    runner, ...), nearest first; plain values (paths, text, numbers) are not services."""
    out: list[object] = []
    seen: set[int] = set()
    frontier = list(roots)
    for _depth in range(3):
        next_frontier: list[object] = []
        for obj in frontier:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if type(obj).__module__.startswith(("rr_desktop.", "PySide6.")):
                out.append(obj)
            attrs = getattr(obj, "__dict__", None)
            if isinstance(attrs, dict):
                next_frontier.extend(v for v in attrs.values() if v is not None)
        frontier = next_frontier
    return out


def argument(param: inspect.Parameter, pool: list[object], values: dict[str, Any]) -> Any:
    """A service of the window for a parameter typed with its class (the parent, the
    store, the job runner); for a required one, else a plain value; else its default."""
    annotation = str(param.annotation)
    names = [n.strip() for n in re.split(r"[|\[\],]", annotation) if n.strip()]
    for name in names:
        for obj in pool:
            if any(c.__name__ == name for c in type(obj).__mro__):
                return obj
    if param.default is not inspect.Parameter.empty:
        return param.default
    for name in names:
        if values.get(name) is not None:
            return values[name]
    raise LookupError(f"no value for parameter {param.name!r}: {annotation}")


def build(cls: type[QDialog], pool: list[object], values: dict[str, Any]) -> QDialog:
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return cls(**{p.name: argument(p, pool, values) for p in params
                  if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)})


def pixel(widget: QWidget) -> str:
    return QColor(widget.grab().toImage().pixel(2, 2)).name()


def wait_until(app: QApplication, condition: Any, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        app.processEvents()
        time.sleep(0.01)
    return True


def main(data_dir: Path) -> dict[str, Any]:
    qt_warnings: list[str] = []

    def on_qt_message(kind: QtMsgType, _context: object, message: str) -> None:
        if kind != QtMsgType.QtDebugMsg and not any(p.search(message) for p in IGNORED_QT):
            qt_warnings.append(message)

    qInstallMessageHandler(on_qt_message)
    logged = Recorder()
    logging.getLogger().addHandler(logged)

    import rr_desktop
    from rr_desktop import locations
    from rr_desktop.domain import Analyst, PolicyCategory, Severity, Urgency
    from rr_desktop.domain.roster_profile import AnalystProfile
    from rr_desktop.gui import forms
    from rr_desktop.gui.app import make_app
    from rr_desktop.gui.main_window import MainWindow
    from rr_desktop.store import channel_state, manual
    from rr_desktop.workspace import Workspace

    compiled_at_run_time: list[str] = []
    real_compile = forms.compile_form

    def compile_spy(source: Path, out: Path) -> Path:
        compiled_at_run_time.append(str(source))
        return real_compile(source, out)

    forms.compile_form = compile_spy  # type: ignore[assignment]

    report: dict[str, Any] = {
        "package_file": rr_desktop.__file__, "prefix": sys.prefix,
        "source_checkout": str(locations.source_checkout()),
        "resources_dir": str(locations.resources_dir()),
        "forms": forms.form_names(),
    }
    # Playbooks, overlays and the stakeholder directory are package data read with
    # PyYAML, a runtime dependency: both must be there in an installed app.
    from rr_desktop.playbooks import load_directory, load_library

    library = load_library(data_dir)
    directory = load_directory(data_dir, library)
    report["playbooks"] = sorted(library.playbooks)
    report["overlays"] = sorted(library.overlays)
    report["stakeholders"] = len(directory.stakeholders)
    report["playbook_problems"] = [str(p) for p in (*library.problems, *directory.problems)]
    workspace = Workspace.open(data_dir, demo=False, check=False)
    now = datetime.now(UTC)
    with workspace.store.write() as db:
        # A typed-in escalation: a row in the table and a channel for the sync dialog.
        manual.create_escalation(db, manual.ManualDraft(
            "Wheel smoke", "", "SG", Severity.S2, Urgency.U2, PolicyCategory.OTHER),
            "smoke", now)
    with workspace.store.read() as db:
        statuses = channel_state.channel_statuses(db, now)
    app = make_app(["rr-desktop"])
    window = MainWindow(workspace)
    window.show()
    wait_until(app, window.isVisible)
    try:
        theme = files("rr_desktop").joinpath("resources", "theme.qss").read_text("utf-8")
    except OSError as exc:
        theme, report["theme_error"] = "", str(exc)
    report.update(theme_chars=len(theme), stylesheet_is_theme=app.styleSheet() == theme,
                  icon=not app.windowIcon().isNull())

    pool = services(window, workspace)
    values: dict[str, Any] = {"Path": data_dir, "str": "",
                              "ChannelStatus": statuses[0] if statuses else None,
                              "Analyst": Analyst("smoke", "Smoke Test"),
                              "AnalystProfile": AnalystProfile()}
    opened: list[dict[str, Any]] = []
    for cls in form_dialogs():
        entry: dict[str, Any] = {"dialog": f"{cls.__module__}.{cls.__qualname__}"}
        opened.append(entry)
        try:
            dialog = build(cls, pool, values)
            dialog.open()
            entry["visible"] = wait_until(app, dialog.isVisible)
            ui = getattr(dialog, "ui", None)
            entry["form_module"] = type(ui).__module__ if ui is not None else None
            entry["background"] = pixel(dialog)
            dialog.reject()
            wait_until(app, lambda d=dialog: not d.isVisible())
        except Exception as exc:  # reported, so every dialog gets its line
            entry["error"] = f"{type(exc).__name__}: {exc}"
    report.update(dialogs=opened, window_background=pixel(window),
                  compiled_at_run_time=compiled_at_run_time)
    # The same first dialog without the theme: what "not themed" looks like here.
    app.setStyleSheet("")
    dialogs = [cls for cls, entry in zip(form_dialogs(), opened, strict=True)
               if "error" not in entry]
    if dialogs:
        dialog = build(dialogs[0], pool, values)
        dialog.open()
        wait_until(app, dialog.isVisible)
        report["unthemed_background"] = pixel(dialog)
        dialog.reject()
    window.shutdown()
    window.close()
    workspace.close()
    app.processEvents()
    report.update(qt_warnings=qt_warnings, log_warnings=logged.lines)
    return report


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))), flush=True)
