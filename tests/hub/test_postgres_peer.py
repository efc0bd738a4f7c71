"""The PostgreSQL peer itself: found off PATH, never run as root, removed at the end."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.peers.availability import require_binary
from tests.peers.postgres import postgres_server


def test_require_binary_looks_in_the_given_dirs(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Debian's PostgreSQL binaries are off PATH: found in a search dir; still missing
    fails (not skips) in CI."""
    tool = tmp_path / "rr-offpath-tool-9c2e"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    assert require_binary(tool.name, search_dirs=[str(tmp_path)]) == str(tool)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="may not skip in CI"):
        require_binary(tool.name, search_dirs=[str(tmp_path / "elsewhere")])


@pytest.mark.slow
def test_a_real_server_as_an_unprivileged_user_removed_afterwards() -> None:
    import psycopg

    with postgres_server() as server:
        root = server.root
        name = server.create_database()
        with psycopg.connect(server.dsn(name)) as conn:
            pid = conn.execute("SELECT pg_backend_pid()").fetchone()
            assert pid is not None
            version = conn.execute("SHOW server_version_num").fetchone()
            assert version is not None and int(version[0]) >= 130000
        # The backend's owner: never root (PostgreSQL refuses it; the peer drops to nobody).
        assert os.stat(f"/proc/{pid[0]}").st_uid != 0 or os.geteuid() != 0
        assert (root / "run" / f".s.PGSQL.{server.port}").exists()
    assert not root.exists()
    assert server.proc.returncode is not None
