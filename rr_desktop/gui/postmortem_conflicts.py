"""Merging the sections a post-mortem's two copies changed differently (docs/
postmortems.md, "Sync"): for each, the common base, yours and the service's side by
side, read-only, and the merged section to write below, starting from yours. Saving it
(Ctrl+Return) replaces the section in the draft and moves to the next one."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ..domain.postmortem_doc import SectionConflict
from ..keymap import Mode
from .postmortem_autosave import editor_text
from .text import one_line, reveal_invisibles

DELETED = "(this side deleted the section)"


def _pane(title: str, name: str) -> tuple[QWidget, QPlainTextEdit]:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    label = QLabel(title)
    label.setTextFormat(Qt.TextFormat.PlainText)
    layout.addWidget(label)
    edit = QPlainTextEdit()
    edit.setObjectName(name)
    edit.setReadOnly(True)
    layout.addWidget(edit)
    return box, edit


class ConflictsDialog(QDialog):
    """Signals: merged(str, str): the heading and the merged body the lead wrote."""

    merged = Signal(str, str)
    command_mode = Mode.COMPOSER

    def __init__(self, conflicts: Sequence[SectionConflict], parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.setObjectName("postmortemConflicts")
        self.setWindowTitle("Merge sections changed on both sides")
        self.conflicts = list(conflicts)
        self.index = 0
        self.which = QLabel()
        self.which.setObjectName("conflictHeading")
        self.which.setTextFormat(Qt.TextFormat.PlainText)
        row = QHBoxLayout()
        panes = (("Before both changes", "conflictBase"), ("Yours", "conflictMine"),
                 ("On the service", "conflictTheirs"))
        views = []
        for title, name in panes:
            box, edit = _pane(title, name)
            row.addWidget(box)
            views.append(edit)
        self.base, self.mine, self.theirs = views
        self.merged_text = QPlainTextEdit()
        self.merged_text.setObjectName("conflictMerged")
        buttons = QDialogButtonBox()
        save = buttons.addButton("Save merged section",
                                 QDialogButtonBox.ButtonRole.AcceptRole)
        mine = buttons.addButton("Start from yours", QDialogButtonBox.ButtonRole.ActionRole)
        theirs = buttons.addButton("Start from theirs",
                                   QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        save.setAutoDefault(False)
        save.clicked.connect(self.save_current)
        mine.clicked.connect(lambda: self._start_from(self.current().mine))
        theirs.clicked.connect(lambda: self._start_from(self.current().theirs))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.which)
        layout.addLayout(row, 2)
        said = QLabel("The merged section (saved with Ctrl+Return):")
        said.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(said)
        layout.addWidget(self.merged_text, 2)
        layout.addWidget(buttons)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(1200, 760)
        self._show()

    def current(self) -> SectionConflict:
        return self.conflicts[self.index]

    def _show(self) -> None:
        c = self.current()
        self.which.setText(f"\u201c{one_line(c.heading)}\u201d \u2014 section {self.index + 1}"
                           f" of {len(self.conflicts)}")
        for edit, body in ((self.base, c.base), (self.mine, c.mine), (self.theirs, c.theirs)):
            edit.setPlainText(DELETED if body is None else reveal_invisibles(body))
        self._start_from(c.mine if c.mine is not None else c.theirs)
        self.merged_text.setFocus()

    def _start_from(self, body: str | None) -> None:
        self.merged_text.setPlainText(body or "")

    def handle_command(self, name: str) -> None:
        if name in ("submit", "submit-next"):
            self.save_current()

    def save_current(self) -> None:
        c = self.current()
        self.merged.emit(c.heading, editor_text(self.merged_text))
        if self.index + 1 < len(self.conflicts):
            self.index += 1
            self._show()
        else:
            self.accept()
