"""Sync footprint benchmark: peak WAL size and RSS while syncing a large queue.

    python -m tests.benchmarks.bench_sync_footprint [--count 200000] [--checkpoint-mb MB]

The reference service runs in its own process (`rr-desktop demo-server --count N`); this
process syncs it into an empty cache the way the app does (Store.open with migration, the
sync engine, the rr_api channel over loopback HTTP). A sampler thread reads the size of
the cache's -wal file (os.stat, never an open) and this process's RSS every 20 ms.
Prints: escalations/s, cache size, WAL peak during the run, WAL size once the run is
over, RSS peak and the SQLite version. No assertion: figures, compared before/after a
change in the same conditions. `--checkpoint-mb` overrides the WAL size at which a sync
checkpoints (0: never during the run, as before the WAL was bounded).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.domain import Channel
from rr_desktop.store import channel_state as cs
from rr_desktop.store import store as store_module
from rr_desktop.store.store import Store
from rr_desktop.sync.engine import SyncEngine, hand_over_the_gil_sooner
from tests.peers.nginx import free_port

READY_TIMEOUT_S = 600.0


def _rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


class Sampler:
    """Peak WAL size and RSS, sampled on a thread until stopped."""

    def __init__(self, wal: Path) -> None:
        self.wal = wal
        self.peak_wal = 0
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak_wal = max(self.peak_wal, _size(self.wal))
            self.peak_rss = max(self.peak_rss, _rss_bytes())

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def start_service(count: int, token: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rr_desktop", "demo-server", "--host", "127.0.0.1",
         "--port", str(port), "--token", token, "--count", str(count), "--seed", "42"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if url in line:
            return proc, url
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("the reference service did not start")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=200_000)
    ap.add_argument("--checkpoint-mb", type=int, default=None)
    args = ap.parse_args()
    if args.checkpoint_mb is not None:
        store_module.BULK_AUTOCHECKPOINT_PAGES = args.checkpoint_mb * 256  # 4 KB pages
    hand_over_the_gil_sooner()  # as the app does (Workspace.open)
    token = secrets.token_urlsafe(16)
    proc, url = start_service(args.count, token)
    tmp = Path(tempfile.mkdtemp(prefix="rr-footprint-"))
    db = tmp / "cache.sqlite3"
    try:
        store = Store.open(db)
        with store.write() as conn:
            cs.ensure_channel(conn, Channel("demo", "rr_api", {"base_url": url}))
        engine = SyncEngine(store, {"demo": RrApiChannel("demo", url, token)})
        rss_before = _rss_bytes()
        with Sampler(Path(f"{db}-wal")) as sampler:
            start = time.perf_counter()
            report = engine.run("demo")
            elapsed = time.perf_counter() - start
        wal_after = _size(Path(f"{db}-wal"))
        if report.error:
            raise SystemExit(report.summary())
        with store.read() as conn:
            cached = conn.execute("SELECT count(*) FROM escalation").fetchone()[0]
            sqlite_version = conn.execute("SELECT sqlite_version()").fetchone()[0]
        store.close()
        mb = 1024 * 1024
        every = store_module.BULK_AUTOCHECKPOINT_PAGES // 256
        print(f"\nsync footprint, {args.count:,} escalations from the reference service "
              f"(own process), SQLite {sqlite_version}, checkpoint every "
              f"{f'{every} MB of WAL' if every else 'never'} during the run")
        print(f"  cached: {cached:,} in {elapsed:.1f} s = {cached / elapsed:,.0f} esc/s")
        print(f"  cache file: {_size(db) / mb:,.0f} MB")
        print(f"  WAL peak during the run: {sampler.peak_wal / mb:,.0f} MB; "
              f"after the run: {wal_after / mb:,.1f} MB")
        print(f"  RSS before the run: {rss_before / mb:,.0f} MB; "
              f"peak: {sampler.peak_rss / mb:,.0f} MB")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()


if __name__ == "__main__":
    main()
