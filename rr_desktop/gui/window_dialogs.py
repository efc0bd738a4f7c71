"""The window's helper dialogs: the command palette, the `?` overlay, sync details,
About, Sort by, and the saved views manager; each opens window-modal and gives the
keyboard back where it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QWidget

from ..store.changes import Changes
from .commands import CommandRegistry
from .context import AppContext
from .dialogs import AboutDialog, SyncDetailsDialog
from .fuzzy import Choice
from .palette import CommandPalette, ShortcutOverlay
from .saved_views import SavedViewsDialog
from .status import ChannelStatusBar
from .triage.columns import COLUMNS
from .triage.prompts import PickPrompt
from .view_switcher import ViewSwitcher


class WindowDialogs(QObject):
    """Opens the window's dialogs through `open_dialog` (which tracks focus)."""

    def __init__(self, ctx: AppContext, commands: CommandRegistry, views: ViewSwitcher,
                 channels: ChannelStatusBar, parent: QWidget,
                 open_dialog: Callable[[QDialog], None], sync_now: Callable[[], None],
                 data_dir: Path) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.commands = commands
        self.views = views
        self.channels = channels
        self._parent = parent
        self._open = open_dialog
        self._sync_now = sync_now
        self._data_dir = data_dir

    def palette(self) -> None:
        self._open(CommandPalette(self.commands, self._parent))

    def shortcuts(self) -> None:
        self._open(ShortcutOverlay(self.commands, self.commands.current_mode(), self._parent))

    def sort(self) -> None:
        """Sort by a column, or back to triage order (a header click does the same)."""
        choices = [Choice(c.sort, c.header, c.help) for c in COLUMNS if c.sort]
        choices.append(Choice("", "Triage order", "priority first, then the oldest"))
        prompt = PickPrompt("Sort by", choices, "Column", False, self._parent)
        prompt.chosen.connect(self.views.sort_by)
        self._open(prompt)

    def manage_views(self) -> None:
        dialog = SavedViewsDialog(self.ctx.store, self.ctx.jobs, self._parent)
        dialog.changed.connect(lambda: self.ctx.apply(Changes(views=True)))
        self._open(dialog)

    def sync_details(self, channel: str | None) -> None:
        self.channels.refresh()
        statuses = self.channels.statuses
        if not statuses:
            self.ctx.notifier.info("No channels configured")
            return
        chosen = next((s for s in statuses if s.name == channel), None) or next(
            (s for s in statuses if s.last_error), statuses[0])
        dialog = SyncDetailsDialog(chosen, self._parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.ui.syncNowButton.clicked.connect(self._sync_now)
        dialog.open()

    def about(self) -> None:
        dialog = AboutDialog(self._data_dir, self._parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
