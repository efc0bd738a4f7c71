"""The Outbox & sync view (`g o`): per channel freshness and errors, queued changes,
conflicts with one-key resolution, and quarantined records with their raw payload.

Everything shown is plain text (channel errors and payloads are untrusted). The lists
are bounded (the newest 1,000 of each) and re-read when the view is shown or a sync or
resolution changed them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..store import incident_log
from ..store.channel_state import channel_statuses
from ..store.conflicts import OpenConflict, open_conflicts
from ..store.connections import raw_reader
from ..store.sync_overview import QuarantinedRecord, QueuedOp, quarantined, queued_ops
from ..store.timecodec import to_epoch, utcnow
from .status import describe, format_ago
from .text import break_long_lines, cap_for_display, format_time, one_line, reveal_invisibles


def _table(name: str, headers: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setWordWrap(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return table


def _fill(table: QTableWidget, rows: Sequence[Sequence[str]], keys: Sequence[Any]) -> None:
    table.setRowCount(len(rows))
    for r, (cells, key) in enumerate(zip(rows, keys, strict=True)):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(one_line(text))
            item.setData(Qt.ItemDataRole.UserRole, key)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
    if rows and table.currentRow() < 0:
        table.selectRow(0)


def _value(v: Any) -> str:
    if v is None:
        return "\u2014"
    if isinstance(v, list):
        return " ".join(str(x) for x in v) or "(none)"
    return str(v)


class SyncView(QWidget):
    """The page behind `g o`.

    Signals: resolve_requested(int, str): resolve conflict `id` with "mine" / "theirs" /
    "edit" (the window asks for the edited value and writes on a worker)."""

    resolve_requested = Signal(int, str)

    def __init__(self, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncView")
        self._conn: sqlite3.Connection | None = raw_reader(db_path)
        self.heading = QLabel("Outbox & sync")
        self.heading.setObjectName("viewTitle")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("syncTabs")
        self.channels = _table("syncChannels", ["Channel", "State", "Last success",
                                                "Queued", "Conflicts", "Refused",
                                                "Quarantined", "Last error"])
        self.conflicts = _table("syncConflicts", ["Escalation", "Field", "Base", "Mine",
                                                  "Theirs", "Channel", "Detected"])
        self.ops = _table("syncOps", ["#", "Channel", "Escalation", "Change", "State",
                                      "Attempts", "Next try", "Error"])
        self.quarantine = _table("syncQuarantine", ["Channel", "External id", "Reason",
                                                    "Received"])
        self.incident_events = _table("syncIncidentEvents", [
            "Incident", "Change", "State", "Attempts", "Made", "Error"])
        self.raw = QPlainTextEdit()
        self.raw.setObjectName("quarantineRaw")
        self.raw.setReadOnly(True)
        quarantine_page = QSplitter(Qt.Orientation.Vertical)
        quarantine_page.addWidget(self.quarantine)
        quarantine_page.addWidget(self.raw)
        self.tabs.addTab(self.channels, "Channels")
        self.tabs.addTab(self.conflicts, "Conflicts")
        self.tabs.addTab(self.ops, "Queued changes")
        self.tabs.addTab(quarantine_page, "Quarantined")
        self.tabs.addTab(self.incident_events, "Incident changes")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.heading)
        layout.addWidget(_hint())
        layout.addWidget(self.tabs, 1)
        self.quarantine.currentCellChanged.connect(lambda *_: self._show_raw())
        self._records: list[QuarantinedRecord] = []
        self._conflict_rows: list[OpenConflict] = []
        self._op_rows: list[QueuedOp] = []

    def close_db(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def refresh(self) -> None:
        if self._conn is None:
            return
        now = utcnow()
        now_s = to_epoch(now)
        statuses = channel_statuses(self._conn, now)
        _fill(self.channels, [
            (s.name, describe(s, now_s)[1],
             f"{format_ago(now_s - s.last_success_at)} ago" if s.last_success_at else "never",
             str(s.queued_ops), str(s.conflicts), str(s.dead_ops), str(s.quarantined),
             s.last_error or "") for s in statuses], [s.name for s in statuses])
        self._conflict_rows = open_conflicts(self._conn)
        _fill(self.conflicts, [
            (f"{k.external_id} {k.title}", k.field, _value(k.base), _value(k.mine),
             _value(k.theirs), k.channel, format_time(k.detected_at))
            for k in self._conflict_rows], [k.id for k in self._conflict_rows])
        self._op_rows = queued_ops(self._conn)
        _fill(self.ops, [
            (str(o.seq), o.channel, f"{o.external_id} {o.title}", o.summary, o.state,
             str(o.attempts), format_time(o.next_attempt_at) if o.next_attempt_at else "now",
             o.last_error or "") for o in self._op_rows], [o.seq for o in self._op_rows])
        self._records = quarantined(self._conn)
        _fill(self.quarantine, [
            (q.channel, q.external_id or "(no id)", q.reason, format_time(q.received_at))
            for q in self._records], [q.id for q in self._records])
        self.tabs.setTabText(1, f"Conflicts ({len(self._conflict_rows)})")
        self.tabs.setTabText(2, f"Queued changes ({len(self._op_rows)})")
        self.tabs.setTabText(3, f"Quarantined ({len(self._records)})")
        events = incident_log.queued(self._conn)
        _fill(self.incident_events, [
            (e.incident, e.kind.replace("_", " "),
             "waiting to send" if e.state == "pending" else "refused by the service",
             str(e.attempts), format_time(e.at), e.last_error) for e in events],
            [e.uid for e in events])
        self.tabs.setTabText(4, f"Incident changes ({len(events)})")
        self._show_raw()

    def current_conflict(self) -> OpenConflict | None:
        row = self.conflicts.currentRow()
        return self._conflict_rows[row] if 0 <= row < len(self._conflict_rows) else None

    def current_dead_op(self) -> QueuedOp | None:
        row = self.ops.currentRow()
        op = self._op_rows[row] if 0 <= row < len(self._op_rows) else None
        return op if op is not None and op.state == "dead" else None

    def current_raw(self) -> str | None:
        row = self.quarantine.currentRow()
        return self._records[row].raw if 0 <= row < len(self._records) else None

    def tables(self) -> list[QTableWidget]:
        return [self.channels, self.conflicts, self.ops, self.quarantine,
                self.incident_events]

    def step_tab(self, delta: int) -> None:
        """Ctrl+Tab / Ctrl+Shift+Tab: the next or previous tab, its list focused."""
        tabs = self.tabs
        tabs.setCurrentIndex((tabs.currentIndex() + delta) % tabs.count())
        page = tabs.currentWidget()
        target = self.quarantine if page.isAncestorOf(self.quarantine) else page
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def show_conflicts(self) -> None:
        self.tabs.setCurrentIndex(1)
        self.conflicts.setFocus()

    def _show_raw(self) -> None:
        raw = self.current_raw()
        if raw is None:
            self.raw.setPlainText("")
            return
        try:  # pretty-print JSON payloads; anything else is shown as it came
            raw = json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
        except (json.JSONDecodeError, RecursionError):
            pass
        shown, note = cap_for_display(raw)
        self.raw.setPlainText(break_long_lines(reveal_invisibles(shown))
                              + (f"\n{note}" if note else ""))


def _hint() -> QLabel:
    label = QLabel("Conflicts: m keep mine \u00b7 t take theirs \u00b7 e edit.  Queued: r retry "
                   "a refused change.  Quarantined: c copy the raw payload.  F5 syncs now; "
                   "g t goes back to triage.")
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setObjectName("viewHint")
    label.setWordWrap(True)
    return label
