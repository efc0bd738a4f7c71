"""The channel setup dialog, driven like a user: fields from the kind's FieldSpecs, the
connection test against the real demo server off the GUI thread, save to the cache and a
real Secret Service keyring, and a clear refusal when there is no keyring."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from rr_desktop import channel_setup as core
from rr_desktop import secrets
from rr_desktop.channels import registry
from rr_desktop.channels.registry import ChannelSpec, FieldSpec
from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.demo import DemoServer
from rr_desktop.gui.channel_setup import ChannelSetupDialog
from rr_desktop.gui.jobs import JobRunner
from rr_desktop.store import channel_state as cs
from rr_desktop.store.store import Store
from tests.peers.secret_service import secret_service

TOKEN = "dialog-canary-51f0c2"
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "data" / "cache.sqlite3")
    yield store
    store.close()


@pytest.fixture
def dialog(qtbot: QtBot, cache: Store) -> Iterator[ChannelSetupDialog]:
    jobs = JobRunner(max_workers=1)
    d = ChannelSetupDialog(cache, jobs, kind="rr_api")
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    yield d
    jobs.shutdown(5)


@pytest.fixture
def server() -> Iterator[DemoServer]:
    with DemoServer(token=TOKEN, seed=4, count=5) as s:
        yield s


@pytest.fixture
def secret_service_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """keyring in this process talking to a real gnome-keyring on a private bus."""
    from keyring.backends import SecretService

    with secret_service() as env:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        old = keyring.get_keyring()
        keyring.set_keyring(SecretService.Keyring())
        try:
            yield
        finally:
            keyring.set_keyring(old)


def fill(qtbot: QtBot, d: ChannelSetupDialog, name: str, url: str, token: str) -> None:
    qtbot.keyClicks(d.ui.nameEdit, name)
    base_url = d.fields["base_url"]
    assert isinstance(base_url, QLineEdit)
    base_url.clear()
    qtbot.keyClicks(base_url, url)
    qtbot.keyClicks(d.fields["token"], token)


def channels(store: Store) -> list[tuple[str, str, dict[str, str]]]:
    with store.read() as db:
        return [(c.name, c.kind, c.config) for c in cs.list_channels(db)]


def test_missing_fields_are_named_and_nothing_runs(qtbot: QtBot, dialog: ChannelSetupDialog,
                                                   cache: Store) -> None:
    qtbot.mouseClick(dialog.save_button, LEFT)
    text = dialog.ui.problemsLabel.text()
    for problem in ("Channel name is required", "Base URL is required",
                    "API token is required"):
        assert problem in text
    assert dialog.save_job is None and dialog.isVisible()
    assert dialog.ui.nameEdit.hasFocus()
    qtbot.mouseClick(dialog.ui.testButton, LEFT)
    assert dialog.test_job is None
    fill(qtbot, dialog, "p", "ftp://esc.example", "t")
    qtbot.mouseClick(dialog.ui.testButton, LEFT)
    assert dialog.ui.problemsLabel.text() == (
        "\u2022 the base URL must start with https:// (or http:// for loopback)")
    assert channels(cache) == []


def test_fields_come_from_the_kind_spec(qtbot: QtBot, cache: Store,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    spec = ChannelSpec(
        kind="probe", label="Probe feed", description="A <b>test</b> kind.",
        build=lambda *_a: None,  # type: ignore[arg-type, return-value]
        fields=(FieldSpec("base_url", "Base URL", help="<i>https</i> address"),
                FieldSpec("mode", "Mode", choices=("poll", "push"), default="push"),
                FieldSpec("market", "Default market", required=False, default="ID"),
                FieldSpec("password", "Password", secret=True, help="from the admin")))
    monkeypatch.setitem(registry._SPECS, "probe", spec)
    d = ChannelSetupDialog(cache, kind="rr_api")
    qtbot.addWidget(d)
    url = d.fields["base_url"]
    assert isinstance(url, QLineEdit)
    url.setText("https://kept.example")
    d.fields["token"].setFocus()
    d.ui.kindCombo.setCurrentIndex(d.ui.kindCombo.findData("probe"))
    assert list(d.fields) == ["base_url", "mode", "market", "password"]
    mode, market, password = d.fields["mode"], d.fields["market"], d.fields["password"]
    assert isinstance(mode, QComboBox) and mode.currentText() == "push"
    assert [mode.itemText(i) for i in range(mode.count())] == ["poll", "push"]
    assert isinstance(market, QLineEdit) and market.text() == "ID"
    assert isinstance(password, QLineEdit)
    assert password.echoMode() == QLineEdit.EchoMode.Password
    assert password.placeholderText() == "from the admin"
    kept = d.fields["base_url"]
    assert isinstance(kept, QLineEdit) and kept.text() == "https://kept.example"
    assert "&lt;i&gt;https&lt;/i&gt;" in kept.toolTip()  # help shown literally
    labels = d.findChildren(QLabel)
    assert "Default market (optional)" in [label.text() for label in labels]
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)
    assert d.ui.kindDescription.text() == "A <b>test</b> kind."
    draft = d.draft()
    assert (draft.kind, draft.config) == ("probe", {"base_url": "https://kept.example",
                                                    "mode": "push", "market": "ID"})
    d.ui.kindCombo.setCurrentIndex(d.ui.kindCombo.findData("rr_api"))
    assert list(d.fields) == ["base_url", "token"]


def test_every_registered_kind_gets_a_form(qtbot: QtBot, cache: Store) -> None:
    d = ChannelSetupDialog(cache)
    qtbot.addWidget(d)
    assert d.ui.kindCombo.count() == len(registry.kinds()) >= 1
    for kind in registry.kinds():
        d.ui.kindCombo.setCurrentIndex(d.ui.kindCombo.findData(kind))
        spec = registry.spec(kind)
        assert list(d.fields) == [f.name for f in spec.fields]
        for f in spec.fields:
            widget = d.fields[f.name]
            if f.secret:
                assert isinstance(widget, QLineEdit)
                assert widget.echoMode() == QLineEdit.EchoMode.Password
            elif f.choices:
                assert isinstance(widget, QComboBox)
        assert "Channel name is required" in d.problems()
        assert d.ui.keyringNote.isVisibleTo(d) == bool(spec.secret_fields())


def test_connection_test_runs_off_the_gui_thread_with_clear_verdicts(
        qtbot: QtBot, dialog: ChannelSetupDialog, server: DemoServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    original = RrApiChannel.check

    def recording_check(self: RrApiChannel) -> None:
        threads.append(threading.current_thread().name)
        original(self)

    monkeypatch.setattr(RrApiChannel, "check", recording_check)
    fill(qtbot, dialog, "platform", server.url, "wrong-token")
    with qtbot.waitSignal(dialog.verdict_shown, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.ui.testButton, LEFT)
        assert dialog.ui.verdictLabel.text() == "Testing the connection\u2026"
        assert not dialog.ui.testButton.isEnabled()
    verdict = blocker.args[0]
    assert isinstance(verdict, core.Verdict) and verdict.kind is core.VerdictKind.AUTH
    assert dialog.ui.verdictLabel.text() == (
        "Authentication failed: platform: the server refused the credentials (401)")
    assert threads and threads[0] != threading.main_thread().name
    qtbot.waitUntil(dialog.ui.testButton.isEnabled)

    token = dialog.fields["token"]
    assert isinstance(token, QLineEdit)
    token.clear()
    qtbot.keyClicks(token, TOKEN)
    assert dialog.ui.verdictLabel.text() == ""  # an edit makes the old verdict stale
    with qtbot.waitSignal(dialog.verdict_shown, timeout=10_000):
        qtbot.mouseClick(dialog.ui.testButton, LEFT)
    assert dialog.verdict is not None and dialog.verdict.ok
    assert dialog.ui.verdictLabel.text() == "Connection works: platform: connection works"
    assert channels(dialog.store) == []  # testing saves nothing


def test_wrong_url_and_unreachable_host(qtbot: QtBot, dialog: ChannelSetupDialog,
                                        server: DemoServer) -> None:
    fill(qtbot, dialog, "platform", server.url + "/api", TOKEN)
    with qtbot.waitSignal(dialog.verdict_shown, timeout=10_000):
        qtbot.mouseClick(dialog.ui.testButton, LEFT)
    assert dialog.ui.verdictLabel.text().startswith("Wrong URL or refused request: ")
    assert "is not an escalation service" in dialog.ui.verdictLabel.text()
    url = server.url
    server.stop()
    base_url = dialog.fields["base_url"]
    assert isinstance(base_url, QLineEdit)
    base_url.clear()
    qtbot.keyClicks(base_url, url)
    qtbot.waitUntil(dialog.ui.testButton.isEnabled)
    with qtbot.waitSignal(dialog.verdict_shown, timeout=15_000):
        qtbot.mouseClick(dialog.ui.testButton, LEFT)
    assert dialog.ui.verdictLabel.text().startswith("Host unreachable: platform: cannot reach")


def test_save_stores_config_in_the_cache_and_the_token_in_the_keyring(
        qtbot: QtBot, dialog: ChannelSetupDialog, cache: Store, server: DemoServer,
        secret_service_keyring: None) -> None:
    fill(qtbot, dialog, "platform", server.url, TOKEN)
    with qtbot.waitSignal(dialog.channel_saved, timeout=15_000) as saved:
        qtbot.mouseClick(dialog.save_button, LEFT)
        assert not dialog.save_button.isEnabled()
    assert saved.args == ["platform"]
    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()
    assert channels(cache) == [("platform", "rr_api", {"base_url": server.url})]
    assert type(keyring.get_keyring()).__module__ == "keyring.backends.SecretService"
    assert secrets.get_secret("platform", "token") == TOKEN
    for path in cache.path.parent.iterdir():
        assert TOKEN.encode() not in path.read_bytes(), path

    again = ChannelSetupDialog(cache, dialog.jobs, kind="rr_api")
    qtbot.addWidget(again)
    fill(qtbot, again, "platform", server.url, "another-token")
    qtbot.mouseClick(again.save_button, LEFT)
    qtbot.waitUntil(lambda: "already exists" in again.ui.problemsLabel.text(), timeout=10_000)
    assert secrets.get_secret("platform", "token") == TOKEN


def test_without_a_keyring_nothing_is_saved(qtbot: QtBot, dialog: ChannelSetupDialog,
                                            cache: Store) -> None:
    old = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        fill(qtbot, dialog, "platform", "https://esc.example", TOKEN)
        qtbot.mouseClick(dialog.save_button, LEFT)
        qtbot.waitUntil(lambda: dialog.save_job is None, timeout=10_000)
    finally:
        keyring.set_keyring(old)
    assert dialog.ui.problemsLabel.text().startswith(
        "\u2022 Nothing was saved. No system keyring is available")
    assert dialog.isVisible() and dialog.save_button.isEnabled()
    assert channels(cache) == []
