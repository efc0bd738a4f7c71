"""The CLI with a cache in trouble: a damaged schema, a read-only data dir, a failed or
refused sync. One sentence, the right exit code, nothing lost, the state true."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import rr_desktop.sync.engine as eng
from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.demo import DemoServer
from rr_desktop.domain import Channel
from rr_desktop.store import channel_state as cs
from rr_desktop.store.store import Store
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import SyncEngine
from tests.peers.availability import require_binary
from tests.peers.page_server import PageServer

ROOT = Path(__file__).resolve().parents[2]


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rr_desktop", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=180, cwd=ROOT)


def _synced(data: Path) -> None:
    done = _cli(data, "sync", "--once", "--demo", "--demo-count", "60")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_dropped_table_is_one_sentence_offering_a_resync(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _synced(data)
    db = sqlite3.connect(data / "cache.sqlite3")
    db.execute("DROP TABLE outbox")
    db.commit()
    db.close()
    for args in (("channels", "list"), ("sync", "--once", "--demo")):
        result = _cli(data, *args)
        assert result.returncode == 1
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert "damaged (table outbox missing)" in result.stderr
        assert "move the file away and RR Desktop will resync" in result.stderr


def _read_only(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with `data` read-only: a read-only bind mount in a private mount
    namespace as root (root ignores permission bits), mode 0500 otherwise."""
    if os.geteuid() != 0:
        data.chmod(0o500)
        try:
            return _cli(data, *args)
        finally:
            data.chmod(0o700)
    unshare = require_binary("unshare")
    script = ('mount --bind "$D" "$D" && mount -o remount,bind,ro "$D" && '
              'exec "$PY" -m rr_desktop --data-dir "$D" "$@"')
    result = subprocess.run([unshare, "-m", "--propagation", "private", "sh", "-c", script,
                             "sh", *args], capture_output=True, text=True, timeout=180,
                            cwd=ROOT, env={**os.environ, "D": str(data),
                                           "PY": sys.executable})
    if "mount" in result.stderr and result.returncode == 32:
        pytest.fail(f"could not make a read-only mount: {result.stderr}")
    return result


def test_a_read_only_data_dir_still_lists_and_refuses_to_sync_clearly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _synced(data)
    listed = _read_only(data, "channels", "list")
    assert listed.returncode == 0, listed.stderr
    assert "demo\trr_api\tok\t" in listed.stdout
    assert "Traceback" not in listed.stderr
    synced = _read_only(data, "sync", "--once", "--demo", "--demo-count", "60")
    assert synced.returncode == 74
    assert synced.stderr.count("\n") == 1 and "cannot be written" in synced.stderr
    _synced(data)  # writable again: it works, nothing was lost
    assert "demo\trr_api\tok\t" in _cli(data, "channels", "list").stdout


def test_channels_list_shows_the_last_runs_failure(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with DemoServer(token="right", seed=4, count=50) as server:
        store = Store.open(data / "cache.sqlite3")
        with store.write() as db:
            cs.ensure_channel(db, Channel("svc", "rr_api", {"base_url": server.url}))
        ok = SyncEngine(store, {"svc": RrApiChannel("svc", server.url, "right")}).run("svc")
        assert ok.error is None
        assert "svc\trr_api\tok\t" in _cli(data, "channels", "list").stdout
        failed = SyncEngine(store, {"svc": RrApiChannel("svc", server.url, "wrong")}).run("svc")
        store.close()
    assert failed.error is not None
    listed = _cli(data, "channels", "list").stdout
    assert f"svc\trr_api\tfailed: {failed.error}\t" in listed


def test_a_refused_page_is_one_quarantine_row_however_often_it_comes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eng, "MAX_PULL_ATTEMPTS", 1)
    server = PageServer()
    server.body = b"<html><body>502 Bad Gateway</body></html>"
    store = Store.open(tmp_path / "cache.sqlite3")
    try:
        with store.write() as db:
            cs.ensure_channel(db, Channel("p", "rr_api", {"base_url": server.url}))
        engine = SyncEngine(store, {"p": RrApiChannel("p", server.url, "t")})
        for _ in range(3):
            assert "malformed page" in (engine.run("p").error or "")
        with store.read() as db:
            rows = db.execute("SELECT seen_count, raw FROM quarantine").fetchall()
            [status] = cs.channel_statuses(db, utcnow())
    finally:
        store.close()
        server.stop()
    assert rows == [(3, "<html><body>502 Bad Gateway</body></html>")]
    assert status.state(0).startswith("failed: p: the server sent a malformed page")
