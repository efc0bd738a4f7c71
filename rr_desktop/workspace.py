"""A workspace: the cache in a data dir, its channels' clients and the sync engine.

The GUI and the headless commands both start from here. The embedded demo channel runs
the reference escalation service in-process on 127.0.0.1 with a token made up for this
run; it protects nothing real, so it is passed in memory, never stored anywhere.
"""

from __future__ import annotations

import logging
import secrets as pysecrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import secrets
from .channels import registry
from .channels.contract import ChannelClient, ChannelError, Closable, NamesDesktop
from .channels.rr_api import KIND as RR_API
from .channels.rr_api import RrApiChannel
from .domain import Channel
from .paths import db_path
from .store import channel_state as cs
from .store.desktop_identity import desktop_id
from .store.store import Store
from .store.timecodec import utcnow
from .sync.engine import SyncEngine, hand_over_the_gil_sooner

if TYPE_CHECKING:
    from .demo import DemoServer

log = logging.getLogger("rr_desktop")

DEMO_CHANNEL = "demo"
DEMO_SEED = 7


class ChannelSetupError(Exception):
    """A configured channel cannot be used (unknown kind, missing or unreadable secret)."""


@dataclass
class Workspace:
    """The open cache plus what syncs it. Close it to stop the demo server."""

    data_dir: Path
    store: Store
    engine: SyncEngine
    demo: DemoServer | None = None
    setup_errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def open(cls, data_dir: Path, demo: bool = True, demo_live: float | None = 5.0,
             demo_count: int = 3000, check: bool = True) -> Workspace:
        """`check=False` skips the full quick_check at open (the GUI runs it after its
        first paint, see MainWindow.check_cache)."""
        hand_over_the_gil_sooner()
        store = Store.open(db_path(data_dir), check=check)
        clients: dict[str, ChannelClient] = {}
        server = None
        try:
            desktop = desktop_id(store)
            if demo:
                server, client = _start_demo(store, demo_count, demo_live, desktop)
                clients[DEMO_CHANNEL] = client
            errors: dict[str, str] = {}
            with store.read() as db:
                channels = cs.list_channels(db)
            for channel in channels:
                if channel.name == DEMO_CHANNEL:
                    continue
                try:
                    clients[channel.name] = build_client(channel, desktop)
                except (ChannelSetupError, secrets.SecretStoreError) as exc:
                    errors[channel.name] = str(exc)
                    with store.write() as db:
                        cs.record_error(db, channel.id or 0, str(exc), utcnow())
            record_pushes(store, clients)
        except BaseException:
            if server is not None:
                server.stop()
            store.close()
            raise
        return cls(data_dir, store, SyncEngine(store, clients, data_dir=data_dir), server,
                   errors)

    def close(self) -> None:
        for client in self.engine.clients.values():
            if isinstance(client, Closable):
                client.close()
        if self.demo is not None:
            self.demo.stop()
        self.store.close()


def record_pushes(store: Store, clients: dict[str, ChannelClient]) -> None:
    """Write down what each channel's source receives (the push matrix): local changes
    are queued for exactly that, the rest stays on this machine."""
    with store.write() as db:
        for name, client in clients.items():
            row = db.execute("SELECT id FROM channel WHERE name = ?", (name,)).fetchone()
            if row is not None:
                cs.set_pushes(db, int(row[0]), client.pushes)


def _start_demo(store: Store, count: int, live: float | None,
                desktop: str | None) -> tuple[DemoServer, ChannelClient]:
    from .demo import DemoServer

    token = pysecrets.token_urlsafe(24)
    server = DemoServer(token=token, seed=DEMO_SEED, count=count)
    server.start()
    if live:
        server.start_live(live)
    with store.write() as db:
        cs.ensure_channel(db, Channel(DEMO_CHANNEL, RR_API, {"base_url": server.url,
                                                             "demo": "true"}))
    return server, RrApiChannel(DEMO_CHANNEL, server.url, token, desktop_id=desktop)


def build_client(channel: Channel, desktop: str | None = None) -> ChannelClient:
    """A client for a configured channel, its secrets read from the keyring; one that
    names its desktop to the server is given `desktop` (store.desktop_identity)."""
    try:
        kind = registry.spec(channel.kind)
    except KeyError as exc:
        raise ChannelSetupError(f"{channel.name}: {exc.args[0]}") from None
    problems = kind.validate(channel.config)
    if problems:
        raise ChannelSetupError(f"{channel.name}: " + "; ".join(problems))
    try:
        client = kind.build(channel.name, channel.config,
                            lambda field: secrets.get_secret(channel.name, field))
    except ChannelError as exc:
        raise ChannelSetupError(str(exc)) from exc
    if desktop and isinstance(client, NamesDesktop):
        client.name_desktop(desktop)
    return client
