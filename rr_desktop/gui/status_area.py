"""The status bar's parts: each channel's health, the row count, who you are, a waiting
chord, the selection count, and the notifier's messages (coloured by how serious)."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from .identity import IdentityLabel
from .notifier import Level, Notice
from .status import ChannelStatusBar

log = logging.getLogger("rr_desktop.gui")


def _plain(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class StatusArea:
    """Fills a window's QStatusBar; `show_notice` is where the notifier's messages go."""

    def __init__(self, bar: QStatusBar, db_path: Path, parent: QWidget) -> None:
        self.bar = bar
        self.channels = ChannelStatusBar(db_path, parent)
        self.count = _plain("rowCount")
        self.identity = IdentityLabel()
        self.chord = _plain("chordHint")
        self.selection = _plain("selectionCount")
        for widget in (self.channels, self.count, self.identity, self.chord, self.selection):
            bar.addPermanentWidget(widget)
        bar.setSizeGripEnabled(False)

    def show_notice(self, notice: Notice) -> None:
        bar = self.bar
        if bar.property("level") != notice.level.value:
            bar.setProperty("level", notice.level.value)
            bar.style().unpolish(bar)
            bar.style().polish(bar)
        bar.showMessage(notice.text, notice.timeout_ms)
        if notice.level is Level.ERROR:
            log.info("shown to the analyst: %s", notice.text)

    def show_selection(self, count: int, marking: bool) -> None:
        marked = count > 1 or (count == 1 and marking)
        self.selection.setText(f"{count:,} selected" if marked else "")
