"""The detail pane: everything about one escalation, as plain text only.

Untrusted text (title, body, reporter, facts, tags, URLs) never reaches a rich-text
widget: labels are `Qt.TextFormat.PlainText` and the body sits in a read-only
QPlainTextEdit filled through QTextCursor.insertText (literal text; headings get a bold
character format, never markup). Invisible and bidi characters are shown as [U+XXXX].
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from ...domain import Priority, Severity, Urgency
from ...domain.sla import SlaClock, SlaState
from ...store.connections import raw_reader
from ...store.triage_queries import EscalationDetail, escalation_detail
from ..safe_html import SafeHtmlView
from ..text import (
    break_long_lines,
    cap_for_display,
    format_duration,
    format_market_time,
    format_time,
    one_line,
    plural,
    reveal_invisibles,
    zone_name,
)

_TIME_FIELDS = ("created_at", "updated_at", "synced_at", "deadline_at", "priority_raised_at",
                "snoozed_until", "acknowledged_at", "contained_at", "resolved_at",
                "sla_paused_at", "sla_due_at", "sla_risk_at")
# The order fields are listed in; anything else the schema grows is listed after them.
_FIELD_ORDER = ("external_id", "channel", "status", "severity", "urgency", "priority",
                "category", "market", "region", "language", "reporter", "reporter_type",
                "assignee", "tags", "deadline_at", "views", "shares", "content_url",
                "incident_id", "created_at", "updated_at", "synced_at", "remote_version",
                "priority_raised_at", "snoozed_until")
PREFETCH_CAP = 16
RENDER_DELAY_MS = 25
_HIDDEN_FIELDS = frozenset({"id", "channel_id", "title", "body", "payload_hash"})


def plain_label(object_name: str, wrap: bool = True) -> QLabel:
    """A QLabel that can never render markup, selectable with the mouse."""
    label = QLabel()
    label.setObjectName(object_name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


# Deadlines are kept by the market's clock: shown on it too.
_DEADLINE_FIELDS = frozenset({"deadline_at", "sla_due_at", "sla_risk_at", "snoozed_until"})


def field_text(name: str, value: Any, market: str = "") -> str:
    """One field's value as a line of plain text (times in the analyst's zone; deadlines
    on the market's clock too)."""
    if value is None or value == "":
        return "\u2014"
    if name in _TIME_FIELDS:
        shown = format_time(int(value))
        local = format_market_time(int(value), market) if name in _DEADLINE_FIELDS \
            and market else None
        return f"{shown} ({local})" if local else shown
    if name == "severity":
        return Severity(int(value)).label
    if name == "urgency":
        return Urgency(int(value)).label
    if name == "priority":
        return Priority(int(value)).name
    if name in ("status", "reporter_type", "category"):
        return one_line(str(value)).replace("_", " ")
    if name == "sla_paused_s":
        return format_duration(int(value))
    if name in ("views", "shares"):
        return f"{int(value):,}"
    return one_line(str(value))


_MET_VERB = {"acknowledge": "acknowledged", "contain": "contained", "resolve": "resolved"}


def _clock_line(clock: SlaClock, market: str = "") -> str:
    kind = clock.kind.value.replace("_", " ")
    state = clock.state.value.replace("_", " ")
    if clock.state is SlaState.PAUSED:
        return f"{kind}: paused while waiting (the clock has stopped)"
    if clock.met:
        verb = _MET_VERB[clock.kind.value]
        if clock.state is SlaState.BREACHED:  # a target met late is a breach
            return f"{kind}: BREACHED, {verb} {format_duration(-clock.remaining_s)} late"
        return f"{kind}: met, {verb} with {format_duration(clock.remaining_s)} to spare"
    due = field_text("sla_due_at", int(clock.due_at.timestamp()), market) \
        if clock.due_at else "\u2014"
    if clock.remaining_s < 0:
        return f"{kind}: BREACHED {format_duration(-clock.remaining_s)} ago (due {due})"
    return f"{kind}: {state}, {format_duration(clock.remaining_s)} left (due {due})"


