"""Channel rows: configuration, sync cursors, visible sync state and the run lease."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ..domain import Channel
from ..domain.push import Push, parse_pushes
from .storable import clean_text
from .timecodec import from_epoch, to_epoch

LEASE_TTL_S = 120

# What a finished run ended with (channel.last_outcome).
OK = "ok"
FAILED = "failed"
RATE_LIMITED = "rate_limited"
CANCELLED = "cancelled"
OFFLINE = "offline"  # the source could not be reached at all (no connection made)


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    """What the status bar and sync view show for one channel (docs/sync.md rule 14)."""

    channel_id: int
    name: str
    kind: str
    last_success_at: int | None
    last_attempt_at: int | None
    last_remote_time: int | None
    last_error: str | None
    rate_limited_until: int | None
    queued_ops: int
    conflicts: int
    dead_ops: int
    quarantined: int
    running: bool
    last_outcome: str | None = None  # ok | failed | rate_limited | cancelled; None: never ran
    last_outcome_at: int | None = None

    def state(self, now_s: int) -> str:
        """The last run's outcome in a few words, for the CLI and the status bar:
        "syncing", "ok", "offline: <why>", "failed: <error>", "rate-limited until 14:05"
        (local time), "cancelled" or "never synced"."""
        if self.running:
            return "syncing"
        if self.last_outcome == RATE_LIMITED:
            until = self.rate_limited_until
            if until is None or until <= now_s:
                return "rate-limited (may sync again now)"
            fmt = "%H:%M" if until - now_s < 86_400 else "%Y-%m-%d %H:%M"
            return f"rate-limited until {from_epoch(until).astimezone().strftime(fmt)}"
        if self.last_outcome == OFFLINE:
            return f"offline: {self.last_error or 'the source cannot be reached'}"
        if self.last_outcome == FAILED or (self.last_outcome is None and self.last_error):
            return f"failed: {self.last_error or 'unknown error'}"
        if self.last_outcome == CANCELLED:
            return "cancelled"
        if self.last_outcome == OK or self.last_success_at is not None:
            return "ok"
        return "never synced"


def ensure_channel(db: sqlite3.Connection, channel: Channel) -> int:
    """Insert or update a channel by name; returns its id. Its `pushes` are written when
    given (they come from the channel kind)."""
    db.execute(
        "INSERT INTO channel (name, kind, config) VALUES (?, ?, ?) ON CONFLICT (name) "
        "DO UPDATE SET kind = excluded.kind, config = excluded.config",
        (channel.name, channel.kind, json.dumps(channel.config, sort_keys=True)))
    row = db.execute("SELECT id FROM channel WHERE name = ?", (channel.name,)).fetchone()
    if channel.pushes is not None:
        set_pushes(db, int(row[0]), channel.pushes)
    return int(row[0])


def set_pushes(db: sqlite3.Connection, channel_id: int, pushes: Iterable[str]) -> None:
    """Record what the channel's source receives of local changes (the push matrix)."""
    db.execute("UPDATE channel SET pushes = ? WHERE id = ?",
               (json.dumps(sorted(pushes)), channel_id))


def channel_pushes(db: sqlite3.Connection, channel_id: int) -> frozenset[Push] | None:
    """What the channel's source receives (None: not recorded: everything is queued)."""
    row = db.execute("SELECT pushes FROM channel WHERE id = ?", (channel_id,)).fetchone()
    return None if row is None or row[0] is None else parse_pushes(json.loads(row[0]))


def list_channels(db: sqlite3.Connection) -> list[Channel]:
    return [Channel(name, kind, json.loads(cfg), cid,
                    None if pushes is None else frozenset(json.loads(pushes)))
            for cid, name, kind, cfg, pushes in db.execute(
                "SELECT id, name, kind, config, pushes FROM channel ORDER BY name")]


