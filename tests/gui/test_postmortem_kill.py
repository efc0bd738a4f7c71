"""A post-mortem being typed survives kill -9: the real editor in a child process types
a known text with a person's pauses and is SIGKILLed at random moments; each restart
finds the draft as the newest revision, a non-empty prefix of what was typed, missing at
most the last seconds of typing (docs/postmortems.md: autosave after 1.5 s idle and at
most 2 s after the first unsaved keystroke, each save one committed transaction)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rr_desktop.locations import resource_path
from rr_desktop.settings import save_setting
from rr_desktop.store import incident_log, postmortems
from rr_desktop.store.store import Store

from .postmortem_typing_child import typed_text

ROOT = Path(__file__).resolve().parents[2]
KILLS = 5
LOSS_WINDOW_S = 3.0  # typing older than this before the kill must be in the draft


def _newest(db_file: Path, pm_id: int) -> str:
    store = Store.open(db_file)
    try:
        with store.read() as db:
            found = postmortems.get(db, pm_id)
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        store.close()
    assert found is not None
    return found.text


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_kill_9_while_typing_keeps_all_but_the_last_seconds(tmp_path: Path) -> None:
    rng = random.Random()
    db_file = tmp_path / "cache.sqlite3"
    store = Store.open(db_file)
    now = datetime.now(UTC)
    with store.write() as db:
        _, uid = incident_log.declare(db, "Doxxing wave after the derby", "mei", now)
        template = resource_path("templates", "postmortem.md").read_text(encoding="utf-8")
        pm_id = postmortems.create(db, uid, template, "aditi", now, ZoneInfo("Asia/Jakarta"))
    store.close()
    save_setting(tmp_path, "me", "aditi")

    for round_ in range(KILLS):
        base = _newest(db_file, pm_id)
        seed = rng.randrange(1_000_000)
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.gui.postmortem_typing_child", str(tmp_path),
             str(pm_id), str(seed)], cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"})
        assert child.stdout is not None
        started = child.stdout.readline().strip()
        if started != "START":
            child.kill()
            pytest.fail(f"the typing child did not start: {child.communicate()[1][-2000:]}")
        time.sleep(rng.uniform(0.5, 9.0))
        killed_at = time.monotonic()
        child.send_signal(signal.SIGKILL)
        out, _err = child.communicate(timeout=60)
        progress = [(float(t), int(n)) for line in out.splitlines()
                    if line.startswith("T ") for _, t, n in [line.split()]]
        must_have = max((n for t, n in progress if t <= killed_at - LOSS_WINDOW_S),
                        default=0)
        typed = typed_text(seed)
        recovered = _newest(db_file, pm_id)
        assert recovered, "a draft was blanked"
        assert recovered.startswith(base), f"round {round_}: the earlier text changed"
        kept = recovered[len(base):]
        assert typed.startswith(kept), f"round {round_}: not a prefix of what was typed"
        typed_total = progress[-1][1] if progress else 0
        assert len(kept) >= must_have, (
            f"round {round_}: {len(kept)} of {typed_total} characters kept; those typed "
            f"{LOSS_WINDOW_S} s before the kill were {must_have}")
