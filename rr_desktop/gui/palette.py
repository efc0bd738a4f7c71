"""The Ctrl+K command palette and the `?` shortcut overlay, both generated from the
command registry (never a hand-kept list)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..keymap import Mode
from .commands import CommandRegistry
from .fuzzy import Choice, FuzzyList


class CommandPalette(QDialog):
    """Find any command by name and run it; each line shows the command's keys.

    The command runs after the palette has closed, so it acts on the window as the user
    left it (focus back on the list or detail pane)."""

    command_mode = Mode.PICKER

    def __init__(self, registry: CommandRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("commandPalette")
        self.setWindowTitle("Command palette")
        self._registry = registry
        choices = [Choice(c.name, registry.title(c.name).rstrip("\u2026"),
                          registry.keys_text(c.name))
                   for c in registry.palette_commands() if c.name != "palette"]
        self.finder = FuzzyList(choices, "Type a command\u2026")
        layout = QVBoxLayout(self)
        layout.addWidget(self.finder)
        self.finder.picked.connect(self._run)
        self.resize(520, 420)
        self.finder.setFocus()

    def handle_command(self, name: str) -> None:
        self.finder.handle_command(name)

    def _run(self, name: str) -> None:
        self.accept()
        QTimer.singleShot(0, lambda: self._registry.run(name))


class ShortcutOverlay(QDialog):
    """The keys live where the focus was when `?` was pressed (that mode, then global)."""

    def __init__(self, registry: CommandRegistry, mode: Mode,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutOverlay")
        self.setWindowTitle("Keyboard shortcuts")
        self.mode = mode
        heading = QLabel(f"Keys in the {mode.value} context, then everywhere "
                         "(Esc closes; Ctrl+K finds any command)")
        heading.setTextFormat(Qt.TextFormat.PlainText)
        modes = [mode] if mode is Mode.GLOBAL else [mode, Mode.GLOBAL]
        rows = [(m, c) for m in modes for c in registry.commands() if m in c.modes and c.keys]
        self.table = QTableWidget(len(rows), 3)
        self.table.setObjectName("shortcutTable")
        self.table.setHorizontalHeaderLabels(["Keys", "Command", "Where"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        for n, (m, c) in enumerate(rows):
            for col, text in enumerate((registry.keys_text(c.name), c.title.rstrip("\u2026"),
                                        m.value)):
                item = QTableWidgetItem(text)
                item.setToolTip(c.help)
                self.table.setItem(n, col, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.table)
        self.resize(560, 560)

    def shown_commands(self) -> list[str]:
        items = (self.table.item(r, 1) for r in range(self.table.rowCount()))
        return [item.text() for item in items if item is not None]
