"""`rr-desktop` as an analyst runs it: its own process on a real X display, a real keyring
holding the channel's token, the reference service in another process. The test drives it
with keys and reads it as a user would (window names, focus, what a screen reader reads)
and reads the cache only through a read-only SQLite connection, never the app's code.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tests.e2e.accessibility import AccessibilityError, ScreenReader, Seen
from tests.e2e.xsession import Display, wait_for
from tests.peers.reference_service import ReferenceService

APP_NAME = "rr-desktop"  # the accessible name of the application (its Qt app name)
MAIN_TITLE = "RR Desktop"
EXTERNAL_ID = re.compile(r"\bESC-\d{6}\b")
START_TIMEOUT_S = 40.0

T = TypeVar("T")


def rr_desktop_command() -> list[str]:
    """The `rr-desktop` command the package installs next to this interpreter."""
    script = Path(sys.executable).with_name("rr-desktop")
    assert script.is_file(), f"{script} is missing: `pip install -e .` installs it"
    return [str(script)]


class Desktop:
    """One analyst's machine: a data dir, a session (X display, D-Bus, keyring), the
    reference service, and at most one running app."""

    def __init__(self, display: Display, session_env: dict[str, str], data: Path,
                 service: ReferenceService, shots: Path) -> None:
        self.display = display
        self.data = data
        self.service = service
        self.shots = shots
        self.env = {**os.environ, **session_env, **display.env(),
                    "QT_QPA_PLATFORM": "xcb", "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1",
                    "PYTHONUNBUFFERED": "1"}
        self.env.pop("RR_DESKTOP_DATA_DIR", None)
        self.session_bus = session_env["DBUS_SESSION_BUS_ADDRESS"]
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data.parent / "rr-desktop.log"
        self._reader: ScreenReader | None = None
        self.main: str = ""

    # -- the command line ----------------------------------------------------------------

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([*rr_desktop_command(), "--data-dir", str(self.data), *args],
                              input=stdin, capture_output=True, text=True, timeout=120,
                              env=self.env)

    def add_channel(self, name: str = "ref") -> None:
        """`rr-desktop channels add rr_api NAME --url URL`, the token on stdin (-> keyring)."""
        done = self.cli("channels", "add", "rr_api", name, "--url", self.service.url,
                        stdin=self.service.token + "\n")
        assert done.returncode == 0, done.stdout + done.stderr

    # -- the app -------------------------------------------------------------------------

    def start(self, focus: bool = True) -> str:
        """Start `rr-desktop --no-demo`; wait for its main window; its X window id.

        `focus`: give the new window the keyboard focus, as a window manager does (Xvfb
        has none). Pass False when the app opens a dialog at once: that dialog takes the
        focus itself, and the test must see that it does."""
        assert self.proc is None or self.proc.poll() is not None, "the app runs already"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([*rr_desktop_command(), "--data-dir", str(self.data),
                                          "--no-demo"], env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT)
        self.main = self.wait(self._main_window, "the main window", START_TIMEOUT_S)
        if focus:
            self.display.xdo("windowfocus", "--sync", self.main)
            self.focus(self.main)
        return self.main

    def _main_window(self) -> str | None:
        self._check_alive()
        for window in self.display.windows(re.escape(MAIN_TITLE) + "$"):
            if self.display.size_of(window)[0] >= 800:  # not a dialog, not Qt's helpers
                return window
        return None

    def quit(self) -> int:
        """Ctrl+Q on the main window, as the analyst quits; the exit code."""
        assert self.proc is not None
        self.focus(self.main)
        self.display.key("ctrl+q")
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            raise AssertionError("Ctrl+Q did not end the app within 30 s\n"
                                 + self.output()) from None

    def close(self) -> None:
        """Teardown: the app (SIGTERM, then SIGKILL) and the screen reader."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def output(self) -> str:
        """What the app wrote on stdout and stderr so far (last 4,000 characters)."""
        try:
            return "rr-desktop output:\n" + self.log.read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return "rr-desktop wrote nothing"

    def _check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"rr-desktop exited with {self.proc.returncode}\n"
                                 + self.output())

    def wait(self, probe: Callable[[], T | None], what: str, timeout: float = 20.0) -> T:
        def checked() -> T | None:
            self._check_alive()
            return probe()
        return wait_for(checked, what, timeout, self.output)

    # -- windows and keys ----------------------------------------------------------------

    def window(self, title_regex: str, timeout: float = 10.0) -> str:
        """Wait for a visible window whose title matches; its id."""
        return self.wait(lambda: next(iter(self.display.windows(title_regex)), None),
                         f"a window titled /{title_regex}/", timeout)

    def gone(self, window: str, timeout: float = 10.0) -> None:
        self.wait(lambda: window not in self.display.windows("."),
                  f"window {window} to close", timeout)

    def focus(self, window: str, timeout: float = 10.0) -> None:
        """Wait until `window` has the keyboard focus (the app gives it: a dialog that
        opens takes it, focus comes back when it closes)."""
        self.wait(lambda: self.display.focused() == window,
                  f"keyboard focus on {self.display.name_of(window)!r}", timeout)

    def keys(self, *keys: str, on: str | None = None) -> None:
        """Press keys while `on` (default: the main window) has the focus."""
        self.focus(on or self.main)
        self.display.key(*keys)

    def screenshot(self, name: str) -> Path:
        return self.display.screenshot(self.shots / f"{name}.png")

    # -- what is on the screen (AT-SPI) ----------------------------------------------------

    def seen(self) -> list[Seen]:
        """Every visible widget of the app, as a screen reader reads it."""
        if self._reader is None:
            self._reader = ScreenReader(self.session_bus)
        app = self.wait(lambda: self._reader.application(APP_NAME) if self._reader else None,
                        "the app on the accessibility bus")
        try:
            return self._reader.visible(app)
        except AccessibilityError:  # the tree changed under the walk: read again
            return self._reader.visible(app)

    def status_bar(self) -> list[str]:
        """The texts of the main window's status bar."""
        return [s.name for s in self.seen() if s.in_status_bar and s.name
                and s.role == "label"]

    def status_message(self) -> str:
        """The status bar's passing message (what F5, an action or an error said last)."""
        return next((s.name for s in self.seen() if s.role == "status bar"), "")

    def labels_outside_status_bar(self) -> list[str]:
        """Texts of the main window's visible labels that are not in the status bar (the
        detail pane's header, the undo toast, banners)."""
        return [s.name for s in self.seen() if s.role == "label" and s.name
                and not s.in_status_bar and s.window.endswith(MAIN_TITLE)]

    def channel_status(self, channel: str = "ref") -> str:
        return next((t for t in self.status_bar() if t.startswith(f"{channel}:")), "")

    def shown(self) -> tuple[str, str] | None:
        """(external id, title) of the escalation the main window's detail pane shows:
        its heading and the line under it ("S1 high · U0 immediate · new · VN · ref ·
        ESC-000020")."""
        previous = ""
        for s in self.seen():
            if s.window.endswith(MAIN_TITLE) and not s.in_status_bar and s.role == "label":
                found = EXTERNAL_ID.search(s.name)
                if found and "\u00b7" in s.name:
                    return found.group(0), previous
                previous = s.name
        return None

    def shown_item(self) -> str | None:
        shown = self.shown()
        return shown[0] if shown else None

    def detail_text(self) -> str:
        """What the main window's detail pane says below its header (body, SLA clocks,
        sync state, facts, timeline, fields)."""
        return "\n".join(s.text for s in self.seen() if s.role == "text" and s.text
                         and s.window.endswith(MAIN_TITLE) and "\nFields\n" in s.text)

    def shown_other_than(self, external_id: str | None) -> str:
        return self.wait(lambda: (lambda now: now if now and now != external_id else None)(
            self.shown_item()), f"the detail pane to show another item than {external_id}")

    def texts_in(self, window_regex: str) -> list[str]:
        pattern = re.compile(window_regex)
        return [s.name for s in self.seen() if pattern.search(s.window) and s.name]

    # -- the cache, read-only ------------------------------------------------------------

    def query(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        """Rows of the app's cache through a read-only connection (the app may run)."""
        path = self.data / "cache.sqlite3"
        if not path.exists():
            return []
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def outbox(self) -> list[dict[str, Any]]:
        """Queued changes: op type, state, the escalation's external id, payload."""
        return [dict(r) | {"payload": json.loads(r["payload"])} for r in self.query(
            "SELECT o.seq, o.op_type, o.state, o.attempts, o.last_error, o.payload, "
            "e.external_id FROM outbox o JOIN escalation e ON e.id = o.escalation_id "
            "ORDER BY o.seq")]

    def channel(self, name: str = "ref") -> dict[str, Any]:
        rows = self.query("SELECT * FROM channel WHERE name = ?", name)
        return dict(rows[0]) if rows else {}

    def synced_since(self, since: float, outcome: str, name: str = "ref") -> bool:
        """A run of the channel that started at or after `since` (epoch s) has ended
        with `outcome` (ok | failed)."""
        row = self.channel(name)
        started = row.get("last_attempt_at") or 0
        return bool(row) and started >= int(since) and row["last_outcome"] == outcome \
            and (row["last_outcome_at"] or 0) >= started and not row["lease_owner"]

    def settings(self) -> dict[str, Any]:
        path = self.data / "settings.json"
        return json.loads(path.read_text()) if path.exists() else {}


def now_s() -> float:
    return time.time()
