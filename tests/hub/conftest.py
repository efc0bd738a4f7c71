"""Fixtures of the hub's tests: one real PostgreSQL per session (tests/peers/postgres.py),
a new database per test; and the same store on an embedded SQLite file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.peers.postgres import PostgresServer, postgres_server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture
def pg_url(postgres: PostgresServer) -> Iterator[str]:
    """A SQLAlchemy URL of a new, empty database on the session's server."""
    name = postgres.create_database()
    yield postgres.url(name)
    postgres.drop_database(name)
