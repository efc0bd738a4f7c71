"""`rr-desktop channels add` + `sync` with the token in a real Secret Service keyring."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from rr_desktop.demo import DemoServer
from tests.integration.cache_rows import run_cli
from tests.peers.secret_service import secret_service

CANARY = "canary-token-7c1e9d0b5a"




@pytest.mark.slow
def test_add_channel_token_goes_to_keyring_and_sync_uses_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with secret_service() as env, DemoServer(token=CANARY, seed=2, count=300) as server:
        added = run_cli(["channels", "add", "rr_api", "platform", "--url", server.url], env, data,
                     stdin=CANARY + "\n")
        assert added.returncode == 0, added.stderr
        synced = run_cli(["sync", "--once"], env, data)
        assert synced.returncode == 0, synced.stdout + synced.stderr
        assert "platform: ok: 300 received" in synced.stdout
        listed = run_cli(["channels", "list"], env, data)
        assert "platform\trr_api\tok" in listed.stdout
        outputs = added.stdout + added.stderr + synced.stdout + synced.stderr + listed.stdout
    assert CANARY not in outputs
    for path in data.rglob("*"):  # the secret is nowhere in the data dir (DB, WAL, ...)
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_locked_keyring_gives_clear_error(tmp_path: Path) -> None:
    root = Path(tempfile.mkdtemp(prefix="rr-kr-"))
    data = tmp_path / "data"
    with secret_service(password="right", root=root) as env:
        assert run_cli(["channels", "add", "rr_api", "p", "--url", "http://127.0.0.1:9"], env,
                    data, stdin="tok\n").returncode == 0
    with secret_service(password="wrong", root=root) as env:
        result = run_cli(["sync", "--once", "--channel", "p"], env, data)
    assert result.returncode == 1
    assert "keyring is locked" in (result.stdout + result.stderr)
    assert "Traceback" not in result.stderr


def test_no_keyring_backend_refuses_plaintext(tmp_path: Path) -> None:
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = run_cli(["channels", "add", "rr_api", "p", "--url", "https://esc.example.com"], env,
                  tmp_path, stdin="secret-value\n")
    assert result.returncode == 1
    assert "No system keyring is available" in result.stderr
    assert "Traceback" not in result.stderr
    listed = run_cli(["channels", "list"], env, tmp_path)
    assert "no channels configured" in listed.stdout


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "cache.sqlite3"
    bad.write_bytes(b"garbage" * 1000)
    result = run_cli(["channels", "list"], {}, tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "damaged" in result.stderr
    unknown = run_cli(["sync", "--once", "--channel", "nope"], {}, tmp_path / "other")
    assert unknown.returncode == 1 and "no channel named 'nope'" in unknown.stderr


def test_sync_demo_once_prints_a_summary_per_channel(tmp_path: Path) -> None:
    result = run_cli(["sync", "--demo", "--once"], {}, tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("demo: ok: 3000 received, 3000 changed, 0 quarantined")
    again = run_cli(["sync", "--demo", "--once"], {}, tmp_path / "data")
    # A new demo server instance: the old cursor is refused (410) and a full resync finds
    # nothing newer, so nothing changes.
    assert again.returncode == 0 and "demo: ok: 3000 received, 0 changed" in again.stdout


def test_add_with_test_connection_gives_clear_verdicts(tmp_path: Path) -> None:
    env: dict[str, str] = {}
    with DemoServer(token=CANARY, seed=2, count=5) as server:
        wrong_token = run_cli(["channels", "add", "rr_api", "p", "--url", server.url, "--test"],
                           env, tmp_path, stdin="nope\n")
        wrong_url = run_cli(["channels", "add", "rr_api", "p", "--url", server.url + "/api",
                          "--test"], env, tmp_path, stdin=CANARY + "\n")
        url = server.url
    unreachable = run_cli(["channels", "add", "rr_api", "p", "--url", url, "--test"], env,
                       tmp_path, stdin=CANARY + "\n")
    assert "refused the credentials (401)" in wrong_token.stderr
    assert "is not an escalation service" in wrong_url.stderr
    assert "cannot reach" in unreachable.stderr
    for result in (wrong_token, wrong_url, unreachable):
        assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "no channels configured" in run_cli(["channels", "list"], env, tmp_path).stdout


def test_add_refuses_a_jira_config_that_could_never_sync(tmp_path: Path) -> None:
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}  # never reached
    result = run_cli(["channels", "add", "jira", "legal",
                   "--set", "site_url=https://t.atlassian.net", "--set", "email=a@t.example"],
                  env, tmp_path, stdin="token\n")
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        "Set at least one project key or a JQL filter (Jira's search refuses an unbounded "
        "query)")
    assert "keyring" not in result.stderr and "Traceback" not in result.stderr
    bad_map = run_cli(["channels", "add", "jira", "legal", "--set",
                    "site_url=https://t.atlassian.net", "--set", "email=a@t.example",
                    "--set", "projects=LEGAL", "--set", "status_map=Done=finished"],
                   env, tmp_path, stdin="token\n")
    assert bad_map.returncode == 1
    assert "Status mapping: 'finished' is not a known value" in bad_map.stderr
    listed = run_cli(["channels", "list"], env, tmp_path)
    assert "no channels configured" in listed.stdout  # nothing was saved
