"""Window state (geometry, split sizes, column layout, current view, detail pane shown):
not a preference, so it lives in Qt's QSettings (data dir/window.ini), apart from
settings.json (STYLE habit 9)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings

if TYPE_CHECKING:
    from .main_window import MainWindow

WINDOW_STATE_NAME = "window.ini"


def _qsettings(win: MainWindow) -> QSettings:
    return QSettings(str(win.data_dir / WINDOW_STATE_NAME), QSettings.Format.IniFormat)


def _private(win: MainWindow) -> None:
    """window.ini 0600 like everything in the data dir: Qt writes it with the process
    umask (0666 under umask 000), and keeps an existing file's mode when it rewrites it."""
    path = win.data_dir / WINDOW_STATE_NAME
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o777 != 0o600:
            os.chmod(path, 0o600)
        return
    os.fchmod(fd, 0o600)
    os.close(fd)


def save_window_state(win: MainWindow) -> None:
    try:
        _private(win)
    except OSError:  # a read-only data dir: Qt will not write it either
        pass
    qs = _qsettings(win)
    qs.setValue("geometry", win.saveGeometry())
    qs.setValue("splitter", win.splitter.saveState())
    qs.setValue("header", win.table.horizontalHeader().saveState())
    qs.setValue("view", win.views.current.title)
    qs.setValue("detail_visible", win.detail.isVisible())
    qs.sync()
    try:
        _private(win)  # in case Qt replaced the file rather than rewrote it
    except OSError:
        pass


def restore_window_state(win: MainWindow) -> None:
    """Apply what `save_window_state` kept; anything unreadable keeps the defaults."""
    qs = _qsettings(win)
    for key, restore in (("geometry", win.restoreGeometry),
                         ("splitter", win.splitter.restoreState),
                         ("header", win.table.horizontalHeader().restoreState)):
        value = qs.value(key)
        if isinstance(value, QByteArray):
            restore(value)
    if str(qs.value("detail_visible", "true")).lower() == "false":
        win.detail.hide()
    title = qs.value("view")
    if isinstance(title, str) and title != win.views.current.title:
        view = win.views.view_named(title)
        if view is not None:
            win.views.show_view(view)
