"""A real X display (Xvfb) and a user's keyboard on it (xdotool), for black-box journeys.

The app under test runs as its own process on the display, as an analyst starts it; the
test sees it only as a user (and a screen reader, see `accessibility.py`) would: window
names, keyboard focus, keys typed through the X server's XTEST extension, screenshots.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from tests.peers.availability import require_binary

SCREEN = "1600x1000x24"
READY_TIMEOUT_S = 20.0
POLL_S = 0.05  # how often a wait looks again; never a wait for readiness by itself

T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], what: str, timeout: float = 20.0,
             why: Callable[[], str] = lambda: "") -> T:
    """Poll `probe` until it returns something truthy; its value. On timeout the test
    fails with `what` (and `why()`: e.g. the app's output)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = why()
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}"
                                 + (f"\n{detail}" if detail else ""))
        time.sleep(POLL_S)


@dataclass(frozen=True)
class Display:
    """An X display (":N") with a keyboard: xdotool commands run against it."""

    name: str
    xdotool: str

    def env(self) -> dict[str, str]:
        return {"DISPLAY": self.name}

    def xdo(self, *args: str) -> str:
        """Run one xdotool command; its output ("" when it found nothing)."""
        done = subprocess.run([self.xdotool, *args], capture_output=True, text=True,
                              timeout=15, env={**os.environ, "DISPLAY": self.name})
        return done.stdout.strip()

    # -- windows -------------------------------------------------------------------------

    def windows(self, name_regex: str) -> list[str]:
        """Mapped windows whose name matches (xdotool's regex search)."""
        return self.xdo("search", "--onlyvisible", "--name", name_regex).split()

    def name_of(self, window: str) -> str:
        return self.xdo("getwindowname", window)

    def focused(self) -> str:
        """The window that has the keyboard focus."""
        return self.xdo("getwindowfocus", "-f")

    def size_of(self, window: str) -> tuple[int, int]:
        out = self.xdo("getwindowgeometry", "--shell", window)
        values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        return int(values.get("WIDTH", 0)), int(values.get("HEIGHT", 0))

    # -- keyboard ------------------------------------------------------------------------

    def key(self, *keys: str) -> None:
        """Press keys (X keysym names: "j", "1", "ctrl+Return", "F5") on the focused
        window, as a keyboard would (XTEST), one after the other."""
        self.xdo("key", "--delay", "40", *keys)

    def type(self, text: str) -> None:
        """Type text on the focused window, character by character."""
        self.xdo("type", "--delay", "25", "--", text)

    # -- screen --------------------------------------------------------------------------

    def screenshot(self, path: Path) -> Path:
        """The whole screen as a PNG, grabbed by a separate Qt client on the display
        (nothing is added to the app for this)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        script = ("import sys\nfrom PySide6.QtGui import QGuiApplication\n"
                  "app = QGuiApplication(sys.argv[:1])\n"
                  "sys.exit(0 if app.primaryScreen().grabWindow(0).save(sys.argv[1]) "
                  "else 1)\n")
        env = {**os.environ, "DISPLAY": self.name, "QT_QPA_PLATFORM": "xcb"}
        env.pop("QT_LINUX_ACCESSIBILITY_ALWAYS_ON", None)
        done = subprocess.run([sys.executable, "-c", script, str(path)], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and path.is_file(), \
            f"the screenshot could not be taken: {done.stderr[-500:]}"
        return path


@contextmanager
def xvfb_display() -> Iterator[Display]:
    """Xvfb on a display number it picks itself (-displayfd: no race with other X
    servers on the machine), ready when it writes that number; stopped afterwards.
    Fails instead of skipping under CI=true when Xvfb or xdotool is missing."""
    xvfb = require_binary("Xvfb")
    xdotool = require_binary("xdotool")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen([xvfb, "-displayfd", str(write_fd), "-screen", "0", SCREEN,
                             "-nolisten", "tcp", "-noreset"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    os.close(write_fd)
    try:
        number = _read_display_number(read_fd, proc)
        yield Display(f":{number}", xdotool)
    finally:
        os.close(read_fd)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if proc.stderr is not None:
            proc.stderr.close()


def _read_display_number(fd: int, proc: subprocess.Popen[str]) -> str:
    import select

    deadline = time.monotonic() + READY_TIMEOUT_S
    got = b""
    while time.monotonic() < deadline and not got.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 64)
            if not chunk:
                break
            got += chunk
        elif proc.poll() is not None:
            break
    number = got.decode().strip()
    if not number.isdigit():
        err = proc.stderr.read() if proc.stderr and proc.poll() is not None else ""
        raise RuntimeError(f"Xvfb did not start: {err.strip()[-500:]}")
    return number
