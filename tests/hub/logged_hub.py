"""`rr-desktop hub` in its own process with its JSON log read as it comes, so a test can
wait for an event (the readiness check) instead of sleeping."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

Line = dict[str, Any]


class LoggedHub:
    def __init__(self, db: str | None, *args: str, env: Mapping[str, str] | None = None
                 ) -> None:
        argv = [sys.executable, "-m", "rr_desktop", "hub", *(("--db", db) if db else ()),
                "--port", "0", *args]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env={**os.environ, "PYTHONUNBUFFERED": "1",
                                                     **(env or {})})
        self.lines: list[Line] = []
        self.raw: list[str] = []
        self._seen = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        assert self.proc.stdout is not None
        self.line = self.proc.stdout.readline()  # printed once it listens
        if not self.line.startswith("rr-desktop hub: listening on http://"):
            self.proc.kill()
            self.proc.wait(15)
            self._reader.join(5)
            raise AssertionError(self.line + "".join(self.raw))
        self.base = self.line.split()[4]
        self.port = int(self.base.rsplit(":", 1)[1])

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for text in self.proc.stderr:
            with self._seen:
                self.raw.append(text)
                try:
                    self.lines.append(json.loads(text))
                except ValueError:
                    self.lines.append({"event": "not-json", "text": text})
                self._seen.notify_all()

    def wait_for(self, match: Callable[[Line], bool], timeout: float = 30) -> Line:
        """The first log line `match` accepts, waiting for it to be written."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                found = next((line for line in self.lines if match(line)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():  # timed out, or log ended
                    raise AssertionError("no such log line; the log was:\n"
                                         + "".join(self.raw))
                self._seen.wait(min(left, 0.5))

    def event(self, name: str, **fields: Any) -> Line:
        return self.wait_for(lambda line: line.get("event") == name and all(
            line.get(k) == v for k, v in fields.items()))

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        """Wait for the process to end: (exit code, rest of stdout, whole stderr)."""
        code = self.proc.wait(timeout)
        assert self.proc.stdout is not None
        out = self.proc.stdout.read()
        self._reader.join(10)
        return code, out, "".join(self.raw)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        self._reader.join(10)
