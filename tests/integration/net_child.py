"""One sync of a reference-service channel in this process, measuring its peak memory.

Usage: python -m tests.integration.net_child DB_FILE URL TOKEN TIME_LIMIT_S
Prints one JSON line: summary, error, last_error (the channel row), growth_kb (peak
resident memory during the run above the resident memory before it), seconds.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.domain import Channel
from rr_desktop.store import channel_state as cs
from rr_desktop.store.store import Store
from rr_desktop.sync.engine import SyncEngine
from rr_desktop.sync.limits import SyncLimits


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def main() -> int:
    db_file, url, token, limit = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    store = Store.open(Path(db_file))
    with store.write() as db:
        cs.ensure_channel(db, Channel("ref", "rr_api", {"base_url": url}))
    engine = SyncEngine(store, {"ref": RrApiChannel("ref", url, token)},
                        limits=SyncLimits(run_deadline_s=limit))
    # Start the peak over from here ("5" resets VmHWM, Linux >= 4.0).
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_kb("VmRSS")
    start = time.monotonic()
    report = engine.run("ref")
    seconds = time.monotonic() - start
    growth = _status_kb("VmHWM") - before
    with store.read() as db:
        last_error = db.execute("SELECT last_error FROM channel").fetchone()[0]
    store.close()
    print(json.dumps({"summary": report.summary(), "error": report.error,
                      "last_error": last_error, "growth_kb": growth,
                      "seconds": round(seconds, 2)}), flush=True)
    return 1 if report.error else 0


if __name__ == "__main__":
    sys.exit(main())
