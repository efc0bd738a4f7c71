"""The triage page in a narrow window: below NARROW_PX wide the detail pane folds away,
Return shows it in the list's place until u or Esc, and back at full width the pane
returns as it was (shown or hidden, with its split)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QSplitter, QWidget

NARROW_PX = 1024  # narrower: the detail pane folds away behind Return


class DetailFold:
    """Shows and hides the list and the detail pane of one splitter by the window's width.

    Public API: `fit(width)` (on every resize), `open_detail()`, `back_to_list()`,
    `toggle()`, `narrow`, `detail_visible` (what to remember at shutdown)."""

    def __init__(self, splitter: QSplitter, table: QWidget, detail: QWidget) -> None:
        self._splitter = splitter
        self._table = table
        self._detail = detail
        self.narrow = False
        self._detail_was_visible = True
        self._split_state = QByteArray()

    @property
    def detail_visible(self) -> bool:
        """Whether the pane is shown at full width (folded: whether it was before)."""
        return self._detail_was_visible if self.narrow else self._detail.isVisible()

    def fit(self, width: int) -> None:
        narrow = width < NARROW_PX
        if narrow == self.narrow:
            return
        self.narrow = narrow
        if narrow:
            self._detail_was_visible = not self._detail.isHidden()
            self._split_state = self._splitter.saveState()
            self._detail.hide()
            self._table.show()
        else:
            self._table.show()
            self._detail.setVisible(self._detail_was_visible)
            self._splitter.restoreState(self._split_state)

    def open_detail(self) -> None:
        """The pane, shown if it was hidden (folded: in the list's place), with the keys."""
        if self.narrow:
            self._table.hide()
        self._detail.show()
        self._detail.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def back_to_list(self) -> None:
        if self.narrow:
            self._detail.hide()
            self._table.show()
        self._table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def toggle(self) -> None:
        """Ctrl+\\: show or hide the pane (the keys go to the list when it hides)."""
        self._detail.setVisible(not self._detail.isVisible())
        if not self._detail.isVisible():
            self._table.setFocus()
