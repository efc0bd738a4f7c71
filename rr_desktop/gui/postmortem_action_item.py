"""Adding an action item to a post-mortem: what to do, an owner picked from the roster
(or typed), a due date seven days out unless changed. It becomes a task line of the
"Action items" section (`task_line`), which the cache tracks as an item."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ..domain.postmortem_actions import default_due, task_line
from ..keymap import Mode


class ActionItemDialog(QDialog):
    """`what`, `owner` (the roster, editable), `due`. Signals: chosen(str): the task line.
    Enter or Ctrl+Return adds it; Esc cancels."""

    chosen = Signal(str)
    command_mode = Mode.COMPOSER

    def __init__(self, roster: Sequence[tuple[str, str]], me: str, today: date,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("actionItemDialog")
        self.setWindowTitle("Add action item")
        self.what = QLineEdit()
        self.what.setObjectName("actionWhat")
        self.what.setPlaceholderText("What to do (required)")
        self.owner = QComboBox()
        self.owner.setObjectName("actionOwner")
        self.owner.setEditable(True)
        self.owner.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for analyst_id, name in roster:
            self.owner.addItem(f"{name} ({analyst_id})", analyst_id)
        mine = self.owner.findData(me)
        self.owner.setCurrentIndex(mine)
        if mine < 0:
            self.owner.setEditText(me)
        self.due = QDateEdit()
        self.due.setObjectName("actionDue")
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd")
        due = default_due(today)
        self.due.setDate(QDate(due.year, due.month, due.day))
        self.error = QLabel()
        self.error.setObjectName("actionError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        form = QFormLayout()
        for name, field in (("What", self.what), ("Owner", self.owner), ("Due", self.due)):
            label = QLabel(name)
            label.setTextFormat(Qt.TextFormat.PlainText)
            form.addRow(label, field)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.confirm)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.what.setFocus()

    def owner_id(self) -> str:
        """The picked analyst's id, or what was typed (an id, or "name (id)")."""
        typed = " ".join(self.owner.currentText().split())
        index = self.owner.findText(typed)
        if index >= 0:
            return str(self.owner.itemData(index))
        return typed.lstrip("@")

    def handle_command(self, name: str) -> None:
        if name in ("submit", "submit-next"):
            self.confirm()

    def confirm(self) -> None:
        what, owner = " ".join(self.what.text().split()), self.owner_id()
        if not what:
            self.error.setText("Say what is to be done.")
            return
        if not owner or any(ch in owner for ch in "(),"):
            self.error.setText("Pick an owner from the roster or type their analyst id.")
            return
        d = self.due.date()
        self.accept()
        self.chosen.emit(task_line(what, owner, date(d.year(), d.month(), d.day())))
