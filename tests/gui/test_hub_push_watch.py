"""Push in the window: an `rr_api` channel on the team hub is watched from the start
(its `idle_wait` long-polls the hub), and a change another desktop makes on the hub
syncs that channel, and only it, within the idle wait's 25 s (a timeout would not)."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.gui.main_window import MainWindow
from tests.hub.push_rig import append, running_hub

from .conftest import FakeWorkspace


def test_a_change_on_the_hub_syncs_that_channel(qtbot: QtBot, window: MainWindow,
                                                workspace: FakeWorkspace,
                                                tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    with running_hub(db) as (base, token):
        client = RrApiChannel("hub", base, token, desktop_id="mei-laptop-1a2b3c4d")
        try:
            workspace.engine.clients["other"] = object()  # a channel that is not watched
            workspace.engine.clients["hub"] = client
            window.mailboxes.watch(workspace.engine.clients)  # as after start_channel
            qtbot.waitUntil(lambda: client.watched_head == 0, timeout=15_000)
            assert workspace.engine.channel_runs == []
            append(db)  # another desktop's change reaches the hub's feed
            qtbot.waitUntil(lambda: workspace.engine.channel_runs == ["hub"], timeout=15_000)
            assert client.watched_head == 1
        finally:
            client.close()
