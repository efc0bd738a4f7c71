"""Reading the cache back in integration tests: every escalation row by its source's id,
and running the app's command line on a data dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from rr_desktop.store.store import Store


def rows_by_external_id(store: Store) -> dict[str, dict[str, Any]]:
    """Every cached escalation as a column -> value dict, keyed by its external id."""
    with store.read() as db:
        cur = db.execute("SELECT * FROM escalation")
        names = [d[0] for d in cur.description]
        return {r[names.index("external_id")]: dict(zip(names, r, strict=True))
                for r in cur.fetchall()}


def run_cli(args: list[str], env: dict[str, str], data: Path,
            stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`rr-desktop --data-dir DATA ARGS` in a child process, as an analyst's shell runs it."""
    return subprocess.run([sys.executable, "-m", "rr_desktop", "--data-dir", str(data), *args],
                          input=stdin, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})
