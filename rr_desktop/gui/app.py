"""Bootstrap: the QApplication, the theme, the main window, background sync, the loop."""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from .. import APP_NAME, __version__
from ..locations import resource_path
from ..sync.engine import hand_over_the_gil_sooner
from .bridge import WorkspaceLike
from .fonts import describe_missing, missing_glyphs, register_bundled_fonts
from .main_window import MainWindow
from .theme import load_stylesheet

log = logging.getLogger("rr_desktop.gui")

ENV_SMOKE = "RR_DESKTOP_SMOKE"
SMOKE_TIMEOUT_S = 20.0
CHECK_DELAY_MS = 3000  # the cache's integrity check waits until the window is in use
GC_FREEZE_DELAY_MS = 2000  # start-up is over: modules imported, window built, view shown


def make_app(argv: Sequence[str]) -> QApplication:
    """The QApplication (reused if one exists, as under pytest-qt), named and themed."""
    # Sync runs on worker threads of this process: a 1 ms GIL switch interval (default
    # 5 ms) hands the GUI thread the interpreter sooner while they parse and merge pages.
    hand_over_the_gil_sooner()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(list(argv))
    app.setApplicationName("rr-desktop")
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName("rr-desktop")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("rr-desktop")
    app.setStyle("Fusion")  # the same look everywhere; theme.qss builds on it
    # The bundle's own fonts for scripts and symbols the system may lack (docs/fonts.md);
    # a wheel or a checkout has none and draws with the system's.
    register_bundled_fonts()
    icon = resource_path("icons", "rr-desktop.svg")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    app.setStyleSheet(load_stylesheet())
    return app


def freeze_startup_objects() -> int:
    """Collect once, then move every object alive now (modules, types, Qt wrappers, the
    window) out of the cyclic collector's reach (`gc.freeze`). A full collection walks
    them all: ~10-16 ms with the window open, which lands on whatever the analyst does
    when allocation triggers it (a j press at 1M rows went 3 -> 20 ms). They live as long
    as the process anyway. Returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class SmokeCheck:
    """RR_DESKTOP_SMOKE=1: wait until the table has rows (or time out), check that every
    market's script and the app's symbols render with the table's font (no box), print
    the verdict on stdout and quit the event loop with 0 or 1. Used on the frozen bundle."""

    def __init__(self, app: QApplication, window: MainWindow,
                 timeout_s: float | None = None) -> None:
        self._app, self._window = app, window
        self._timeout_s = SMOKE_TIMEOUT_S if timeout_s is None else timeout_s
        self._deadline = time.monotonic() + self._timeout_s
        self._timer = QTimer()
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._check)
        self._timer.start()

    def _check(self) -> None:
        rows = self._window.model.rowCount()
        visible = self._window.isVisible()
        if rows > 0 and visible:
            boxed = missing_glyphs(self._window.table.font())
            if boxed:
                self._finish(f"SMOKE FAIL rows={rows} boxes for: {describe_missing(boxed)}", 1)
            else:
                self._finish(f"SMOKE OK rows={rows}", 0)
        elif time.monotonic() > self._deadline:
            self._finish(f"SMOKE FAIL rows={rows} visible={visible} "
                         f"after {self._timeout_s:.0f} s", 1)

    def _finish(self, line: str, code: int) -> None:
        self._timer.stop()
        print(line, flush=True)
        self._app.exit(code)


class QuitOnSignals:
    """Ctrl+C / SIGTERM quit the event loop cleanly (sync cancelled, cache closed) while
    installed; `restore()` puts the previous handlers back.

    Python runs signal handlers only between bytecodes, never inside Qt's C++ loop, so a
    timer hands control back to the interpreter a few times a second.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, app: QApplication) -> None:
        self._previous = {s: signal.getsignal(s) for s in self.SIGNALS}
        for sig in self.SIGNALS:
            signal.signal(sig, lambda _signum, _frame: app.exit(130))
        self._timer = QTimer()
        self._timer.timeout.connect(lambda: None)
        self._timer.start(250)

    def restore(self) -> None:
        self._timer.stop()
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _single_shot(msec: int, slot: Callable[[], object]) -> QTimer:
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(slot)
    timer.start(msec)
    return timer


def run_gui(workspace: WorkspaceLike, argv: list[str]) -> int:
    """Run the GUI on an opened `rr_desktop.workspace.Workspace` until the window closes;
    returns the exit code. The caller still owns the workspace and closes it afterwards."""
    app = make_app(argv)
    window = MainWindow(workspace)
    window.show()
    window.start_background_sync()
    # Owned here and stopped on the way out: a loop that ends first (smoke mode, a quick
    # quit, run_gui under tests) must not leave them to fire into whatever runs next.
    later = [_single_shot(CHECK_DELAY_MS, window.check_cache),
             _single_shot(GC_FREEZE_DELAY_MS, freeze_startup_objects)]
    signals = QuitOnSignals(app)
    smoke = SmokeCheck(app, window) if os.environ.get(ENV_SMOKE) == "1" else None
    try:
        code = app.exec()
    finally:
        for timer in later:
            timer.stop()
        signals.restore()
        window.shutdown()
        window.close()
        window.deleteLater()
        del smoke
    return int(code)


if __name__ == "__main__":  # pragma: no cover - use `rr-desktop` (rr_desktop.cli)
    sys.exit("run `rr-desktop` instead")
