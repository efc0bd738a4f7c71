"""A real PostgreSQL server for the hub's tests: initdb + postgres in a temp dir.

Debian keeps the server binaries off PATH (/usr/lib/postgresql/<major>/bin); the newest
installed major is used, all its tools from the same dir. The cluster lives in a temp
dir under /tmp (pytest's tmp_path sits under a 0700 dir another user cannot traverse),
listens on 127.0.0.1 and a free port and on a unix socket in the temp dir, and trusts
local connections (user `rr`). PostgreSQL refuses to run as root, so as root the cluster
belongs to `nobody:nogroup` and every server binary runs under `setpriv` as nobody (the
same as the Dovecot peer). `postgres` runs in the foreground so the fixture owns the
PID; readiness is `pg_isready` in a loop (no fixed sleep); teardown is a fast shutdown
(SIGINT), then SIGKILL after 10 s, and the temp dir is removed.

Each test gets its own database (`create_database`), so tests share the server but no
rows. `durable=False` (the tests' default) turns fsync off: the visibility and ordering
properties under test do not depend on it, and it spares the shared disk; the benchmark
starts a durable server.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.peers.availability import require_binary
from tests.peers.nginx import free_port

SUPERUSER = "rr"


def _bin_dirs() -> list[str]:
    """Debian's per-major binary dirs, newest major first."""
    dirs = glob.glob("/usr/lib/postgresql/*/bin")
    return sorted(dirs, key=lambda d: int(Path(d).parent.name.split(".")[0])
                  if Path(d).parent.name.split(".")[0].isdigit() else 0, reverse=True)


def server_bin_dir() -> Path:
    """The dir holding `postgres`, `initdb` and `pg_isready` of one major (fails in CI
    when PostgreSQL is not installed, skips locally)."""
    postgres = require_binary("postgres", search_dirs=_bin_dirs())
    return Path(os.path.realpath(postgres)).parent


@dataclass
class PostgresServer:
    """A running cluster: `url(db)` for SQLAlchemy (psycopg 3), `dsn(db)` for psycopg."""

    root: Path
    port: int
    bin_dir: Path
    proc: subprocess.Popen[bytes]
    databases: list[str] = field(default_factory=list)

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    def dsn(self, database: str = "postgres") -> str:
        return f"host={self.socket_dir} port={self.port} user={SUPERUSER} dbname={database}"

    def url(self, database: str = "postgres", tcp: bool = False) -> str:
        """A SQLAlchemy URL; `tcp` for another process that should use the port."""
        if tcp:
            return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"
        return (f"postgresql+psycopg://{SUPERUSER}@/{database}"
                f"?host={self.socket_dir}&port={self.port}")

    def create_database(self, prefix: str = "t") -> str:
        """A new empty database; its name."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return name

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def log(self) -> str:
        path = self.root / "postgres.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def _as_server_user(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return [require_binary("setpriv"), "--reuid", "nobody", "--regid", "nogroup",
            "--clear-groups", *args]


@contextmanager
def postgres_server(durable: bool = False) -> Iterator[PostgresServer]:
    """initdb, start, wait until it accepts connections; stop and remove at the end."""
    bin_dir = server_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="rr-postgres-", dir="/tmp"))
    (root / "run").mkdir()
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "nobody:nogroup", str(root)], check=True)
    os.chmod(root, 0o755)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC",
           "HOME": str(root)}
    try:
        subprocess.run(
            _as_server_user([str(bin_dir / "initdb"), "-D", str(root / "data"), "-U",
                             SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C",
                             "--no-instructions"]),
            check=True, cwd=root, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {exc.stderr.decode(errors='replace')}") from exc
    port = free_port()
    settings = {"listen_addresses": "127.0.0.1", "port": str(port),
                "unix_socket_directories": str(root / "run"), "max_connections": "60",
                "shared_buffers": "32MB", "fsync": "on" if durable else "off",
                "synchronous_commit": "on" if durable else "off",
                "full_page_writes": "on" if durable else "off",
                "log_min_messages": "warning", "logging_collector": "off"}
    args = [str(bin_dir / "postgres"), "-D", str(root / "data")]
    for key, value in settings.items():
        args += ["-c", f"{key}={value}"]
    log = open(root / "postgres.log", "wb")  # noqa: SIM115  (closed in finally)
    proc = subprocess.Popen(_as_server_user(args), cwd=root, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    server = PostgresServer(root, port, bin_dir, proc)
    try:
        _wait_ready(server)
        yield server
    finally:
        proc.send_signal(signal.SIGINT)  # fast shutdown: ends sessions, then stops
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(server: PostgresServer) -> None:
    pg_isready = str(server.bin_dir / "pg_isready")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"postgres exited ({server.proc.returncode}): {server.log()}")
        ready = subprocess.run(
            [pg_isready, "-q", "-h", str(server.socket_dir), "-p", str(server.port),
             "-U", SUPERUSER, "-d", "postgres", "-t", "1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if ready.returncode == 0:
            return
        time.sleep(0.05)
    raise RuntimeError("postgres did not accept connections in 30 s: " + server.log())
