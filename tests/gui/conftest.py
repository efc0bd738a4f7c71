"""Fixtures for the Qt layer: a cache with known escalations and a window without network
(`window`, on `FakeWorkspace`), or the real workspace syncing the reference service in its
own process (`real_desk`, `open_real_desk`: see real_sync.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.store.store import Store
from rr_desktop.sync.engine import SyncProgress, SyncReport
from tests.peers.reference_service import ReferenceService

from .command_coverage import COMMAND_LOG, CommandLog, plan_session
from .real_sync import ME as SERVICE_ME
from .real_sync import RealDesk, close_desk, empty_cache, open_desk
from .seed import choose_identity, make_store


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config,
                                  items: list[pytest.Item]) -> object:
    """Outermost wrapper: sees the items as collected, then as every plugin left them
    (pytest-randomly's order, -k/-m/--lf deselection, the slow filter); the command
    coverage meta-test goes last (command_coverage.py)."""
    collected = list(items)
    result = yield
    plan_session(config, collected, items)
    return result


@pytest.fixture(scope="session", autouse=True)
def command_log(qapp: QApplication) -> Iterator[CommandLog]:
    """Records every command any GUI test runs, and how (command_coverage.py)."""
    with COMMAND_LOG.installed(qapp) as log:
        yield log


class FakeEngine:
    """Stands in for SyncEngine: runs `step(progress, cancel)` if set, else does nothing."""

    def __init__(self) -> None:
        self.step: Callable[[Callable[[SyncProgress], None], threading.Event],
                            list[SyncReport]] | None = None
        self.runs = 0
        self.channel_runs: list[str] = []  # run(name): one channel's sync
        self.threads: list[str] = []
        self.clients: dict[str, object] = {}

    def add_client(self, name: str, client: object) -> object | None:
        old = self.clients.get(name)
        self.clients[name] = client
        return old

    def run_all(self, progress: Callable[[SyncProgress], None] | None = None,
                cancel: threading.Event | None = None) -> list[SyncReport]:
        self.runs += 1
        self.threads.append(threading.current_thread().name)
        if self.step is None:
            return []
        return self.step(progress or (lambda _p: None), cancel or threading.Event())

    def run(self, name: str, progress: Callable[[SyncProgress], None] | None = None,
            cancel: threading.Event | None = None) -> SyncReport:
        self.runs += 1
        self.channel_runs.append(name)
        self.threads.append(threading.current_thread().name)
        return SyncReport(name)


@dataclass
class FakeWorkspace:
    store: Store
    engine: FakeEngine = field(default_factory=FakeEngine)
    data_dir: Path | None = None


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = make_store(tmp_path, 40)
    yield s
    s.close()


@pytest.fixture
def workspace(store: Store, tmp_path: Path) -> FakeWorkspace:
    choose_identity(tmp_path)
    return FakeWorkspace(store, data_dir=tmp_path)


@pytest.fixture
def window(qtbot: QtBot, workspace: FakeWorkspace) -> Iterator[MainWindow]:
    win = MainWindow(workspace, sync_interval_s=None)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    win.table.setFocus()
    qtbot.waitUntil(win.table.hasFocus)
    qtbot.waitUntil(lambda: not win.detail.is_pending())
    yield win
    win.shutdown()


@pytest.fixture(scope="session")
def empty_cache_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty cache file each real desk starts from (a copy of it)."""
    return empty_cache(tmp_path_factory.mktemp("cache") / "cache.sqlite3")


@pytest.fixture
def open_real_desk(qtbot: QtBot, tmp_path: Path,
                   empty_cache_file: Path) -> Iterator[Callable[..., RealDesk]]:
    """Opens real desks: `open_real_desk(count=120, service_args=(), me="a.tan")` starts
    a reference service of its own (`service_args`: its fault injection or hostile data,
    see `rr-desktop demo-server --help`), opens the real window on a fresh data dir and
    syncs it once. Everything is closed and stopped after the test."""
    opened: list[RealDesk] = []

    def open_(count: int = 120, service_args: tuple[str, ...] = (),
              me: str = SERVICE_ME) -> RealDesk:
        service = ReferenceService(count=count, extra_args=service_args).start()
        try:
            desk = open_desk(qtbot, tmp_path / f"desk{len(opened)}", service, me,
                             empty_cache_file)
        except BaseException:
            service.__exit__()
            raise
        opened.append(desk)
        return desk

    yield open_
    for desk in reversed(opened):
        try:
            close_desk(desk)
        finally:
            desk.service.__exit__()


@pytest.fixture
def real_desk(open_real_desk: Callable[..., RealDesk]) -> RealDesk:
    """The real app on the reference service (120 escalations), synced once."""
    return open_real_desk()
