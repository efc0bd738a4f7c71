"""A damaged cache found by the background integrity check is reported clearly."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.store.store import Store

from .conftest import FakeWorkspace
from .seed import choose_identity, make_store


def _damage_fts_pages(path: Path) -> None:
    """Zero the FTS index's pages (the table's own pages stay readable)."""
    import sqlite3

    conn = sqlite3.connect(path)
    pages = [r[0] for r in conn.execute(
        "SELECT pageno FROM dbstat WHERE name LIKE 'escalation_fts%' AND pageno > 1")]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with open(path, "r+b") as fh:
        for page in pages[:3]:
            fh.seek((page - 1) * page_size + 8)
            fh.write(b"\xff" * 64)


def test_damaged_cache_is_reported_after_first_paint(qtbot: QtBot, tmp_path: Path) -> None:
    store = make_store(tmp_path, 300)
    store.close()
    _damage_fts_pages(tmp_path / "cache.sqlite3")
    store = Store.open(tmp_path / "cache.sqlite3", check=False)
    assert store.quick_check() is not None
    choose_identity(tmp_path)
    win = MainWindow(FakeWorkspace(store, data_dir=tmp_path), sync_interval_s=None)
    qtbot.addWidget(win)
    win.show()
    assert win.model.rowCount() > 0  # the queue still shows
    win.check_cache()
    qtbot.waitUntil(lambda: win.findChild(QMessageBox, "cacheDamaged") is not None, timeout=5000)
    box = win.findChild(QMessageBox, "cacheDamaged")
    assert box is not None and "damaged" in box.text() and "synced" in box.text()
    win.shutdown()
    store.close()


def test_sound_cache_passes_quietly(qtbot: QtBot, window: MainWindow) -> None:
    """The check ran to its end and found the file sound (not merely "not finished yet"),
    and said nothing."""
    window.check_cache()
    [job] = [j for j in window.jobs.active() if j.name == "quick-check"]
    qtbot.waitUntil(job.is_delivered, timeout=10_000)  # its on_success has run too
    assert job.error is None and job.result is None  # quick_check: None = "ok"
    assert window.findChild(QMessageBox, "cacheDamaged") is None
    assert "damaged" not in window.statusBar().currentMessage()
