"""Window state (geometry, split sizes, column layout, current view, detail pane shown):
not a preference, so it lives in Qt's QSettings (data dir/window.ini), apart from
settings.json (STYLE habit 9)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView, QMainWindow, QSplitter

WINDOW_INI = "window.ini"


@dataclass(frozen=True, slots=True)
class SavedState:
    """What the window applies itself after the widgets were restored."""

    view_title: str | None
    detail_visible: bool


def _qsettings(data_dir: Path) -> QSettings:
    return QSettings(str(data_dir / WINDOW_INI), QSettings.Format.IniFormat)


def save_window_state(data_dir: Path, window: QMainWindow, splitter: QSplitter,
                      header: QHeaderView, view_title: str, detail_visible: bool) -> None:
    qs = _qsettings(data_dir)
    qs.setValue("geometry", window.saveGeometry())
    qs.setValue("splitter", splitter.saveState())
    qs.setValue("header", header.saveState())
    qs.setValue("view", view_title)
    qs.setValue("detail_visible", detail_visible)
    qs.sync()


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
