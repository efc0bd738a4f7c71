"""The adapter between the Qt-free sync engine and the GUI (STYLE habit 2; Electrum's Qt
event listener): the engine reports through plain callbacks on a worker thread, this
re-emits them as Qt signals on the GUI thread and schedules background runs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from ..store.store import Store
from ..sync.engine import SyncProgress, SyncReport
from .jobs import Job, JobRunner

log = logging.getLogger("rr_desktop.gui.sync")


class SyncRunner(Protocol):
    """What the GUI needs of `rr_desktop.sync.engine.SyncEngine`: run every channel, and
    the channels' clients (new ones are added while the app runs)."""

    @property
    def clients(self) -> Mapping[str, Any]: ...

    def add_client(self, name: str, client: Any) -> Any: ...

    def run_all(self, progress: Callable[[SyncProgress], None] | None = None,
                cancel: threading.Event | None = None) -> list[SyncReport]: ...

    def run(self, name: str, progress: Callable[[SyncProgress], None] | None = None,
            cancel: threading.Event | None = None) -> SyncReport: ...


class WorkspaceLike(Protocol):
    """What the window needs of `rr_desktop.workspace.Workspace` (tests pass stand-ins)."""

    @property
    def store(self) -> Store: ...

    @property
    def engine(self) -> SyncRunner: ...


class SyncBridge(QObject):
    """Runs `engine.run_all(progress, cancel)` through the job helper, one run at a time:
    at start, every `interval_s` seconds after the previous run ended, and on `sync_now()`;
    `sync_channel(name)` runs only that channel (its source said it has news) and leaves
    the interval's schedule as it was.

    Signals, all on the GUI thread:
      running_changed(bool): a run started or ended;
      progress(SyncProgress): the engine's latest progress report;
      finished(list): the run's `SyncReport`s (a failing channel is reported in its
        report, never raised);
      failed(str): the run itself raised (a bug or the store going away).
    """

    running_changed = Signal(bool)
    progress = Signal(object)
    finished = Signal(list)
    failed = Signal(str)

    def __init__(self, engine: SyncRunner, jobs: JobRunner, interval_s: float | None = 30.0,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._engine = engine
        self._jobs = jobs
        self._job: Job | None = None
        self._again = False
        self._wanted: set[str] = set()  # channels to sync once the running job ends
        self._stopped = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.sync_now)
        self._interval_ms = int(interval_s * 1000) if interval_s else 0

    def start(self) -> None:
        """Sync now, then keep syncing in the background."""
        self._stopped = False
        self.sync_now()

    def is_running(self) -> bool:
        return self._job is not None

    def sync_now(self) -> None:
        """Start a run; if one is running, start another as soon as it ends."""
        if self._stopped:
            return
        if self._job is not None:
            self._again = True
            return
        self._timer.stop()
        self._wanted.clear()  # every channel is in this run
        engine = self._engine

        def run(progress: Callable[[Any], None], cancel: threading.Event) -> list[SyncReport]:
            return engine.run_all(progress, cancel)

        self._start(run)

    def sync_channel(self, name: str) -> None:
        """Sync one channel now; if a run is going, once it ends (it may have passed that
        channel already)."""
        if self._stopped:
            return
        self._wanted.add(name)
        if self._job is not None:
            return
        names, self._wanted = sorted(self._wanted), set()
        engine = self._engine

        def run(progress: Callable[[Any], None], cancel: threading.Event) -> list[SyncReport]:
            return [engine.run(n, progress, cancel) for n in names if n in engine.clients]

        self._start(run)

    def _start(self, run: Callable[[Callable[[Any], None], threading.Event],
                                   list[SyncReport]]) -> None:
        self._job = self._jobs.run("sync", run, on_success=self._on_done,
                                   on_failure=self._on_failed, on_progress=self.progress.emit)
        self._job.finished.connect(self._on_finished)
        self.running_changed.emit(True)

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop scheduling, cancel a running sync and wait for it up to `timeout` seconds.
        True when nothing is left running."""
        self._stopped = True
        self._timer.stop()
        job = self._job
        if job is None:
            return True
        job.cancel()
        return job.wait(timeout)

    def _on_done(self, reports: list[SyncReport]) -> None:
        for report in reports:
            log.info("%s", report.summary())
        self.finished.emit(reports)

    def _on_failed(self, error: BaseException) -> None:
        self.failed.emit(f"{type(error).__name__}: {error}")

    def _on_finished(self) -> None:
        self._job = None
        self.running_changed.emit(False)
        if self._stopped:
            return
        if self._again:
            self._again = False
            self.sync_now()
        elif self._wanted:
            self.sync_channel(next(iter(self._wanted)))
        elif self._interval_ms and not self._timer.isActive():  # a channel's run keeps it
            self._timer.start(self._interval_ms)
