"""The job helper: work off the GUI thread, results/progress on it, cancel honoured."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from rr_desktop.gui.jobs import JobRunner, ProgressFn


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[JobRunner]:
    r = JobRunner(max_workers=2)
    yield r
    r.shutdown(2)


def on_gui_thread() -> bool:
    return QThread.currentThread() is QThread.currentThread().thread() and \
        threading.current_thread() is threading.main_thread()


def test_success_is_delivered_on_the_gui_thread(qtbot: QtBot, runner: JobRunner) -> None:
    where: dict[str, Any] = {}

    def work(progress: ProgressFn, cancel: threading.Event) -> int:
        where["worker"] = threading.current_thread().name
        return 42

    def done(value: int) -> None:
        where["done"] = (value, on_gui_thread())

    job = runner.run("answer", work, on_success=done)
    assert job.is_delivered() is False  # never synchronous
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert where["worker"].startswith("rr-job")
    assert where["done"] == (42, True)
    assert job.result == 42 and job.error is None
    assert runner.active() == []


def test_failure_is_delivered(qtbot: QtBot, runner: JobRunner) -> None:
    def work(progress: ProgressFn, cancel: threading.Event) -> None:
        raise ValueError("boom")

    errors: list[BaseException] = []
    job = runner.run("bad", work, on_failure=errors.append)
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert len(errors) == 1 and isinstance(errors[0], ValueError)


def test_progress_is_marshalled_and_coalesced(qtbot: QtBot, runner: JobRunner) -> None:
    seen: list[tuple[int, bool]] = []

    def work(progress: ProgressFn, cancel: threading.Event) -> str:
        for i in range(10_000):
            progress(i)
        return "ok"

    job = runner.run("chatty", work, on_progress=lambda v: seen.append((v, on_gui_thread())))
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert seen[-1] == (9999, True)  # the last value always arrives, before `finished`
    assert all(gui for _, gui in seen)
    assert len(seen) < 10_000
    assert [v for v, _ in seen] == sorted(v for v, _ in seen)


def test_cancel_reaches_the_callable(qtbot: QtBot, runner: JobRunner) -> None:
    started = threading.Event()

    def work(progress: ProgressFn, cancel: threading.Event) -> str:
        started.set()
        return "cancelled" if cancel.wait(10) else "timed out"

    job = runner.run("long", work)
    assert started.wait(5)
    job.cancel()
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert job.result == "cancelled"


def test_shutdown_cancels_and_waits(qtbot: QtBot) -> None:
    runner = JobRunner()
    started = threading.Event()
    def work(progress: ProgressFn, cancel: threading.Event) -> bool:
        started.set()
        return cancel.wait(10)

    runner.run("long", work)
    assert started.wait(5)
    assert runner.shutdown(5) is True
    with pytest.raises(RuntimeError):
        runner.run("late", lambda progress, cancel: None)
