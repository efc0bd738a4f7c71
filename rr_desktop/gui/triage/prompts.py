"""The small, keyboard-first dialogs triage actions ask through: a reason, a pick from a
list (analyst, queue, incident, canonical item), a snooze time, tags, a note or reply.

Each dialog is window-modal and non-blocking (`open()`), and emits `chosen(value)` once
when the user confirms; Esc cancels and nothing is written. Untrusted text is plain.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ...keymap import Mode
from ...templates.placeholders import marker_spans, unfilled
from ..fuzzy import Choice, FuzzyList
from .reply_templates import ReplyOffer, TemplatePicker

_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)


def _label(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


def _finish(dialog: QDialog, layout: QVBoxLayout, confirm: Callable[[], None]) -> None:
    """OK / Cancel under a prompt (Enter confirms, Esc cancels); window-modal."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(confirm)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)


def preset_number(command: str) -> int | None:
    """1..9 for the "preset-N" commands (Alt+N), else None."""
    if command.startswith("preset-") and command[7:].isdigit():
        return int(command[7:])
    return None


class ReasonPrompt(QDialog):
    """Ask for a short reason (required); presets are one key away (Alt+1..9).

    Signals: chosen(str): the reason."""

    chosen = Signal(str)
    command_mode = Mode.PROMPT

    def __init__(self, title: str, question: str, presets: Sequence[str] = (),
                 parent: QWidget | None = None, placeholder: str = "Reason (required)",
                 ) -> None:
        super().__init__(parent)
        self.setObjectName("reasonPrompt")
        self.setWindowTitle(title)
        self.edit = QLineEdit()
        self.edit.setObjectName("reasonEdit")
        self.edit.setPlaceholderText(placeholder)
        self.error = _label("")
        self.error.setObjectName("promptError")
        layout = QVBoxLayout(self)
        layout.addWidget(_label(question))
        layout.addWidget(self.edit)
        self.presets = QListWidget()
        self.presets.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._presets = list(presets[:9])
        for n, text in enumerate(self._presets, start=1):
            self.presets.addItem(f"Alt+{n}  {text}")
        if presets:
            layout.addWidget(self.presets)
        layout.addWidget(self.error)
        _finish(self, layout, self._confirm)
        self.edit.setFocus()

    def handle_command(self, name: str) -> None:
        n = preset_number(name)
        if n is not None and n <= len(self._presets):
            self.edit.setText(self._presets[n - 1])

    def _confirm(self) -> None:
        reason = self.edit.text().strip()
        if not reason:
            self.error.setText(f"{self.edit.placeholderText().split(' (')[0]} is required.")
            return
        self.accept()
        self.chosen.emit(reason)


