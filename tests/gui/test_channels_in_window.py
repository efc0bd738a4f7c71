"""Channels set up while the app runs start syncing without a restart."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from rr_desktop.channels.feeds import FeedChannel
from rr_desktop.domain import Channel
from rr_desktop.gui.main_window import MainWindow
from rr_desktop.store.channel_state import ensure_channel

from .conftest import FakeWorkspace
from .seed import write_elsewhere


def test_a_saved_channel_is_handed_to_the_engine(qtbot: QtBot, window: MainWindow,
                                                 workspace: FakeWorkspace) -> None:
    write_elsewhere(workspace.store, lambda db: ensure_channel(db, Channel(
        "news", "feed", {"base_url": "https://news.example/rss", "default_market": "ID"})))
    runs = workspace.engine.runs
    window.start_channel("news")
    qtbot.waitUntil(lambda: "news" in workspace.engine.clients, timeout=5000)
    assert isinstance(workspace.engine.clients["news"], FeedChannel)
    qtbot.waitUntil(lambda: workspace.engine.runs > runs, timeout=5000)  # synced at once


def test_add_channel_and_import_commands_open_their_dialogs(qtbot: QtBot,
                                                            window: MainWindow) -> None:
    window.commands.run("add-channel")
    qtbot.waitUntil(lambda: _visible(window, "ChannelSetupDialog"), timeout=3000)
    window.commands.run("import-spreadsheet")
    qtbot.waitUntil(lambda: _visible(window, "SpreadsheetImportDialog"), timeout=3000)


def _visible(window: MainWindow, name: str) -> bool:
    dialog = window.findChild(QWidget, name)
    return dialog is not None and dialog.isVisible()


def test_sla_targets_from_settings_reach_the_cache(qtbot: QtBot, workspace: FakeWorkspace,
                                                   tmp_path: Path) -> None:
    from rr_desktop.settings import save_setting
    from rr_desktop.store.sla_sql import load_policy

    save_setting(tmp_path, "sla", {"S3": {"acknowledge": "10m"}})
    win = MainWindow(workspace, sync_interval_s=None)
    qtbot.addWidget(win)
    try:
        def applied() -> bool:
            with workspace.store.read() as db:
                return load_policy(db).for_severity(3).acknowledge_s == 600
        qtbot.waitUntil(applied, timeout=5000)
    finally:
        win.shutdown()


def test_bad_sla_settings_are_reported_and_change_nothing(
        qtbot: QtBot, workspace: FakeWorkspace, tmp_path: Path) -> None:
    from rr_desktop.settings import save_setting
    from rr_desktop.store.sla_sql import load_policy

    with workspace.store.read() as db:
        before = load_policy(db)
    save_setting(tmp_path, "sla", {"S9": {"acknowledge": "soon"}})
    win = MainWindow(workspace, sync_interval_s=None)
    qtbot.addWidget(win)
    try:
        assert "SLA settings not applied" in win.statusBar().currentMessage()
        with workspace.store.read() as db:
            assert load_policy(db) == before
    finally:
        win.shutdown()
