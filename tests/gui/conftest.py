"""Fixtures for the Qt layer: a cache with known escalations, a window without network."""

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

from .seed import choose_identity, make_store


class FakeEngine:
    """Stands in for SyncEngine: runs `step(progress, cancel)` if set, else does nothing."""

    def __init__(self) -> None:
        self.step: Callable[[Callable[[SyncProgress], None], threading.Event],
                            list[SyncReport]] | None = None
        self.runs = 0
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
