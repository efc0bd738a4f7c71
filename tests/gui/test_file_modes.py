"""Everything the app writes is private under any umask (umask 000 here): the data dir
and every parent it had to create 0700; the cache, its -wal and -shm, settings.json and
window.ini 0600; nothing else left behind."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.settings import load_settings, save_setting
from rr_desktop.workspace import Workspace


@pytest.fixture
def umask_000() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_everything_the_app_writes_is_private_under_umask_000(
        qtbot: QtBot, tmp_path: Path, umask_000: None) -> None:
    data = tmp_path / "new" / "nested" / "data"  # --data-dir whose parents are missing
    ws = Workspace.open(data, demo=True, demo_live=None, demo_count=50)
    try:
        report = ws.engine.run("demo")
        assert report.error is None and report.changed == 50
        save_setting(data, "me", "a.tan")
        assert load_settings(data).me == "a.tan"
        win = MainWindow(ws, sync_interval_s=None)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitExposed(win)
        # Written while the app runs: the cache and its WAL side files.
        for name in ("cache.sqlite3", "cache.sqlite3-wal", "cache.sqlite3-shm"):
            assert _mode(data / name) == 0o600, name
        win.shutdown()  # writes window.ini
    finally:
        ws.close()
    for parent in (tmp_path / "new", tmp_path / "new" / "nested", data):
        assert _mode(parent) == 0o700, parent
    written = {p.name: _mode(p) for p in data.iterdir()}
    assert written.pop("window.ini") == 0o600
    assert written.pop("settings.json") == 0o600
    assert written.pop("cache.sqlite3") == 0o600
    # The WAL and -shm go when the last connection closes; if a WAL is kept, it is 0600.
    assert all(mode == 0o600 for mode in written.values()), written
    assert set(written) <= {"cache.sqlite3-wal", "cache.sqlite3-shm"}
