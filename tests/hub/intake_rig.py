"""The hub's intake for tests: a source channel configured with the desktop's own headless
command (`rr-desktop --data-dir DIR channels add rr_api ...`, its token in a 0600 secrets
file), and the intake running on a hub store in this process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rr_desktop import secrets
from rr_desktop.hub.intake import Intake
from rr_desktop.hub.store import HubStore

SOURCE = "source"  # the intake channel's name: the hub serves its escalations as source:ID


def secrets_file(directory: Path, token: str, channel: str = SOURCE) -> Path:
    path = directory / "hub-secrets.json"
    path.write_text(json.dumps({channel: {"token": token}}))
    path.chmod(0o600)
    return path


def rr_desktop(args: list[str], data: Path, secrets_path: Path,
               stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`rr-desktop --data-dir DATA ...` with credentials from the secrets file."""
    env = {**os.environ, secrets.ENV_FILE: str(secrets_path), "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "rr_desktop", "--data-dir", str(data), *args],
                          input=stdin, capture_output=True, text=True, env=env, timeout=120)


def add_source(intake_dir: Path, url: str, token: str, secrets_path: Path) -> None:
    done = rr_desktop(["channels", "add", "rr_api", SOURCE, "--url", url], intake_dir,
                      secrets_path, stdin=token + "\n")
    assert done.returncode == 0, done.stderr


@contextmanager
def running_intake(store: HubStore, intake_dir: Path, secrets_path: Path,
                   interval: float = 3600.0, wait_s: float = 10.0) -> Iterator[Intake]:
    """The intake started, its first pass (sync + copy) finished."""
    secrets.use_file(secrets_path)
    intake = Intake(store, intake_dir, interval, wait_s)
    try:
        assert intake.open() == []
        intake.start()
        assert intake.wait_for_pass(0, 120), "the intake's first pass did not finish"
        yield intake
    finally:
        intake.stop()
        secrets.use_file(None)
