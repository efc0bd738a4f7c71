"""What an app shows, read the way a screen reader reads it: AT-SPI over D-Bus.

Qt publishes every widget's role, name (a label's text, a window's title) and state on
the accessibility bus when `QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1`. A black-box test reads
the status bar, prompts and banners from there instead of asking the app's code: what it
reads is what is on the screen for the analyst (and for an analyst using a screen reader).

The accessibility bus is started on demand (D-Bus activation of `org.a11y.Bus`, package
at-spi2-core) by the private session bus of the test (`tests/peers/secret_service.py`);
`point_activation_at` makes it live in the test's private runtime dir, not in $HOME.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jeepney import DBusAddress, MessageType, Properties, new_method_call
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from tests.ci import in_ci

ACCESSIBLE = "org.a11y.atspi.Accessible"
TEXT = "org.a11y.atspi.Text"
REGISTRY_ROOT = ("org.a11y.atspi.Registry", "/org/a11y/atspi/accessible/root")
STATE_SHOWING = 25  # AtspiStateType: mapped and not hidden by its parents
STATE_FOCUSED = 12
# Containers whose children are data, not what the app says: a table's cells, a menu's
# items, a list's entries. The walk does not go into them.
SKIPPED_ROLES = frozenset({"table", "tree table", "menu bar", "list", "tree", "scroll bar"})
MAX_DEPTH = 14


LAUNCHER = Path("/usr/libexec/at-spi-bus-launcher")


def require_accessibility_bus() -> None:
    """at-spi2-core (the accessibility bus launcher) is installed: skip locally when it
    is not, fail under CI=true (as `tests.peers.availability.require_binary` does)."""
    if LAUNCHER.is_file():
        return
    message = f"{LAUNCHER} is missing (apt: at-spi2-core, see .ci/system-packages.sh)"
    if in_ci():
        pytest.fail(message + " and CI=true: a real-server test may not skip in CI")
    pytest.skip(message)


class AccessibilityError(Exception):
    """The accessibility bus or the app's tree could not be read."""


def point_activation_at(session_bus: str, env: dict[str, str]) -> None:
    """Services the session bus starts on demand (the accessibility bus launcher) get
    the test's HOME and XDG_RUNTIME_DIR, so their sockets live in its private dirs."""
    with open_dbus_connection(bus=session_bus) as conn:
        bus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus",
                          interface="org.freedesktop.DBus")
        wanted = {k: env[k] for k in ("HOME", "XDG_RUNTIME_DIR", "DISPLAY") if k in env}
        reply = conn.send_and_get_reply(new_method_call(
            bus, "UpdateActivationEnvironment", "a{ss}", (wanted,)), timeout=10)
        if reply.header.message_type == MessageType.error:
            raise AccessibilityError(f"UpdateActivationEnvironment failed: {reply.body}")


@dataclass(frozen=True)
class Seen:
    """One visible widget: its AT-SPI role, its name (a label's text, a window's title),
    the top-level window it is in, and whether it is inside the status bar."""

    role: str
    name: str
    window: str
    in_status_bar: bool
    focused: bool
    text: str = ""  # the contents of a text view or field (role "text")


class ScreenReader:
    """A connection to the accessibility bus of one session. Close it after use."""

    def __init__(self, session_bus: str) -> None:
        with open_dbus_connection(bus=session_bus) as conn:
            launcher = DBusAddress("/org/a11y/bus", bus_name="org.a11y.Bus",
                                   interface="org.a11y.Bus")
            reply = conn.send_and_get_reply(new_method_call(launcher, "GetAddress"),
                                            timeout=20)
        if reply.header.message_type == MessageType.error:
            raise AccessibilityError(f"no accessibility bus: {reply.body}")
        self._conn: DBusConnection = open_dbus_connection(bus=reply.body[0])

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ScreenReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the tree ------------------------------------------------------------------------

    def application(self, name: str) -> tuple[str, str] | None:
        """The accessible root of the running application called `name`, or None while
        it has not registered (yet)."""
        for node in self._children(REGISTRY_ROOT):
            if self._name(node) == name:
                return node
        return None

    def visible(self, app: tuple[str, str]) -> list[Seen]:
        """Every showing widget of the app (not inside tables, lists and menus), in tree
        order. Widgets that go away during the walk are left out."""
        return list(self._walk(app, "", False, 0))

    def _walk(self, node: tuple[str, str], window: str, in_bar: bool,
              depth: int) -> Iterator[Seen]:
        try:
            role = self._call(node, ACCESSIBLE, "GetRoleName")[0]
            states = self._call(node, ACCESSIBLE, "GetState")[0]
            name = self._name(node)
        except AccessibilityError:
            return
        showing = bool(states[0] & (1 << STATE_SHOWING))
        if depth > 0 and not showing:
            return
        if role in ("frame", "dialog", "window", "alert"):
            window = name
        in_bar = in_bar or role == "status bar"
        if depth > 0:
            text = ""
            if role == "text":
                try:
                    text = str(self._call(node, TEXT, "GetText", "ii", (0, -1))[0])
                except AccessibilityError:
                    pass
            yield Seen(role, name, window, in_bar, bool(states[0] & (1 << STATE_FOCUSED)),
                       text)
        if role in SKIPPED_ROLES or depth >= MAX_DEPTH:
            return
        try:
            children = self._children(node)
        except AccessibilityError:
            return
        for child in children:
            yield from self._walk(child, window, in_bar, depth + 1)

    # -- D-Bus ---------------------------------------------------------------------------

    def _children(self, node: tuple[str, str]) -> list[tuple[str, str]]:
        return [(str(b), str(p)) for b, p in self._call(node, ACCESSIBLE, "GetChildren")[0]]

    def _name(self, node: tuple[str, str]) -> str:
        address = DBusAddress(node[1], bus_name=node[0], interface=ACCESSIBLE)
        reply = self._conn.send_and_get_reply(Properties(address).get("Name"), timeout=10)
        if reply.header.message_type == MessageType.error:
            raise AccessibilityError(str(reply.body))
        return str(reply.body[0][1])

    def _call(self, node: tuple[str, str], interface: str, method: str,
              signature: str | None = None, body: tuple[Any, ...] = ()) -> Any:
        address = DBusAddress(node[1], bus_name=node[0], interface=interface)
        reply = self._conn.send_and_get_reply(new_method_call(address, method, signature,
                                                              body), timeout=10)
        if reply.header.message_type == MessageType.error:
            raise AccessibilityError(str(reply.body))
        return reply.body
