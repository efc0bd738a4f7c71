"""kill -9 during sync at 200 random points: nothing lost, nothing duplicated, DB intact.

Each kill lands somewhere in a run of a child process: pushing queued changes, fetching,
merging a page, committing, checkpointing the WAL (the child checkpoints every 64 pages
instead of 64 MB, so checkpoints happen in a small feed too) or truncating it after the
run. The server keeps changing between runs, and every other run re-reads the whole feed.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rr_desktop.demo import DemoServer
from rr_desktop.store import outbox as ob
from rr_desktop.store.timecodec import utcnow
from tests.integration.sync_env import TOKEN, make_env, server_ids

ROOT = Path(__file__).resolve().parents[2]


KILLS = 200
CHECKPOINT_PAGES = "64"


def _child(db: Path, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.sync_child", str(db), url, "100",
         CHECKPOINT_PAGES],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})


class Zygote:
    """`sync_child --zygote`: imports once, forks one sync child per `start`."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.sync_child", "--zygote"],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})

    def start(self, db: Path, url: str) -> int:
        """A new sync child's pid, once it has opened the cache and starts its run."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{db}\t{url}\t100\t{CHECKPOINT_PAGES}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().split()
        if line[:1] != ["START"]:
            self.proc.kill()
            pytest.fail(f"the sync child did not start: {line} "
                        f"{self.proc.stderr.read()[-2000:] if self.proc.stderr else ''}")
        return int(line[1])

    def ended(self) -> str:
        """How the running child ended: "killed" or its exit code."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("EXIT "):
                return line.split()[2]
        pytest.fail("the zygote stopped")

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


@pytest.mark.slow
@pytest.mark.timeout(1800)  # ~2 s a kill (a child process each): 7-8 min here, more under load
def test_sigkill_at_random_points_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    rng = random.Random(20261125)
    db = tmp_path / "cache.sqlite3"
    with DemoServer(token=TOKEN, seed=5, count=10_000) as server:
        server.faults.add("latency", count=1_000_000, seconds=0.01)
        # Some local changes are queued before the first run, so kills also hit pushes.
        env = make_env(server, db)
        env.engine.run("demo")
        first = [e for e in server_ids(server)[:100]
                 if server.state.get(e)["status"] != "triaged"][:40]
        with env.store.write() as conn:
            for ext in first:
                ob.record_local_update(conn, env.cached(ext)[0], {"status": "triaged"},
                                       "a.tan", None, utcnow())
                ob.record_message(conn, env.cached(ext)[0], "note", "seen", "a.tan", utcnow())
            conn.execute("DELETE FROM sync_cursor")  # the next runs re-read everything
        env.store.close()
        for ext in server_ids(server)[5000:5300]:  # and the server moves on meanwhile
            server.state.mutate(ext, status="investigating")

        kills = round_ = 0
        zygote = Zygote()
        while kills < KILLS and round_ < 3 * KILLS:
            round_ += 1
            # The server keeps changing, and every other round re-reads the whole feed
            # (replays over rows already cached), so every run has pages to be killed in.
            for ext in rng.sample(server_ids(server)[100:], 300):
                server.state.mutate(ext, status=rng.choice(["triaged", "contained"]))
            if round_ % 2:
                raw = sqlite3.connect(db)
                raw.execute("DELETE FROM sync_cursor")
                raw.commit()
                raw.close()
            pid = zygote.start(db, server.url)
            time.sleep(rng.uniform(0.0, 1.5))
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            # Counted only when the kill found the sync still running (not ended).
            kills += zygote.ended() == "killed"
        zygote.close()
        assert kills == KILLS
        final = _child(db, server.url)
        out, err = final.communicate(timeout=180)
        assert final.returncode == 0, out + err

        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = [r[0] for r in conn.execute("SELECT external_id FROM escalation")]
        assert len(ids) == len(set(ids)) == 10_000
        cached = dict(conn.execute("SELECT external_id, remote_version FROM escalation"))
        assert all(cached[e] == server.state.get(e)["version"] for e in server_ids(server))
        assert conn.execute("SELECT count(*) FROM outbox WHERE state != 'done'").fetchone()[0] == 0
        conn.execute("INSERT INTO escalation_fts(escalation_fts, rank) "
                     "VALUES('integrity-check', 1)")
        conn.close()
        for ext in first:
            assert server.state.patch_count(ext) == 1
            assert len(server.state.notes(ext)) == 1
            assert server.state.get(ext)["status"] == "triaged"
