"""Window state (geometry, split sizes, column layout, current view, detail pane shown):
not a preference, so it lives in Qt's QSettings (data dir/window.ini), apart from
settings.json (STYLE habit 9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings

if TYPE_CHECKING:
    from .main_window import MainWindow


def _qsettings(win: MainWindow) -> QSettings:
    return QSettings(str(win.data_dir / "window.ini"), QSettings.Format.IniFormat)


def save_window_state(win: MainWindow) -> None:
    qs = _qsettings(win)
    qs.setValue("geometry", win.saveGeometry())
    qs.setValue("splitter", win.splitter.saveState())
    qs.setValue("header", win.table.horizontalHeader().saveState())
    qs.setValue("view", win.views.current.title)
    qs.setValue("detail_visible", win.detail.isVisible())
    qs.sync()


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
