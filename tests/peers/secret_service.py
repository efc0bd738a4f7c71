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

READY_TIMEOUT_S = 15.0
SECRETS_NAME = "org.freedesktop.secrets"


def wait_until_ready(address: str, unlock: bool) -> None:
    """Poll the private bus until gnome-keyring owns the Secret Service name and, when it
    was handed a password, has its default collection (unlocked, or locked when the
    password was wrong: the daemon reads it before it claims the name). A readiness check,
    not a fixed wait that a loaded machine outruns."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection
    from secretstorage.collection import get_default_collection
    from secretstorage.exceptions import SecretStorageException

    bus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus",
                      interface="org.freedesktop.DBus")
    deadline = time.monotonic() + READY_TIMEOUT_S
    last: object = "the name is not owned"
    with open_dbus_connection(bus=address) as conn:
        while time.monotonic() < deadline:
            reply = conn.send_and_get_reply(new_method_call(bus, "NameHasOwner", "s",
                                                            (SECRETS_NAME,)))
            if reply.body[0]:
                if not unlock:
                    return
                try:
                    get_default_collection(conn)
                    return
                except SecretStorageException as exc:
                    last = exc
            time.sleep(0.02)  # poll interval, not a wait for readiness
    raise RuntimeError(f"gnome-keyring was not ready after {READY_TIMEOUT_S:.0f} s ({last})")


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
        wait_until_ready(address, unlock)
        yield {k: env[k] for k in ("DBUS_SESSION_BUS_ADDRESS", "HOME", "XDG_RUNTIME_DIR",
                                   "XDG_DATA_HOME", "PYTHON_KEYRING_BACKEND")}
    finally:
        for proc in (daemon, bus):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
