"""Push in the window: an `rr_api` channel on the team hub is watched from the start
(its `idle_wait` long-polls the hub), and a change another desktop makes on the hub
syncs that channel, and only it, within the idle wait's 25 s (a timeout would not)."""

from __future__ import annotations

import threading
from pathlib import Path

from pytestqt.qtbot import QtBot

from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.gui.bridge import SyncBridge
from rr_desktop.gui.jobs import JobRunner
from rr_desktop.gui.main_window import MainWindow
from rr_desktop.sync.engine import SyncReport
from tests.hub.push_rig import append, running_hub

from .conftest import FakeEngine, FakeWorkspace


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


def test_news_during_a_run_syncs_the_channel_after_it_and_keeps_the_interval(
        qtbot: QtBot) -> None:
    """A full run may already have passed the channel: it is synced once more after the
    run. A one-channel run does not push back the interval's next full run."""
    engine = FakeEngine()
    release = threading.Event()

    def full_run(_progress: object, _cancel: threading.Event) -> list[SyncReport]:
        release.wait(30)
        return []

    engine.step = full_run
    engine.clients["hub"] = object()
    jobs = JobRunner(max_workers=1)
    bridge = SyncBridge(engine, jobs, interval_s=600)
    try:
        bridge.sync_now()
        qtbot.waitUntil(lambda: engine.runs == 1, timeout=5000)  # the full run started
        bridge.sync_channel("hub")
        bridge.sync_channel("hub")  # twice while running: once after
        assert engine.channel_runs == []
        with qtbot.waitSignal(bridge.running_changed, timeout=5000,
                              check_params_cb=lambda running: not running):
            release.set()  # the full run ends, then the channel's run follows
        qtbot.waitUntil(lambda: engine.channel_runs == ["hub"] and not bridge.is_running(),
                        timeout=5000)
        assert bridge._timer.isActive()  # the next full run is scheduled
        bridge._timer.start(123_456)  # a mark: a restart would show the 600 s again
        bridge.sync_channel("hub")
        qtbot.waitUntil(lambda: engine.channel_runs == ["hub", "hub"]
                        and not bridge.is_running(), timeout=5000)
        assert engine.runs == 3  # one full run, two of the channel
        assert bridge._timer.isActive() and bridge._timer.remainingTime() <= 123_456
    finally:
        bridge.stop()
        jobs.shutdown(5)


def test_a_channel_set_up_again_is_watched_through_its_new_client(
        qtbot: QtBot, window: MainWindow, workspace: FakeWorkspace) -> None:
    class Source:
        """Reports news once `news` is set; otherwise a short wait."""

        def __init__(self) -> None:
            self.news = threading.Event()
            self.calls = 0

        def idle_wait(self, timeout_s: float) -> bool:
            self.calls += 1
            if self.news.wait(min(timeout_s, 0.05)):
                self.news.clear()
                return True
            return False

    def watchers() -> int:
        return sum(t.name == "watch-hub" for t in threading.enumerate())

    old, new = Source(), Source()
    workspace.engine.clients["hub"] = old
    window.mailboxes.watch(workspace.engine.clients)
    qtbot.waitUntil(lambda: old.calls > 0, timeout=5000)
    workspace.engine.clients["hub"] = new  # as start_channel's add_client does
    window.mailboxes.watch(workspace.engine.clients)
    qtbot.waitUntil(lambda: new.calls > 0 and watchers() == 1, timeout=5000)
    new.news.set()
    qtbot.waitUntil(lambda: workspace.engine.channel_runs == ["hub"], timeout=5000)
    asked = old.calls
    old.news.set()  # the old client is no longer asked: its news is not taken
    new.news.set()
    qtbot.waitUntil(lambda: workspace.engine.channel_runs == ["hub", "hub"], timeout=5000)
    assert old.calls == asked and old.news.is_set()
