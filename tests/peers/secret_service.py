"""A real Secret Service: gnome-keyring-daemon on a private D-Bus session bus."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.peers.availability import require_binary


@contextmanager
def secret_service(password: str = "unlock-me", unlock: bool = True,
                   root: Path | None = None) -> Iterator[dict[str, str]]:
    """Yields the environment under which `keyring` talks to this Secret Service.
    Pass the same `root` again to restart it on the same keyring files."""
    dbus = require_binary("dbus-daemon")
    gkd = require_binary("gnome-keyring-daemon")
    root = root or Path(tempfile.mkdtemp(prefix="rr-keyring-"))
    run = root / "run"
    run.mkdir(mode=0o700, exist_ok=True)
    home = root / "home"
    home.mkdir(exist_ok=True)
    bus = subprocess.Popen([dbus, "--session", "--nofork", "--print-address=1",
                            f"--address=unix:path={run}/bus"],
                           stdout=subprocess.PIPE, text=True)
    assert bus.stdout is not None
    address = bus.stdout.readline().strip()
    env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": address, "HOME": str(home),
           "XDG_RUNTIME_DIR": str(run), "XDG_DATA_HOME": str(home / ".local/share"),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring"}
    args = [gkd, "--foreground", "--components=secrets"]
    if unlock:
        args.insert(2, "--unlock")
    daemon = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=env, text=True)
    try:
        if unlock:
            assert daemon.stdin is not None
            daemon.stdin.write(password)
            daemon.stdin.close()
        time.sleep(0.3)
        yield {k: env[k] for k in ("DBUS_SESSION_BUS_ADDRESS", "HOME", "XDG_RUNTIME_DIR",
                                   "XDG_DATA_HOME", "PYTHON_KEYRING_BACKEND")}
    finally:
        for proc in (daemon, bus):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
