"""The world of a black-box journey: Xvfb, a private D-Bus session with a real keyring
(and, on demand, the accessibility bus), the reference service in its own process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.accessibility import point_activation_at, require_accessibility_bus
from tests.e2e.desktop import Desktop
from tests.e2e.xsession import xvfb_display
from tests.peers.availability import require_binary
from tests.peers.reference_service import ReferenceService
from tests.peers.secret_service import secret_service


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Desktop]:
    require_binary("xdotool")
    require_accessibility_bus()
    with xvfb_display() as display, secret_service() as session, \
            ReferenceService(count=200) as service:
        point_activation_at(session["DBUS_SESSION_BUS_ADDRESS"],
                            {**session, **display.env()})
        machine = Desktop(display, session, tmp_path / "data", service, tmp_path / "shots")
        try:
            yield machine
        finally:
            machine.close()