class DetailPane(QWidget):
    """Shows one escalation (`show_escalation(id)`), read on its own connection.

    Signals: shown(int): an escalation was rendered (its id; -1 for none or missing).
    """

    shown = Signal(int)

    def __init__(self, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailPane")
        self._conn: sqlite3.Connection | None = raw_reader(db_path)
        self._esc_id: int | None = None
        self.title = plain_label("detailTitle")
        self.meta = plain_label("detailMeta")
        self.why = plain_label("detailPriority")
        self.text = QPlainTextEdit()
        self.text.setObjectName("detailText")
        self.text.setReadOnly(True)
        self.text.setUndoRedoEnabled(False)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        # The body as the source formatted it (mail, feeds), when it did: the one SafeHtml
        # path (sanitized, nothing fetched, links only after a confirmation).
        self.formatted = SafeHtmlView()
        self.formatted.setObjectName("detailFormattedBody")
        self.formatted.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 6)
        layout.setSpacing(4)
        for widget in (self.title, self.meta, self.why):
            layout.addWidget(widget)
        layout.addSpacing(4)
        layout.addWidget(self.formatted, 2)
        layout.addWidget(self.text, 3)
        self.setFocusProxy(self.text)
        # Coalesces j/k bursts (key repeat is ~30/s): the table repaints at once, the
        # detail follows when the keys pause, from prefetched data.
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(RENDER_DELAY_MS)
        self._soon.timeout.connect(lambda: self.show_escalation(self._next_id))
        self._next_id: int | None = None
        self._prefetched: OrderedDict[int, EscalationDetail] = OrderedDict()
        self._prefetch_ids: list[int] = []
        self._prefetch_timer = QTimer(self)  # one read per idle turn of the event loop
        self._prefetch_timer.setSingleShot(True)
        self._prefetch_timer.setInterval(5)
        self._prefetch_timer.timeout.connect(self._prefetch_one)
        self._heading = QTextCharFormat()
        self._heading.setFontWeight(QFont.Weight.Bold)
        self.show_escalation(None)

    @property
    def escalation_id(self) -> int | None:
        return self._esc_id

    def close_db(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def target_id(self) -> int | None:
        """The escalation the pane is showing or about to show (a render is pending)."""
        return self._next_id if self._soon.isActive() else self._esc_id

    def refresh(self) -> None:
        """Re-read the escalation the pane shows, or is about to show, now."""
        target = self.target_id
        self.forget({i for i in (target, self._esc_id) if i is not None})
        self.show_escalation(target)

    def refresh_soon(self) -> None:
        """Re-read what the pane shows (or is about to show) once the table has
        repainted: never the escalation shown before a move that is still to render."""
        target = self.target_id
        self.forget({i for i in (target, self._esc_id) if i is not None})
        if target is not None:
            self.show_escalation_soon(target)

    def show_escalation_soon(self, esc_id: int | None) -> None:
        """Render `esc_id` once control returns to the event loop: the table repaints its
        new current row first, and only the last of a burst of j/k presses is rendered."""
        self._next_id = esc_id
        self._soon.start()

    def add_footer(self, widget: QWidget) -> None:
        """Put a widget under the text (the duplicate suggestions)."""
        layout = self.layout()
        if layout is not None:
            layout.addWidget(widget)

    def prefetch(self, ids: list[int]) -> None:
        """Read the details of the next items when idle, so j renders from memory."""
        self._prefetch_ids = [i for i in ids if i not in self._prefetched]
        if self._prefetch_ids:
            self._prefetch_timer.start()

    def forget(self, ids: set[int] | frozenset[int]) -> None:
        """Drop prefetched details of escalations that changed."""
        for esc_id in ids:
            self._prefetched.pop(esc_id, None)

    def _prefetch_one(self) -> None:
        if not self._prefetch_ids or self._conn is None:
            return
        esc_id = self._prefetch_ids.pop(0)
        detail = escalation_detail(self._conn, esc_id)
        if detail is not None:
            self._prefetched[esc_id] = detail
            while len(self._prefetched) > PREFETCH_CAP:
                self._prefetched.popitem(last=False)
        if self._prefetch_ids:
            self._prefetch_timer.start()

    def is_pending(self) -> bool:
        return self._soon.isActive()

    def show_escalation(self, esc_id: int | None) -> None:
        """Render escalation `esc_id` now (None: an empty pane)."""
        self._soon.stop()
        self._next_id = esc_id
        self._esc_id = esc_id
        detail = None
        if esc_id is not None:
            detail = self._prefetched.pop(esc_id, None)
            if detail is None and self._conn is not None:
                detail = escalation_detail(self._conn, esc_id)
        if detail is None:
            self.title.setText("No escalation selected" if esc_id is None
                               else "This escalation is no longer in the cache")
            self.meta.clear()
            self.why.clear()
            self.text.clear()
            self._show_formatted(None)
            self.shown.emit(-1)
            return
        self._render(detail)
        self.shown.emit(esc_id)

    def _show_formatted(self, html: str | None) -> None:
        if html:
            shown, _note = cap_for_display(html)
            self.formatted.set_untrusted_html(shown)
            self.formatted.show()
        elif not self.formatted.isHidden():
            self.formatted.clear()
            self.formatted.hide()

    def _render(self, d: EscalationDetail) -> None:
        f = d.fields
        self.title.setText(one_line(str(f.get("title", ""))))
        severity, urgency = Severity(int(f["severity"])), Urgency(int(f["urgency"]))
        status = str(f["status"]).replace("_", " ")
        parts = [severity.label, urgency.label, status, field_text("market", f.get("market")),
                 field_text("channel", f.get("channel")),
                 field_text("external_id", f.get("external_id"))]
        if f.get("assignee"):
            parts.append(f"assigned to {one_line(str(f['assignee']))}")
        self.meta.setText("  \u00b7  ".join(parts))
        priority = Priority(int(f["priority"]))
        reasons = "; ".join(one_line(r) for r in d.priority_reasons) or "no reasons recorded"
        self.why.setText(f"{priority.name} because {reasons}")

        body, note = cap_for_display(str(f.get("body") or ""))
        blocks: list[str] = []  # one per line of the document
        headings: list[int] = []  # blocks that get the bold heading format

        def section(title: str) -> None:
            if blocks:
                blocks.append("")
            headings.append(len(blocks))
            blocks.append(title)

        def text(value: str, indent: str = "") -> None:
            """Untrusted or written text, every line of it, invisibles revealed."""
            for line in break_long_lines(reveal_invisibles(value)).split("\n"):
                blocks.append(indent + line)

        self._show_formatted(d.body_html)
        section("Body (as plain text; formatted above)" if d.body_html else "Body")
        text(body or "(empty)")
        if note:
            blocks.append(note)
        if d.sla:
            section("SLA clocks")
            blocks.extend(_clock_line(clock, str(f.get("market") or "")) for clock in d.sla)
        if d.incident is not None:
            section("Incident")
            blocks.append(f"#{d.incident.id} {one_line(d.incident.title)} "
                          f"({d.incident.status.replace('_', ' ')})")
        if d.linked:
            section(f"Linked ({len(d.linked) + d.linked_more})")
            for item in d.linked:
                what = "duplicate of" if item.relation == "canonical" else "duplicate"
                blocks.append(f"{what}: {one_line(item.external_id)} {one_line(item.title)} "
                              f"[{item.channel}, {item.status.replace('_', ' ')}]")
            if d.linked_more:
                blocks.append(f"\u2026 and {d.linked_more} more duplicates")
        if d.pending_ops or d.open_conflicts:
            section("Sync")
            if d.pending_ops:
                blocks.append(f"{plural(d.pending_ops, 'local change')} waiting to sync")
            if d.open_conflicts:
                blocks.append(f"{plural(d.open_conflicts, 'conflict')} with the source")
        section(f"Facts ({len(d.facts)})")
        for at, fact in sorted(d.facts):
            text(f"{format_time(at)}  {fact}")
        if not d.facts:
            blocks.append("none yet")
        section(f"Timeline ({len(d.timeline)})")
        for e in d.timeline:
            first, _, rest = e.sentence().partition("\n")
            state = e.delivery_text()
            text(f"{format_time(e.at)}  {first}" + (f" \u2014 {state}" if state else ""))
            if rest:
                text(rest, "    ")
        if not d.timeline:
            blocks.append("no changes recorded")
        section("Fields")
        market = str(f.get("market") or "")
        blocks.append(f"(times in your zone, {zone_name()}; deadlines also on the "
                      f"market's clock)")
        names = [n for n in _FIELD_ORDER if n in f]
        names += sorted(n for n in f if n not in _FIELD_ORDER and n not in _HIDDEN_FIELDS)
        blocks.extend(f"{name.replace('_', ' ')}: {field_text(name, f[name], market)}"
                      for name in names)
        # One setPlainText (literal text, never markup) then bold headings: ~10x cheaper
        # than inserting line by line, which relayouts the document on every insert.
        self.text.setPlainText("\n".join(blocks))
        doc = self.text.document()
        for number in headings:
            cursor = QTextCursor(doc.findBlockByNumber(number))
            cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock,
                                QTextCursor.MoveMode.KeepAnchor)
            cursor.setCharFormat(self._heading)
