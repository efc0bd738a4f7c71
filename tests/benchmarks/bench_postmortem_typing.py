"""Typing latency in the post-mortem editor with autosave running (issue 12's figure).

    python -m tests.benchmarks.bench_postmortem_typing [--pages 20] [--keys 400]

A 20-page draft (~60,000 characters, the template's sections filled with prose, lists
and a table) is opened in the real window, offscreen; keys are typed in the middle of it
at a person's pace (40-150 ms apart, with a longer pause now and then, so the autosave
runs on its worker and the preview re-renders while typing goes on). Each keystroke's
latency is from the key press to the end of the editor's next paint (an event filter on
its viewport). Prints p50/p95/max in ms, against one frame (16.7 ms at 60 Hz), how many
autosaves landed, and what a preview refresh costs (it runs only once typing pauses).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.gui.postmortem_typing_child import OfflineWorkspace

FRAME_MS = 1000 / 60
PARAGRAPH = ("The challenge's audio was reused in thousands of short clips within hours; the "
             "hash list caught the first copies but not the pitched-up re-uploads, which "
             "reached the For You feed in three markets before the lead asked for a "
             "manual sweep. ")


def draft_text(pages: int) -> str:
    """~3,000 characters a page: paragraphs, a list and a table per section."""
    out = ["# Post-mortem: Blackout challenge\n"]
    n = 0
    while sum(map(len, out)) < pages * 3000:
        n += 1
        out.append(f"\n## Finding {n}\n\n" + PARAGRAPH * 3 + "\n\n- " + PARAGRAPH[:80]
                   + "\n- " + PARAGRAPH[80:160] + "\n\n| Market | Clips |\n|---|---|\n"
                   f"| ID | {n * 130} |\n| PH | {n * 70} |\n")
    return "".join(out)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--keys", type=int, default=400)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from rr_desktop.gui.main_window import MainWindow
    from rr_desktop.gui.postmortem_text import safe_html
    from rr_desktop.locations import resource_path
    from rr_desktop.settings import save_setting
    from rr_desktop.store import incident_log, postmortems
    from rr_desktop.store.store import Store

    app = QApplication.instance() or QApplication([])
    data_dir = Path(tempfile.mkdtemp(prefix="rr-bench-pm-"))
    save_setting(data_dir, "me", "aditi")
    store = Store.open(data_dir / "cache.sqlite3")
    now = datetime.now(UTC)
    text = draft_text(args.pages)
    with store.write() as db:
        _, uid = incident_log.declare(db, "Blackout challenge", "budi", now)
        template = resource_path("templates", "postmortem.md").read_text(encoding="utf-8")
        pm_id = postmortems.create(db, uid, template, "aditi", now, ZoneInfo("Asia/Jakarta"))
        postmortems.save(db, pm_id, text, "aditi", now, kind="restore")

    win = MainWindow(OfflineWorkspace(store, data_dir), sync_interval_s=None)  # type: ignore[arg-type]
    win.resize(1360, 820)
    win.show()
    win.activateWindow()
    screens = win.postmortems
    screens.open_draft(pm_id)
    edit = screens.editor.text
    cursor = edit.textCursor()
    cursor.setPosition(len(text) // 2)
    edit.setTextCursor(cursor)

    painted: list[float] = []

    class PaintWatch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                painted.append(time.perf_counter())
            return False

    watch = PaintWatch()
    edit.viewport().installEventFilter(watch)
    saves: list[object] = []
    screens.autosave.saved.connect(saves.append)

    def pause(ms: float) -> None:
        """Let the event loop and the workers run (not QTest.qWait: it holds the GIL)."""
        until = time.perf_counter() + ms / 1000
        while time.perf_counter() < until:
            app.processEvents()
            time.sleep(0.001)

    pause(1500)
    t0 = time.perf_counter()
    safe_html(text)  # the whole draft rendered and sanitized at once (the exports do)
    cold = (time.perf_counter() - t0) * 1000

    rng = random.Random(12)
    latencies: list[float] = []
    for n in range(args.keys):
        ch = rng.choice("abcdefghijklmnopqrstuvwxyz     ")
        painted.clear()
        start = time.perf_counter()
        QTest.keyClicks(edit, ch)
        deadline = start + 2.0
        while not painted and time.perf_counter() < deadline:
            app.processEvents()
        latencies.append(((painted[0] if painted else deadline) - start) * 1000)
        pause(rng.uniform(1600, 2200) if n % 60 == 59 else rng.uniform(40, 150))
    pause(2500)  # the last autosave lands

    t0 = time.perf_counter()
    screens.editor.refresh_preview()  # warm: one section changed since the last render
    warm = (time.perf_counter() - t0) * 1000
    stored = postmortems.get(screens.db, pm_id)
    assert stored is not None and stored.text == screens.autosave.saved_text
    print(f"draft: {len(text):,} characters ({args.pages} pages), {args.keys} keys typed "
          f"at 40-150 ms with a 1.6-2.2 s pause every 60 keys")
    print(f"keystroke-to-paint ms: p50 {pct(latencies, .5):.1f}  p95 {pct(latencies, .95):.1f}"
          f"  max {max(latencies):.1f}  mean {statistics.mean(latencies):.1f}  "
          f"(one frame = {FRAME_MS:.1f})")
    print(f"keys over one frame: {sum(v > FRAME_MS for v in latencies)} of {len(latencies)}")
    print(f"autosaves landed while typing: {len(saves)}")
    print(f"render ms: the whole draft at once {cold:.0f}; the preview's refresh after "
          f"typing in one section {warm:.0f} (only after 400 ms without a key)")
    win.shutdown()
    store.close()


if __name__ == "__main__":
    main()
