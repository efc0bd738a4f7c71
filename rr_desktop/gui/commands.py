"""Commands registered once: name, title, default keys per scope, help text (STYLE habits
7 and 8; qutebrowser's cmdutils + configdata). Menus, and later the command palette and the
`?` overlay, are generated from the registry; the default keys below are data.

Scopes are where a key is live: GLOBAL anywhere in the window, LIST while the triage table
has focus, DETAIL while the detail pane has focus. Bare-letter keys never fire while a text
input has focus: Qt lets an editable widget claim them first (ShortcutOverride).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenuBar, QWidget


class Scope(StrEnum):
    GLOBAL = "global"
    LIST = "list"
    DETAIL = "detail"


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command's identity and defaults; the handler is bound at registration."""

    name: str
    title: str
    keys: tuple[str, ...]
    scopes: tuple[Scope, ...]
    help: str
    menu: str | None = None


# Defaults from shared/design/KEYMAP.md (the part the first window implements).
DEFAULT_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("next-item", "Next item", ("J", "Down"), (Scope.LIST, Scope.DETAIL),
                "Move to the next escalation", "Go"),
    CommandSpec("previous-item", "Previous item", ("K", "Up"), (Scope.LIST, Scope.DETAIL),
                "Move to the previous escalation", "Go"),
    CommandSpec("first-item", "First item", ("Home",), (Scope.LIST,),
                "Move to the first escalation", "Go"),
    CommandSpec("last-item", "Last item", ("End",), (Scope.LIST,),
                "Move to the last escalation", "Go"),
    CommandSpec("open-detail", "Open in detail pane", ("Return", "Enter", "O"), (Scope.LIST,),
                "Focus the detail pane of the current escalation", "Go"),
    CommandSpec("back-to-list", "Back to list", ("U", "Esc"), (Scope.DETAIL,),
                "Return focus to the triage list", "Go"),
    CommandSpec("clear-selection", "Clear selection", ("Esc",), (Scope.LIST,),
                "Clear the selection in the list"),
    CommandSpec("sync-now", "Sync now", ("F5", "Ctrl+R"), (Scope.GLOBAL,),
                "Sync every channel now", "Sync"),
    CommandSpec("sync-details", "Sync details\u2026", (), (Scope.GLOBAL,),
                "Show each channel's sync state and last error", "Sync"),
    CommandSpec("quit", "Quit", ("Ctrl+Q",), (Scope.GLOBAL,), "Quit RR Desktop", "File"),
    CommandSpec("about", "About RR Desktop", (), (Scope.GLOBAL,),
                "Version, runtime and data location", "Help"),
)

MENU_ORDER = ("File", "Go", "Sync", "Help")


class CommandRegistry(QObject):
    """Turns command specs into QActions with their shortcuts live in the right scope.

    Signals: triggered(str): a command ran (its name), whatever invoked it.
    """

    triggered = Signal(str)

    def __init__(self, window: QWidget, scopes: dict[Scope, Sequence[QWidget]]) -> None:
        super().__init__(window)
        self._window = window
        self._scopes = {Scope.GLOBAL: [window], **{k: list(v) for k, v in scopes.items()}}
        self._specs: dict[str, CommandSpec] = {}
        self._actions: dict[str, QAction] = {}

    def register(self, spec: CommandSpec, handler: Callable[[], object]) -> QAction:
        if spec.name in self._specs:
            raise ValueError(f"command {spec.name!r} registered twice")
        action = QAction(spec.title, self._window)
        action.setObjectName(f"command-{spec.name}")
        action.setShortcuts([QKeySequence(k) for k in spec.keys])
        action.setToolTip(spec.help)
        action.setStatusTip(spec.help)
        if Scope.GLOBAL in spec.scopes:
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        else:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        for scope in spec.scopes:
            for widget in self._scopes[scope]:
                widget.addAction(action)
        action.triggered.connect(lambda _checked=False, n=spec.name, h=handler: self._run(n, h))
        self._specs[spec.name] = spec
        self._actions[spec.name] = action
        return action

    def register_all(self, specs: Iterable[CommandSpec],
                     handlers: dict[str, Callable[[], object]]) -> None:
        for spec in specs:
            self.register(spec, handlers[spec.name])

    def action(self, name: str) -> QAction:
        return self._actions[name]

    def specs(self) -> list[CommandSpec]:
        return list(self._specs.values())

    def conflicts(self) -> list[tuple[str, str, str]]:
        """(key, command, command) pairs bound to the same key in overlapping scopes."""
        seen: list[tuple[str, CommandSpec]] = []
        found = []
        for spec in self._specs.values():
            for key in spec.keys:
                norm = QKeySequence(key).toString()
                for other_key, other in seen:
                    if other_key == norm and _overlap(spec.scopes, other.scopes):
                        found.append((norm, other.name, spec.name))
                seen.append((norm, spec))
        return found

    def build_menus(self, bar: QMenuBar) -> None:
        """One menu per `menu` name, in MENU_ORDER, commands in registration order."""
        for title in MENU_ORDER:
            specs = [s for s in self._specs.values() if s.menu == title]
            if specs:
                menu = bar.addMenu(f"&{title}")
                for spec in specs:
                    menu.addAction(self._actions[spec.name])

    def _run(self, name: str, handler: Callable[[], object]) -> None:
        handler()
        self.triggered.emit(name)


def _overlap(a: Sequence[Scope], b: Sequence[Scope]) -> bool:
    return Scope.GLOBAL in a or Scope.GLOBAL in b or bool(set(a) & set(b))
