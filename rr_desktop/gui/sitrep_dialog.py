"""A situation report drafted from an incident, to edit, copy and record as sent.

The draft comes from `rr_desktop.templates.sitrep.draft_sitrep` (team: conditions,
actions, needs; exec: status, overview, next steps). Keys: Alt+A the audience, Alt+C
copies the text to the clipboard, Ctrl+Enter (the registry's `submit`, Mode.COMPOSER)
records it as sent; Esc closes. The dialog writes nothing itself: whoever opens it turns
`recorded` into the incident's `sitrep` event (docs/incidents.md).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..domain.incident import IncidentState
from ..keymap import Mode
from ..templates.front_matter import TemplateFileError
from ..templates.placeholders import marker_spans, unfilled
from ..templates.sitrep import (
    AUDIENCES,
    SITREP_PLACEHOLDERS,
    draft_sitrep,
    load_sitrep_template,
)

_AUDIENCE_TITLES = {"team": "Team (conditions, actions, needs)",
                    "exec": "Executives (status, overview, next steps)"}


def _label(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


class SitrepDialog(QDialog):
    """The sitrep draft for one incident, editable, per audience (an edit made for one
    audience is kept while the other is looked at).

    Signals: recorded(str, str): the audience and the text, when the analyst records
    it as sent; copied(str): the text put on the clipboard."""

    recorded = Signal(str, str)
    copied = Signal(str)
    command_mode = Mode.COMPOSER

    def __init__(self, state: IncidentState, now: datetime, zone: tzinfo,
                 data_dir: Path | None = None, audience: str = "team",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sitrepDialog")
        self.setWindowTitle(f"Situation report: {' '.join(state.title.split())}")
        self._state, self._now, self._zone, self._data_dir = state, now, zone, data_dir
        self._texts: dict[str, str] = {}
        self.audience = QComboBox()
        self.audience.setObjectName("sitrepAudience")
        for name in AUDIENCES:
            self.audience.addItem(_AUDIENCE_TITLES[name], name)
        which = QLabel("&Audience:")
        which.setBuddy(self.audience)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("sitrepText")
        self.editor.setTabChangesFocus(True)
        self.message = _label("")
        self.message.setObjectName("sitrepMessage")
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setObjectName("sitrepCopy")
        self.copy_button.clicked.connect(self.copy)
        self.record_button = QPushButton("Record as sent (Ctrl+Enter)")
        self.record_button.setObjectName("sitrepRecord")
        self.record_button.clicked.connect(self.record)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.record_button, QDialogButtonBox.ButtonRole.ActionRole)
        top = QHBoxLayout()
        top.addWidget(which)
        top.addWidget(self.audience, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(_label("A draft from the incident as it stands: edit it, copy it "
                                "to where it goes, and record it as sent."))
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(640, 560)
        self._shown = audience if audience in AUDIENCES else "team"
        self.audience.setCurrentIndex(AUDIENCES.index(self._shown))
        self._show_draft(self._shown)
        self.audience.currentIndexChanged.connect(self._audience_changed)
        self.editor.setFocus()

    def current_audience(self) -> str:
        return str(self.audience.currentData())

    def text(self) -> str:
        return self.editor.toPlainText()

    def _audience_changed(self, _index: int) -> None:
        self._texts[self._shown] = self.text()
        self._shown = self.current_audience()
        self._show_draft(self._shown)

    def _show_draft(self, audience: str) -> None:
        kept = self._texts.get(audience)
        if kept is not None:
            self.editor.setPlainText(kept)
            return
        try:
            template, problem = load_sitrep_template(audience, self._data_dir)
            draft = draft_sitrep(self._state, audience, self._now, self._zone, template)
        except TemplateFileError as exc:  # the shipped template itself is unreadable
            self.message.setText(str(exc))
            self.editor.setPlainText("")
            return
        self.message.setText(problem or "")
        self.editor.setPlainText(draft)

    def handle_command(self, name: str) -> None:
        if name == "submit":
            self.record()

    def copy(self) -> None:
        text = self.text()
        QGuiApplication.clipboard().setText(text)
        self.message.setText("Copied to the clipboard.")
        self.copied.emit(text)

    def record(self) -> None:
        """Record the text as sent to its audience; refused while it is empty or still
        holds a "[label?]" the incident had no value for."""
        text = self.text().strip()
        if not text:
            self.message.setText("Nothing to record yet.")
            return
        holes = unfilled(text, SITREP_PLACEHOLDERS)
        if holes:
            self.message.setText(f"Write over {', '.join(holes)} before recording it as "
                                 "sent: the incident has no value for it yet.")
            start, end = marker_spans(self.text(), SITREP_PLACEHOLDERS)[0]
            cursor = self.editor.textCursor()
            cursor.setPosition(start)
            cursor.setPosition(end, cursor.MoveMode.KeepAnchor)
            self.editor.setTextCursor(cursor)
            self.editor.setFocus()
            return
        self.accept()
        self.recorded.emit(self.current_audience(), text)
