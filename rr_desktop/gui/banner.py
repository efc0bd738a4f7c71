"""A banner above the triage list for what needs the analyst until they act on it (a
change the source refused for good, a channel offline or failing): non-modal, stays until
dismissed, acted on or resolved."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from .notifier import Problem
from .text import one_line


class ProblemBanner(QFrame):
    """Shows the latest `Problem` (and how many more wait).

    Signals: action_requested(str): the analyst chose the problem's command ("go-outbox");
    dismissed(str): the analyst dismissed the problem with this key."""

    action_requested = Signal(str)
    dismissed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problemBanner")
        self.message = QLabel()
        self.message.setObjectName("problemText")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.act = QPushButton("Show in Outbox && sync (g o)")
        self.act.setObjectName("problemAction")
        self.other = QPushButton()
        self.other.setObjectName("problemOtherAction")
        self.close_button = QPushButton("Dismiss")
        self.close_button.setObjectName("problemDismiss")
        for button in (self.act, self.other, self.close_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay on the list
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.act)
        layout.addWidget(self.other)
        layout.addWidget(self.close_button)
        self.act.clicked.connect(self._act)
        self.other.clicked.connect(self._other)
        self.close_button.clicked.connect(self._dismiss)
        self._problems: list[Problem] = []
        self.hide()

    @property
    def problems(self) -> list[Problem]:
        return list(self._problems)

    def raise_problem(self, problem: Problem) -> None:
        self._problems = [p for p in self._problems if p.key != problem.key] + [problem]
        self._render()

    def resolve(self, key: str) -> None:
        self._problems = [p for p in self._problems if p.key != key]
        self._render()

    def _render(self) -> None:
        if not self._problems:
            self.hide()
            return
        latest = self._problems[-1]
        more = len(self._problems) - 1
        self.message.setText(one_line(latest.text) + (f"  (+{more} more)" if more else ""))
        self.act.setText(latest.action_text.replace("&", "&&"))
        self.act.setVisible(bool(latest.action))
        self.other.setText(latest.other_text.replace("&", "&&"))
        self.other.setVisible(bool(latest.other_action))
        self.show()

    def _act(self) -> None:
        if self._problems:
            self.action_requested.emit(self._problems[-1].action)

    def _other(self) -> None:
        if self._problems:
            self.action_requested.emit(self._problems[-1].other_action)

    def _dismiss(self) -> None:
        if self._problems:
            key = self._problems[-1].key
            self.resolve(key)
            self.dismissed.emit(key)
