"""Types into the real post-mortem editor of the real window, offscreen, until killed
(tests/gui/test_postmortem_kill.py SIGKILLs it at random moments).

Usage: python -m tests.gui.postmortem_typing_child DATA_DIR PM_ID SEED

Prints "START" once the editor shows the draft (the cursor at its end), then after each
burst of typing "T <time.monotonic()> <characters typed so far>". What it types is
`typed_text(SEED)`, in bursts of a few words with pauses of 50-600 ms between them
(sometimes longer), as a person types.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

WORDS = ("incident", "contained", "sounds", "hash", "list", "Jakarta", "notice", "legal",
         "partner", "review", "clips", "removed", "spread", "creator", "market", "metrics")


def typed_text(seed: int, length: int = 4000) -> str:
    rng = random.Random(seed)
    out: list[str] = []
    size = 0
    while size < length:
        word = rng.choice(WORDS) + rng.choice((" ", " ", " ", ". ", ", "))
        out.append(word)
        size += len(word)
    return "".join(out)[:length]


def bursts(seed: int) -> list[tuple[str, int]]:
    """(text, pause in ms after it) in typing order."""
    rng = random.Random(seed * 7 + 1)
    text, out, i = typed_text(seed), [], 0
    while i < len(text):
        n = rng.randint(3, 25)
        pause = rng.choice((50, 80, 120, 200, 400, 600, 1800))
        out.append((text[i:i + n], pause))
        i += n
    return out


@dataclass
class OfflineEngine:
    """A sync engine with no network at all (on a plane): no channel is ever reached."""

    clients: dict[str, object] = field(default_factory=dict)

    def add_client(self, name: str, client: object) -> object | None:
        return self.clients.setdefault(name, client)

    def run_all(self, progress: object = None, cancel: threading.Event | None = None
                ) -> list[object]:
        return []  # no network at all: on a plane


@dataclass
class OfflineWorkspace:
    """What the main window opens: a store and data dir, an engine that never syncs."""

    store: object
    data_dir: Path
    engine: OfflineEngine = field(default_factory=OfflineEngine)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from rr_desktop.gui.main_window import MainWindow
    from rr_desktop.store.store import Store

    data_dir, pm_id, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    app = QApplication([])
    store = Store.open(data_dir / "cache.sqlite3")
    window = MainWindow(OfflineWorkspace(store, data_dir), sync_interval_s=None)  # type: ignore[arg-type]
    window.show()
    window.postmortems.open_draft(pm_id)
    edit = window.postmortems.editor.text
    cursor = edit.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    edit.setTextCursor(cursor)
    app.processEvents()
    print("START", flush=True)
    typed = 0
    for chunk, pause in bursts(seed):
        QTest.keyClicks(edit, chunk)
        typed += len(chunk)
        print(f"T {time.monotonic():.4f} {typed}", flush=True)
        QTest.qWait(pause)
    print("DONE", flush=True)
    QTest.qWait(60_000)  # until killed
    return 0


if __name__ == "__main__":
    sys.exit(main())
