"""run_gui, the entry the CLI calls: the smoke mode used on the frozen bundle."""

from __future__ import annotations

import gc
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rr_desktop.gui import app as app_mod
from rr_desktop.gui.app import run_gui

from .conftest import FakeWorkspace
from .seed import make_store


@pytest.fixture(autouse=True)
def plain_app(qtbot: QtBot) -> Iterator[None]:
    yield
    instance = QApplication.instance()
    assert isinstance(instance, QApplication)
    instance.setStyleSheet("")  # run_gui themes the shared app; later tests expect none


def test_smoke_ok_when_rows_show(workspace: FakeWorkspace, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RR_DESKTOP_SMOKE", "1")
    handler = signal.getsignal(signal.SIGINT)
    assert run_gui(workspace, ["rr-desktop"]) == 0
    assert "SMOKE OK rows=40" in capsys.readouterr().out
    assert workspace.engine.runs >= 1  # background sync was started
    assert signal.getsignal(signal.SIGINT) is handler


def test_smoke_fails_without_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RR_DESKTOP_SMOKE", "1")
    monkeypatch.setattr(app_mod, "SMOKE_TIMEOUT_S", 0.3)
    store = make_store(tmp_path, 0)
    try:
        assert run_gui(FakeWorkspace(store), ["rr-desktop"]) == 1
    finally:
        store.close()
    assert "SMOKE FAIL rows=0" in capsys.readouterr().out


def test_theme_loads() -> None:
    qss = app_mod.load_stylesheet()
    assert "QHeaderView::section" in qss and "QLabel#detailTitle" in qss


def test_startup_objects_leave_the_collector() -> None:
    """After start-up a full collection no longer walks the window and the modules."""
    try:
        frozen = app_mod.freeze_startup_objects()
        # Frozen objects can still be freed (a worker thread of an earlier test ending
        # drops a few): the count may shrink a little between the two reads, never grow.
        assert frozen > 10_000 and frozen - 1_000 < gc.get_freeze_count() <= frozen
        assert len(gc.get_objects(generation=2)) < frozen
    finally:
        gc.unfreeze()


def test_run_gui_freezes_startup_objects(workspace: FakeWorkspace,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    frozen: list[int] = []
    monkeypatch.setenv("RR_DESKTOP_SMOKE", "1")
    monkeypatch.setattr(app_mod, "GC_FREEZE_DELAY_MS", 0)
    monkeypatch.setattr(app_mod, "freeze_startup_objects", lambda: frozen.append(1) or 0)
    assert run_gui(workspace, ["rr-desktop"]) == 0
    assert frozen == [1]


def test_run_gui_leaves_no_timer_behind(workspace: FakeWorkspace,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The smoke run ends within 0.1 s; the cache check (3 s) and the collector freeze
    (2 s) it scheduled must not stay armed to fire into another test (they froze ~100k
    objects of whatever test ran 2 s later, never unfrozen: an order-dependent suite)."""
    monkeypatch.setenv("RR_DESKTOP_SMOKE", "1")
    made: list[QTimer] = []
    real = app_mod._single_shot

    def recorded(msec: int, slot: Callable[[], object]) -> QTimer:
        made.append(real(msec, slot))
        return made[-1]

    monkeypatch.setattr(app_mod, "_single_shot", recorded)
    assert run_gui(workspace, ["rr-desktop"]) == 0
    assert len(made) == 2
    assert [t.isActive() for t in made] == [False, False]
