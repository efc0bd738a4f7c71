"""The one helper for long work off the GUI thread (STYLE habit 4; Anki QueryOp, Picard
run_task).

A job is a plain callable `fn(progress, cancel) -> result` that runs on a worker thread.
`progress(value)` may be called from the worker as often as it likes: values are
marshalled to the GUI thread and coalesced (the GUI sees the latest, never a backlog).
`cancel` is a `threading.Event` the callable should check between steps; the core's own
APIs take the same two arguments (SyncEngine.run_all). Success and failure are delivered
on the GUI thread, after the last progress value, never synchronously inside `run()`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger("rr_desktop.gui.jobs")

ProgressFn = Callable[[Any], None]
JobFn = Callable[[ProgressFn, threading.Event], Any]

_NOTHING = object()


class Job(QObject):
    """One callable running on a worker thread of a `JobRunner`.

    Signals, all emitted on the GUI thread:
      progress(object): the latest value the callable passed to its progress callback;
      succeeded(object): the callable's return value;
      failed(object): the exception it raised (`BaseException`);
      finished(): after `succeeded` or `failed`, exactly once.
    """

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()

    _progress_ready = Signal()
    _done = Signal(object, object)

    def __init__(self, name: str, fn: JobFn, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.cancel_event = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self._fn = fn
        self._lock = threading.Lock()
        self._latest: Any = _NOTHING
        self._ran = threading.Event()
        self._delivered = False
        # Queued even when emitted on the GUI thread: callers may connect after run().
        self._progress_ready.connect(self._deliver_progress, Qt.ConnectionType.QueuedConnection)
        self._done.connect(self._deliver_result, Qt.ConnectionType.QueuedConnection)

    def cancel(self) -> None:
        """Ask the callable to stop (it sees `cancel.is_set()`); returns at once."""
        self.cancel_event.set()

    def is_running(self) -> bool:
        """True until the callable has returned or raised (delivery may still be pending)."""
        return not self._ran.is_set()

    def is_delivered(self) -> bool:
        """True once `finished` has been emitted on the GUI thread."""
        return self._delivered

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the callable has returned (not until delivery); False on timeout."""
        return self._ran.wait(timeout)

    # -- worker thread -------------------------------------------------------------------

    def _report(self, value: Any) -> None:
        with self._lock:
            posted = self._latest is not _NOTHING
            self._latest = value
        if not posted:
            self._post(self._progress_ready.emit)

    def _run(self) -> None:
        try:
            result = self._fn(self._report, self.cancel_event)
        except BaseException as exc:  # delivered to the GUI thread, which decides
            log.warning("job %s failed: %s", self.name, exc, exc_info=exc)
            self._ran.set()
            self._post(partial(self._done.emit, None, exc))
        else:
            self._ran.set()
            self._post(partial(self._done.emit, result, None))

    def _post(self, emit: Callable[[], None]) -> None:
        try:
            emit()
        except RuntimeError:  # the window (and this QObject) went away first: nobody waits
            log.info("job %s finished after its owner was deleted", self.name)

    # -- GUI thread ----------------------------------------------------------------------

    @Slot()
    def _deliver_progress(self) -> None:
        with self._lock:
            value, self._latest = self._latest, _NOTHING
        if value is not _NOTHING:
            self.progress.emit(value)

    @Slot(object, object)
    def _deliver_result(self, result: Any, error: BaseException | None) -> None:
        self._deliver_progress()
        self.result, self.error = result, error
        self._delivered = True
        if error is None:
            self.succeeded.emit(result)
        else:
            self.failed.emit(error)
        self.finished.emit()


class JobRunner(QObject):
    """Runs jobs on a small pool of worker threads and keeps them alive until delivered.

    Signals: busy_changed(bool) on the GUI thread when the first job starts or the last
    one is delivered.
    """

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, max_workers: int = 2,
                 name: str = "rr-job") -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name)
        self._active: list[Job] = []
        self._closed = False

    def run(self, name: str, fn: JobFn, *,
            on_success: Callable[[Any], None] | None = None,
            on_failure: Callable[[BaseException], None] | None = None,
            on_progress: Callable[[Any], None] | None = None) -> Job:
        """Start `fn(progress, cancel)` on a worker; callbacks run on the GUI thread."""
        if self._closed:
            raise RuntimeError("the job runner is shut down")
        job = Job(name, fn, self)
        if on_success is not None:
            job.succeeded.connect(on_success)
        if on_failure is not None:
            job.failed.connect(on_failure)
        if on_progress is not None:
            job.progress.connect(on_progress)
        job.finished.connect(lambda: self._forget(job))
        self._active.append(job)
        if len(self._active) == 1:
            self.busy_changed.emit(True)
        self._pool.submit(job._run)
        return job

    def active(self) -> list[Job]:
        """Jobs started and not yet delivered."""
        return list(self._active)

    def cancel_all(self) -> None:
        for job in self._active:
            job.cancel()

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Cancel every job and wait up to `timeout` seconds in all for their callables to
        return. True when none is left running. Later `run()` calls raise."""
        self._closed = True
        self.cancel_all()
        deadline = time.monotonic() + timeout
        for job in list(self._active):
            job.wait(max(deadline - time.monotonic(), 0.0))
        stuck = [job.name for job in self._active if job.is_running()]
        if stuck:
            log.warning("jobs still running after %.1f s: %s", timeout, ", ".join(stuck))
        self._pool.shutdown(wait=False, cancel_futures=True)
        return not stuck

    def _forget(self, job: Job) -> None:
        if job in self._active:
            self._active.remove(job)
            job.setParent(None)  # Python owns it now; freed with the last reference
            if not self._active:
                self.busy_changed.emit(False)
