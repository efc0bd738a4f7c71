"""Commands of the Outbox & sync view: resolve a conflict (keep mine / take theirs /
edit), retry a refused change, copy a quarantined payload, reset backoff on F5."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QDialog, QInputDialog, QWidget

from ..store.changes import Changes
from ..store.conflicts import Resolution, resolve_conflict
from ..store.sync_overview import reset_backoff, retry_dead
from .context import AppContext
from .sync_view import SyncView


class OutboxActions(QObject):
    """Writes behind the sync view's keys, on a worker; `sync_now` starts a sync after
    them (the change goes out at once)."""

    def __init__(self, ctx: AppContext, view: SyncView, sync_now: Callable[[], None],
                 parent: QWidget, open_dialog: Callable[[QDialog], None]) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.view = view
        self._sync_now = sync_now
        self._parent = parent
        self._open = open_dialog

    def handlers(self) -> dict[str, Callable[[], object]]:
        return {
            "conflict-mine": lambda: self.resolve("mine"),
            "conflict-theirs": lambda: self.resolve("theirs"),
            "conflict-edit": self.edit,
            "retry-op": self.retry,
            "copy-raw": self.copy_raw,
        }

    def resolve(self, resolution: Resolution, value: Any = None) -> None:
        conflict = self.view.current_conflict()
        if conflict is None:
            self.ctx.notifier.info("No conflict selected (Conflicts tab)")
            return
        me = self.ctx.me

        def write(db: sqlite3.Connection) -> int:
            return resolve_conflict(db, conflict.id, resolution, me, self.ctx.clock(), value)

        def landed(esc_id: int) -> None:
            self.ctx.notifier.info(
                f"{conflict.external_id} {conflict.field}: kept {resolution}; "
                "the change syncs next")
            self._sync_now()

        self.ctx.run_write("resolve-conflict", write, failure="Could not resolve",
                           changes=lambda esc_id: Changes.of_escalations([esc_id]),
                           on_done=landed)

    def edit(self) -> None:
        conflict = self.view.current_conflict()
        if conflict is None:
            self.ctx.notifier.info("No conflict selected (Conflicts tab)")
            return
        mine = conflict.mine
        shown = " ".join(mine) if isinstance(mine, list) else ("" if mine is None else str(mine))
        dialog = QInputDialog(self._parent)
        dialog.setWindowTitle("Edit conflicting value")
        dialog.setLabelText(f"New value for {conflict.field} of {conflict.external_id}:")
        dialog.setTextValue(shown)

        def chosen(text: str) -> None:
            value: Any = text.split() if conflict.field == "tags" else (text.strip() or None)
            self.resolve("edit", value)

        dialog.textValueSelected.connect(chosen)
        self._open(dialog)  # window-modal; the keys come back where they were

    def retry(self) -> None:
        op = self.view.current_dead_op()
        if op is None:
            self.ctx.notifier.info("Select a refused change to retry")
            return
        self.ctx.run_write("retry-op", lambda db: retry_dead(db, op.seq),
                           failure="Could not queue the change again",
                           changes=Changes(outbox=True), on_done=lambda _ok: self._sync_now())

    def copy_raw(self) -> None:
        raw = self.view.current_raw()
        if raw is None:
            self.ctx.notifier.info("Select a quarantined record")
            return
        QApplication.clipboard().setText(raw)
        self.ctx.notifier.info(f"Copied {len(raw):,} characters of raw payload")

    def sync_now_resetting_backoff(self) -> None:
        """F5 means now: clear rate-limit waits and retry delays of queued changes (on a
        worker), then start a sync."""
        self.ctx.run_write("reset-backoff", reset_backoff, failure="Could not reset waits",
                           changes=Changes(outbox=True, channels=True),
                           on_done=lambda _r: self._sync_now(),
                           on_failure=lambda _e: self._sync_now())
