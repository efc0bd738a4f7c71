"""Headless `rr-desktop sync --once` against a misbehaving reference service (its own
process), with the channel's token in a real Secret Service keyring: it ends, says why in
one line, exits 1, and `channels list` shows the error."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.integration.cache_rows import run_cli
from tests.integration.hostile_env import routes
from tests.peers.reference_service import ReferenceService
from tests.peers.secret_service import secret_service


@pytest.mark.slow
@pytest.mark.parametrize(("service_args", "sync_args", "words"), [
    (["--fault", "cursor_same"], [], "sent back the same cursor"),
    (["--fault", "429:retry_after=3600"], ["--max-wait", "30"],
     "rate-limited until"),
    (["--fault", "drip:bytes_per_s=2"], ["--time-limit", "3"], "did not finish within 3 s"),
])
def test_sync_once_ends_with_the_reason(tmp_path: Path, service_args: list[str],
                                        sync_args: list[str], words: str) -> None:
    data = tmp_path / "data"
    with secret_service() as env, ReferenceService(count=1200, extra_args=service_args) as svc:
        added = run_cli(["channels", "add", "rr_api", "platform", "--url", svc.url], env, data,
                     stdin=svc.token + "\n")
        assert added.returncode == 0, added.stderr
        start = time.monotonic()
        synced = run_cli(["sync", "--once", *sync_args], env, data)
        took = time.monotonic() - start
        requests = routes(svc, "GET /v1/escalations")
        listed = run_cli(["channels", "list"], env, data)
    assert synced.returncode == 1, synced.stdout + synced.stderr
    assert words in synced.stdout and "Traceback" not in synced.stderr
    assert [line for line in synced.stdout.splitlines() if line.startswith("platform: ")]
    assert requests <= 6  # not a request loop
    assert took < 30
    # `channels list` keeps the reason: "failed: <why>", or the time the limit ends.
    state = listed.stdout.splitlines()[0].split("\t")[2]
    assert words in state and state.startswith(("failed: ", "rate-limited until "))
