"""Analysts and their personal tokens (docs/hub.md, "People and tokens").

A token reads `rrh_<id>_<secret>`: `id` (10 base32 characters) names the row, `secret`
(32 random bytes, URL-safe base64) is checked against its scrypt digest with a per-token
salt, compared in constant time. Only the digest is stored: a token is shown once, when
it is made. A revoked token, a revoked analyst, an unknown id and a wrong secret all
come out the same: None.

scrypt's cost (N=2**14, r=8, p=1: ~16 MiB and tens of milliseconds a check) guards the
digests if the database leaks; the secrets are random, so it is no defence a long-lived
server needs to pay on every request: the server layer keeps the few verified tokens of
the last minute in memory and still re-reads revocation from the store each time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from . import audit
from .schema import ROLES, analyst, token
from .store import utc_stamp

PREFIX = "rrh_"
_TOKEN = re.compile(r"rrh_([a-z2-7]{10})_([A-Za-z0-9_-]{43})")
_ANALYST_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class TokenError(Exception):
    """A users command that cannot be done; the message is one sentence."""


@dataclass(frozen=True)
class Identity:
    """Who a valid token belongs to."""

    analyst: str
    role: str
    token_id: str


@dataclass(frozen=True)
class AnalystRow:
    analyst: str
    role: str
    created_at: str
    revoked_at: str | None
    active_tokens: int


def digest(secret: str, salt: bytes) -> bytes:
    """scrypt(secret, salt), computed on the one scrypt thread (`_SCRYPT_THREAD`)."""
    return _SCRYPT_THREAD.submit(_scrypt, secret, salt).result()


def _scrypt(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                          maxmem=64 * 1024 * 1024, dklen=32)


# scrypt takes 16 MiB of scratch a check. Once a first free has raised glibc's mmap
# threshold, that block comes from the calling thread's malloc arena and stays there:
# checked from the server's 40 worker threads, 50 desktops' tokens left the hub at ~700
# MiB of RSS (docs/hub.md, "Load"). Every digest on one thread keeps it to one block.
_SCRYPT_THREAD = ThreadPoolExecutor(1, thread_name_prefix="rr-hub-scrypt")


def _check_name(name: str) -> str:
    if not _ANALYST_ID.fullmatch(name):
        raise TokenError(f"{name!r} is not an analyst id: use lower-case letters, digits, "
                         "dots, dashes or underscores (the roster id, e.g. mei.tan).")
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise TokenError(f"{role!r} is not a role: use one of {', '.join(ROLES)}.")
    return role


def add_analyst(conn: Connection, name: str, role: str, actor: str = audit.CLI_ACTOR) -> str:
    """Make the analyst (or bring back a revoked one with this role) and a new token;
    the token, to be shown once. An active analyst is refused: see `new_token`."""
    _check_name(name)
    _check_role(role)
    row = conn.execute(select(analyst).where(analyst.c.id == name)).first()
    now = utc_stamp()
    if row is not None and row.revoked_at is None:
        raise TokenError(f"{name} already has access; revoke it first, or make another "
                         f"token with `hub users token {name}`.")
    if row is None:
        conn.execute(insert(analyst).values(id=name, role=role, created_at=now))
    else:
        conn.execute(update(analyst).where(analyst.c.id == name)
                     .values(role=role, revoked_at=None))
    audit.record(conn, actor, "analyst.add", name, {"role": role})
    return new_token(conn, name, actor)


PROFILE_FIELDS = ("name", "email", "languages", "markets")


def set_profile(conn: Connection, name: str, profile: dict[str, Any],
                role: str | None = None, actor: str = audit.CLI_ACTOR) -> None:
    """Change an analyst's roster entry (the `PROFILE_FIELDS` given) and/or role; an
    unknown analyst is a TokenError."""
    row = conn.execute(select(analyst).where(analyst.c.id == name)).first()
    if row is None:
        raise TokenError(f"There is no analyst {name} on this hub.")
    unknown = set(profile) - set(PROFILE_FIELDS)
    if unknown:
        raise TokenError(f"A roster entry has no {sorted(unknown)[0]}.")
    merged = {**json.loads(row.profile or "{}"), **profile}
    values: dict[str, Any] = {"profile": json.dumps(merged, ensure_ascii=False,
                                                    sort_keys=True)}
    if role is not None:
        values["role"] = _check_role(role)
    conn.execute(update(analyst).where(analyst.c.id == name).values(**values))
    audit.record(conn, actor, "analyst.set", name,
                 {**profile, **({"role": role} if role else {})})


def new_token(conn: Connection, name: str, actor: str = audit.CLI_ACTOR) -> str:
    """Another token for an active analyst (a second desktop); the token, shown once."""
    row = conn.execute(select(analyst).where(analyst.c.id == name)).first()
    if row is None or row.revoked_at is not None:
        raise TokenError(f"{name} has no access on this hub; add them with "
                         f"`hub users add {name} --role ...`.")
    token_id = base64.b32encode(secrets.token_bytes(10)).decode().lower()[:10]
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    conn.execute(insert(token).values(id=token_id, analyst=name, salt=salt,
                                      digest=digest(secret, salt), created_at=utc_stamp()))
    audit.record(conn, actor, "token.add", name, {"token": token_id})
    return f"{PREFIX}{token_id}_{secret}"


def revoke_analyst(conn: Connection, name: str, actor: str = audit.CLI_ACTOR) -> int:
    """Revoke the analyst and every token of theirs; how many tokens were active."""
    row = conn.execute(select(analyst).where(analyst.c.id == name)).first()
    if row is None:
        raise TokenError(f"There is no analyst {name} on this hub.")
    now = utc_stamp()
    count = conn.execute(update(token).where(token.c.analyst == name,
                                             token.c.revoked_at.is_(None))
                         .values(revoked_at=now)).rowcount
    if row.revoked_at is None:
        conn.execute(update(analyst).where(analyst.c.id == name).values(revoked_at=now))
    audit.record(conn, actor, "analyst.revoke", name, {"tokens": count})
    return int(count)


def list_analysts(conn: Connection) -> list[AnalystRow]:
    rows = conn.execute(select(analyst).order_by(analyst.c.id)).all()
    tokens = conn.execute(select(token.c.analyst).where(token.c.revoked_at.is_(None))).all()
    counts: dict[str, int] = {}
    for (who,) in tokens:
        counts[who] = counts.get(who, 0) + 1
    return [AnalystRow(r.id, r.role, r.created_at, r.revoked_at, counts.get(r.id, 0))
            for r in rows]


def parse(presented: str) -> tuple[str, str] | None:
    """(token id, secret) of a well-formed token, else None."""
    match = _TOKEN.fullmatch(presented)
    return (match.group(1), match.group(2)) if match else None


def check_token(conn: Connection, presented: str) -> Identity | None:
    """Who `presented` belongs to, or None: malformed, unknown, wrong, or revoked."""
    parts = parse(presented)
    if parts is None:
        return None
    token_id, secret = parts
    row = active_token(conn, token_id)
    if row is None:
        return None
    salt, stored, who, role = row
    if not hmac.compare_digest(digest(secret, salt), stored):
        return None
    return Identity(who, role, token_id)


def active_token(conn: Connection, token_id: str) -> tuple[bytes, bytes, str, str] | None:
    """(salt, digest, analyst, role) of a token neither it nor its analyst revoked."""
    row = conn.execute(
        select(token.c.salt, token.c.digest, analyst.c.id, analyst.c.role)
        .join(analyst, analyst.c.id == token.c.analyst)
        .where(token.c.id == token_id, token.c.revoked_at.is_(None),
               analyst.c.revoked_at.is_(None))).first()
    if row is None:
        return None
    return bytes(row[0]), bytes(row[1]), str(row[2]), str(row[3])
