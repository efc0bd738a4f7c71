"""Which of the app's commands the GUI tests drive, and how (the meta-test's record).

Every command runs through `CommandRegistry.run` (keys, menus, the palette, the banner's
button), so the recorder wraps it for the whole GUI session and notes each invocation:
the command, how it came (`key`: its QAction received the Shortcut event of a key press;
`menu`: its menu item; `palette`; `direct`: a test or the app called `run(name)`), and the
test that was running. An application-wide event filter tells a real key press from a
`trigger()` call: Qt sends the QAction a Shortcut event only for a key (sequence) press.

The meta-test (test_command_coverage.py) reads the record at the end of the session; the
collection hook in conftest.py orders it last and decides whether the session ran the
whole tests/gui directory (see `CoveragePlan`): a subset (`-k`, `-m`, `--lf`, one file,
`::name`, `--deselect`) cannot tell a command no test drives from one whose test was not
selected, so there it skips, saying why.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

from rr_desktop.gui.commands import CommandRegistry
from rr_desktop.keymap import Command, all_commands

GUI_DIR = Path(__file__).resolve().parent
META_TEST = "test_command_coverage.py::test_every_command_is_driven_by_a_gui_test"
ACTION_PREFIX = "command-"  # CommandRegistry names each command's QAction so


class _ShortcutSpy(QObject):
    """Notes which command's QAction a key press is about to trigger."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: str | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Shortcut and isinstance(watched, QAction):
            name = watched.objectName()
            self.pending = name[len(ACTION_PREFIX):] if name.startswith(ACTION_PREFIX) \
                else None
        return False


@dataclass
class CommandLog:
    """{command: {how: {test node ids}}} for the session."""

    runs: defaultdict[str, defaultdict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    _spy: _ShortcutSpy | None = None

    def record(self, name: str, how: str) -> None:
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" (", 1)[0]
        self.runs[name][how].add(test)

    def how(self, name: str, caller: Any) -> str:
        """How `run(name)` was reached: by key, menu, palette or a direct call."""
        spy = self._spy
        if spy is not None and spy.pending == name:
            spy.pending = None
            return "key"
        qualname = getattr(caller.f_code, "co_qualname", "")
        if caller.f_code.co_filename.endswith(os.path.join("gui", "commands.py")):
            return "menu" if "build_menus" in qualname else "trigger"
        if caller.f_code.co_filename.endswith(os.path.join("gui", "palette.py")):
            return "palette"
        return "direct"

    @contextmanager
    def installed(self, app: QApplication) -> Iterator[CommandLog]:
        """Record every `CommandRegistry.run` while the context is open."""
        import sys

        original = CommandRegistry.run
        log = self

        def run(registry: CommandRegistry, name: str) -> bool:
            log.record(name, log.how(name, sys._getframe(1)))
            return original(registry, name)

        self._spy = _ShortcutSpy()
        app.installEventFilter(self._spy)
        CommandRegistry.run = run  # type: ignore[method-assign,assignment]
        try:
            yield self
        finally:
            CommandRegistry.run = original  # type: ignore[method-assign]
            app.removeEventFilter(self._spy)
            self._spy = None

    # -- what the meta-test checks -------------------------------------------------------

    def missing(self, commands: Sequence[Command]) -> list[str]:
        """Commands no test invoked as it must be: a command with keys by one of its
        keys at least once; a command without keys (menu and palette only) any way."""
        out = []
        for command in commands:
            ways: dict[str, set[str]] = self.runs.get(command.name, {})
            if command.keys and "key" not in ways:
                seen = ", ".join(sorted(ways)) or "never"
                out.append(f"{command.name} ({' / '.join(command.keys)}): {seen}")
            elif not command.keys and not ways:
                out.append(f"{command.name} (menu or palette): never")
        return out

    def covered(self, commands: Sequence[Command]) -> int:
        return len(commands) - len(self.missing(commands))


COMMAND_LOG = CommandLog()


def app_commands() -> tuple[Command, ...]:
    """The commands the window registers with the default keymap."""
    return all_commands()


@dataclass
class CoveragePlan:
    """Whether this session runs the whole tests/gui directory (else the meta-test
    skips, with `why`)."""

    complete: bool = False
    why: str = "the meta-test was not collected"


PLAN = CoveragePlan()


def plan_session(config: pytest.Config, collected: Sequence[pytest.Item],
                 items: list[pytest.Item]) -> None:
    """After every plugin reordered and deselected items: move the meta-test last and
    decide whether the session is complete enough to enforce it."""
    meta = [i for i in items if i.nodeid.endswith(META_TEST)]
    for item in meta:
        items.remove(item)
        items.append(item)
    PLAN.complete, PLAN.why = _complete(config, collected, items)


def _in_gui(item: pytest.Item) -> bool:
    return GUI_DIR in Path(item.path).resolve().parents or Path(item.path).parent == GUI_DIR


def _complete(config: pytest.Config, collected: Sequence[pytest.Item],
              items: Sequence[pytest.Item]) -> tuple[bool, str]:
    here = config.invocation_params.dir
    paths = [(here / a).resolve() for a in config.args if "::" not in a]
    if not any(p == GUI_DIR or p in GUI_DIR.parents for p in paths):
        return False, ("tests/gui was not collected as a whole (run `pytest tests/gui` or "
                       "the whole suite)")
    files = {p.resolve() for p in GUI_DIR.glob("test_*.py")}
    seen = {Path(i.path).resolve() for i in collected if _in_gui(i)}
    if files - seen:
        return False, "GUI test files were not collected: " + ", ".join(
            sorted(p.name for p in files - seen))
    kept = set(map(id, items))
    dropped = [i.nodeid for i in collected
               if _in_gui(i) and id(i) not in kept and "slow" not in i.keywords]
    if dropped:
        return False, (f"{len(dropped)} GUI tests were deselected (-k, -m, --lf, --deselect),"
                       f" e.g. {dropped[0]}")
    return True, ""
