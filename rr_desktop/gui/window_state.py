"""Window state (geometry, split sizes, column layout, current view, detail pane shown):
not a preference, so it lives in Qt's QSettings (data dir/window.ini), apart from
settings.json (STYLE habit 9)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView, QMainWindow, QSplitter

WINDOW_STATE_NAME = "window.ini"


@dataclass(frozen=True, slots=True)
class SavedState:
    """What the window applies itself after the widgets were restored."""

    view_title: str | None
    detail_visible: bool


def _qsettings(data_dir: Path) -> QSettings:
    return QSettings(str(data_dir / WINDOW_STATE_NAME), QSettings.Format.IniFormat)


def _private(data_dir: Path) -> None:
    """window.ini 0600 like everything in the data dir: Qt writes it with the process
    umask (0666 under umask 000), and keeps an existing file's mode when it rewrites it."""
    path = data_dir / WINDOW_STATE_NAME
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o777 != 0o600:
            os.chmod(path, 0o600)
        return
    os.fchmod(fd, 0o600)
    os.close(fd)


def save_window_state(data_dir: Path, window: QMainWindow, splitter: QSplitter,
                      header: QHeaderView, view_title: str, detail_visible: bool) -> None:
    try:
        _private(data_dir)
    except OSError:  # a read-only data dir: Qt will not write it either
        pass
    qs = _qsettings(data_dir)
    qs.setValue("geometry", window.saveGeometry())
    qs.setValue("splitter", splitter.saveState())
    qs.setValue("header", header.saveState())
    qs.setValue("view", view_title)
    qs.setValue("detail_visible", detail_visible)
    qs.sync()
    try:
        _private(data_dir)  # in case Qt replaced the file rather than rewrote it
    except OSError:
        pass


def restore_window_state(data_dir: Path, window: QMainWindow, splitter: QSplitter,
                         header: QHeaderView) -> SavedState:
    """Apply what `save_window_state` kept; anything unreadable keeps the defaults."""
    qs = _qsettings(data_dir)
    for key, restore in (("geometry", window.restoreGeometry),
                         ("splitter", splitter.restoreState),
                         ("header", header.restoreState)):
        value = qs.value(key)
        if isinstance(value, QByteArray):
            restore(value)
    title = qs.value("view")
    return SavedState(title if isinstance(title, str) else None,
                      str(qs.value("detail_visible", "true")).lower() != "false")
