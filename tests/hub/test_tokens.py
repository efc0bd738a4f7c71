"""Per-analyst tokens: shown once, stored as salted scrypt digests, and a wrong, revoked
or malformed token identifies nobody."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from rr_desktop.hub import audit, tokens
from rr_desktop.hub.schema import token as token_table
from rr_desktop.hub.store import HubStore
from rr_desktop.hub.tokens import Identity, TokenError


@pytest.fixture
def store(hub_url: str) -> Iterator[HubStore]:
    s = HubStore.open(hub_url)
    yield s
    s.close()


def _check(store: HubStore, presented: str) -> Identity | None:
    with store.read() as conn:
        return tokens.check_token(conn, presented)


def test_a_new_token_identifies_its_analyst_and_only_its_digest_is_stored(
        store: HubStore) -> None:
    with store.write() as conn:
        mei = tokens.add_analyst(conn, "mei.tan", "lead")
        raj = tokens.add_analyst(conn, "raj.k", "analyst")
    assert mei.startswith("rrh_") and mei != raj
    found = _check(store, mei)
    assert found is not None and (found.analyst, found.role) == ("mei.tan", "lead")
    assert _check(store, raj) == Identity("raj.k", "analyst", raj.split("_")[1])
    with store.read() as conn:
        rows = conn.execute(select(token_table)).all()
    secret = mei.split("_", 2)[2]
    assert len(rows) == 2
    for row in rows:
        assert secret.encode() not in bytes(row.digest) + bytes(row.salt)
        assert len(row.salt) == 16
    assert rows[0].salt != rows[1].salt


def test_wrong_and_malformed_tokens_identify_nobody(store: HubStore) -> None:
    with store.write() as conn:
        good = tokens.add_analyst(conn, "mei.tan", "analyst")
    prefix, token_id, secret = good.split("_", 2)
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    other_id = ("a" if token_id[0] != "a" else "b") + token_id[1:]
    for presented in (f"{prefix}_{token_id}_{flipped}",  # right id, wrong secret
                      f"{prefix}_{other_id}_{secret}",  # unknown id
                      good[:-1], good + "x", "", "Bearer " + good, good.upper(),
                      f"{prefix}_{token_id}_{secret}\n"):
        assert _check(store, presented) is None, presented
    assert _check(store, good) is not None


def test_revoking_an_analyst_revokes_every_token_and_adding_again_makes_a_new_one(
        store: HubStore) -> None:
    with store.write() as conn:
        first = tokens.add_analyst(conn, "mei.tan", "analyst")
        second = tokens.new_token(conn, "mei.tan")
        other = tokens.add_analyst(conn, "raj.k", "analyst")
    with store.write() as conn:
        assert tokens.revoke_analyst(conn, "mei.tan") == 2
    assert _check(store, first) is None and _check(store, second) is None
    assert _check(store, other) is not None
    with store.write() as conn:
        again = tokens.add_analyst(conn, "mei.tan", "lead")
    assert _check(store, first) is None  # an old token stays revoked
    assert _check(store, again) == Identity("mei.tan", "lead", again.split("_")[1])
    with store.read() as conn:
        rows = {r.analyst: r for r in tokens.list_analysts(conn)}
        log = audit.entries(conn)
    assert rows["mei.tan"].active_tokens == 1 and rows["mei.tan"].revoked_at is None
    assert [(e.action, e.target) for e in log][:3] == [
        ("token.add", "mei.tan"), ("analyst.add", "mei.tan"), ("analyst.revoke", "mei.tan")]
    assert all(e.actor == audit.CLI_ACTOR for e in log)


def test_refusals_are_one_sentence_and_change_nothing(store: HubStore) -> None:
    with store.write() as conn:
        tokens.add_analyst(conn, "mei.tan", "analyst")
    for call, message in (
            (lambda c: tokens.add_analyst(c, "mei.tan", "lead"), "already has access"),
            (lambda c: tokens.add_analyst(c, "Mei Tan", "lead"), "is not an analyst id"),
            (lambda c: tokens.add_analyst(c, "raj.k", "boss"), "is not a role"),
            (lambda c: tokens.revoke_analyst(c, "nobody"), "no analyst nobody"),
            (lambda c: tokens.new_token(c, "raj.k"), "has no access")):
        with pytest.raises(TokenError, match=message), store.write() as conn:
            call(conn)
    with store.read() as conn:
        rows = tokens.list_analysts(conn)
    assert [(r.analyst, r.role, r.active_tokens) for r in rows] == [("mei.tan", "analyst", 1)]
