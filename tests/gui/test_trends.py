"""Trends (`g r`) on the real window, from the keyboard: the figures and charts of a cache
with a planted surge, the finding made a recommendation (r), the volume chart saved as a
PNG (p), the report exported (e) as Markdown, HTML and PDF; and on a 1,000,000-row cache
(slow) the page opens while the GUI thread keeps ticking."""

from __future__ import annotations

import itertools
import random
import shutil
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.trends_export import RecommendationDialog
from rr_desktop.gui.trends_view import TrendsView
from rr_desktop.trends.recommendations import FILE_NAME
from tests.trends_cache import build_cache
from tests.unit.test_trends_metrics import add

from .conftest import FakeWorkspace
from .driving import active, press

DAY = 86400


def plant(workspace: FakeWorkspace) -> list[int]:
    """Ten weeks of a trickle of dangerous challenges in ID, then 40 yesterday."""
    now = int(time.time())
    today = now // DAY * DAY
    rng = random.Random(11)
    db = sqlite3.connect(workspace.store.path)  # a second writer: the GUI thread may not
    try:
        with db:
            for d in range(70, 1, -1):
                for _ in range(rng.randint(2, 4)):
                    at = today - d * DAY + rng.randint(0, DAY - 1)
                    add(db, at, market="ID", category="dangerous_challenges",
                        ack=at + rng.randint(60, 3600))
            return [add(db, today - DAY + 600 + i * 60, market="ID",
                        category="dangerous_challenges") for i in range(40)]
    finally:
        db.close()


def open_trends(qtbot: QtBot, window: MainWindow, timeout: int = 20_000) -> TrendsView:
    with qtbot.waitSignal(window.pages.trends_built, timeout=timeout):
        press(qtbot, window, Qt.Key.Key_G, Qt.Key.Key_R)
    view = window.pages.trends
    assert isinstance(view, TrendsView)
    qtbot.waitUntil(lambda: view.snapshot is not None and not view.loading, timeout=timeout)
    return view


def save_as(qtbot: QtBot, window: MainWindow, view: TrendsView, key: Qt.Key,
            path: Path) -> None:
    press(qtbot, window, key, target=view.findings)
    qtbot.waitUntil(lambda: active(window.findChild(QFileDialog, "trendsExport")))
    dialog = window.findChild(QFileDialog, "trendsExport")
    dialog.findChild(QLineEdit, "fileNameEdit").setText(str(path))
    with qtbot.waitSignal(view.exported, timeout=10_000):
        dialog.accept()
    qtbot.waitUntil(lambda: window.findChild(QFileDialog, "trendsExport") is None)


def not_blank(image: QImage) -> bool:
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
               for y in range(0, image.height(), 7)}
    return not image.isNull() and len(colours) > 3


def test_trends_from_the_keyboard(qtbot: QtBot, window: MainWindow,
                                  workspace: FakeWorkspace, tmp_path: Path) -> None:
    planted = plant(workspace)
    view = open_trends(qtbot, window)
    snap = view.snapshot
    assert snap is not None
    assert view.volume.points > 0 and view.clocks.points > 0
    [finding] = [f for f in snap.findings if f.category == "dangerous_challenges"]
    assert set(planted) <= set(finding.escalation_ids) and finding.observed >= 40
    assert view.findings.currentItem().text() == finding.summary()
    qtbot.waitUntil(view.findings.hasFocus)

    # r: the finding becomes a recommendation, with its evidence
    press(qtbot, window, Qt.Key.Key_R, target=view.findings)
    qtbot.waitUntil(lambda: isinstance(getattr(view, "dialog", None), RecommendationDialog)
                    and active(view.dialog))
    dialog = view.dialog
    qtbot.keyClicks(dialog.text, "Add a detection rule for the blackout challenge in ID")
    dialog.owner.setCurrentText("Product")
    qtbot.keyClick(dialog.text, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.recs.count() == 1)
    assert view.recs.item(0).text().startswith("Product: Add a detection rule")
    assert "dangerous_challenges" in (workspace.data_dir / FILE_NAME).read_text()
    qtbot.waitUntil(lambda: active(window))
    view.findings.setFocus()

    # p: the volume chart as a PNG that is not blank
    save_as(qtbot, window, view, Qt.Key.Key_P, tmp_path / "volume")
    image = QImage(str(tmp_path / "volume.png"))
    assert image.width() > 500 and not_blank(image)

    # e: the report, Markdown (charts embedded) then HTML and PDF
    save_as(qtbot, window, view, Qt.Key.Key_E, tmp_path / "report.md")
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "Add a detection rule for the blackout challenge in ID" in md
    assert "dangerous challenges escalations in ID" in md
    assert md.count("](data:image/png;base64,") == 3
    view.export_report(tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<b>Product</b>" in html and html.count("src=\"data:image/png;base64,") == 3
    view.export_report(tmp_path / "report.pdf")
    pdf = tmp_path / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf),
                        str(tmp_path / "page")], check=True, timeout=60)
        [page] = list(tmp_path.glob("page*.png"))
        assert not_blank(QImage(str(page)))


def test_a_filter_narrows_the_figures(qtbot: QtBot, window: MainWindow,
                                      workspace: FakeWorkspace) -> None:
    plant(workspace)
    view = open_trends(qtbot, window)
    everything = view.snapshot.total.current
    view.markets.setText("PH")  # no planted rows there
    qtbot.waitUntil(lambda: view.snapshot.filter.markets == ("PH",) and not view.loading,
                    timeout=10_000)
    assert view.snapshot.total.current < everything
    assert view.snapshot.findings == ()
    assert view.findings.item(0).text() == "No surge in this period."


@pytest.mark.slow
def test_a_million_rows_load_off_the_gui_thread(qtbot: QtBot, tmp_path: Path) -> None:
    """1,000,000 escalations (built in seconds with bulk SQL): the page opens at once,
    a 20 ms timer keeps ticking while the aggregates run, and the charts get data."""
    from .seed import choose_identity

    path = build_cache(tmp_path / "cache.sqlite3", 1_000_000,
                       datetime.now(UTC).replace(microsecond=0))
    from rr_desktop.store.store import Store
    store = Store.open(path)
    choose_identity(tmp_path)
    win = MainWindow(FakeWorkspace(store, data_dir=tmp_path), sync_interval_s=None)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    win.table.setFocus()
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(20)
    try:
        started = time.perf_counter()
        press(qtbot, win, Qt.Key.Key_G, Qt.Key.Key_R)
        view = win.pages.trends
        assert isinstance(view, TrendsView) and view.loading
        qtbot.waitUntil(lambda: view.snapshot is not None and not view.loading,
                        timeout=180_000)
        took = time.perf_counter() - started
        during = [t for t in ticks if started <= t]
        gaps = [b - a for a, b in itertools.pairwise(during)]
        print(f"\n1M rows: trends read in {view.snapshot.seconds:.1f} s "
              f"(shown after {took:.1f} s); {len(during)} timer ticks, longest GUI gap "
              f"{1000 * max(gaps):.0f} ms")
        # the timer ran throughout: at least a tick per half second of the load
        assert len(during) >= took / 0.5
        assert view.volume.points > 0 and view.breach_chart.points > 0
        assert any(f.category == "dangerous_challenges" and f.market == "ID"
                   for f in view.snapshot.findings)
    finally:
        timer.stop()
        win.shutdown()
        store.close()
