"""`rr-desktop hub users ...` through the real entry point: the token is printed once
and works; revoke stops it; refusals are one sentence with exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from rr_desktop.cli import main
from rr_desktop.hub import tokens
from rr_desktop.hub.store import HubStore


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_users_add_prints_a_working_token_once_and_revoke_stops_it(
        hub_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "hub", "--db", hub_url, "users", "add", "mei.tan",
                          "--role", "lead")
    assert code == 0 and "shown only now" in err
    token = out.strip()
    assert tokens.parse(token) is not None
    store = HubStore.open(hub_url)
    try:
        with store.read() as conn:
            assert tokens.check_token(conn, token) == tokens.Identity(
                "mei.tan", "lead", token.split("_")[1])
        code, out, _ = _run(capsys, "hub", "--db", hub_url, "users", "list")
        assert code == 0 and out == "mei.tan\tlead\t1 active token\n"
        assert token not in out
        code, out, _ = _run(capsys, "hub", "--db", hub_url, "users", "revoke", "mei.tan")
        assert code == 0 and "Revoked mei.tan (1 token)" in out
        with store.read() as conn:
            assert tokens.check_token(conn, token) is None
    finally:
        store.close()


def test_refusals_are_one_sentence(sqlite_url: str, capsys: pytest.CaptureFixture[str]
                                   ) -> None:
    assert _run(capsys, "hub", "--db", sqlite_url, "users", "add", "mei.tan", "--role",
                "analyst")[0] == 0
    for argv, message in ((("users", "add", "mei.tan", "--role", "lead"), "already has access"),
                          (("users", "revoke", "raj.k"), "There is no analyst raj.k"),
                          (("users", "token", "raj.k"), "has no access")):
        code, out, err = _run(capsys, "hub", "--db", sqlite_url, *argv)
        assert (code, out) == (1, "")
        assert err.startswith("rr-desktop hub: error: ") and message in err
        assert err.count("\n") == 1 and "Traceback" not in err
    code, _, err = _run(capsys, "hub", "--db", "mysql://x@y/z", "users", "list")
    assert code == 1 and "PostgreSQL or SQLite" in err


def test_without_db_the_pilot_file_is_in_the_data_dir(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--data-dir", str(data_dir), "hub", "users", "add",
                        "mei.tan", "--role", "admin")
    assert code == 0 and tokens.parse(out.strip()) is not None
    assert (data_dir / "hub.sqlite3").is_file()


def test_the_roster_desktops_see_comes_from_users_add_and_set(
        sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from rr_desktop.channels.rr_api import RrApiChannel
    from tests.hub.hub_rig import hub_in_thread

    code, out, _ = _run(capsys, "hub", "--db", sqlite_url, "users", "add", "mei.tan",
                        "--role", "analyst", "--full-name", "Mei Tan", "--markets", "SG, MY",
                        "--languages", "en,zh")
    assert code == 0
    token = out.strip()
    assert _run(capsys, "hub", "--db", sqlite_url, "users", "add", "raj.k", "--role",
                "analyst")[0] == 0
    code, out, _ = _run(capsys, "hub", "--db", sqlite_url, "users", "set", "raj.k",
                        "--role", "lead", "--full-name", "Raj Kumar", "--email",
                        "raj@example.org")
    assert code == 0 and "Updated raj.k" in out
    code, _, err = _run(capsys, "hub", "--db", sqlite_url, "users", "set", "nobody",
                        "--email", "x@y")
    assert code == 1 and "There is no analyst nobody" in err
    assert _run(capsys, "hub", "--db", sqlite_url, "users", "set", "raj.k")[0] == 1
    store = HubStore.open(sqlite_url)
    try:
        with hub_in_thread(store) as base:
            roster = RrApiChannel("hub", base, token).analysts()
        with store.read() as conn:
            assert [(r.analyst, r.role) for r in tokens.list_analysts(conn)] == \
                [("mei.tan", "analyst"), ("raj.k", "lead")]
    finally:
        store.close()
    assert [(a.id, a.name, a.email, a.languages, a.markets) for a in roster] == [
        ("mei.tan", "Mei Tan", "", ("en", "zh"), ("SG", "MY")),
        ("raj.k", "Raj Kumar", "raj@example.org", (), ())]
