"""The nginx example of docs/hub-operations.md, for real: the block is taken from the page
(so the page cannot drift from what is tested), pointed at a self-signed certificate and
a real hub in its own process, and run by the real nginx; /healthz and an authorised
/v1/changes answer through TLS, the address nginx saw (not a forged X-Forwarded-For)
reaches the hub's log, and port 80 redirects to https."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import requests.adapters
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from rr_desktop.hub.store import HubStore
from tests.hub.hub_rig import add_user
from tests.hub.logged_hub import LoggedHub
from tests.peers.availability import require_binary
from tests.peers.nginx import free_port

DOC = Path(__file__).parents[2] / "docs" / "hub-operations.md"
_TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def documented_site() -> str:
    """The page's nginx block (the only ```nginx fence)."""
    blocks = re.findall(r"```nginx\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) == 1, "docs/hub-operations.md should hold one nginx block"
    return str(blocks[0])


def _replace(text: str, old: str, new: str, count: int) -> str:
    assert text.count(old) == count, f"the documented block no longer has {old!r}"
    return text.replace(old, new)


def _self_signed(root: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hub.example.org")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("hub.example.org"),
                 x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = root / "fullchain.pem", root / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    log = root / "error.log"
    raise AssertionError("nginx did not start: "
                         + (log.read_text(errors="replace")[-2000:] if log.exists() else ""))


class _FromAddress(requests.adapters.HTTPAdapter):
    """Connects from this local address."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


@pytest.fixture
def nginx_in_front() -> Iterator[tuple[LoggedHub, str, str, Path, int]]:
    """(hub, analyst token, https base URL, certificate, http port)."""
    binary = require_binary("nginx")
    root = Path(tempfile.mkdtemp(prefix="rr-hub-nginx-", dir="/tmp"))
    root.chmod(0o755)  # workers may run as an unprivileged user
    db = f"sqlite:///{root / 'hub.sqlite3'}"
    store = HubStore.open(db)
    try:
        token = add_user(store, "mei.tan", "analyst")
    finally:
        store.close()
    hub = LoggedHub(db, "--log-level", "debug")
    proc = None
    try:
        cert, key = _self_signed(root)
        tls_port, http_port = free_port(), free_port()
        site = documented_site()
        site = _replace(site, "listen 443 ssl;", f"listen 127.0.0.1:{tls_port} ssl;", 1)
        site = _replace(site, "listen 80;", f"listen 127.0.0.1:{http_port};", 1)
        site = _replace(site, "/etc/letsencrypt/live/hub.example.org/fullchain.pem",
                        str(cert), 1)
        site = _replace(site, "/etc/letsencrypt/live/hub.example.org/privkey.pem",
                        str(key), 1)
        site = _replace(site, "http://127.0.0.1:8770", f"http://127.0.0.1:{hub.port}", 2)
        temps = "\n".join(f"    {t}_temp_path {root}/tmp_{t};" for t in _TEMP_PATHS)
        conf = root / "nginx.conf"
        conf.write_text(f"""worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {root}/access.log;
{temps}
{site}
}}
""")
        proc = subprocess.Popen([binary, "-p", str(root), "-c", str(conf), "-e",
                                 str(root / "error.log"), "-g", "daemon off;"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(tls_port, proc, root)
        _wait_for_port(http_port, proc, root)
        yield hub, token, f"https://127.0.0.1:{tls_port}", cert, http_port
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        hub.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_the_documented_nginx_serves_the_hub_over_tls(nginx_in_front: tuple[
        LoggedHub, str, str, Path, int]) -> None:
    hub, token, base, cert, http_port = nginx_in_front
    health = requests.get(f"{base}/healthz", verify=str(cert), timeout=10)
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert health.headers["server"].startswith("nginx")  # it came through nginx

    # From another loopback address than nginx's own, with a forged X-Forwarded-For:
    # the hub must log the address nginx saw, which only the documented header gives.
    analyst = requests.Session()
    analyst.mount("https://", _FromAddress("127.0.0.2"))
    page = analyst.get(f"{base}/v1/changes?after=0", verify=str(cert), timeout=10,
                       headers={"Authorization": f"Bearer {token}",
                                "X-Forwarded-For": "203.0.113.9"})
    assert page.status_code == 200 and page.json()["changes"] == []
    line = hub.event("request", path="/v1/changes")
    assert (line["status"], line["client"]) == (200, "127.0.0.2")

    with pytest.raises(requests.exceptions.SSLError):  # TLS for real: an unknown cert fails
        requests.get(f"{base}/healthz", timeout=10)
    plain = requests.get(f"http://127.0.0.1:{http_port}/healthz", allow_redirects=False,
                         timeout=10)
    assert plain.status_code == 301
    assert plain.headers["location"] == "https://127.0.0.1/healthz"
