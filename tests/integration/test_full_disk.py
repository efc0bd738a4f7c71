"""A disk that fills up during a sync: one clear sentence, exit 74, nothing lost, and the
next run carries on once there is space again.

The data dir is a small tmpfs mounted in a private mount namespace (`unshare -m`): a
real file system that really fills (ENOSPC inside SQLite's own writes), seen by this
test's child processes only and gone when they exit. The app runs as users run it: the
`rr-desktop sync --once` command (its demo channel, 20,000 escalations).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.ci import in_ci
from tests.peers.availability import require_binary

ROOT = Path(__file__).resolve().parents[2]
COUNT = 20_000

_SCRIPT = """
set -u
mount -t tmpfs -o size=6m,mode=0700 rr-full "$DIR"
sync_once() {{ "$PY" -m rr_desktop --data-dir "$DIR/data" sync --once --demo \\
    --demo-count {count}; }}
sync_once >"$OUT/first.out" 2>"$OUT/first.err"; echo $? >"$OUT/first.rc"
"$PY" -c "{inspect}" "$DIR/data/cache.sqlite3" >"$OUT/after_full.json"
mount -o remount,size=512m "$DIR"   # space comes back
sync_once >"$OUT/second.out" 2>"$OUT/second.err"; echo $? >"$OUT/second.rc"
"$PY" -c "{inspect}" "$DIR/data/cache.sqlite3" >"$OUT/after_space.json"
"""

_INSPECT = textwrap.dedent("""
    import json, sqlite3, sys
    c = sqlite3.connect(sys.argv[1])
    ids = [r[0] for r in c.execute('SELECT external_id FROM escalation')]
    print(json.dumps({'integrity': c.execute('PRAGMA integrity_check').fetchone()[0],
                      'count': len(ids), 'unique': len(set(ids)),
                      'cursor': c.execute("SELECT count(*) FROM sync_cursor "
                                          "WHERE scope = 'default'").fetchone()[0]}))
""").replace('"', '\\"')


def _private_mounts_work() -> None:
    """A private mount namespace needs CAP_SYS_ADMIN (root, as in CI)."""
    unshare = require_binary("unshare")
    probe = subprocess.run([unshare, "-m", "true"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        message = f"cannot make a private mount namespace: {probe.stderr.decode().strip()}"
        if in_ci():
            pytest.fail(message + " (CI runs as root: it must work there)")
        pytest.skip(message)


@pytest.mark.slow
def test_disk_filling_up_during_sync_is_one_sentence_and_recovers(tmp_path: Path) -> None:
    _private_mounts_work()
    mnt, out = tmp_path / "mnt", tmp_path / "out"
    mnt.mkdir()
    out.mkdir()
    script = _SCRIPT.format(count=COUNT, inspect=_INSPECT)
    env = {**os.environ, "DIR": str(mnt), "OUT": str(out), "PY": sys.executable,
           "PYTHONPATH": str(ROOT)}
    subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                   env=env, cwd=ROOT, check=True, timeout=900)

    first_err = (out / "first.err").read_text()
    first_out = (out / "first.out").read_text()
    assert (out / "first.rc").read_text().strip() == "74", first_out + first_err
    assert "Traceback" not in first_err + first_out
    assert "is full: nothing was lost" in first_out + first_err
    full = json.loads((out / "after_full.json").read_text())
    assert full["integrity"] == "ok"
    assert 0 < full["count"] == full["unique"] < COUNT  # stopped part way, intact
    assert full["cursor"] == 1

    second_out = (out / "second.out").read_text()
    assert (out / "second.rc").read_text().strip() == "0", second_out + \
        (out / "second.err").read_text()
    # (A new demo server per run does not know the old cursor, so the feed is read
    # again; what the first run stored is there and unchanged.)
    changed = int(second_out.split(" received, ")[1].split(" changed")[0])
    assert changed == COUNT - full["count"]
    done = json.loads((out / "after_space.json").read_text())
    assert done == {"integrity": "ok", "count": COUNT, "unique": COUNT, "cursor": 1}
