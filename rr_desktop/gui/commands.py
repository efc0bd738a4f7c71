"""Commands as QActions (STYLE habits 7 and 8; qutebrowser's cmdutils + configdata).

The commands and their default keys are data in `rr_desktop.keymap`; this registry binds
a handler to each, makes its keys live in the right mode, and builds the menus. The
command palette and the `?` overlay read `commands()` from here.

Modes are where a key is live: GLOBAL anywhere in the window, LIST while the triage table
has focus, DETAIL in the detail pane, OUTBOX in the Outbox & sync view; the keys of the
search box and of dialogs (composer, prompt, picker, saved views: keymap.DELEGATED_MODES)
are handled by the focused widget of their mode (`CommandTarget.handle_command`), so no
widget defines a shortcut of its own. Bare-letter keys never fire while a text input has
focus: Qt lets an editable widget claim printable keys first (ShortcutOverride), so only
modified and navigation keys (Ctrl+K, Ctrl+Return, Esc, Down) reach shortcuts there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Protocol, runtime_checkable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QMenuBar, QWidget

from ..keymap import (
    COMMANDS,
    DELEGATED_MODES,
    MENU_ORDER,
    Command,
    Conflict,
    Mode,
    display_key,
    find_conflicts,
    normalize_key,
)

Handler = Callable[[], object]
# Where focus is looked for when asking "which mode am I in?", most specific first.
_MODE_ORDER = (Mode.COMPOSER, Mode.PROMPT, Mode.PICKER, Mode.SAVED_VIEWS, Mode.SEARCH,
               Mode.POSTMORTEM, Mode.DRAFTS,
               Mode.DETAIL, Mode.LIST, Mode.OUTBOX, Mode.LEAD, Mode.INCIDENTS,
               Mode.INCIDENT, Mode.SQL, Mode.TRENDS)


@runtime_checkable
class CommandTarget(Protocol):
    """A widget whose mode's keys it handles itself (a dialog, a picker, the search box):
    `command_mode` says which mode; the registry calls `handle_command(name)`."""

    command_mode: Mode

    def handle_command(self, name: str) -> None: ...


def is_delegated(command: Command) -> bool:
    return bool(command.modes) and all(m in DELEGATED_MODES for m in command.modes)


class CommandRegistry(QObject):
    """Turns `keymap.Command`s into QActions with their shortcuts live in the right mode.

    Signals:
      triggered(str): a command ran (its name), whatever invoked it (key, menu, palette);
      refused(str): a command needing a current escalation ran without one (the message);
      chord_pending(str): the first key of a chord was pressed: what the second key does
        ("s \u2026  0 Severity S0 \u00b7 1 Severity S1 ..."); "" once the chord is over.
    """

    triggered = Signal(str)
    refused = Signal(str)
    chord_pending = Signal(str)

    def __init__(self, window: QWidget, modes: dict[Mode, Sequence[QWidget]],
                 has_selection: Callable[[], bool] = lambda: True) -> None:
        super().__init__(window)
        self._window = window
        self._modes: dict[Mode, list[QWidget]] = {Mode.GLOBAL: [window]}
        for mode, widgets in modes.items():
            self._modes[mode] = list(widgets)
        self._has_selection = has_selection
        self._commands: dict[str, Command] = {}
        self._actions: dict[str, QAction] = {}
        self._handlers: dict[str, Handler] = {}
        self.menu_items: dict[str, QAction] = {}
        self._chord_shown = False
        self._chord_key = 0
        # first key of a chord -> (modes, "second key  title") per command: built once, as
        # every key press asks (registration clears it)
        self._chords: dict[str, list[tuple[frozenset[Mode], str]]] | None = None

    def register(self, command: Command, handler: Handler) -> QAction:
        if command.name in self._commands:
            raise ValueError(f"command {command.name!r} registered twice")
        action = QAction(command.title, self._window)
        action.setObjectName(f"command-{command.name}")
        action.setToolTip(command.help)
        action.setStatusTip(command.help)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut if Mode.GLOBAL in
                                  command.modes else
                                  Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _checked=False, n=command.name: self.run(n))
        self._commands[command.name] = command
        self._chords = None
        self._actions[command.name] = action
        self._handlers[command.name] = handler
        self._attach(command, action)
        return action

    def register_all(self, handlers: dict[str, Handler],
                     commands: Iterable[Command] = COMMANDS) -> None:
        """Register every command; a command without a handler is a programming error,
        except those of delegated modes (their widget handles them)."""
        commands = list(commands)
        missing = [c.name for c in commands if c.name not in handlers and not is_delegated(c)]
        if missing:
            raise ValueError(f"no handler for: {', '.join(missing)}")
        for command in commands:
            self.register(command, handlers.get(command.name) or partial(self._delegate,
                                                                         command))

    def add_target(self, target: CommandTarget) -> None:
        """A dialog or widget that handles its mode's keys itself, and the widgets of
        another mode it holds (the reply composer's template picker)."""
        assert isinstance(target, QWidget)
        self.add_mode_widget(target.command_mode, target)
        for inner in target.findChildren(QWidget):
            if isinstance(inner, CommandTarget) and inner.command_mode != target.command_mode:
                self.add_mode_widget(inner.command_mode, inner)

    def add_mode_widget(self, mode: Mode, widget: QWidget) -> None:
        """Make `mode`'s keys live in a widget created later (a composer dialog)."""
        widgets = self._modes.setdefault(mode, [])
        widgets.append(widget)
        widget.destroyed.connect(lambda _obj=None, w=widget: _discard(widgets, w))
        for name, command in self._commands.items():
            if mode in command.modes:
                widget.addAction(self._actions[name])

    def run(self, name: str) -> bool:
        """Run a command by name (keys, menus and the palette all come here). Returns
        False when it was refused for want of a current escalation."""
        command = self._commands[name]
        if command.needs_selection and not self._has_selection():
            self.refused.emit(f"{command.title.rstrip(chr(0x2026))}: no escalation selected")
            return False
        self._chord_over()
        self._handlers[name]()
        self.triggered.emit(name)
        return True

    def action(self, name: str) -> QAction:
        return self._actions[name]

    def command(self, name: str) -> Command:
        return self._commands[name]

    def commands(self) -> list[Command]:
        return list(self._commands.values())

    def title(self, name: str) -> str:
        """The command's title as shown now (a saved view shows its name)."""
        return self._actions[name].text()

    def keys_text(self, name: str) -> str:
        """The command's keys as people read them ("g t", "Ctrl+K"), or ""."""
        return " / ".join(display_key(k) for k in self._commands[name].keys)

    def conflicts(self) -> list[Conflict]:
        return find_conflicts(self._commands.values())

    def current_mode(self) -> Mode:
        """The mode of the widget with focus (for the `?` overlay)."""
        focus = QApplication.focusWidget()
        for mode in _MODE_ORDER:
            if self._focused_widget(mode, focus) is not None:
                return mode
        return Mode.GLOBAL

    def add_page(self, mode: Mode, page: QWidget) -> None:
        """A page built after the window (trends): its mode's keys live in it, and chords
        typed in any of its focusable widgets are watched."""
        self.add_mode_widget(mode, page)
        self.watch_chords([w for w in page.findChildren(QWidget)
                           if w.focusPolicy() != Qt.FocusPolicy.NoFocus])

    def watch_chords(self, widgets: Iterable[QWidget]) -> None:
        """Say which chord is waiting when its first key is pressed in one of `widgets`
        (Qt keeps a half-typed chord to itself: the key never reaches the widget, but its
        ShortcutOverride does)."""
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Qt override: watch key events for chord prefixes; never consumes them."""
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and not event.isAutoRepeat():
            hint = self.chord_hint(QKeySequence(event.keyCombination()).toString())
            if hint or self._chord_shown:  # a new first key, or the chord is over
                self._chord_shown = bool(hint)
                self._chord_key = event.key()
                self.chord_pending.emit(hint)
        elif event.type() == QEvent.Type.KeyRelease and isinstance(event, QKeyEvent) \
                and self._chord_shown and event.key() != self._chord_key:
            # The second key: Qt takes it whole (no override, no press reaches a widget),
            # whether it completes the chord or breaks it; only its release shows.
            self._chord_over()
        return False

    def _chord_over(self) -> None:
        if self._chord_shown:
            self._chord_shown = False
            self.chord_pending.emit("")

    def chord_hint(self, key: str) -> str:
        """What the chords starting with `key` do, where the focus is; "" if none."""
        first = normalize_key(key)
        if not first:
            return ""
        candidates = self._chord_index().get(first)
        if not candidates:
            return ""
        live = {self.current_mode(), Mode.GLOBAL}
        seconds = [text for modes, text in candidates if live & modes]
        if not seconds:
            return ""
        return f"{display_key(key)} \u2026  " + " \u00b7 ".join(seconds)

    def _chord_index(self) -> dict[str, list[tuple[frozenset[Mode], str]]]:
        if self._chords is None:
            self._chords = {}
            for command in self._commands.values():
                for k in command.keys:
                    parts = [p.strip() for p in k.split(",") if p.strip()]
                    if len(parts) == 2:
                        self._chords.setdefault(normalize_key(parts[0]), []).append((
                            frozenset(command.modes),
                            f"{display_key(parts[1])} {command.title.rstrip(chr(0x2026))}"))
        return self._chords

    def palette_commands(self) -> list[Command]:
        """Commands the palette offers: not those only a dialog's own keys can run."""
        return [c for c in self._commands.values() if not is_delegated(c)]

    def _focused_widget(self, mode: Mode, focus: QWidget | None) -> QWidget | None:
        if focus is None:
            return None
        for widget in self._modes.get(mode, []):
            if focus is widget or widget.isAncestorOf(focus):
                return widget
        return None

    def _delegate(self, command: Command) -> None:
        """A key of a delegated mode: the focused widget of that mode handles it."""
        focus = QApplication.focusWidget()
        for mode in command.modes:
            widget = self._focused_widget(mode, focus)
            if isinstance(widget, CommandTarget):
                widget.handle_command(command.name)
                return

    def build_menus(self, bar: QMenuBar, closed: Callable[[], None] = lambda: None) -> None:
        """One menu per `menu` name, in MENU_ORDER, commands in registration order.

        Menu items are their own actions showing the keys but holding none: an action
        with keys in a menu is live wherever the menu bar has focus (after Esc closes a
        menu), so two commands on one key in different modes (c: create / copy) would be
        ambiguous and neither would run. `closed` runs when a menu closes (the window
        gives the keyboard back to the list)."""
        for title in MENU_ORDER:
            names = [n for n, c in self._commands.items() if c.menu == title]
            if names:
                menu = bar.addMenu(f"&{title}")
                menu.setObjectName(f"menu-{title.lower()}")
                menu.aboutToHide.connect(closed)
                for name in names:
                    item = QAction(self._menu_text(name), menu)
                    item.setObjectName(f"menu-item-{name}")
                    item.setStatusTip(self._commands[name].help)
                    item.triggered.connect(lambda _checked=False, n=name: self.run(n))
                    menu.addAction(item)
                    self.menu_items[name] = item

    def set_title(self, name: str, title: str) -> None:
        """A command's title as menus and the palette show it (e.g. a saved view's name)."""
        self._actions[name].setText(title)
        item = self.menu_items.get(name)
        if item is not None:
            item.setText(self._menu_text(name, title))

    def _menu_text(self, name: str, title: str | None = None) -> str:
        keys = self.keys_text(name)
        text = title or self._commands[name].title
        return f"{text}\t{keys}" if keys else text

    def _attach(self, command: Command, action: QAction) -> None:
        action.setShortcuts([QKeySequence(k) for k in command.keys])
        for mode in command.modes:
            for widget in self._modes.get(mode, []):
                widget.addAction(action)


def _discard(widgets: list[QWidget], widget: QWidget) -> None:
    if widget in widgets:
        widgets.remove(widget)
