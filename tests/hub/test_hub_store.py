"""The hub's store: the same Alembic revisions on SQLite and PostgreSQL, matching the
tables the code uses; bad URLs and a newer database get one sentence."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from rr_desktop.hub import feed
from rr_desktop.hub.schema import metadata
from rr_desktop.hub.store import (
    HEAD_REVISION,
    KNOWN_REVISIONS,
    MIGRATIONS_DIR,
    VERSION_TABLE,
    HubStore,
    HubStoreError,
)


def test_known_revisions_are_the_scripts() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    scripts = ScriptDirectory.from_config(cfg)
    chain = [s.revision for s in scripts.walk_revisions()][::-1]
    assert tuple(chain) == KNOWN_REVISIONS


def test_revisions_build_the_schema_the_code_uses(hub_url: str) -> None:
    store = HubStore.open(hub_url)
    try:
        with store.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            assert ctx.get_current_revision() == HEAD_REVISION
            diffs = compare_metadata(ctx, metadata)
            assert diffs == []
            tables = set(inspect(conn).get_table_names())
        assert {t.name for t in metadata.sorted_tables} <= tables
        assert "alembic_version" not in tables  # never the desktop cache's chain
        with store.read() as conn:
            assert feed.head(conn) == 0
    finally:
        store.close()
    # Opening again runs nothing and keeps the rows.
    again = HubStore.open(hub_url)
    try:
        with again.write() as conn:
            assert feed.append_change(conn, "escalation", "k", {"x": 1}) == 1
    finally:
        again.close()


def test_a_database_from_a_newer_hub_is_refused(sqlite_url: str) -> None:
    HubStore.open(sqlite_url).close()
    store = HubStore.open(sqlite_url)
    with store.write() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = 'h9999'"))
    store.close()
    with pytest.raises(HubStoreError, match="newer than this rr-desktop knows"):
        HubStore.open(sqlite_url)


@pytest.mark.parametrize(("url", "message"), [
    ("not a url", "is not a database URL"),
    ("mysql://u@h/db", "PostgreSQL or SQLite"),
    ("sqlite://", "needs an SQLite file"),
])
def test_bad_urls_get_one_sentence(url: str, message: str) -> None:
    with pytest.raises(HubStoreError, match=message):
        HubStore.open(url)


@pytest.mark.slow
def test_an_unreachable_postgresql_gets_one_sentence() -> None:
    from tests.peers.nginx import free_port

    with pytest.raises(HubStoreError, match=r"^Cannot open the hub's database: ") as info:
        HubStore.open(f"postgresql://rr@127.0.0.1:{free_port()}/hub")
    assert "\n" not in str(info.value)
