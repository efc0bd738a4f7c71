"""A cache file as an older release left it: migrated up to a given revision only, so a
test can write rows in that schema and check what the next migrations make of them."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from rr_desktop.store.migrate import MIGRATIONS_DIR
from rr_desktop.store.migration_connections import writer_engine


def cache_at_revision(path: Path, revision: str) -> None:
    """Create `path` and run the migrations up to `revision` (e.g. "0005")."""
    engine = writer_engine(path)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    engine.dispose()
