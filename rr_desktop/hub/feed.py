"""The changes feed: every change to the hub's records, numbered `seq`, read with
`after=<seq>` (docs/hub.md, "The changes feed").

The promise: a reader that pages with `after` never skips a change and never sees one
twice, whatever the writers do concurrently. A plain identity column cannot keep it: its
numbers are handed out when a row is inserted, not when it commits, so number 7 can
become visible after 8 has been read, and a reader at `after=8` never sees 7.

Here the number comes from the `hub_counter` row "feed", incremented in the committing
transaction as its last write: the row lock is held until commit, so the next writer
gets its number only once the previous one has committed and become visible (on
PostgreSQL the lock is released after the commit is visible to new snapshots; on SQLite
there is one writer at a time anyway). Numbers therefore become visible in order: a
reader that sees `seq` N sees every change below N, and a rolled-back writer gives its
number back (no gaps). The cost is that writers are serialised from their feed append
to their commit, which is why `append_change` must be the transaction's last statement.

On PostgreSQL each append also sends `NOTIFY rr_hub_feed, '<seq>'` in the same
transaction: PostgreSQL delivers it only when (and if) the transaction commits, so the
hub's waiting desktops (waker.py) are woken after the change is visible, never for a
rolled-back one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update

from .schema import change, counter
from .store import utc_stamp

MAX_PAGE = 1000
NOTIFY_CHANNEL = "rr_hub_feed"  # PostgreSQL's channel for "the feed has a new change"
APPENDED = "rr_feed_appended"  # conn.info flag: this transaction appended (waker.py)


@dataclass(frozen=True)
class Change:
    """One change in the feed."""

    seq: int
    kind: str
    key: str
    version: int | None
    at: str
    actor: str | None
    desktop: str | None
    payload: str  # JSON text of the record after the change

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "key": self.key,
                "version": self.version, "at": self.at, "actor": self.actor,
                "desktop": self.desktop, "record": json.loads(self.payload)}


def next_seq(conn: Connection, count: int = 1) -> int:
    """Take the feed's next number (or the next `count`: the last of them is returned);
    the counter row stays locked until this transaction ends. Call it last, right
    before commit."""
    seq = conn.execute(
        update(counter).where(counter.c.name == "feed")
        .values(value=counter.c.value + count).returning(counter.c.value)
    ).scalar_one()
    return int(seq)


def append_change(conn: Connection, kind: str, key: str, record: Mapping[str, Any] | str,
                  *, version: int | None = None, actor: str | None = None,
                  desktop: str | None = None, seq: int | None = None) -> int:
    """Append one change in the caller's write transaction; its seq. `seq` is one taken
    with `next_seq` in this same transaction (when the record itself stores it)."""
    payload = record if isinstance(record, str) else json.dumps(
        record, ensure_ascii=False, separators=(",", ":"))
    seq = next_seq(conn) if seq is None else seq
    conn.execute(insert(change).values(
        seq=seq, kind=kind, key=key, version=version, at=utc_stamp(), actor=actor,
        desktop=desktop, payload=payload))
    if conn.dialect.name == "postgresql":  # delivered at commit, dropped on rollback
        conn.execute(text(f"SELECT pg_notify('{NOTIFY_CHANNEL}', :seq)"), {"seq": str(seq)})
    conn.info[APPENDED] = True
    return seq


def read_changes(conn: Connection, after: int, limit: int = 200,
                 kinds: tuple[str, ...] = ()) -> list[Change]:
    """Changes with seq > after, oldest first, at most `limit` (1..MAX_PAGE)."""
    limit = max(1, min(limit, MAX_PAGE))
    query = select(change).where(change.c.seq > after).order_by(change.c.seq).limit(limit)
    if kinds:
        query = query.where(change.c.kind.in_(kinds))
    return [Change(seq=int(r.seq), kind=r.kind, key=r.key,
                   version=None if r.version is None else int(r.version), at=r.at,
                   actor=r.actor, desktop=r.desktop, payload=r.payload)
            for r in conn.execute(query)]


def head(conn: Connection) -> int:
    """The newest committed seq (0 for an empty feed)."""
    return int(conn.execute(select(func.coalesce(func.max(change.c.seq), 0))).scalar_one())
