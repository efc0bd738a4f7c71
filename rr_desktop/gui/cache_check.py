"""The cache's integrity check, run on a worker after the first paint (seconds at 1M
rows); a damaged cache is reported in a dialog saying what to do, and nothing changes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from .context import AppContext
from .text import one_line


def check_cache(ctx: AppContext, parent: QWidget) -> None:
    """PRAGMA quick_check on a worker; a problem opens the "Cache damaged" dialog."""
    store = ctx.store

    def checked(problem: object) -> None:
        if problem is None:
            return
        text = (f"The local cache file {store.path} is damaged "
                f"({one_line(str(problem))}).\n\nYour queued changes may not all be "
                "readable. Quit RR Desktop, move the file aside (keep it for support) and "
                "start again: everything is synced again from the channels.")
        box = QMessageBox(QMessageBox.Icon.Warning, "Cache damaged", text,
                          QMessageBox.StandardButton.Ok, parent)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setObjectName("cacheDamaged")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        ctx.notifier.error("The cache file is damaged: see the message", 30_000)

    ctx.run_job("quick-check", lambda _p, _c: store.quick_check(),
                failure="The cache could not be checked", on_done=checked)
