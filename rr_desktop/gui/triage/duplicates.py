"""Possible duplicates of the escalation shown: a plain-text list with the reasons.

`DuplicateList` shows `DuplicateSuggestion`s (rr_desktop/store/duplicates.py) and emits
`activated(id)` when the analyst opens one (double-click or Enter). `show_for(id)` looks
the suggestions up through the job helper on a connection of its own (a look-up takes
tens of milliseconds at 1M cached escalations: never on the GUI thread).

Titles, channel names and reasons are untrusted: they go into item-view text (never rich
text) after `one_line`, and tooltips through `plain_tooltip`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...store.connections import raw_reader
from ...store.duplicates import DuplicateSuggestion, suggest_duplicates
from ..jobs import JobRunner
from ..text import one_line, plain_tooltip

log = logging.getLogger("rr_desktop.gui")

ID_ROLE = Qt.ItemDataRole.UserRole
SUGGESTION_LIMIT = 5
LOOKUP_DELAY_MS = 150
"""The look-up starts once the analyst has stayed on an escalation this long: a burst of
j/k or view switches runs none (half of a look-up is Python holding the GIL, which
would slow the table's own painting meanwhile)."""


def suggestion_text(s: DuplicateSuggestion) -> str:
    """Two lines of plain text: the title, then channel, score and reasons."""
    where = one_line(s.channel) + (" (same channel)" if s.same_channel else "")
    reasons = " \u00b7 ".join(one_line(r) for r in s.reasons)
    title = one_line(s.title) or "(no title)"
    return f"{title}\n{where} \u00b7 {round(s.score * 100)}% \u00b7 {reasons}"


class DuplicateList(QWidget):
    """A heading and the suggested duplicates of one escalation, best first.

    Signals:
      activated(int): the analyst opened a suggestion; the escalation id to show;
      loaded(int): `show_for` finished; the id it was for (-1 for none).
    """

    activated = Signal(int)
    loaded = Signal(int)

    def __init__(self, db_path: Path | None = None, jobs: JobRunner | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("duplicateList")
        self._db_path = db_path
        self._jobs = jobs
        self._wanted: int | None = None  # the id the latest show_for asked for
        self._running: int | None = None  # the id being looked up
        self._suggestions: list[DuplicateSuggestion] = []
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(LOOKUP_DELAY_MS)
        self._settle.timeout.connect(self._start_wanted)
        self.heading = QLabel()
        self.heading.setObjectName("duplicatesHeading")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.list = QListWidget()
        self.list.setObjectName("duplicatesView")
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.itemActivated.connect(self._on_activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.heading)
        layout.addWidget(self.list, 1)
        self.set_suggestions([])

    def suggestions(self) -> list[DuplicateSuggestion]:
        return list(self._suggestions)

    def set_suggestions(self, suggestions: Sequence[DuplicateSuggestion]) -> None:
        """Show these suggestions (replacing any shown)."""
        self._suggestions = list(suggestions)
        self.list.clear()
        for s in self._suggestions:
            item = QListWidgetItem(suggestion_text(s))
            item.setData(ID_ROLE, s.escalation_id)
            item.setToolTip(plain_tooltip("; ".join(s.reasons)))
            self.list.addItem(item)
        count = len(self._suggestions)
        self.heading.setText(f"Possible duplicates ({count})" if count
                             else "No likely duplicates")
        self.list.setVisible(bool(count))

    def show_for(self, escalation_id: int | None) -> None:
        """Look up and show the suggestions for `escalation_id` off the GUI thread; only
        the latest request is shown (a burst of j/k runs at most one look-up behind)."""
        self._wanted = escalation_id
        if escalation_id is None:
            self.set_suggestions([])
            self.loaded.emit(-1)
            return
        if self._db_path is None or self._jobs is None:
            raise RuntimeError("show_for needs the db_path and jobs given at construction")
        self.heading.setText("Looking for duplicates\u2026")
        self._settle.start()

    def stop(self) -> None:
        """No further look-ups (the window is closing); one running is left to finish."""
        self._settle.stop()
        self._wanted = None

    def _start_wanted(self) -> None:
        if self._running is None and self._wanted is not None:
            self._start(self._wanted)

    def _start(self, escalation_id: int) -> None:
        assert self._db_path is not None and self._jobs is not None
        path = self._db_path
        self._running = escalation_id

        def look_up(_progress: Any, _cancel: threading.Event) -> tuple[int, list[Any]]:
            conn = raw_reader(path)
            try:
                return escalation_id, suggest_duplicates(conn, escalation_id,
                                                         SUGGESTION_LIMIT)
            finally:
                conn.close()

        job = self._jobs.run("duplicates", look_up)
        job.succeeded.connect(self._on_result)
        job.failed.connect(self._on_error)
        job.finished.connect(self._on_finished)

    def _on_result(self, result: Any) -> None:
        esc_id, suggestions = result
        if esc_id == self._wanted:
            self.set_suggestions(suggestions)
            self.loaded.emit(esc_id)

    def _on_error(self, exc: BaseException) -> None:
        log.warning("duplicate look-up failed: %s", exc)
        if self._running == self._wanted:
            self.set_suggestions([])
            self.heading.setText("Duplicates could not be looked up")
            self.loaded.emit(self._running if self._running is not None else -1)

    def _on_finished(self) -> None:
        done, self._running = self._running, None
        if self._wanted is not None and self._wanted != done and not self._settle.isActive():
            self._start(self._wanted)  # a newer request arrived while this one ran

    def _on_activated(self, item: QListWidgetItem) -> None:
        esc_id = item.data(ID_ROLE)
        if isinstance(esc_id, int):
            self.activated.emit(esc_id)
