"""A real Matrix homeserver: Synapse on loopback, in its own venv, all state in a temp dir.

Synapse (PyPI `matrix-synapse`) is installed once into a venv kept between runs
(`~/.cache/rr-desktop-tests/synapse-venv`, or `$RR_SYNAPSE_VENV`) and built there on
demand, so a clean CI machine builds it on its first run (30-90 s here). A machine that
cannot build it skips the tests locally and FAILS them when CI=true.

The config is the one Synapse generates (`--generate-config`), then: one HTTP listener on
127.0.0.1 only with the client API (no federation resource), no trusted key servers, no
presence, registration closed except through the admin shared-secret API, rate limits
raised far above what a test sends, and cheap password hashing. Generating the config and
starting take 5-12 s on a loaded machine (a restart ~4 s): share one server per test
module and give each test its own users and rooms. `restart()` keeps the database and
the port.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
import yaml

from tests.ci import in_ci

SYNAPSE = "matrix-synapse>=1.100"
SERVER_NAME = "rr.test"
_READY = ".rr-desktop-ready"
_LIMIT = {"per_second": 1000, "burst_count": 1000}
_RATE_LIMITS: dict[str, Any] = {
    "rc_message": _LIMIT,
    "rc_registration": _LIMIT,
    "rc_registration_token_validity": _LIMIT,
    "rc_login": {"address": _LIMIT, "account": _LIMIT, "failed_attempts": _LIMIT},
    "rc_admin_redaction": _LIMIT,
    "rc_joins": {"local": _LIMIT, "remote": _LIMIT},
    "rc_joins_per_room": _LIMIT,
    "rc_invites": {"per_room": _LIMIT, "per_user": _LIMIT, "per_issuer": _LIMIT},
    "rc_3pid_validation": _LIMIT,
    "rc_third_party_invite": _LIMIT,
    "rc_room_creation": _LIMIT,
    "rc_reports": _LIMIT,
    "rc_delayed_event_mgmt": _LIMIT,
}


def _unavailable(message: str) -> None:
    if in_ci():
        pytest.fail(message + " and CI=true: a real-server test may not skip in CI")
    pytest.skip(message)


def venv_dir() -> Path:
    custom = os.environ.get("RR_SYNAPSE_VENV")
    if custom:
        return Path(custom)
    return Path.home() / ".cache" / "rr-desktop-tests" / "synapse-venv"


def synapse_python(venv: Path | None = None) -> Path:
    """The venv's python with Synapse installed; builds the venv when it is missing or
    half-built (a lock file keeps two test processes from building it at once)."""
    venv = venv or venv_dir()
    python = venv / "bin" / "python"
    if (venv / _READY).exists():
        return python
    try:
        venv.parent.mkdir(parents=True, exist_ok=True)
        lock = open(venv.parent / (venv.name + ".lock"), "w")  # noqa: SIM115 (closed below)
    except OSError as exc:
        _unavailable(f"cannot build the Synapse venv in {venv} ({exc})")
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (venv / _READY).exists():
            return python
        shutil.rmtree(venv, ignore_errors=True)
        steps = ([sys.executable, "-m", "venv", str(venv)],
                 [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                  SYNAPSE])
        for step in steps:
            try:
                done = subprocess.run(step, capture_output=True, text=True, timeout=900)
            except (OSError, subprocess.TimeoutExpired) as exc:
                _unavailable(f"cannot build the Synapse venv in {venv} ({exc})")
            if done.returncode != 0:
                _unavailable(f"cannot build the Synapse venv in {venv}: `{' '.join(step)}` "
                             f"failed: {(done.stderr or done.stdout).strip()[-600:]}")
        (venv / _READY).write_text(SYNAPSE + "\n")
    return python


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Account:
    """A registered user and an access token of theirs."""

    user_id: str
    password: str
    token: str

    @property
    def localpart(self) -> str:
        return self.user_id[1:].split(":", 1)[0]


class Synapse:
    """A Synapse process on 127.0.0.1:`port`; `start`, `stop` and `restart` it."""

    def __init__(self, python: Path, root: Path) -> None:
        self.python = python
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = root / "homeserver.yaml"
        self._proc: subprocess.Popen[bytes] | None = None
        self._secret = ""

    # -- lifecycle -----------------------------------------------------------------------

    def configure(self) -> None:
        done = subprocess.run(
            [str(self.python), "-m", "synapse.app.homeserver", "--server-name", SERVER_NAME,
             "--config-path", str(self.config), "--generate-config", "--report-stats=no",
             "--data-directory", str(self.root)],
            cwd=self.root, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"synapse --generate-config failed: {done.stderr[-2000:]}")
        cfg = yaml.safe_load(self.config.read_text())
        cfg["listeners"] = [{
            "port": self.port, "bind_addresses": ["127.0.0.1"], "type": "http",
            "tls": False, "x_forwarded": False,
            "resources": [{"names": ["client"], "compress": False}]}]
        cfg.update(_RATE_LIMITS)
        cfg.update({
            "trusted_key_servers": [], "suppress_key_server_warning": True,
            "presence": {"enabled": False}, "enable_registration": False,
            "report_stats": False, "url_preview_enabled": False,
            "allow_public_rooms_without_auth": False,
            "bcrypt_rounds": 4,  # test passwords: register and log in fast
        })
        self._secret = str(cfg["registration_shared_secret"])
        self.config.write_text(yaml.safe_dump(cfg))

    def start(self) -> None:
        assert self._proc is None, "already running"
        log = open(self.root / "stderr.log", "ab")  # noqa: SIM115 (kept for the process)
        self._proc = subprocess.Popen(
            [str(self.python), "-m", "synapse.app.homeserver", "-c", str(self.config)],
            cwd=self.root, stdout=log, stderr=log, start_new_session=True)
        log.close()
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"synapse exited ({self._proc.returncode}): "
                                   f"{self.log()[-3000:]}")
            try:
                if requests.get(self.url + "/_matrix/client/versions", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError("synapse did not answer within 60 s: " + self.log()[-3000:])

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log(self) -> str:
        text = ""
        for name in ("stderr.log", "homeserver.log"):
            path = self.root / name
            if path.exists():
                text += path.read_text(errors="replace")
        return text

    # -- users ---------------------------------------------------------------------------

    def register(self, localpart: str | None = None, password: str | None = None,
                 admin: bool = False) -> Account:
        """A new user through the admin shared-secret API (HMAC-SHA1 of nonce, user,
        password and the admin flag, NUL-separated)."""
        localpart = localpart or f"u{uuid.uuid4().hex[:10]}"
        password = password or uuid.uuid4().hex
        path = self.url + "/_synapse/admin/v1/register"
        nonce = requests.get(path, timeout=10).json()["nonce"]
        mac = hmac.new(self._secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), localpart.encode(), password.encode(),
                                 b"admin" if admin else b"notadmin"]))
        resp = requests.post(path, timeout=10, json={
            "nonce": nonce, "username": localpart, "password": password, "admin": admin,
            "mac": mac.hexdigest()})
        resp.raise_for_status()
        body = resp.json()
        return Account(body["user_id"], password, body["access_token"])

    def login(self, account: Account) -> str:
        """A new access token of `account`, on a new device."""
        resp = requests.post(self.url + "/_matrix/client/v3/login", timeout=10, json={
            "type": "m.login.password", "password": account.password,
            "identifier": {"type": "m.id.user", "user": account.user_id}})
        resp.raise_for_status()
        return str(resp.json()["access_token"])

    def client(self, account: Account) -> MatrixUser:
        return MatrixUser(self.url, account)


class MatrixUser:
    """What another person's Matrix client does in a test (client-server API, plain
    requests): create rooms, post, reply in threads, react, read what the server holds."""

    def __init__(self, url: str, account: Account) -> None:
        self.url = url
        self.account = account
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {account.token}"

    @property
    def user_id(self) -> str:
        return self.account.user_id

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self.session.request(method, self.url + "/_matrix/client" + path,
                                    timeout=30, **kwargs)
        if not resp.ok:
            raise AssertionError(f"{method} {path}: {resp.status_code} {resp.text[:500]}")
        return resp.json()

    def create_room(self, name: str, invite: tuple[str, ...] = (), alias: str | None = None,
                    encrypted: bool = False, public: bool = False) -> str:
        body: dict[str, Any] = {"name": name, "invite": list(invite),
                                "preset": "public_chat" if public else "private_chat"}
        if alias:
            body["room_alias_name"] = alias
        if encrypted:
            body["initial_state"] = [{"type": "m.room.encryption", "state_key": "",
                                      "content": {"algorithm": "m.megolm.v1.aes-sha2"}}]
        return str(self.call("POST", "/v3/createRoom", json=body)["room_id"])

    def join(self, room: str) -> str:
        return str(self.call("POST", f"/v3/join/{quote(room, safe='')}", json={})["room_id"])

    def send(self, room: str, content: dict[str, Any],
             event_type: str = "m.room.message") -> str:
        path = (f"/v3/rooms/{quote(room, safe='')}/send/{event_type}/"
                f"{uuid.uuid4().hex}")
        return str(self.call("PUT", path, json=content)["event_id"])

    def say(self, room: str, text: str, html: str | None = None) -> str:
        content: dict[str, Any] = {"msgtype": "m.text", "body": text}
        if html is not None:
            content.update(format="org.matrix.custom.html", formatted_body=html)
        return self.send(room, content)

    def say_many(self, room: str, texts: list[str], workers: int = 8) -> list[str]:
        """Post many messages at once (each on its own connection); their event IDs."""
        def one(text: str) -> str:
            resp = requests.put(
                f"{self.url}/_matrix/client/v3/rooms/{quote(room, safe='')}/send/"
                f"m.room.message/{uuid.uuid4().hex}", timeout=30,
                headers={"Authorization": f"Bearer {self.account.token}"},
                json={"msgtype": "m.text", "body": text})
            resp.raise_for_status()
            return str(resp.json()["event_id"])

        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(one, texts))

    def reply_in_thread(self, room: str, root: str, text: str) -> str:
        """A thread reply as Element sends one (with the rich-reply fallback)."""
        return self.send(room, {"msgtype": "m.text", "body": text, "m.relates_to": {
            "rel_type": "m.thread", "event_id": root, "is_falling_back": True,
            "m.in_reply_to": {"event_id": root}}})

    def edit(self, room: str, target: str, text: str) -> str:
        return self.send(room, {"msgtype": "m.text", "body": f"* {text}",
                                "m.new_content": {"msgtype": "m.text", "body": text},
                                "m.relates_to": {"rel_type": "m.replace",
                                                 "event_id": target}})

    def react(self, room: str, target: str, key: str) -> str:
        return self.send(room, {"m.relates_to": {"rel_type": "m.annotation",
                                                 "event_id": target, "key": key}},
                         "m.reaction")

    def thread(self, room: str, root: str) -> list[dict[str, Any]]:
        """The thread's replies as the server holds them, oldest first."""
        data = self.call("GET", f"/v1/rooms/{quote(room, safe='')}/relations/"
                                f"{quote(root, safe='')}/m.thread",
                         params={"limit": 100, "dir": "f"})
        return list(data["chunk"])

    def messages(self, room: str, limit: int = 100) -> list[dict[str, Any]]:
        """The room's latest events, newest first."""
        return list(self.call("GET", f"/v3/rooms/{quote(room, safe='')}/messages",
                              params={"dir": "b", "limit": limit})["chunk"])


@contextmanager
def synapse() -> Iterator[Synapse]:
    """Start Synapse on a free loopback port; SIGTERM and wait at the end."""
    python = synapse_python()
    root = Path(tempfile.mkdtemp(prefix="rr-synapse-", dir="/tmp"))
    server = Synapse(python, root)
    try:
        server.configure()
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
