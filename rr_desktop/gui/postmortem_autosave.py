"""Autosave of the post-mortem being edited (docs/postmortems.md): after a short pause in
typing, at the latest a couple of seconds after the first unsaved keystroke (someone who
never pauses still loses at most that), when the editor loses the focus, and on demand.

Each save is one write transaction on a worker (`AppContext.run_write`): typing never
waits for the disk. While a save runs, the next one waits and then takes the newest text,
so saves never pile up and never go out of order. Every save is a committed revision
(`synchronous=FULL`): after a crash the newest revision is the draft.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QPlainTextEdit

from ..store import postmortems
from .context import AppContext
from .text import format_time

T = TypeVar("T")

IDLE_MS = 1500  # a pause this long in typing saves
MAX_WAIT_MS = 2000  # and no unsaved keystroke waits longer than this


def editor_text(edit: QPlainTextEdit) -> str:
    """The editor's text as typed (toPlainText would turn no-break spaces into spaces)."""
    return edit.document().toRawText().replace("\u2029", "\n")


class Autosaver(QObject):
    """Saves `edit`'s text as post-mortem `pm_id`'s draft.

    Signals: status(str): what the save state is ("Saved 10:42", "Saving…", a failure);
    saved(object): a save landed (the revision id, or None when nothing had changed)."""

    status = Signal(str)
    saved = Signal(object)
    replaced = Signal(str)  # the draft merged with a change made meanwhile: show this

    def __init__(self, ctx: AppContext, edit: QPlainTextEdit, parent: QObject | None = None
                 ) -> None:
        super().__init__(parent)
        self.ctx, self.edit = ctx, edit
        self.pm_id: int | None = None
        self.saved_text = ""
        self._running = False
        self._again: str | None = None  # a save asked for while one ran: its kind
        self._after: list[Callable[[], None]] = []
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.setInterval(IDLE_MS)
        self.idle.timeout.connect(self.save_now)
        self.deadline = QTimer(self)
        self.deadline.setSingleShot(True)
        self.deadline.setInterval(MAX_WAIT_MS)
        self.deadline.timeout.connect(self.save_now)
        edit.textChanged.connect(self._changed)

    def bind(self, pm_id: int | None) -> None:
        """Follow post-mortem `pm_id` (None: none); the editor's text is what is saved."""
        self.idle.stop()
        self.deadline.stop()
        self.pm_id = pm_id
        self.saved_text = editor_text(self.edit)

    def unsaved(self) -> bool:
        return self.pm_id is not None and editor_text(self.edit) != self.saved_text

    def busy(self) -> bool:
        return self._running

    def _changed(self) -> None:
        if self.pm_id is None or self.edit.isReadOnly():
            return
        self.idle.start()
        if not self.deadline.isActive():
            self.deadline.start()

    def save_now(self, kind: str = "autosave", then: Callable[[], None] | None = None
                 ) -> None:
        """Save the editor's text now (or right after the save that is running); `then`
        runs once the text is saved (or found unchanged)."""
        self.idle.stop()
        self.deadline.stop()
        if then is not None:
            self._after.append(then)
        if self._running:
            self._again = kind if self._again in (None, "autosave") else self._again
            return
        pm_id, text = self.pm_id, editor_text(self.edit)
        if pm_id is None or (text == self.saved_text and kind == "autosave"):
            self._finish()
            return
        self._running = True
        self.status.emit("Saving\u2026")
        me, now, started_from = self.ctx.me, self.ctx.clock(), self.saved_text

        def write(db: sqlite3.Connection) -> postmortems.Saved:
            return postmortems.save_typing(db, pm_id, text, started_from, me, now, kind)

        job = self.ctx.run_write("Save post-mortem", write,
                                 failure="The post-mortem was not saved",
                                 on_done=lambda saved: self._landed(pm_id, text, now, saved),
                                 on_failure=lambda _exc: self._failed())
        if job is None:  # the window is closing: the final save does it
            self._running = False

    def save_sync(self, db: sqlite3.Connection) -> None:
        """The last save as the window closes, in the caller's write transaction."""
        self.idle.stop()
        self.deadline.stop()
        if self.unsaved() and self.pm_id is not None:
            postmortems.save(db, self.pm_id, editor_text(self.edit), self.ctx.me,
                             self.ctx.clock())
            self.saved_text = editor_text(self.edit)

    def mark_saved(self, text: str) -> None:
        """`text` is what the store holds now (a write other than a save put it there)."""
        self.saved_text = text

    def write_after_save(self, name: str, write: Callable[[sqlite3.Connection, str], T],
                         on_done: Callable[[T], None], failure: str) -> None:
        """Save the typing first, then run `write(db, text)` (a restore, a merge, a
        refresh, a review state) with no autosave in between or during it: the editor is
        read-only for those milliseconds, so no keystroke lands between the two."""
        pm_id = self.pm_id

        def start() -> None:
            if self.pm_id != pm_id or pm_id is None:
                return
            self._running = True
            was_read_only = self.edit.isReadOnly()
            self.edit.setReadOnly(True)
            text = editor_text(self.edit)

            def done(result: T) -> None:
                self.edit.setReadOnly(was_read_only)
                self._running = False
                on_done(result)
                self._next()

            def failed(_exc: BaseException) -> None:
                self.edit.setReadOnly(was_read_only)
                self._failed()

            job = self.ctx.run_write(name, lambda db: write(db, text), failure=failure,
                                     on_done=done, on_failure=failed)
            if job is None:
                self.edit.setReadOnly(was_read_only)
                self._running = False

        self.save_now(then=start)

    def _landed(self, pm_id: int, text: str, now: datetime, saved: postmortems.Saved) -> None:
        self._running = False
        if pm_id == self.pm_id:
            if saved.text != text:  # another change landed meanwhile: merged by section
                self._took_merge(text, saved)
            else:
                self.saved_text = text
            self.status.emit(f"Saved {format_time(int(now.timestamp()))}")
        self.saved.emit(saved.revision_id)
        self._next()

    def _took_merge(self, sent: str, saved: postmortems.Saved) -> None:
        """The store holds `sent` merged with a change made meanwhile. With no typing
        since, the editor shows the merge; otherwise the next save merges again from
        what was sent, so the other change is never typed over."""
        if editor_text(self.edit) == sent:
            self.replaced.emit(saved.text)
            self.saved_text = saved.text
        else:
            self.saved_text = sent
        note = "; sections changed on both sides wait for you (Ctrl+Alt+M)" \
            if saved.conflicts else ""
        self.status.emit(f"Merged with a change made meanwhile{note}")

    def _failed(self) -> None:
        """Not saved (the message says why): the text stays in the editor and the next
        keystroke or Ctrl+S tries again; what waited for this save does not run."""
        self._running = False
        self._again, self._after = None, []
        self.status.emit("Not saved (see the message): your text is still here")

    def _next(self) -> None:
        again, self._again = self._again, None
        if again is not None or self.unsaved():
            self.save_now(again or "autosave")
        else:
            self._finish()

    def _finish(self) -> None:
        after, self._after = self._after, []
        for fn in after:
            fn()
