"""Runs one sync of the demo channel in a child process (killed with SIGKILL by tests).

Usage: python -m tests.integration.sync_child DB_FILE URL PAGE_SIZE [CHECKPOINT_PAGES]

CHECKPOINT_PAGES lowers the WAL size at which a sync checkpoints (the app's is 64 MB), so
kills also land inside checkpoints of a small test feed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rr_desktop.store import store as store_module
from tests.integration.sync_env import make_env


class _Url:
    def __init__(self, url: str) -> None:
        self.url = url


def main() -> int:
    db_file, url, page_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if len(sys.argv) > 4:
        store_module.BULK_AUTOCHECKPOINT_PAGES = int(sys.argv[4])
    env = make_env(_Url(url), Path(db_file), page_size=page_size)  # type: ignore[arg-type]
    print("START", flush=True)
    report = env.engine.run("demo")
    print(report.summary(), flush=True)
    return 1 if report.error else 0


if __name__ == "__main__":
    sys.exit(main())
