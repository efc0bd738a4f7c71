"""The undo toast: what just happened, and how to take it back, for about 8 seconds."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

TOAST_MS = 8000


class UndoToast(QFrame):
    """A strip at the bottom of the window: "Declined 3 escalations  [Undo (z)]".

    Signals: undo_requested(): the Undo button was clicked (the `z` key runs the undo
    command directly)."""

    undo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("undoToast")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.message = QLabel()
        self.message.setObjectName("toastMessage")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.button = QPushButton("Undo (z)")
        self.button.setObjectName("toastUndo")
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.button.clicked.connect(self.undo_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.button)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_message(self, text: str, undoable: bool = True) -> None:
        self.message.setText(text)
        self.button.setVisible(undoable)
        self.show()
        self._timer.start(TOAST_MS)
