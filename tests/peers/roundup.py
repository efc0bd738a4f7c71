"""A real Roundup issue tracker (PyPI `roundup`, the "classic" template on SQLite), started
by the test in the foreground on 127.0.0.1 and a free port, all state in a temp dir.

Its REST API (roundup/rest.py; "REST for Roundup" in Roundup's docs): collections at
/rest/data/<class> with `@fields`, `@verbose`, `@sort`, `@page_size`, `@page_index`, a
filter per property (dates as ranges `from;to`) and the next page's URL in the body at
`data["@links"].next[0].uri`; items at /rest/data/<class>/<id> with an ETag that
PUT/PATCH/DELETE must send back as If-Match (412 otherwise); links between items as
{"id", "link"} objects, e.g. an issue's `messages`, whose text is a `msg` item's
`content` (shown with `@verbose=3`). Requests must carry X-Requested-With, and Referer
and Origin matching the tracker's `web` setting (its CSRF defence).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from tests.peers.availability import require_binary
from tests.peers.nginx import free_port

ADMIN_PASSWORD = "roundup-canary-pw-7c1e"


def _binary(name: str) -> str:
    beside = Path(sys.executable).parent / name  # installed with the test extras
    return str(beside) if beside.exists() else require_binary(name)


class RoundupTracker:
    """A running tracker; `rest()` talks to its REST API as the admin."""

    def __init__(self) -> None:
        self.admin = _binary("roundup-admin")
        self.server = _binary("roundup-server")
        self.root = Path(tempfile.mkdtemp(prefix="rr-roundup-", dir="/tmp"))
        self.root.chmod(0o755)  # the server drops to nobody, who must reach the tracker
        self.home = self.root / "tracker"
        self.port = free_port()
        self.web = f"http://127.0.0.1:{self.port}/tracker/"
        self.origin = f"http://127.0.0.1:{self.port}"
        self.rest_url = self.web + "rest/data"
        self.session = requests.Session()
        self.session.auth = ("admin", ADMIN_PASSWORD)
        self.session.headers.update(self.csrf_headers())
        self._proc: subprocess.Popen[bytes] | None = None

    def csrf_headers(self) -> dict[str, str]:
        return {"X-Requested-With": "rr-desktop", "Referer": self.web, "Origin": self.origin}

    def __enter__(self) -> RoundupTracker:
        try:
            self._install()
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _install(self) -> None:
        run = {"stdin": subprocess.DEVNULL, "capture_output": True, "timeout": 120,
               "check": True}
        subprocess.run([self.admin, "-i", str(self.home), "install", "classic", "sqlite"],
                       **run)  # type: ignore[call-overload]
        config = self.home / "config.ini"
        text = config.read_text()
        text = text.replace("#web = NO DEFAULT", f"web = {self.web}")
        text = re.sub(r"(?m)^#domain = NO DEFAULT", "domain = localhost", text)
        config.write_text(text)
        subprocess.run([self.admin, "-i", str(self.home), "initialise", ADMIN_PASSWORD],
                       **run)  # type: ignore[call-overload]

    def _start(self) -> None:
        cmd = [self.server, "-n", "127.0.0.1", "-p", str(self.port)]
        if os.geteuid() == 0:  # roundup-server refuses to run as root
            shutil.chown(self.root, "nobody", "nogroup")
            for path in self.home.rglob("*"):
                shutil.chown(path, "nobody", "nogroup")
            shutil.chown(self.home, "nobody", "nogroup")
            cmd += ["-u", "nobody", "-g", "nogroup"]
        self._log = open(self.root / "server.log", "wb")  # noqa: SIM115
        self._proc = subprocess.Popen([*cmd, f"tracker={self.home}"], stdin=subprocess.DEVNULL,
                                      stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError("roundup-server exited: "
                                   + (self.root / "server.log").read_text()[-2000:])
            try:
                if self.session.get(self.rest_url, timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)  # readiness poll, not a fixed wait
        raise RuntimeError("roundup-server did not answer within 30 s")

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        if hasattr(self, "_log"):
            self._log.close()
        self.session.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- the REST API, as the admin -----------------------------------------------------

    def rest(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        resp = self.session.request(method, self.rest_url + path, timeout=10, **kwargs)
        resp.raise_for_status()
        return resp

    def create(self, cls: str, **props: Any) -> str:
        return str(self.rest("POST", f"/{cls}", json=props).json()["data"]["id"])

    def issue(self, ident: str) -> dict[str, Any]:
        """The issue's properties, linked items by name."""
        data = self.rest("GET", f"/issue/{ident}", params={"@verbose": "2"}).json()["data"]
        return dict(data["attributes"])

    def change(self, ident: str, **props: Any) -> None:
        """A change made by someone else in the tracker (read, then If-Match write)."""
        etag = self.rest("GET", f"/issue/{ident}").headers["ETag"]
        self.rest("PATCH", f"/issue/{ident}", json=props, headers={"If-Match": etag})
