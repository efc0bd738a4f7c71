"""Fixtures of the hub's record stores' tests: `new_hub_store()` opens a new, empty hub
database each call (on the SQLite file or the real PostgreSQL of `hub_url`), all closed
and dropped at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rr_desktop.hub.store import HubStore
from tests.hub.records.rig import NewHubStore
from tests.peers.postgres import PostgresServer


@pytest.fixture
def new_hub_store(hub_url: str, request: pytest.FixtureRequest,
                  tmp_path: Path) -> Iterator[NewHubStore]:
    """The first call opens `hub_url`; later ones a new database beside it."""
    postgres: PostgresServer | None = None
    if not hub_url.startswith("sqlite"):
        postgres = request.getfixturevalue("postgres")
    opened: list[HubStore] = []
    databases: list[str] = []

    def make() -> HubStore:
        if not opened:
            url = hub_url
        elif postgres is None:
            url = f"sqlite:///{tmp_path / f'hub-{len(opened)}.sqlite3'}"
        else:
            databases.append(postgres.create_database())
            url = postgres.url(databases[-1])
        opened.append(HubStore.open(url))
        return opened[-1]

    yield make
    for store in opened:
        store.close()
    assert postgres is not None or not databases
    for name in databases:
        postgres.drop_database(name)  # type: ignore[union-attr]
