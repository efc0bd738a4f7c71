"""An outside process opening and closing the cache must not pull the WAL out from
under the running app (sqlite.org, "How To Corrupt An SQLite Database File", 2.2: POSIX
drops every lock a process holds on a file when it closes ANY descriptor of that file;
the app must never open the cache, its -wal or -shm outside SQLite while connected)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rr_desktop.domain import Incoming
from rr_desktop.paths import db_path
from rr_desktop.store.ingest import merge_page
from rr_desktop.store.timecodec import utcnow
from rr_desktop.workspace import Workspace
from tests.factories import escalation

_OUTSIDE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
n = conn.execute("SELECT count(*) FROM escalation").fetchone()[0]
conn.execute("CREATE TABLE IF NOT EXISTS outside_note (x)")
conn.execute("INSERT INTO outside_note VALUES (1)")
conn.commit()
conn.close()
print(n)
"""


def _outside_read_write(path: Path) -> int:
    """Open, read, write and close the cache from another process (an analyst's sqlite3
    shell, a backup tool, a second rr-desktop)."""
    out = subprocess.run([sys.executable, "-c", _OUTSIDE, str(path)], capture_output=True,
                         text=True, timeout=60, check=True)
    return int(out.stdout)


def _incoming(n: int) -> list[Incoming]:
    return [Incoming(escalation(external_id=f"OUT-{n}-{i}"), f"h{n}-{i}") for i in range(5)]


def test_outside_connection_on_a_fresh_data_dir_leaves_the_app_working(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"  # nothing exists yet: first start, full migration
    ws = Workspace.open(data, demo=False)
    path = db_path(data)
    wal = Path(f"{path}-wal")
    try:
        with ws.store.write() as db:
            db.execute("INSERT INTO channel (name, kind) VALUES ('x', 'rr_api')")
            merge_page(db, 1, _incoming(0), [], utcnow())
        assert wal.exists()
        for round_ in range(1, 4):
            assert _outside_read_write(path) == 5 * round_
            # The app's connections still hold their locks: the outsider was not the
            # last connection, so it neither checkpointed nor deleted the WAL.
            assert wal.exists()
            with ws.store.read() as db:
                assert db.execute("SELECT count(*) FROM escalation").fetchone()[0] == 5 * round_
            with ws.store.write() as db:
                merge_page(db, 1, _incoming(round_), [], utcnow())
        assert ws.store.quick_check() is None
    finally:
        ws.close()
