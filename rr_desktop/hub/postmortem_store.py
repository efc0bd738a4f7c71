"""The hub's post-mortems (docs/hub-records.md): the reference service's
`ServicePostmortems` (rr_desktop/demo/postmortems.py) on the hub's database, with the
same interface, exceptions and rules, so the same routes serve it.

A post-mortem's `seq` is the feed seq of its last write (increasing, with gaps where
other records changed in between); `version` counts its own writes from 1 and a write
names the current one (`If-Match`). Moving a post-mortem to "final", or changing a final
one, takes a lead or an admin. Each write is one transaction: the row, its audit entry
and its change in the feed, the change last.

The copy served is the JSON of the feed's change at the post-mortem's seq (the record as
served, `updated_by` included, which h0001's row has no column for); the row's columns
are what queries need (state for the role rule, actions for the tasks). An
Idempotency-Key is remembered in `hub_idempotency` (h0002) with the request's digest and
the seq of the write it made: a retry answers that write, another request under the
same key is refused.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, LargeBinary, cast, func, insert, select, update

from ..demo.postmortems import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    PAGE_BUDGET,
    AheadOfLog,
    InvalidPostmortem,
    KeyReused,
    PostmortemPage,
    VersionMismatch,
    check_body,
    request_digest,
)
from ..demo.wire import decode, encode, iso
from . import audit
from .caller import Caller, Forbidden, current
from .feed import append_change, next_seq
from .schema import change, idempotency
from .schema import postmortem as _pm
from .store import HubStore, utc_stamp

KIND = "postmortem"
MAX_UID = 36  # h0001's columns (the contract allows 200; the desktop sends UUIDs)
FINAL = "final"

_served = (select(_pm.c.seq, change.c.payload)
           .select_from(_pm.join(change, change.c.seq == _pm.c.seq)))


class _Replayed(Exception):
    """A repeated Idempotency-Key: answer what it stored (and roll the write back)."""

    def __init__(self, stored: dict[str, Any]) -> None:
        super().__init__("replayed")
        self.stored = stored


def _may_write(who: Caller, state: str, current: Mapping[str, Any] | None) -> None:
    if (state == FINAL or (current is not None and current["state"] == FINAL)) \
            and not who.is_lead:
        raise Forbidden("Only a lead or an admin can make a post-mortem final or change a "
                        "final one; an analyst can edit drafts and send them for review.")


class HubPostmortems:
    """Every post-mortem the hub holds, and the feed's sequence over their writes."""

    def __init__(self, store: HubStore, now: Callable[[], float] = time.time) -> None:
        self.store = store
        self._now = now
        if store.dialect == "postgresql":
            self._size = func.octet_length(change.c.payload)
        else:
            self._size = func.length(cast(change.c.payload, LargeBinary))

    def __len__(self) -> int:
        with self.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(_pm))
                       .scalar_one())

    @property
    def max_seq(self) -> int:
        with self.store.read() as conn:
            return _newest(conn)

    def get(self, uid: str) -> dict[str, Any] | None:
        raw = self.encoded(uid)
        return None if raw is None else dict(decode(raw))

    def encoded(self, uid: str) -> bytes | None:
        with self.store.read() as conn:
            row = conn.execute(_served.where(_pm.c.uid == uid)).first()
        return None if row is None else str(row.payload).encode()

    def put(self, uid: str, body: Mapping[str, Any], if_match: int | str | None,
            key: str | None = None) -> tuple[dict[str, Any], bool, bool]:
        """Store `body` as post-mortem `uid`: `(stored copy, created, replayed)`.

        `if_match`: the version the writer edited, or None / "*" to create one. Raises
        InvalidPostmortem (422), Forbidden (403: the role rule), VersionMismatch (412),
        KeyReused (409)."""
        why = check_body(body)
        if why is None and (len(uid) > MAX_UID or len(str(body["incident"])) > MAX_UID):
            why = f"The hub keeps post-mortem and incident ids of at most {MAX_UID} characters."
        if why is None and "\x00" in uid + str(body["incident"]):
            why = "A post-mortem's and its incident's ids cannot hold the NUL character."
        if why is not None:
            raise InvalidPostmortem(why)
        digest = request_digest(uid, None if if_match is None else str(if_match), body)
        try:
            return self._write(uid, body, if_match, key, digest)
        except _Replayed as replay:
            return replay.stored, False, True

    def _write(self, uid: str, body: Mapping[str, Any], if_match: int | str | None,
               key: str | None, digest: str) -> tuple[dict[str, Any], bool, bool]:
        who = current.get()
        now = self._now()
        with self.store.write() as conn:
            # The feed's number first: its row lock makes this writer the only one until
            # commit, so the key, the version and the state below are the latest.
            seq = next_seq(conn)
            if key is not None:
                _check_key(conn, uid, key, digest)
            row = conn.execute(_served.where(_pm.c.uid == uid)).first()
            current_copy = None if row is None else dict(decode(row.payload))
            _may_write(who, str(body["state"]), current_copy)
            if current_copy is None:
                if if_match not in (None, "*"):
                    raise VersionMismatch(None)
                version = 1
            else:
                if if_match is None or if_match == "*" or \
                        int(if_match) != int(current_copy["version"]):
                    raise VersionMismatch(current_copy)
                if body["incident"] != current_copy["incident"]:
                    raise InvalidPostmortem(
                        f"This post-mortem belongs to incident "
                        f"{current_copy['incident'][:80]}; it cannot move to another one.")
                version = int(current_copy["version"]) + 1
            actions = [dict(a) for a in body["actions"]]
            stored = {"uid": uid, "incident": body["incident"], "title": body["title"],
                      "state": body["state"], "text": body["text"], "actions": actions,
                      "version": version, "seq": seq, "updated_at": iso(int(now)),
                      "updated_by": body.get("updated_by", "")}
            # The columns are for queries; the copy served keeps any NUL character
            # (PostgreSQL text cannot hold one, the feed's JSON text spells it escaped).
            values = {"incident": body["incident"],
                      "title": str(body["title"]).replace("\x00", ""),
                      "state": body["state"], "text": str(body["text"]).replace("\x00", ""),
                      "actions": encode(actions).decode(), "version": version,
                      "updated_at": utc_stamp(datetime.fromtimestamp(now, UTC)), "seq": seq}
            if current_copy is None:
                conn.execute(insert(_pm).values(uid=uid, **values))
            else:
                conn.execute(update(_pm).where(_pm.c.uid == uid)
                             .values(**values))
            detail: dict[str, Any] = {"incident": body["incident"], "state": body["state"],
                                      "version": version, "seq": seq}
            if key is not None:
                detail |= {"idempotency_key": key}
            audit.record(conn, who.analyst, KIND, uid, detail, desktop=who.desktop)
            append_change(conn, KIND, uid, encode(stored).decode(), version=version,
                          actor=who.analyst, desktop=who.desktop, seq=seq)
            if key is not None:
                conn.execute(insert(idempotency).values(
                    scope=f"{KIND}/{uid}", key=key,
                    answer=json.dumps({"request": digest, "seq": seq})))
        return stored, current_copy is None, False

    def page(self, after: int, limit: int = DEFAULT_LIMIT) -> PostmortemPage:
        """Up to `limit` post-mortems whose current copy's seq is after `after`, in seq
        order (a page also stops once it holds PAGE_BUDGET bytes). Raises AheadOfLog for
        `after` past the newest seq, ValueError for a negative `after` or a `limit`
        outside 1..MAX_LIMIT."""
        if after < 0:
            raise ValueError("after must not be negative")
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be 1..{MAX_LIMIT}")
        with self.store.read() as conn:
            end = _newest(conn)
            if after > end:
                raise AheadOfLog(f"after={after} is past this hub's newest post-mortem "
                                 f"change ({end}): its database was replaced; read again "
                                 "from 0")
            # Sizes first: a page of 2,000,000-character post-mortems is cut by its bytes.
            sizes = conn.execute(
                select(_pm.c.seq, self._size)
                .select_from(_pm.join(change, change.c.seq == _pm.c.seq))
                .where(_pm.c.seq > after).order_by(_pm.c.seq)
                .limit(limit + 1)).all()
            taken: list[int] = []
            size, more = 0, False
            for seq, length in sizes:
                if len(taken) >= limit or (taken and size >= PAGE_BUDGET):
                    more = True
                    break
                taken.append(int(seq))
                size += int(length)
            if not taken:
                return PostmortemPage([], after, False)
            rows = conn.execute(_served.where(_pm.c.seq.in_(taken))
                                .order_by(_pm.c.seq)).all()
        # A copy written again since the sizes were read moved past this page's end.
        # It comes at its new seq, after this page: more to read, unless nothing is left
        # of this page (a page with nothing must not say so; the next poll finds it).
        return PostmortemPage([str(r.payload).encode() for r in rows],
                              int(rows[-1].seq) if rows else after,
                              bool(rows) and (more or len(rows) < len(taken)))

    def tasks(self, owner: str | None = None, postmortem: str | None = None
              ) -> list[dict[str, Any]]:
        """The action items of every post-mortem as tasks, by due date, then post-mortem
        and key; only `owner`'s or `postmortem`'s when given."""
        query = select(_pm.c.uid, _pm.c.incident, _pm.c.actions)
        if postmortem is not None:
            query = query.where(_pm.c.uid == postmortem)
        with self.store.read() as conn:
            rows = conn.execute(query).all()
        out = [{"key": a["key"], "postmortem": uid, "incident": incident, "text": a["text"],
                "owner": a["owner"], "due": a["due"], "done": a["done"]}
               for uid, incident, actions in rows for a in json.loads(actions)
               if owner is None or a["owner"] == owner]
        return sorted(out, key=lambda t: (t["due"], t["postmortem"], t["key"]))


def _newest(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(_pm.c.seq), 0)))
               .scalar_one())


def _check_key(conn: Connection, uid: str, key: str, digest: str) -> None:
    """Raise _Replayed with what `key` stored for `uid` (the same request), KeyReused for
    another request under it; nothing for a key not used yet."""
    answer = conn.execute(select(idempotency.c.answer).where(
        idempotency.c.scope == f"{KIND}/{uid}", idempotency.c.key == key)
    ).scalar_one_or_none()
    if answer is None:
        return
    first = json.loads(answer)
    if first.get("request") != digest:
        raise KeyReused(f"The Idempotency-Key {key[:80]} was used already for another "
                        "write of this post-mortem.")
    payload = conn.execute(select(change.c.payload).where(
        change.c.seq == int(first["seq"]))).scalar_one()
    raise _Replayed(dict(decode(payload)))
