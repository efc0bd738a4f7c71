"""Commands of the Outbox & sync view: resolve a conflict (keep mine / take theirs /
edit), retry a refused change, copy a quarantined payload, reset backoff on F5."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QInputDialog

from ..store.conflicts import Resolution, resolve_conflict
from ..store.sync_overview import retry_dead
from .text import one_line

if TYPE_CHECKING:
    from .main_window import MainWindow


class OutboxActions(QObject):
    """Writes behind the sync view's keys, on a worker; the view re-reads afterwards."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window

    def handlers(self) -> dict[str, Callable[[], object]]:
        return {
            "conflict-mine": lambda: self.resolve("mine"),
            "conflict-theirs": lambda: self.resolve("theirs"),
            "conflict-edit": self.edit,
            "retry-op": self.retry,
            "copy-raw": self.copy_raw,
        }

    def resolve(self, resolution: Resolution, value: Any = None) -> None:
        conflict = self.w.sync_view.current_conflict()
        if conflict is None:
            self.w.statusBar().showMessage("No conflict selected (Conflicts tab)", 4000)
            return
        store, me = self.w.store, self.w.me

        def work(_p: Any, _c: Any) -> int:
            with store.write() as db:
                return resolve_conflict(db, conflict.id, resolution, me, datetime.now(UTC),
                                        value)

        def landed(esc_id: int) -> None:
            self.w.statusBar().showMessage(
                f"#{esc_id} {conflict.field}: kept {resolution}; the change syncs next", 5000)
            self.w.sync_view.refresh()
            self.w.refresh_view({esc_id})
            self.w.sync.sync_now()

        if self.w.is_closed():
            return
        job = self.w.jobs.run("resolve-conflict", work, on_success=landed)
        job.failed.connect(lambda exc: self.w.statusBar().showMessage(
            one_line(f"Could not resolve: {exc}"), 8000))

    def edit(self) -> None:
        conflict = self.w.sync_view.current_conflict()
        if conflict is None:
            self.w.statusBar().showMessage("No conflict selected (Conflicts tab)", 4000)
            return
        mine = conflict.mine
        shown = " ".join(mine) if isinstance(mine, list) else ("" if mine is None else str(mine))
        text, ok = QInputDialog.getText(self.w, "Edit conflicting value",
                                        f"New value for {conflict.field}:", text=shown)
        if not ok:
            return
        value: Any = text.split() if conflict.field == "tags" else (text.strip() or None)
        self.resolve("edit", value)

    def retry(self) -> None:
        op = self.w.sync_view.current_dead_op()
        if op is None:
            self.w.statusBar().showMessage("Select a refused change to retry", 4000)
            return
        store = self.w.store

        def work(_p: Any, _c: Any) -> bool:
            with store.write() as db:
                return retry_dead(db, op.seq)

        def landed(_ok: bool) -> None:
            self.w.sync_view.refresh()
            self.w.sync.sync_now()

        if self.w.is_closed():
            return
        self.w.jobs.run("retry-op", work, on_success=landed)

    def copy_raw(self) -> None:
        raw = self.w.sync_view.current_raw()
        if raw is None:
            self.w.statusBar().showMessage("Select a quarantined record", 4000)
            return
        QApplication.clipboard().setText(raw)
        self.w.statusBar().showMessage(f"Copied {len(raw):,} characters of raw payload", 4000)

    def sync_now_resetting_backoff(self) -> None:
        """F5 means now: clear rate-limit waits and retry delays of queued changes (on a
        worker), then start a sync."""
        store = self.w.store

        def work(_p: Any, _c: Any) -> None:
            with store.write() as db:
                db.execute("UPDATE outbox SET next_attempt_at = 0 WHERE state = 'pending'")
                db.execute("UPDATE channel SET rate_limited_until = NULL")

        if self.w.is_closed():
            return
        self.w.jobs.run("reset-backoff", work, on_success=lambda _r: self.w.sync.sync_now(),
                        on_failure=lambda _e: self.w.sync.sync_now())
