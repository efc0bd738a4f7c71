"""A real nginx serving static files (feeds), and a canary listener that must stay silent.

nginx sends ETag / Last-Modified for static files and answers real 304s to If-None-Match /
If-Modified-Since. It runs in the foreground (`-g 'daemon off;'`) from a config in a temp
dir, on 127.0.0.1 and a free port; every request is in `requests()` (from its access log).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.peers.availability import require_binary
from tests.peers.canary import Canary  # noqa: F401  (re-exported for the feed tests)

_TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class LoggedRequest:
    """One line of nginx's access log."""

    method: str
    uri: str
    status: int
    if_none_match: str
    if_modified_since: str


class NginxServer:
    """nginx serving `www` (files written with `put`); `extra` goes into the server block."""

    def __init__(self, extra: str = "") -> None:
        self.binary = require_binary("nginx")
        self.root = Path(tempfile.mkdtemp(prefix="rr-nginx-", dir="/tmp"))
        self.www = self.root / "www"
        self.www.mkdir()
        for d in (self.root, self.www):
            d.chmod(0o755)  # workers may run as an unprivileged user
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._extra = extra
        self._proc: subprocess.Popen[bytes] | None = None

    def _config(self) -> str:
        r = self.root
        temps = "\n".join(f"    {t}_temp_path {r}/tmp_{t};" for t in _TEMP_PATHS)
        return f"""worker_processes 1;
pid {r}/nginx.pid;
error_log {r}/error.log warn;
events {{ worker_connections 64; }}
http {{
    log_format rr escape=none '$request_method\t$request_uri\t$status\t'
                              '$http_if_none_match\t$http_if_modified_since';
    access_log {r}/access.log rr;
{temps}
    types {{ application/rss+xml xml; application/atom+xml atom; text/html html; }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.www};
        location = /gone.xml {{ return 410; }}
        location = /private.xml {{ return 401; }}
        location = /busy.xml {{ add_header Retry-After 3 always; return 429; }}
        location = /broken.xml {{ return 502; }}
        location = /teapot.xml {{ return 418; }}
{self._extra}
    }}
}}
"""

    def start(self) -> NginxServer:
        conf = self.root / "nginx.conf"
        conf.write_text(self._config())
        stderr = (self.root / "stderr.log").open("wb")
        self._proc = subprocess.Popen(
            [self.binary, "-p", str(self.root), "-c", str(conf), "-e",
             str(self.root / "error.log"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=stderr)
        stderr.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        logs = "".join(p.read_text(errors="replace") for p in
                       (self.root / "stderr.log", self.root / "error.log") if p.exists())
        raise RuntimeError(f"nginx did not start: {logs[-2000:]}")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> NginxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def put(self, name: str, data: bytes | str, mtime: float | None = None) -> str:
        """Write a file under www (a later mtime than before, so the ETag changes);
        returns its URL."""
        path = self.www / name
        old = path.stat().st_mtime if path.exists() else 0.0
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        path.chmod(0o644)
        when = mtime if mtime is not None else max(time.time(), old + 2)
        os.utime(path, (when, when))
        return f"{self.url}/{name}"

    def requests(self) -> list[LoggedRequest]:
        log = self.root / "access.log"
        out = []
        for line in log.read_text().splitlines() if log.exists() else []:
            method, uri, status, inm, ims = line.split("\t")
            out.append(LoggedRequest(method, uri, int(status), "" if inm == "-" else inm,
                                     "" if ims == "-" else ims))
        return out


class IoWatch:
    """Records, through a process audit hook, opens of watched paths and connections to
    watched ports while `active`."""

    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.ports: set[int] = set()
        self.opened: list[str] = []
        self.connected: list[Any] = []
        self.active = False

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.active:
            return
        if event == "open" and args and str(args[0]) in self.paths:
            self.opened.append(str(args[0]))
        elif event == "socket.connect" and len(args) > 1:
            address = args[1]
            if isinstance(address, tuple) and len(address) > 1 and address[1] in self.ports:
                self.connected.append(address)


_WATCH: IoWatch | None = None


@contextmanager
def watch_io(paths: set[str], ports: set[int]) -> Iterator[IoWatch]:
    """Watch file opens of `paths` and connections to `ports` inside the block."""
    global _WATCH
    if _WATCH is None:  # audit hooks cannot be removed: install one, reuse it
        _WATCH = IoWatch()
        sys.addaudithook(_WATCH.hook)
    _WATCH.paths, _WATCH.ports = set(paths), set(ports)
    _WATCH.opened, _WATCH.connected = [], []
    _WATCH.active = True
    try:
        yield _WATCH
    finally:
        _WATCH.active = False