class PickPrompt(QDialog):
    """Pick one of `choices` by typing (fuzzy); with `allow_new`, Enter on a text that
    matches nothing returns the text (e.g. a new incident's title).

    Signals: chosen(str): the picked key, or the new text."""

    chosen = Signal(str)
    command_mode = Mode.PICKER

    def __init__(self, title: str, choices: Sequence[Choice], placeholder: str,
                 allow_new: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pickPrompt")
        self.setWindowTitle(title)
        self.finder = FuzzyList(choices, placeholder, allow_new)
        layout = QVBoxLayout(self)
        layout.addWidget(self.finder)
        self.finder.picked.connect(self._picked)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(480, 360)
        self.finder.setFocus()

    def handle_command(self, name: str) -> None:
        self.finder.handle_command(name)

    def _picked(self, key: str) -> None:
        self.accept()
        self.chosen.emit(key)


def parse_snooze(text: str, now: datetime) -> datetime | None:
    """"90m", "4h", "2d", "1w", "tomorrow" (08:00 local), or an ISO date/time."""
    t = text.strip().lower()
    match = _DURATION.match(t)
    if match:
        n, unit = int(match.group(1)), match.group(2)[0]
        delta = {"m": timedelta(minutes=n), "h": timedelta(hours=n), "d": timedelta(days=n),
                 "w": timedelta(weeks=n)}[unit]
        return now + delta if n > 0 else None
    if t == "tomorrow":
        local = now.astimezone()
        return (local + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.astimezone()  # a wall-clock time the user typed: their time zone
    return when if when > now else None


class SnoozePrompt(QDialog):
    """When to bring the escalation back (1 h, 4 h, tomorrow, or typed) and why.

    Signals: chosen(object, str): the wake-up time (aware datetime) and the reason."""

    chosen = Signal(object, str)
    command_mode = Mode.PROMPT
    PRESETS = ("1h", "4h", "tomorrow")  # Alt+1, Alt+2, Alt+3

    def __init__(self, now: datetime, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("snoozePrompt")
        self.setWindowTitle("Snooze")
        self._now = now
        self.when = QLineEdit("4h")
        self.when.setObjectName("snoozeWhen")
        self.when.selectAll()
        self.reason = QLineEdit()
        self.reason.setObjectName("snoozeReason")
        self.reason.setPlaceholderText("Reason (required), e.g. waiting for the partner's "
                                       "evidence")
        self.error = _label("")
        self.error.setObjectName("promptError")
        layout = QVBoxLayout(self)
        layout.addWidget(_label("Until: 90m, 4h, 2d, tomorrow, or 2026-12-01 09:00 "
                                "(Alt+1 1 h, Alt+2 4 h, Alt+3 tomorrow)"))
        layout.addWidget(self.when)
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        _finish(self, layout, self._confirm)
        self.when.setFocus()

    def handle_command(self, name: str) -> None:
        n = preset_number(name)
        if n is not None and n <= len(self.PRESETS):
            self.when.setText(self.PRESETS[n - 1])

    def _confirm(self) -> None:
        until = parse_snooze(self.when.text(), self._now)
        if until is None:
            self.error.setText("Not a time in the future: try 4h, 2d, tomorrow or a date.")
            self.when.setFocus()
            return
        if not self.reason.text().strip():
            self.error.setText("A reason is required.")
            self.reason.setFocus()
            return
        self.accept()
        self.chosen.emit(until, self.reason.text().strip())


def parse_tags(text: str, current: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Tags typed as "+urgent -stale newtag": (added, removed) relative to `current`."""
    add: list[str] = []
    remove: list[str] = []
    for word in text.split():
        if word.startswith("-") and len(word) > 1:
            remove.append(word[1:])
        else:
            tag = word.lstrip("+")
            if tag and tag not in current:
                add.append(tag)
    return tuple(dict.fromkeys(add)), tuple(dict.fromkeys(t for t in remove if t in current))


class TagsPrompt(QDialog):
    """Add (+tag or tag) and remove (-tag) tags. Signals: chosen(object, object): the
    added and removed tags as tuples."""

    chosen = Signal(object, object)

    def __init__(self, current: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tagsPrompt")
        self.setWindowTitle("Tags")
        self._current = list(current)
        self.edit = QLineEdit()
        self.edit.setObjectName("tagsEdit")
        self.edit.setPlaceholderText("+tag to add, -tag to remove")
        layout = QVBoxLayout(self)
        shown = " ".join(self._current) or "none"
        layout.addWidget(_label(f"Current tags: {shown}"))
        layout.addWidget(self.edit)
        _finish(self, layout, self._confirm)
        self.edit.setFocus()

    def _confirm(self) -> None:
        add, remove = parse_tags(self.edit.text(), self._current)
        self.accept()
        if add or remove:
            self.chosen.emit(add, remove)


class Composer(QDialog):
    """Write an internal note, log a fact, or reply on the source. Ctrl+Return submits,
    Ctrl+Shift+Return submits and moves to the next escalation; Esc keeps the draft for
    the next time the composer opens on the same escalation.

    Signals: submitted(str, str, bool): kind ("note" | "fact" | "reply"), text, and
    whether to move on to the next escalation."""

    submitted = Signal(str, str, bool)
    command_mode = Mode.COMPOSER

    def __init__(self, kind: str, target: str, draft: str = "",
                 parent: QWidget | None = None, offer: ReplyOffer | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.kind = kind
        # A reply's templates (Ctrl+T); the placeholders a template left as "[label?]"
        # are not sent until written over.
        self._offer = offer
        self._placeholders = offer.placeholders if offer is not None else ()
        self._inserted = ""
        titles = {"note": "Internal note", "fact": "Log a fact", "reply": "Reply on source"}
        self.setWindowTitle(titles[kind])
        self.editor = QPlainTextEdit(draft)
        self.editor.setObjectName("composerText")
        self.editor.setTabChangesFocus(True)
        self.error = _label("")
        self.error.setObjectName("promptError")
        layout = QVBoxLayout(self)
        where = "visible to the reporter" if kind == "reply" else "internal only"
        templates = " Ctrl+T picks a template." if offer is not None else ""
        layout.addWidget(_label(f"{titles[kind]} on {target} ({where}). "
                                "Ctrl+Enter sends; Ctrl+Shift+Enter sends and moves on."
                                + templates))
        self.templates: TemplatePicker | None = None
        if offer is not None:
            self.templates = TemplatePicker(offer.choices())
            self.templates.picked.connect(self.insert_template)
            layout.addWidget(self.templates)
        self.note = _label("")
        self.note.setObjectName("composerNote")
        self.note.hide()
        layout.addWidget(self.note)
        layout.addWidget(self.editor, 1)
        self.as_fact = QCheckBox("&Log as an evolving fact instead of a note (Alt+L)")
        self.as_fact.setObjectName("composerAsFact")
        self.as_fact.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        if kind in ("note", "fact"):
            self.as_fact.setChecked(kind == "fact")
            layout.addWidget(self.as_fact)
        layout.addWidget(self.error)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(560, 320)
        self.editor.setFocus()
        self._select_next_hole()

    def insert_template(self, key: str) -> None:
        """Put a picked template's text in the editor: in place of the text if it is
        empty or still the last template as inserted, else at the cursor; then select
        its first "[label?]" for the analyst to write over."""
        draft = self._offer.draft(key) if self._offer is not None else None
        if draft is None:
            return
        current = self.editor.toPlainText()
        if not current.strip() or current == self._inserted:
            self.editor.setPlainText(draft.text)
            self._inserted = draft.text
        else:
            self.editor.textCursor().insertText(draft.text)
        self.note.setText(draft.note)
        self.note.setVisible(bool(draft.note))
        self.editor.setFocus()
        if not self._select_next_hole():
            self.editor.moveCursor(QTextCursor.MoveOperation.End)

    def _select_next_hole(self) -> bool:
        """Select the first "[label?]" a template left, so typing replaces it; False
        when there is none."""
        spans = marker_spans(self.editor.toPlainText(), self._placeholders)
        if not spans:
            return False
        cursor = self.editor.textCursor()
        cursor.setPosition(spans[0][0])
        cursor.setPosition(spans[0][1], QTextCursor.MoveMode.KeepAnchor)
        self.editor.setTextCursor(cursor)
        return True

    def draft(self) -> str:
        return self.editor.toPlainText()

    def handle_command(self, name: str) -> None:
        if name in ("submit", "submit-next"):
            self.submit(advance=name == "submit-next")
        elif name == "reply-templates" and self.templates is not None:
            self.templates.setFocus()

    def submit(self, advance: bool = False) -> None:
        text = self.editor.toPlainText().strip()
        if not text:
            self.error.setText("Nothing to send yet.")
            return
        holes = unfilled(text, self._placeholders)
        if holes:
            self.error.setText(f"Write over {', '.join(holes)} before sending: the "
                               "template had no value for it.")
            self._select_next_hole()
            return
        kind = self.kind
        if kind in ("note", "fact"):
            kind = "fact" if self.as_fact.isChecked() else "note"
        self.accept()
        self.submitted.emit(kind, text, advance)
