"""What screens and controllers get instead of the main window: the store, the job helper,
who the analyst is, their settings and the notifier, plus the one way to write (Anki's
CollectionOp): a write runs on a worker, returns what it changed, and every screen
redraws from the one `changes_applied` signal (docs/architecture.md, "The GUI")."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from ..settings import Settings
from ..store.changes import Changes
from ..store.store import Store
from ..store.timecodec import utcnow
from .jobs import Job, JobRunner
from .notifier import Notifier

T = TypeVar("T")
ChangesOf = Callable[[Any], Changes]


class AppContext(QObject):
    """The services of one window. Signals (GUI thread):
      changes_applied(Changes): a write landed; redraw what it changed;
      identity_changed(str): the analyst chose who they are (their id)."""

    changes_applied = Signal(object)
    identity_changed = Signal(str)

    def __init__(self, store: Store, jobs: JobRunner, settings: Settings, data_dir: Path,
                 notifier: Notifier, me: str,
                 clock: Callable[[], datetime] = utcnow, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.jobs = jobs
        self.settings = settings
        self.data_dir = data_dir
        self.notifier = notifier
        self.clock = clock
        self._me = me
        self.closed = False

    @property
    def me(self) -> str:
        """The analyst's id (from the roster or their own choice; never the OS login)."""
        return self._me

    def set_me(self, me: str) -> None:
        if me != self._me:
            self._me = me
            self.identity_changed.emit(me)

    def apply(self, changes: Changes) -> None:
        """Tell every screen what changed (also for changes made elsewhere: a sync)."""
        if changes and not self.closed:
            self.changes_applied.emit(changes)

    def run_write(self, name: str, write: Callable[[sqlite3.Connection], T], *,
                  failure: str, changes: Changes | ChangesOf | None = None,
                  on_done: Callable[[T], None] | None = None,
                  on_failure: Callable[[BaseException], None] | None = None) -> Job | None:
        """Run `write(db)` in one write transaction on a worker. On success the changes
        (given, or computed from the result) are applied, then `on_done(result)` runs;
        on failure the notifier says `failure: <why>` (and `on_failure` runs)."""
        store = self.store

        def work(_progress: Any, _cancel: Any) -> T:
            with store.write() as db:
                return write(db)

        def landed(result: T) -> None:
            if self.closed:
                return
            if changes is not None:
                self.apply(changes(result) if callable(changes) else changes)
            if on_done is not None:
                on_done(result)

        return self._run(name, work, landed, failure, on_failure)

    def run_read(self, name: str, read: Callable[[sqlite3.Connection], T], *, failure: str,
                 on_done: Callable[[T], None]) -> Job | None:
        """Run `read(db)` on a read connection on a worker; `on_done(result)` on the GUI
        thread; failures reach the notifier."""
        store = self.store

        def work(_progress: Any, _cancel: Any) -> T:
            with store.read() as db:
                return read(db)

        return self._run(name, work, lambda r: None if self.closed else on_done(r), failure,
                         None)

    def run_job(self, name: str, work: Callable[[Any, Any], T], *, failure: str,
                on_done: Callable[[T], None] | None = None,
                on_failure: Callable[[BaseException], None] | None = None) -> Job | None:
        """Any other background work (`work(progress, cancel)`), with the same failure
        path."""
        return self._run(name, work, (lambda r: None) if on_done is None else
                         (lambda r: None if self.closed else on_done(r)), failure, on_failure)

    def _run(self, name: str, work: Callable[[Any, Any], T], landed: Callable[[T], None],
             failure: str, on_failure: Callable[[BaseException], None] | None) -> Job | None:
        if self.closed:
            return None

        def failed(exc: BaseException) -> None:
            if self.closed:
                return
            self.notifier.failed(failure, exc)
            if on_failure is not None:
                on_failure(exc)

        return self.jobs.run(name, work, on_success=landed, on_failure=failed)
