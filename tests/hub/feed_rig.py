"""Writers committing changes concurrently while a reader pages the feed with `after`.

Each writer is a thread on its own connection; each of its changes is one transaction:
some work (`work_ms`), the feed append, a pause with the number taken but not yet
committed (`hold_ms`: where an insert-time number goes wrong), then commit or rollback.
The reader pages with `after` and a page size, pausing `read_pause_ms` between pages,
until the writers are done and a page comes back empty. `run` returns what was committed
and what the reader saw, for the caller to compare.

A design is a pair of functions, so the same rig runs the hub's feed
(`rr_desktop/hub/feed.py`) and the naive identity-column table it replaces.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Identity,
    MetaData,
    Table,
    Text,
    insert,
    select,
)

from rr_desktop.hub import feed
from rr_desktop.hub.store import HubStore

Append = Callable[[Connection, str], None]
Read = Callable[[Connection, int, int], list[tuple[int, str]]]


@dataclass(frozen=True)
class Step:
    """One writer transaction."""

    work_ms: float
    hold_ms: float
    commit: bool


@dataclass(frozen=True)
class Design:
    name: str
    append: Append
    read: Read


@dataclass
class Outcome:
    committed: set[str] = field(default_factory=set)
    seen: list[tuple[int, str]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def _hub_append(conn: Connection, key: str) -> None:
    feed.append_change(conn, "test", key, {"key": key})


def _hub_read(conn: Connection, after: int, limit: int) -> list[tuple[int, str]]:
    return [(c.seq, c.key) for c in feed.read_changes(conn, after, limit, kinds=("test",))]


HUB_FEED = Design("hub feed (counter row in the committing transaction)", _hub_append,
                  _hub_read)

naive_metadata = MetaData()
naive_change = Table(
    "naive_change", naive_metadata,
    Column("seq", BigInteger, Identity(), primary_key=True),  # numbered at insert
    Column("key", Text, nullable=False),
)


def _naive_append(conn: Connection, key: str) -> None:
    conn.execute(insert(naive_change).values(key=key))


def _naive_read(conn: Connection, after: int, limit: int) -> list[tuple[int, str]]:
    rows = conn.execute(select(naive_change.c.seq, naive_change.c.key)
                        .where(naive_change.c.seq > after)
                        .order_by(naive_change.c.seq).limit(limit))
    return [(int(r.seq), str(r.key)) for r in rows]


NAIVE = Design("naive identity column", _naive_append, _naive_read)


def start_at(store: HubStore, design: Design) -> int:
    """The newest seq already there (earlier examples on the same database)."""
    with store.read() as conn:
        last = 0
        while page := design.read(conn, last, 1000):
            last = page[-1][0]
        return last


def run(store: HubStore, design: Design, writers: list[list[Step]], page: int,
        read_pause_ms: float, tag: str) -> Outcome:
    outcome = Outcome()
    lock = threading.Lock()
    after = start_at(store, design)
    done = threading.Event()

    def write(index: int, steps: list[Step]) -> None:
        try:
            for n, step in enumerate(steps):
                key = f"{tag}-w{index}-{n}"
                with store.engine.connect() as conn:
                    tx = conn.begin()
                    time.sleep(step.work_ms / 1000)
                    design.append(conn, key)
                    time.sleep(step.hold_ms / 1000)
                    if step.commit:
                        tx.commit()
                        with lock:
                            outcome.committed.add(key)
                    else:
                        tx.rollback()
        except BaseException as exc:  # reported by the caller, not lost in the thread
            outcome.errors.append(exc)

    threads = [threading.Thread(target=write, args=(i, steps), daemon=True)
               for i, steps in enumerate(writers)]
    for t in threads:
        t.start()

    def waiter() -> None:
        for t in threads:
            t.join()
        done.set()

    threading.Thread(target=waiter, daemon=True).start()
    cursor = after
    while True:
        finished = done.is_set()  # read before the page: a page after this sees all
        with store.read() as conn:
            rows = design.read(conn, cursor, page)
        outcome.seen.extend(rows)
        if rows:
            cursor = rows[-1][0]
        elif finished:
            break
        time.sleep(read_pause_ms / 1000)
    return outcome


def check(outcome: Outcome) -> None:
    """Every committed change exactly once, in seq order, nothing else."""
    assert not outcome.errors, outcome.errors
    seqs = [s for s, _ in outcome.seen]
    keys = [k for _, k in outcome.seen]
    assert seqs == sorted(set(seqs)), f"seqs out of order or repeated: {seqs}"
    assert len(keys) == len(set(keys)), f"a change seen twice: {keys}"
    missing = outcome.committed - set(keys)
    assert not missing, f"skipped: {sorted(missing)}"
    assert set(keys) <= outcome.committed, "a change seen that never committed"


def escalation_design(store: HubStore) -> Design:
    """The hub's real escalation write (`escalation_store._change`: on PostgreSQL one
    statement takes the number and writes row, history and change) as a feed writer:
    writer N changes escalation ESC-00000N (its own row, so only the feed's counter is
    shared), tagging it with the change's key."""
    import json

    from rr_desktop.hub import caller
    from rr_desktop.hub.escalation_store import HubEscalations, _change, _row

    escalations = HubEscalations(store)
    if escalations.get("ESC-000001") is None:
        escalations.load({"id": f"ESC-{n:06d}", "title": f"writer {n}", "tags": []}
                         for n in range(1, 5))

    def append(conn: Connection, key: str) -> None:
        writer = int(key.split("-w")[1].split("-")[0]) + 1
        row = _row(conn, f"ESC-{writer:06d}", lock=True)
        _change(conn, row, json.loads(row.fields), {"tags": [key]}, "patch",
                caller.Caller("test", "lead"))

    def read(conn: Connection, after: int, limit: int) -> list[tuple[int, str]]:
        # The loaded escalations (no tag yet) come before any run's `after`.
        return [(c.seq, (json.loads(c.payload)["tags"] or [""])[0])
                for c in feed.read_changes(conn, after, limit, kinds=("escalation",))]

    return Design("the hub's escalation write", append, read)
