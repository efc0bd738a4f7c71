"""A server's secrets file (rr_desktop/secrets.py): read only when it is the user's own,
mode 0600 or 0400; TOML or JSON; never written; `rr-desktop hub --secrets` refuses a file
others can read with one sentence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rr_desktop import secrets


@pytest.fixture(autouse=True)
def _keyring_again() -> Iterator[None]:
    yield
    secrets.use_file(None)


def test_a_private_toml_or_json_file_gives_the_channels_secrets(tmp_path: Path) -> None:
    toml = tmp_path / "s.toml"
    toml.write_text('[platform]\ntoken = "tok-1"\n\n[zendesk]\napi_token = "z"\n')
    toml.chmod(0o600)
    secrets.use_file(toml)
    assert secrets.get_secret("platform", "token") == "tok-1"
    assert secrets.get_secret("platform", "other") is None
    as_json = tmp_path / "s.json"
    as_json.write_text(json.dumps({"platform": {"token": "tok-2"}}))
    as_json.chmod(0o400)
    secrets.use_file(as_json)
    assert secrets.get_secret("platform", "token") == "tok-2"


@pytest.mark.parametrize("mode", [0o640, 0o644, 0o604, 0o700])
def test_a_file_others_could_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[platform]\ntoken = "tok"\n')
    path.chmod(mode)
    with pytest.raises(secrets.SecretStoreError, match="readable only by them"):
        secrets.use_file(path)


def test_bad_content_and_a_symlink_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("token = [not toml")
    path.chmod(0o600)
    with pytest.raises(secrets.SecretStoreError, match="neither valid TOML nor JSON"):
        secrets.use_file(path)
    path.write_text('token = "top-level, not under a channel"')
    with pytest.raises(secrets.SecretStoreError, match="map each channel"):
        secrets.use_file(path)
    link = tmp_path / "link.toml"
    link.symlink_to(path)
    with pytest.raises(secrets.SecretStoreError, match="cannot be opened"):
        secrets.use_file(link)


def test_the_file_is_never_written(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[platform]\ntoken = "tok"\n')
    path.chmod(0o600)
    before = path.read_bytes()
    secrets.use_file(path)
    secrets.set_secret("platform", "token", "tok")  # already there: nothing to do
    with pytest.raises(secrets.SecretStoreError, match=r"add token under \[other\] there"):
        secrets.set_secret("other", "token", "new")
    secrets.delete_secret("platform", "token")
    assert path.read_bytes() == before
    assert secrets.get_secret("platform", "token") == "tok"


def test_the_hub_refuses_a_readable_secrets_file_in_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[platform]\ntoken = "tok-secret-99"\n')
    path.chmod(0o644)
    done = subprocess.run(
        [sys.executable, "-m", "rr_desktop", "hub", "--db",
         f"sqlite:///{tmp_path / 'hub.sqlite3'}", "--port", "0", "--secrets", str(path)],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "must be owned by this user and readable only by them" in done.stderr
    assert "tok-secret-99" not in done.stderr + done.stdout


def test_channels_add_says_where_the_secret_is_kept(tmp_path: Path) -> None:
    from tests.hub.intake_rig import rr_desktop, secrets_file

    path = secrets_file(tmp_path, "tok-123", channel="team")
    done = rr_desktop(["channels", "add", "rr_api", "team", "--url", "http://127.0.0.1:9"],
                      tmp_path / "data", path, stdin="tok-123\n")
    assert done.returncode == 0, done.stderr
    assert f"its secrets kept in the secrets file {path}" in done.stdout
    refused = rr_desktop(["channels", "add", "rr_api", "other", "--url",
                          "http://127.0.0.1:9"], tmp_path / "data", path, stdin="x\n")
    assert refused.returncode != 0 and "never writes" in refused.stderr
    assert "Traceback" not in refused.stderr
