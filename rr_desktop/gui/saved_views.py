"""The analyst's saved views: their order (Ctrl+1..9 follow it) and deleting them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QListWidgetItem, QMessageBox, QWidget

from ..keymap import Mode
from ..store import views as store_views
from ..store.store import Store
from .forms import load_form
from .jobs import JobRunner
from .text import one_line

SHORTCUT_BASE = len(store_views.BUILTIN_VIEWS)  # the first saved view is Ctrl+6


class SavedViewsDialog(QDialog):
    """Lists the analyst's own views (the built-in ones are fixed) with their query and
    key; moves and deletes them on the job helper's workers.

    Signals: changed(): the saved views changed in the cache (the window reloads its
    Ctrl+1..9 list).
    """

    changed = Signal()
    command_mode = Mode.SAVED_VIEWS

    def __init__(self, store: Store, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store, self._jobs = store, jobs
        self.ui = load_form("saved_views")()
        self.ui.setupUi(self)
        ui = self.ui
        ui.upButton.clicked.connect(lambda: self.move_selected(-1))
        ui.downButton.clicked.connect(lambda: self.move_selected(1))
        ui.deleteButton.clicked.connect(self.ask_delete)
        ui.viewList.currentRowChanged.connect(lambda _row: self._enable())
        self.busy = False
        self.reload()
        ui.viewList.setFocus()

    def handle_command(self, name: str) -> None:
        """The manager's keys (Alt+Up, Alt+Down, Delete: keymap Mode.SAVED_VIEWS)."""
        if name == "view-move-up":
            self.move_selected(-1)
        elif name == "view-move-down":
            self.move_selected(1)
        elif name == "view-delete":
            self.ask_delete()

    def names(self) -> list[str]:
        """The analyst's views, in order."""
        lst = self.ui.viewList
        return [str(lst.item(r).data(Qt.ItemDataRole.UserRole)) for r in range(lst.count())
                if lst.item(r).data(Qt.ItemDataRole.UserRole) is not None]

    def current_name(self) -> str | None:
        item = self.ui.viewList.currentItem()
        name = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return None if name is None else str(name)

    def reload(self, select: str | None = None) -> None:
        with self._store.read() as db:
            own = [v for v in store_views.saved_views(db) if not v.builtin]
        lst = self.ui.viewList
        lst.clear()
        for n, view in enumerate(own):
            slot = SHORTCUT_BASE + n + 1
            key = f"Ctrl+{slot}" if slot <= store_views.SHORTCUT_SLOTS else "no key"
            item = QListWidgetItem(f"{one_line(view.name)}   [{key}]   "
                                   f"{one_line(view.query) or '(everything)'}")
            item.setData(Qt.ItemDataRole.UserRole, view.name)
            lst.addItem(item)
        if not own:
            lst.addItem("No saved views yet: search, then \u201cSave view\u2026\u201d "
                        "(Ctrl+K)")
        names = self.names()
        lst.setCurrentRow(names.index(select) if select in names else 0 if names else -1)
        self._enable()

    def move_selected(self, delta: int) -> None:
        name, names = self.current_name(), self.names()
        if name is None or self.busy:
            return
        position = names.index(name) + delta
        if not 0 <= position < len(names):
            return
        self._write(lambda db: store_views.move_view(db, name, position), name,
                    f"Moved {name!r}")

    def ask_delete(self) -> None:
        name = self.current_name()
        if name is None or self.busy:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Delete saved view",
                          f"Delete the saved view {one_line(name)!r}? Escalations are not "
                          "touched; only the view goes.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        yes = QMessageBox.StandardButton.Yes
        box.finished.connect(lambda code: self._delete(name) if code == yes else None)
        box.open()

    # -- internals ----------------------------------------------------------------------

    def _delete(self, name: str) -> None:
        names = self.names()
        at = names.index(name) if name in names else 0
        rest = [n for n in names if n != name]
        after = rest[min(at, len(rest) - 1)] if rest else None  # the next one, else the last
        self._write(lambda db: store_views.delete_view(db, name), after, f"Deleted {name!r}")

    def _write(self, change: Any, select: str | None, done: str) -> None:
        store = self._store
        self.busy = True
        self._enable()

        def work(_p: Any, _c: Any) -> None:
            with store.write() as db:
                change(db)

        def landed(_result: Any) -> None:
            self.busy = False
            self.reload(select)
            self.ui.statusLabel.setText(one_line(done))
            self.changed.emit()

        def failed(exc: BaseException) -> None:
            self.busy = False
            self.reload(self.current_name())
            self.ui.statusLabel.setText(one_line(f"Could not change the views: {exc}"))

        self._jobs.run("saved-views", work, on_success=landed, on_failure=failed)

    def _enable(self) -> None:
        names, name = self.names(), self.current_name()
        ui = self.ui
        at = names.index(name) if name in names else -1
        ui.upButton.setEnabled(not self.busy and at > 0)
        ui.downButton.setEnabled(not self.busy and 0 <= at < len(names) - 1)
        ui.deleteButton.setEnabled(not self.busy and at >= 0)
