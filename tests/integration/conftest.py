from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rr_desktop.demo import DemoServer
from tests.integration.sync_env import TOKEN, SyncEnv, make_env


@pytest.fixture
def demo_server() -> Iterator[DemoServer]:
    server = DemoServer(token=TOKEN, seed=11, count=1000)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def env(demo_server: DemoServer, tmp_path: Path) -> Iterator[SyncEnv]:
    e = make_env(demo_server, tmp_path / "cache.sqlite3", page_size=200)
    yield e
    e.store.close()
