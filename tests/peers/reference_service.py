"""The reference escalation service in its own process (`rr-desktop demo-server`).

Tests that send changes to the platform assert the *server's* state through its own API,
never the request the client built: a client tested against its own idea of the server
can pass while every change is lost. The service runs as a child process on 127.0.0.1
and a free port; `stop()` / `start()` take it away and bring it back on the same port
(offline tests), with its state gone, as a real restart of an in-memory service would.

`extra_args` go to the command line as they are: fault injection (`--fault KIND:...`,
`--error-rate P`, ...) and hostile data (`--hostile ids,bigint,...`), see
`rr-desktop demo-server --help`; `stats()` tells what the service received.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import requests

from tests.peers.nginx import free_port

TOKEN = "reference-token-5c1e"
READY_TIMEOUT_S = 30.0


class ReferenceService:
    """`rr-desktop demo-server` as a child process; `url`, `token`, `get()`, `patch()`."""

    def __init__(self, count: int = 200, seed: int = 7, token: str = TOKEN,
                 extra_args: Sequence[str] = (), fresh: int = 40) -> None:
        """`fresh`: that many of the newest escalations just arrived and are untouched
        (`--fresh`), so tests find new, unassigned work at any hour of the day."""
        self.count = count
        self.fresh = fresh
        self.seed = seed
        self.token = token
        self.extra_args = list(extra_args)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[str] | None = None
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def start(self) -> ReferenceService:
        """Start the service and wait until it prints its URL (its readiness line)."""
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("the reference service is running already")
        cmd = [sys.executable, "-m", "rr_desktop", "demo-server", "--host", "127.0.0.1",
               "--port", str(self.port), "--token", self.token, "--seed", str(self.seed),
               "--count", str(self.count), "--fresh", str(self.fresh), *self.extra_args]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)
        deadline = time.monotonic() + READY_TIMEOUT_S
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                line = self.proc.stdout.readline()
                if self.url in line:
                    return self
                if not line and self.proc.poll() is not None:
                    break
            elif self.proc.poll() is not None:
                break
        err = self.proc.stderr.read() if self.proc.stderr and self.proc.poll() is not None \
            else ""
        self.stop()
        raise RuntimeError(f"the reference service did not start: {err.strip()[-500:]}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 5 s. Idempotent."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- the server's state, through its API ----------------------------------------------

    def get(self, path: str, **params: Any) -> Any:
        resp = self.session.get(self.url + path, params=params, timeout=10)
        resp.raise_for_status()
        return resp.json()

    def stats(self) -> dict[str, Any]:
        """What the service received and answered: {"requests": n, "routes":
        {"GET /v1/...": n}, "answers": {"GET /v1/... 200": n}, "hosts": {Host header: n},
        "injected": {fault kind: n}} (this call included)."""
        data: dict[str, Any] = self.get("/_demo/stats")
        return data

    def record(self, external_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self.get(f"/v1/escalations/{_segment(external_id)}")
        return data

    def replies(self, external_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.get(
            f"/v1/escalations/{_segment(external_id)}/replies")["items"]
        return items

    def notes(self, external_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.get(
            f"/v1/escalations/{_segment(external_id)}/notes")["items"]
        return items

    def ids(self, limit: int = 1000) -> list[str]:
        """The ids of the first `limit` records of the changes feed."""
        return [r["id"] for r in self.get("/v1/escalations", limit=limit)["items"]]

    def patch(self, external_id: str, **fields: Any) -> dict[str, Any]:
        """A change made on the server by someone else (conditional on the current
        version, as any client must)."""
        version = self.record(external_id)["version"]
        resp = self.session.patch(f"{self.url}/v1/escalations/{_segment(external_id)}",
                                  json=fields,
                                  headers={"If-Match": f'"{version}"'}, timeout=10)
        resp.raise_for_status()
        data: dict[str, Any] = resp.json()
        return data

    def __enter__(self) -> ReferenceService:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
        self.session.close()


def _segment(external_id: str) -> str:
    """An id as one path segment, written here independently of the client under test."""
    segment = quote(external_id, safe="")
    return {".": "%2E", "..": "%2E%2E"}.get(segment, segment)
