"""A post-mortem's revision history: every saved revision, newest first, and what
restoring the selected one would change in the draft (a unified diff, plain text).
Restore (Ctrl+Return, or Enter on the list) makes it the draft again as a new revision:
nothing is lost, the draft it replaces stays in the history."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..keymap import Mode
from ..store.postmortems import Revision
from .text import format_time, one_line, reveal_invisibles

KINDS = {"created": "created", "autosave": "typed", "restore": "restored",
         "merge": "merged", "refresh": "refreshed from the incident",
         "state": "review state", "synced": "from the service"}
REV_ROLE = Qt.ItemDataRole.UserRole


def unified_diff(old: str, new: str, old_name: str, new_name: str) -> str:
    lines = list(difflib.unified_diff(old.splitlines(keepends=True),
                                      new.splitlines(keepends=True), old_name, new_name))
    return "".join(ln if ln.endswith("\n") else ln + "\n" for ln in lines)


class HistoryDialog(QDialog):
    """`revisions` list, `diff` view. Signals: restore_requested(int): the revision id."""

    restore_requested = Signal(int)
    command_mode = Mode.COMPOSER

    def __init__(self, title: str, revisions: Sequence[Revision], draft: str,
                 text_of: Callable[[int], str | None], parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.setObjectName("postmortemHistory")
        self.setWindowTitle(f"History \u2014 {one_line(title)}")
        self._draft, self._text_of = draft, text_of
        self.revisions = QListWidget()
        self.revisions.setObjectName("revisionList")
        for rev in revisions:
            item = QListWidgetItem(
                f"{format_time(rev.at)}  {KINDS.get(rev.kind, rev.kind)}  "
                f"{one_line(rev.author)}  ({rev.state}, {rev.size:,} characters)")
            item.setData(REV_ROLE, rev.id)
            self.revisions.addItem(item)
        self.diff = QPlainTextEdit()
        self.diff.setObjectName("revisionDiff")
        self.diff.setReadOnly(True)
        self.diff.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.revisions)
        split.addWidget(self.diff)
        split.setStretchFactor(1, 3)
        hint = QLabel("What restoring the selected revision changes in the draft "
                      "(- the draft now, + the revision). Ctrl+Return restores it.")
        hint.setWordWrap(True)
        hint.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QDialogButtonBox()
        restore = buttons.addButton("Restore", QDialogButtonBox.ButtonRole.AcceptRole)
        restore.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.accepted.connect(self.restore_selected)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        self.revisions.currentRowChanged.connect(self._show_diff)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(1000, 640)
        if self.revisions.count():
            self.revisions.setCurrentRow(0)
        self.revisions.setFocus()

    def selected(self) -> int | None:
        item = self.revisions.currentItem()
        return None if item is None else int(item.data(REV_ROLE))

    def _show_diff(self, _row: int) -> None:
        rev = self.selected()
        text = None if rev is None else self._text_of(rev)
        if text is None:
            self.diff.setPlainText("")
            return
        diff = unified_diff(self._draft, text, "the draft now", "this revision")
        self.diff.setPlainText(reveal_invisibles(diff) if diff else
                               "This revision is the same as the draft.")

    def handle_command(self, name: str) -> None:
        if name in ("submit", "submit-next"):
            self.restore_selected()

    def restore_selected(self) -> None:
        rev = self.selected()
        if rev is not None:
            self.accept()
            self.restore_requested.emit(rev)