def remove_channel(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("DELETE FROM channel WHERE name = ?", (name,)).rowcount > 0


def get_cursor(db: sqlite3.Connection, channel_id: int, scope: str) -> str | None:
    row = db.execute("SELECT cursor FROM sync_cursor WHERE channel_id = ? AND scope = ?",
                     (channel_id, scope)).fetchone()
    return None if row is None else row[0]


def set_cursor(db: sqlite3.Connection, channel_id: int, scope: str, cursor: str | None,
               now: datetime) -> None:
    db.execute(
        "INSERT INTO sync_cursor (channel_id, scope, cursor, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (channel_id, scope) DO UPDATE SET cursor = excluded.cursor, "
        "updated_at = excluded.updated_at", (channel_id, scope, cursor, to_epoch(now)))


def drop_cursor(db: sqlite3.Connection, channel_id: int, scope: str) -> None:
    db.execute("DELETE FROM sync_cursor WHERE channel_id = ? AND scope = ?",
               (channel_id, scope))


def record_attempt(db: sqlite3.Connection, channel_id: int, now: datetime) -> None:
    db.execute("UPDATE channel SET last_attempt_at = ? WHERE id = ?",
               (to_epoch(now), channel_id))


def record_success(db: sqlite3.Connection, channel_id: int, now: datetime,
                   remote_time: datetime | None) -> None:
    """A run finished without error (outcome ok)."""
    db.execute(
        "UPDATE channel SET last_success_at = ?, last_error = NULL, last_error_at = NULL, "
        "rate_limited_until = NULL, last_remote_time = coalesce(?, last_remote_time), "
        "last_outcome = 'ok', last_outcome_at = ? WHERE id = ?",
        (to_epoch(now), to_epoch(remote_time) if remote_time else None, to_epoch(now),
         channel_id))


def record_progress(db: sqlite3.Connection, channel_id: int,
                    remote_time: datetime | None) -> None:
    """A page was stored: the server's time it was current at. The run's outcome is
    recorded when it ends (a page never clears the last error)."""
    if remote_time is not None:
        db.execute("UPDATE channel SET last_remote_time = ? WHERE id = ?",
                   (to_epoch(remote_time), channel_id))


def record_error(db: sqlite3.Connection, channel_id: int, message: str,
                 now: datetime) -> None:
    """A run (or setting the channel up) failed (outcome failed)."""
    record_outcome(db, channel_id, FAILED, now, message)


def record_outcome(db: sqlite3.Connection, channel_id: int, outcome: str, now: datetime,
                   error: str | None = None, rate_limited_until: int | None = None) -> None:
    """How a run ended: OK (prefer record_success), FAILED with its error, RATE_LIMITED
    with the time the server allows the next request, or CANCELLED (the last error, if
    any, stays as it was)."""
    now_s = to_epoch(now)
    if outcome == CANCELLED:
        db.execute("UPDATE channel SET last_outcome = ?, last_outcome_at = ? WHERE id = ?",
                   (outcome, now_s, channel_id))
        return
    if outcome == OK:
        record_success(db, channel_id, now, None)
        return
    db.execute(
        "UPDATE channel SET last_outcome = ?, last_outcome_at = ?, last_error = ?, "
        "last_error_at = ?, rate_limited_until = coalesce(?, rate_limited_until) "
        "WHERE id = ?",
        (outcome, now_s, clean_text(error or outcome), now_s, rate_limited_until,
         channel_id))


def set_rate_limited(db: sqlite3.Connection, channel_id: int, until: int | None) -> None:
    db.execute("UPDATE channel SET rate_limited_until = ? WHERE id = ?", (until, channel_id))


def lease_owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_is_dead(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire_lease(db: sqlite3.Connection, channel_id: int, owner: str, now: datetime,
                  ttl_s: int = LEASE_TTL_S) -> bool:
    """Take the channel's run lease (one run per channel across threads and processes).

    A lease is free when expired, already ours, or held by a dead process on this host.
    """
    now_s = to_epoch(now)
    row = db.execute("SELECT lease_owner, lease_until FROM channel WHERE id = ?",
                     (channel_id,)).fetchone()
    if row is None:
        return False
    held_by, until = row
    if held_by and held_by != owner and (until or 0) > now_s and not _owner_is_dead(held_by):
        return False
    db.execute("UPDATE channel SET lease_owner = ?, lease_until = ? WHERE id = ?",
               (owner, now_s + ttl_s, channel_id))
    return True


def renew_lease(db: sqlite3.Connection, channel_id: int, owner: str, now: datetime,
                ttl_s: int = LEASE_TTL_S) -> None:
    db.execute("UPDATE channel SET lease_until = ? WHERE id = ? AND lease_owner = ?",
               (to_epoch(now) + ttl_s, channel_id, owner))


def release_lease(db: sqlite3.Connection, channel_id: int, owner: str) -> None:
    db.execute("UPDATE channel SET lease_owner = NULL, lease_until = NULL "
               "WHERE id = ? AND lease_owner = ?", (channel_id, owner))


def channel_statuses(db: sqlite3.Connection, now: datetime) -> list[ChannelStatus]:
    now_s = to_epoch(now)
    rows = db.execute(
        "SELECT c.id, c.name, c.kind, c.last_success_at, c.last_attempt_at, "
        "c.last_remote_time, c.last_error, c.rate_limited_until, "
        "(SELECT count(*) FROM outbox o WHERE o.channel_id = c.id AND o.state = 'pending'), "
        "(SELECT count(*) FROM conflict k JOIN escalation e ON e.id = k.escalation_id "
        " WHERE e.channel_id = c.id AND k.resolved_at IS NULL), "
        "(SELECT count(*) FROM outbox o WHERE o.channel_id = c.id AND o.state = 'dead'), "
        "(SELECT count(*) FROM quarantine q WHERE q.channel_id = c.id), "
        "c.lease_owner IS NOT NULL AND coalesce(c.lease_until, 0) > ?, "
        "c.last_outcome, c.last_outcome_at "
        "FROM channel c ORDER BY c.name", (now_s,)).fetchall()
    return [ChannelStatus(*r) for r in rows]  # running arrives as 0/1
