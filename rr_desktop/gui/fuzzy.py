"""A filter box over a list, matched as you type (the command palette and every picker).

Matching is subsequence-fuzzy ("acc" finds "Accept into work", "gto" finds "Go to
Triage"), ranked by where and how tightly the letters match. Items are plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from .text import one_line


@dataclass(frozen=True, slots=True)
class Choice:
    """One pickable item: a key returned to the caller, the text shown, an aside."""

    key: str
    text: str
    aside: str = ""


def fuzzy_score(query: str, text: str) -> int | None:
    """Higher is better; None when `query` is not a subsequence of `text`."""
    q, t = query.lower().strip(), text.lower()
    if not q:
        return 0
    if q in t:
        return 1000 - t.index(q) * 2 - len(t) // 10
    pos, score, last = 0, 0, -2
    for ch in q:
        if ch == " ":
            continue
        found = t.find(ch, pos)
        if found < 0:
            return None
        score += 10 if found == last + 1 else 0
        score += 8 if found == 0 or t[found - 1] in " -_/:" else 0
        score -= found - pos
        last, pos = found, found + 1
    return score


class FuzzyList(QWidget):
    """A line edit over a list; Up/Down move in the list while typing, Enter picks (the
    keys are the registry's picker commands, passed on by the dialog: `handle_command`).

    Signals: picked(str): the key of the chosen item; or the typed text when nothing
    matches and `allow_new` is set (create-by-title pickers).
    """

    picked = Signal(str)

    def __init__(self, choices: Sequence[Choice], placeholder: str = "",
                 allow_new: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._choices = list(choices)
        self._allow_new = allow_new
        self.edit = QLineEdit()
        self.edit.setObjectName("fuzzyEdit")
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setObjectName("fuzzyList")
        self.list.setUniformItemSizes(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.list, 1)
        self.setFocusProxy(self.edit)
        self.edit.textChanged.connect(self._refilter)
        self.list.itemActivated.connect(self._activate)
        self._refilter("")

    @property
    def choices(self) -> list[Choice]:
        """What the list offers (before filtering)."""
        return list(self._choices)

    def set_choices(self, choices: Sequence[Choice]) -> None:
        self._choices = list(choices)
        self._refilter(self.edit.text())

    def shown_keys(self) -> list[str]:
        return [str(self.list.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.list.count())]

    def handle_command(self, name: str) -> None:
        """The picker keys (keymap Mode.PICKER), run by the dialog holding the list."""
        if name in ("choice-next", "choice-previous"):
            step = 1 if name == "choice-next" else -1
            row = max(0, min(self.list.currentRow() + step, self.list.count() - 1))
            self.list.setCurrentRow(row)
        elif name == "choice-pick":
            self.pick_current()

    def pick_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.picked.emit(str(item.data(Qt.ItemDataRole.UserRole)))
        elif self._allow_new and self.edit.text().strip():
            self.picked.emit(self.edit.text().strip())

    def _activate(self, item: QListWidgetItem) -> None:
        self.picked.emit(str(item.data(Qt.ItemDataRole.UserRole)))

    def _refilter(self, text: str) -> None:
        scored = []
        for n, choice in enumerate(self._choices):
            score = fuzzy_score(text, f"{choice.text} {choice.aside}")
            if score is not None:
                scored.append((-score, n, choice))
        scored.sort()
        self.list.clear()
        typed = text.strip()
        # With `allow_new`, typed text that no choice contains is offered first as itself:
        # a new incident title or a name typed in must not turn into a loose match.
        close = sum(1 for _, _, c in scored if typed.lower() in f"{c.text} {c.aside}".lower())
        new_at = close if self._allow_new and typed and not any(
            c.key == typed or c.text.strip().lower() == typed.lower()
            for _, _, c in scored) else None
        for i, (_, _, choice) in enumerate(scored[:200]):
            if i == new_at:
                self._add_new(typed)
            label = one_line(choice.text) + (f"    {one_line(choice.aside)}"
                                             if choice.aside else "")
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, choice.key)
            self.list.addItem(item)
        if new_at is not None and new_at >= min(len(scored), 200):
            self._add_new(typed)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _add_new(self, typed: str) -> None:
        item = QListWidgetItem(f"+ {one_line(typed)}    (as typed)")
        item.setData(Qt.ItemDataRole.UserRole, typed)
        self.list.addItem(item)
