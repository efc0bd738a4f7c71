"""UI benchmark: the triage window at 100k and 1M cached escalations, and the naive way.

    python -m tests.benchmarks.bench_ui [--sizes 100000,1000000] [--presses 1000]

For each size (caches built once by bench_search through the real ingest path):
- process start -> first painted triage table (warm: median of 3 fresh processes) and RSS
  right after that paint;
- j key -> repaint, p50/p95/max over --presses presses;
- a triage action (urgency chord, written on a worker) -> visible change, p95;
- view switch (indexed filters) and search as you type (each keystroke -> new rows), p95;
- the longest GUI-thread stall while a real sync (demo service over loopback) runs and
  for 1 s after it (the view's re-read of its ids lands then);
- RSS steady (after all of the above).
The naive approach (every row in a Python list behind a QSortFilterProxyModel) is measured
in the same run for first paint, j, a filter change and RSS; ratios are ours/naive.
Figures, not pass/fail: budgets in docs/performance.md.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[2]


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- child processes: first paint ---------------------------------------------------------

def child_first_paint(mode: str, db: Path, started: float) -> None:
    """Runs in a fresh process: open the window, print ms to first table paint + RSS."""
    from PySide6.QtCore import QEvent, QObject

    from rr_desktop.gui.app import make_app

    app = make_app(["bench"])
    painted: list[float] = []

    class PaintSpy(QObject):
        def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not painted:
                painted.append(time.time())
            return False

    spy = PaintSpy()
    if mode == "ours":
        from rr_desktop.gui.main_window import MainWindow
        from rr_desktop.settings import save_setting
        from rr_desktop.store.store import Store

        store = Store.open(db, check=False)  # as the GUI does: quick_check runs later

        class Engine:
            clients: dict[str, Any] = {}

            def run_all(self, progress: Any = None, cancel: Any = None) -> list[Any]:
                return []

        class Ws:
            def __init__(self) -> None:
                self.store, self.engine, self.data_dir = store, Engine(), Path(
                    tempfile.mkdtemp())
                save_setting(self.data_dir, "me", "a.tan")  # chosen at first start

        win: Any = MainWindow(Ws(), sync_interval_s=None)
        view = win.table
    else:
        win = naive_window(db)
        view = win
    view.viewport().installEventFilter(spy)
    win.show()
    deadline = time.time() + 120
    while not painted and time.time() < deadline:
        app.processEvents()
    print(f"FIRST_PAINT {1000 * (painted[0] - started):.1f} RSS {rss_mb():.1f}", flush=True)
    os._exit(0)  # the figure is out; skip teardown of a 1M-row naive model


def naive_window(db: Path) -> Any:
    """Every row in a Python list, a QSortFilterProxyModel on top (what a naive app does)."""
    from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
    from PySide6.QtWidgets import QTableView

    from rr_desktop.store.connections import raw_reader

    conn = raw_reader(db)
    rows = conn.execute(
        "SELECT e.severity, e.priority, e.status, e.market, c.name, e.title, e.created_at, "
        "e.assignee FROM escalation e JOIN channel c ON c.id = e.channel_id "
        "ORDER BY e.priority, e.created_at, e.id").fetchall()

    class ListModel(QAbstractTableModel):
        def rowCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
            return 0 if parent.isValid() else len(rows)

        def columnCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
            return 8

        def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
            if role == Qt.ItemDataRole.DisplayRole:
                return str(rows[index.row()][index.column()])
            return None

    model = ListModel()
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setFilterKeyColumn(5)
    view = QTableView()
    view.setModel(proxy)
    view.resize(1360, 820)
    view.naive_proxy = proxy  # type: ignore[attr-defined]
    view.naive_model = model  # type: ignore[attr-defined]
    return view


def first_paint(mode: str, db: Path, runs: int = 3) -> tuple[float, float]:
    figures = []
    for _ in range(runs + 1):  # the first run warms the page cache
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
        started = time.time()
        out = subprocess.run([sys.executable, "-m", "tests.benchmarks.bench_ui", "--child",
                              mode, str(db), repr(started)], env=env, capture_output=True,
                             text=True, timeout=600, check=False).stdout
        line = next((x for x in out.splitlines() if x.startswith("FIRST_PAINT")), None)
        if line is None:
            raise RuntimeError(f"{mode} first paint failed: {out[-500:]}")
        _, ms, _, rss = line.split()
        figures.append((float(ms), float(rss)))
    warm = figures[1:]
    return statistics.median(f[0] for f in warm), statistics.median(f[1] for f in warm)


# -- in-process measurements --------------------------------------------------------------

def _serve(conn: Any) -> None:
    from rr_desktop.demo import DemoServer
    from tests.integration.sync_env import TOKEN

    server = DemoServer(token=TOKEN, seed=3, count=3000)
    server.start()
    conn.send(server.url)
    while True:
        time.sleep(3600)


def measure_ours(db: Path, presses: int) -> dict[str, float]:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from rr_desktop.gui.app import freeze_startup_objects, make_app
    from rr_desktop.gui.main_window import MainWindow
    from rr_desktop.settings import save_setting
    from rr_desktop.store.store import Store
    from tests.integration.sync_env import make_env

    app = make_app(["bench"])  # as the app runs: theme, GIL switch interval
    work = Path(tempfile.mkdtemp())
    copy = work / "cache.sqlite3"
    shutil.copy(db, copy)  # actions and the sync write: keep the shared cache pristine
    store = Store.open(copy)
    # The service runs in its own process, as a real channel's server would: its JSON
    # encoding must not compete with the GUI thread for this process's GIL.
    ctx = mp.get_context("spawn")
    ours_end, theirs_end = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(theirs_end,), daemon=True)
    proc.start()
    url = ours_end.recv()
    env = make_env(type("S", (), {"url": url})(), copy)  # type: ignore[arg-type]

    class Ws:
        def __init__(self) -> None:
            self.store, self.engine, self.data_dir = store, env.engine, work
            save_setting(work, "me", "a.tan")  # chosen at first start

    win = MainWindow(Ws(), sync_interval_s=None)
    win.resize(1360, 820)
    win.show()
    win.activateWindow()
    for _ in range(20):
        app.processEvents()
    win.table.setFocus()
    out: dict[str, float] = {}

    def pause(ms: float) -> None:
        """Let the event loop and the workers run. Not QTest.qWait: PySide6 holds the GIL
        in it, freezing every worker until it returns (its jobs then land late, inside
        whatever is measured next)."""
        until = time.perf_counter() + ms / 1000
        while time.perf_counter() < until:
            app.processEvents()
            time.sleep(0.001)

    pause(1000)
    freeze_startup_objects()  # as run_gui does once start-up is over

    def settle() -> None:
        app.processEvents()

    j: list[float] = []
    for n in range(presses):
        t0 = time.perf_counter()
        QTest.keyClick(win.table, Qt.Key.Key_J)
        settle()  # the table's own (partial) repaint, as the event loop schedules it
        j.append((time.perf_counter() - t0) * 1000)
        if n % 10 == 9:  # a pause now and then: the detail pane renders (not timed here)
            pause(30)
    out.update(j_p50=pct(j, .5), j_p95=pct(j, .95), j_max=max(j))
    renders: list[float] = []
    for r in range(200):
        esc = win.model.id_at(r)
        t0 = time.perf_counter()
        win.detail.show_escalation(esc)
        renders.append((time.perf_counter() - t0) * 1000)
    out["detail_p95"] = pct(renders, .95)

    acts: list[float] = []
    landed: list[int] = []
    win.triage.applied.connect(lambda _r: landed.append(1))
    for n in range(60):
        before = len(landed)
        t0 = time.perf_counter()
        QTest.keyClick(win.table, Qt.Key.Key_Y)
        QTest.keyClick(win.table, Qt.Key.Key_2 if n % 2 else Qt.Key.Key_3)
        while len(landed) == before:
            app.processEvents()
        settle()
        acts.append((time.perf_counter() - t0) * 1000)
    out["action_p95"] = pct(acts, .95)

    def wait_view(fn: Any) -> float:
        changed: list[int] = []
        win.views.view_changed.connect(lambda _v: changed.append(1))
        t0 = time.perf_counter()
        fn()
        while not changed:
            app.processEvents()
        settle()
        elapsed = (time.perf_counter() - t0) * 1000
        win.views.view_changed.disconnect()
        return elapsed

    switches = [wait_view(lambda name=name: win.views.show_view(win.views.view_named(name)))
                for name in ("Mine", "SLA at risk", "Snoozed", "Triage") * 3]
    out["view_switch_p95"] = pct(switches, .95)
    typed: list[float] = []
    for word in ("livestream jakarta", "sev:0 scam", "market:ID flood"):
        for i in range(1, len(word) + 1):
            win.views.bar.search.blockSignals(True)
            win.views.bar.search.setText(word[:i])
            win.views.bar.search.blockSignals(False)
            typed.append(wait_view(win.views._search_now))
    out["search_p95"] = pct(typed, .95)
    wait_view(lambda: win.views.show_view(win.views.view_named("Triage")))
    pause(500)  # let the full id list and the detail pane land: measure the sync alone

    gaps: list[float] = []
    last = [time.perf_counter()]
    from PySide6.QtCore import QTimer

    tick = QTimer()
    tick.setInterval(1)

    when: list[float] = []

    def on_tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        when.append(now)
        last[0] = now

    tick.timeout.connect(on_tick)
    stalls: collections.Counter[str] = collections.Counter()
    watching = threading.Event()
    main_id = threading.get_ident()

    def watchdog() -> None:  # what the GUI thread is doing when it misses its 1 ms tick
        while watching.is_set():
            time.sleep(0.004)
            if time.perf_counter() - last[0] > 0.016:
                frame = sys._current_frames().get(main_id)
                if frame is not None:
                    stack = traceback.extract_stack(frame)[-4:]
                    stalls[" < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}"
                                      for f in reversed(stack))] += 1

    watching.set()
    threading.Thread(target=watchdog, daemon=True).start()
    reports: list[Any] = []
    win.sync_reported.connect(reports.append)
    tick.start()
    last[0] = started = time.perf_counter()
    win.sync.sync_now()
    while not reports:
        app.processEvents()
    until = time.perf_counter() + 1.0  # and the view's re-read after the sync, landing
    while time.perf_counter() < until:
        app.processEvents()
    tick.stop()
    watching.clear()
    if os.environ.get("RR_BENCH_STALLS"):
        for where, n in stalls.most_common(6):
            print(f"  stall sample x{n}: {where}")
        worst = sorted(zip(gaps, when, strict=True), reverse=True)[:3]
        print("  worst gaps (ms, s after the sync started): " + ", ".join(
            f"{g:.0f} at {t - started:.2f}" for g, t in worst)
              + f"; the sync took {time.perf_counter() - started:.2f} s")
    out["sync_stall_max"] = max(gaps) if gaps else 0.0
    out["sync_received"] = float(sum(r.received for r in reports[0]))
    out["rss_steady"] = rss_mb()
    win.shutdown()
    env.engine.clients["demo"].close()  # type: ignore[attr-defined]
    proc.terminate()
    store.close()
    env.store.close()
    shutil.rmtree(work, ignore_errors=True)
    return out


def measure_naive(db: Path, presses: int) -> dict[str, float]:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    view = naive_window(db)
    view.show()
    for _ in range(10):
        app.processEvents()
    view.setFocus()
    view.selectRow(0)
    j: list[float] = []
    for _ in range(min(presses, 300)):
        t0 = time.perf_counter()
        QTest.keyClick(view, Qt.Key.Key_Down)
        view.viewport().repaint()
        app.processEvents()
        j.append((time.perf_counter() - t0) * 1000)
    filters = []
    for text in ("livestream", "jakarta", ""):
        t0 = time.perf_counter()
        view.naive_proxy.setFilterFixedString(text)
        view.viewport().repaint()
        app.processEvents()
        filters.append((time.perf_counter() - t0) * 1000)
    return {"j_p95": pct(j, .95), "filter_p95": max(filters), "rss_steady": rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--presses", type=int, default=1000)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "DB", "STARTED"))
    args = parser.parse_args()
    if args.child:
        child_first_paint(args.child[0], Path(args.child[1]), float(args.child[2]))
        return
    from tests.benchmarks.bench_search import cache

    for size in (int(s) for s in args.sizes.split(",")):
        db = cache(size)
        print(f"\n== {size:,} cached escalations ==", flush=True)
        ours_paint, ours_rss = first_paint("ours", db)
        naive_paint, naive_rss = first_paint("naive", db)
        ours = measure_ours(db, args.presses)
        naive = measure_naive(db, args.presses)
        rows = [
            ("first paint, warm (ms)", ours_paint, naive_paint, "<= 500 at 1M"),
            ("RSS after first paint (MB)", ours_rss, naive_rss, "<= 150"),
            ("j -> repaint p50 (ms)", ours["j_p50"], None, "<= 4"),
            ("j -> repaint p95 (ms)", ours["j_p95"], naive["j_p95"], "<= 8"),
            ("j -> repaint max (ms)", ours["j_max"], None, "<= 16"),
            ("detail pane render, deferred (p95 ms)", ours["detail_p95"], None, ""),
            ("triage action -> visible p95 (ms)", ours["action_p95"], None, "<= 8"),
            ("view switch / indexed filter p95 (ms)", ours["view_switch_p95"],
             naive["filter_p95"], "<= 50"),
            ("search as you type p95 (ms)", ours["search_p95"], naive["filter_p95"],
             "<= 250 at 1M (off the GUI thread)"),
            ("longest GUI stall during sync (ms)", ours["sync_stall_max"], None, "<= 16"),
            ("RSS steady (MB)", ours["rss_steady"], naive["rss_steady"], "<= 300"),
        ]
        print(f"{'':40} {'ours':>10} {'naive':>10} {'ours/naive':>11}  budget")
        for name, a, b, budget in rows:
            ratio = f"{a / b:10.2f}x" if b else f"{'':>11}"
            naive_text = f"{b:10.1f}" if b is not None else f"{'':>10}"
            print(f"{name:40} {a:10.1f} {naive_text} {ratio}  {budget}")
        print(f"(sync during the stall measurement received {ours['sync_received']:,.0f} "
              "escalations)", flush=True)


if __name__ == "__main__":
    main()
