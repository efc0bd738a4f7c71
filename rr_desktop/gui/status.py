"""The status bar's channel freshness: one label per channel (docs/domain.md, "The day")."""

from __future__ import annotations

import html
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from ..store.channel_state import ChannelStatus, channel_statuses
from ..store.connections import raw_reader
from ..store.timecodec import to_epoch, utcnow
from ..sync.engine import SyncProgress
from .text import format_time, one_line

REFRESH_MS = 2000
PROGRESS_REQUERY_S = 1.0  # while a sync reports progress, re-read counts at most this often
SOON_MS = 200  # after a write: re-read once the keys pause, not inside every action
ERROR_CHARS = 48


def format_ago(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def describe(status: ChannelStatus, now_s: int,
             live: SyncProgress | None = None) -> tuple[str, str, list[str]]:
    """(label text, state for the theme, tooltip lines) of one channel, all plain text.

    States: syncing, ok, offline (the source cannot be reached), error (the last run
    failed), limited (rate-limited until a time), refused (changes the source refused
    for good wait for the analyst), never. Refused changes and conflicts always show."""
    name = one_line(status.name)
    outcome = status.state(now_s)
    if live is not None and live.phase != "done":
        state = "syncing"
        text = f"{name}: syncing\u2026"
        if live.phase == "wait" and live.message:
            text = f"{name}: {one_line(live.message)}"
        elif live.items:
            text = f"{name}: syncing\u2026 {live.items:,} received"
    elif status.running:
        state, text = "syncing", f"{name}: syncing\u2026"
    elif outcome.startswith("rate-limited"):
        state, text = "limited", f"{name}: {outcome}"
    elif outcome.startswith("offline"):
        state, text = "offline", f"{name}: offline"
    elif outcome.startswith("failed"):
        reason = (status.last_error or "").removeprefix(f"{status.name}: ")
        state, text = "error", f"{name}: failing: {_short(reason)}"
    elif status.last_success_at:
        state = "ok"
        text = f"{name}: synced {format_ago(now_s - status.last_success_at)} ago"
    else:
        state, text = "never", f"{name}: not synced yet"
    extras = []
    if status.dead_ops:
        extras.append(f"{status.dead_ops} refused")
        if state in ("ok", "never", "limited"):
            state = "refused"
    if status.conflicts:
        extras.append(f"{status.conflicts} conflict{'s' if status.conflicts != 1 else ''}")
    if status.queued_ops:
        extras.append(f"{status.queued_ops} queued")
    if status.quarantined:
        extras.append(f"{status.quarantined} quarantined")
    if extras:
        text += "  \u00b7  " + ", ".join(extras)
    tip = [f"Channel {name} ({one_line(status.kind)}): {one_line(outcome)}"]
    if status.last_success_at:
        tip.append(f"Last successful sync: {format_time(status.last_success_at)}")
    if status.last_attempt_at:
        tip.append(f"Last attempt: {format_time(status.last_attempt_at)}")
    if status.last_error:
        tip.append(f"Last error: {one_line(status.last_error)}")
    if status.dead_ops:
        tip.append(f"{status.dead_ops} change(s) refused by the source: g o shows them, "
                   "r retries")
    tip.append("Click for details")
    return text, state, tip


def _short(error: str | None) -> str:
    text = one_line(error or "unknown error")
    return text if len(text) <= ERROR_CHARS else text[:ERROR_CHARS - 1] + "\u2026"


class ChannelLabel(QLabel):
    """One channel's freshness; plain text. Signals: clicked(str) with the channel name."""

    clicked = Signal(str)

    def __init__(self, channel: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.channel = channel
        self.setObjectName("channelStatus")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setProperty("state", "never")

    def show_state(self, text: str, state: str, tip: list[str]) -> None:
        if text != self.text():
            self.setText(text)
        self.setToolTip("<qt>" + "<br>".join(html.escape(t, quote=False) for t in tip)
                        + "</qt>")
        if self.property("state") != state:
            self.setProperty("state", state)
            self.style().unpolish(self)
            self.style().polish(self)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Qt override: a click asks for the channel's sync details."""
        self.clicked.emit(self.channel)
        event.accept()


class ChannelStatusBar(QWidget):
    """Labels for every channel, refreshed from the cache every 2 s (a cheap query on its
    own read connection) and at once on sync progress.

    Signals: details_requested(str): the analyst clicked a channel's label.
    """

    details_requested = Signal(str)

    def __init__(self, db_path: Path, parent: QWidget | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(parent)
        self._conn: sqlite3.Connection | None = raw_reader(db_path)
        self._clock = clock
        self._labels: dict[str, ChannelLabel] = {}
        self._live: dict[str, SyncProgress] = {}
        self.statuses: list[ChannelStatus] = []
        self._queried = 0.0
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(16)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(SOON_MS)
        self._soon.timeout.connect(self.refresh)
        self.refresh()

    def close_db(self) -> None:
        self._timer.stop()
        self._soon.stop()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def label(self, channel: str) -> ChannelLabel | None:
        return self._labels.get(channel)

    def on_progress(self, progress: SyncProgress) -> None:
        """The engine syncs channels one after another: news from one channel means any
        other is done (progress is coalesced, so its own "done" may never arrive)."""
        self._live = {} if progress.phase == "done" else {progress.channel: progress}
        if self.statuses and time.monotonic() - self._queried < PROGRESS_REQUERY_S:
            self._render(to_epoch(self._clock()))  # labels only: no query per progress tick
        else:
            self.refresh()

    def sync_ended(self) -> None:
        self._live.clear()
        self.refresh()

    def refresh_soon(self) -> None:
        """A write changed the outbox: re-read the counts shortly, once for a burst of
        actions (a query per key would sit in every action's path to the screen)."""
        self._soon.start()

    def refresh(self) -> None:
        self._soon.stop()
        if self._conn is None:
            return
        now = self._clock()
        self.statuses = channel_statuses(self._conn, now)
        self._queried = time.monotonic()
        self._render(to_epoch(now))

    def _render(self, now_s: int) -> None:
        seen = set()
        for status in self.statuses:
            seen.add(status.name)
            label = self._labels.get(status.name)
            if label is None:
                label = ChannelLabel(status.name, self)
                label.clicked.connect(self.details_requested)
                self._labels[status.name] = label
                self._layout.addWidget(label)
            label.show_state(*describe(status, now_s, self._live.get(status.name)))
        for name in set(self._labels) - seen:
            self._labels.pop(name).deleteLater()
