"""Escalations on the hub: the rr_api escalation routes' store, durable (docs/hub.md,
"The API").

`HubEscalations` offers what the reference service's in-memory store offers the routes
(rr_desktop/demo/state.py: `page`, `cursor`, `parse_cursor`, `encoded`, `patch`,
`add_fact`, `add_note`, `notes`, `replies`, `history`), with the same answers, so the
one route layer (demo/api.py) serves both. Every write is one transaction: the change,
its history row, the audit row (who and from which desktop: hub/caller.py) and, last,
its place in the changes feed. An escalation's `seq` is the feed seq of its latest
change, so the rr_api feed (`/v1/escalations?cursor=`) is a range scan on one index.

A desktop's change of an escalation that comes from a source (not LOCAL_SOURCE) goes to
that source first when the hub runs an intake (`forwarder`, hub/intake.py; docs/hub.md,
"Channel sync on the hub"): the hub applies what the source took (200), answers a conflict
with the source's record (412) and a refusal with its sentence (422), and applies a change
the source did not answer in time as pending (202), its op still queued.

Writes by analysts follow their role (docs/hub.md, "Roles"): an analyst may change an
escalation nobody holds or that they hold, and may take it or release it; giving it to
someone else, or changing one somebody else holds, is a lead's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy import text as sql_text

from ..demo.state import (
    CursorExpired,
    CursorMalformed,
    FeedPage,
    NotFound,
    VersionMismatch,
)
from ..demo.wire import iso
from . import audit, caller, feed
from .intake_outcome import PENDING_KEY, Forwarder
from .schema import change, escalation, escalation_note, escalation_op, idempotency, meta
from .store import HubStore, utc_stamp

LOCAL_SOURCE = "hub"  # escalations made on the hub itself (a pilot's demo data)
_STATUS_CONTEXT = ("status_reason", "duplicate_of")
_FROZEN = frozenset({"id", "version"})
NOTE_PREFIX = {"notes": "note", "replies": "reply"}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class HubEscalations:
    """The escalation routes' store on the hub's database."""

    def __init__(self, store: HubStore, forwarder: Forwarder | None = None) -> None:
        self.store = store
        self.forwarder = forwarder
        with store.read() as conn:
            self.instance = str(conn.execute(
                select(meta.c.value).where(meta.c.name == "instance")).scalar_one())

    # -- queries ---------------------------------------------------------------------------

    def now(self) -> float:
        return time.time()

    def __contains__(self, escalation_id: object) -> bool:
        if not isinstance(escalation_id, str):
            return False
        with self.store.read() as conn:
            return _row(conn, escalation_id) is not None

    def __len__(self) -> int:
        with self.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(escalation)).scalar_one())

    @property
    def max_seq(self) -> int:
        with self.store.read() as conn:
            return feed.head(conn)

    def get(self, escalation_id: str) -> dict[str, Any] | None:
        found = self.encoded(escalation_id)
        return None if found is None else json.loads(found[1])

    def encoded(self, escalation_id: str) -> tuple[int, bytes] | None:
        """`(version, JSON bytes)` as served, or None."""
        with self.store.read() as conn:
            row = _row(conn, escalation_id)
        return None if row is None else (int(row.version), row.fields.encode())

    def cursor(self, seq: int) -> str:
        return f"{self.instance}.{seq}"

    def parse_cursor(self, cursor: str | None) -> int:
        """The seq a cursor stands for (0 for none). A cursor of another hub database is
        CursorExpired (the desktop reads again from the start); one ahead of this
        database (restored from an older backup) is found by `page`, in its own read."""
        if not cursor:
            return 0
        prefix, dot, number = cursor.rpartition(".")
        if not dot or not number.isdigit() or len(number) > 18 or not prefix or \
                len(prefix) > 64:
            raise CursorMalformed("malformed cursor")
        if prefix != self.instance:
            raise CursorExpired("the cursor belongs to another hub database")
        return int(number)

    def page(self, after_seq: int, limit: int) -> FeedPage:
        """Up to `limit` escalations changed after `after_seq`, each once, at its latest
        change, in feed order. CursorExpired when `after_seq` is past every escalation's
        change (a cursor only ever names one of those, or 0)."""
        with self.store.read() as conn:
            rows = conn.execute(
                select(escalation.c.seq, escalation.c.fields)
                .where(escalation.c.seq > after_seq)
                .order_by(escalation.c.seq).limit(limit + 1)).all()
            if not rows and after_seq and after_seq > int(conn.execute(
                    select(func.coalesce(func.max(escalation.c.seq), 0))).scalar_one()):
                raise CursorExpired("the cursor is ahead of this hub")
        shown = rows[:limit]
        last = int(shown[-1].seq) if shown else after_seq
        return FeedPage([r.fields.encode() for r in shown], last, len(rows) > limit)

    def notes(self, escalation_id: str) -> list[dict[str, Any]]:
        return self._list(escalation_id, "notes")

    def replies(self, escalation_id: str) -> list[dict[str, Any]]:
        return self._list(escalation_id, "replies")

    def history(self, escalation_id: str) -> list[dict[str, Any]]:
        with self.store.read() as conn:
            if _row(conn, escalation_id) is None:
                raise NotFound(escalation_id)
            rows = conn.execute(select(escalation_op).where(
                escalation_op.c.escalation == escalation_id).order_by(escalation_op.c.id))
            return [{"seq": int(r.seq), "kind": r.kind, "detail": json.loads(r.detail)}
                    for r in rows]

    # -- writes ----------------------------------------------------------------------------

    def load(self, records: Iterable[Mapping[str, Any]], source: str = LOCAL_SOURCE,
             batch: int = 5000) -> int:
        """Add new escalations in bulk (a pilot's demo data, a benchmark's million), each
        with its change in the feed; how many. Ids already stored are refused."""
        count = 0
        chunk: list[Mapping[str, Any]] = []
        for record in records:
            chunk.append(record)
            if len(chunk) >= batch:
                count += self._load_chunk(chunk, source)
                chunk = []
        if chunk:
            count += self._load_chunk(chunk, source)
        return count

    def upsert_from_source(self, source: str, external_id: str, api_id: str,
                           record: Mapping[str, Any]) -> dict[str, Any] | None:
        """The source's state of one escalation, as the hub's channel sync read it: stored
        under `api_id` with a new version when anything changed; the stored record, or
        None when it was the same already (nothing in the feed then)."""
        who = caller.current.get()
        with self.store.write() as conn:
            row = conn.execute(select(escalation).where(
                escalation.c.source == source,
                escalation.c.external_id == external_id)).first()
            fields = {**dict(record), "id": api_id}
            if row is not None:
                old = json.loads(row.fields)
                if {k: v for k, v in old.items() if k != "version"} == \
                        {k: v for k, v in fields.items() if k != "version"}:
                    return None
                fields["version"] = _next_version(int(row.version))
            else:
                fields["version"] = _next_version(0)
            text = _dumps(fields)
            seq = feed.next_seq(conn)
            values = {"version": fields["version"], "fields": text, "seq": seq,
                      "updated_at": str(fields.get("updated_at") or iso(int(time.time())))}
            if row is None:
                conn.execute(insert(escalation).values(
                    source=source, external_id=external_id, api_id=api_id, **values))
            else:
                conn.execute(update(escalation).where(escalation.c.id == row.id)
                             .values(**values))
            _op(conn, api_id, seq, "source", {"source": source})
            feed.append_change(conn, "escalation", api_id, text, version=fields["version"],
                               actor=who.analyst, desktop=who.desktop, seq=seq)
            return fields

    def patch(self, escalation_id: str, base_version: int,
              fields: Mapping[str, Any]) -> dict[str, Any]:
        """A desktop's change if `base_version` is current (else VersionMismatch with the
        record now), within the caller's role (else caller.Forbidden)."""
        who = caller.current.get()
        if self._forwarded(escalation_id):
            from .escalation_forward import forward_patch
            return forward_patch(self, escalation_id, base_version, fields, who)
        with self.store.write() as conn:
            row = _row(conn, escalation_id, lock=True)
            if row is None:
                raise NotFound(escalation_id)
            current = json.loads(row.fields)
            fields = checked_patch(who, escalation_id, current, int(row.version),
                                   base_version, fields,
                                   lambda other: _row(conn, other) is not None)
            audit.record(conn, who.analyst, "escalation.patch", escalation_id,
                         {"fields": dict(fields), "base_version": base_version},
                         desktop=who.desktop)
            return _change(conn, row, current, fields, "patch", who)

    def add_fact(self, escalation_id: str, text: str, author: str,
                 idempotency_key: str | None = None) -> tuple[dict[str, Any], bool]:
        """Append an evolving fact (a change of the record); `(record, created)`."""
        who = caller.current.get()
        if self._forwarded(escalation_id):
            from .escalation_forward import forward_fact
            return forward_fact(self, escalation_id, text, author, idempotency_key, who)
        return self._store_fact(escalation_id, text, author, idempotency_key, who)

    def _store_fact(self, escalation_id: str, text: str, author: str,
                    idempotency_key: str | None, who: caller.Caller,
                    pending: bool = False) -> tuple[dict[str, Any], bool]:
        scope = f"{escalation_id}/facts"
        with self.store.write() as conn:
            row = _row(conn, escalation_id, lock=True)
            if row is None:
                raise NotFound(escalation_id)
            if idempotency_key and _replayed(conn, scope, idempotency_key) is not None:
                return json.loads(row.fields), False
            current = json.loads(row.fields)
            facts = [*current.get("facts", []),
                     {"at": iso(int(time.time())), "text": text, "author": author}]
            audit.record(conn, who.analyst, "escalation.fact", escalation_id,
                         {"author": author, "chars": len(text)}, desktop=who.desktop)
            change = {"facts": facts, PENDING_KEY: True} if pending else {"facts": facts}
            record = _change(conn, row, current, change, "fact", who)
            if idempotency_key:  # after the feed append: one small insert, same commit
                _remember(conn, scope, idempotency_key, {"version": record["version"]})
            return record, True

    def add_note(self, escalation_id: str, kind: str, text: str, author: str,
                 idempotency_key: str | None = None) -> tuple[dict[str, Any], bool]:
        """Post a note or reply; `(note, created)`. A repeated key answers the first note
        and stores nothing."""
        who = caller.current.get()
        if self._forwarded(escalation_id):
            from .escalation_forward import forward_note
            return forward_note(self, escalation_id, kind, text, author, idempotency_key, who)
        return self._store_note(escalation_id, kind, text, author, idempotency_key, who)

    def _store_note(self, escalation_id: str, kind: str, text: str, author: str,
                    idempotency_key: str | None, who: caller.Caller
                    ) -> tuple[dict[str, Any], bool]:
        prefix = NOTE_PREFIX[kind]
        scope = f"{escalation_id}/{kind}"
        with self.store.write() as conn:
            if _row(conn, escalation_id, lock=True) is None:
                raise NotFound(escalation_id)
            if idempotency_key:
                first = _replayed(conn, scope, idempotency_key)
                if first is not None:
                    return first, False
            number = conn.execute(insert(escalation_note).values(
                escalation=escalation_id, kind=kind, body="{}")
                .returning(escalation_note.c.id)).scalar_one()
            note = {"id": f"{prefix}-{number}", "escalation_id": escalation_id,
                    "text": text, "author": author, "created_at": iso(int(time.time()))}
            conn.execute(update(escalation_note).where(escalation_note.c.id == number)
                         .values(body=_dumps(note)))
            if idempotency_key:
                _remember(conn, scope, idempotency_key, note)
            audit.record(conn, who.analyst, f"escalation.{prefix}", escalation_id,
                         {"id": note["id"], "author": author}, desktop=who.desktop)
            seq = feed.next_seq(conn)
            _op(conn, escalation_id, seq, prefix, {"id": note["id"]})
            feed.append_change(conn, prefix, f"{escalation_id}/{note['id']}", note,
                               actor=who.analyst, desktop=who.desktop, seq=seq)
            return note, True

    # -- forwarding to the source (docs/hub.md, "Channel sync on the hub") -----------------

    def _forwarded(self, escalation_id: str) -> bool:
        """Whether a change of this escalation goes to its source first."""
        if self.forwarder is None:
            return False
        with self.store.read() as conn:
            row = _row(conn, escalation_id)
        return row is not None and row.source != LOCAL_SOURCE

    # -- internals -------------------------------------------------------------------------

    def _list(self, escalation_id: str, kind: str) -> list[dict[str, Any]]:
        with self.store.read() as conn:
            rows = conn.execute(select(escalation_note.c.body).where(
                escalation_note.c.escalation == escalation_id,
                escalation_note.c.kind == kind).order_by(escalation_note.c.id))
            return [json.loads(r.body) for r in rows]

    def _load_chunk(self, records: list[Mapping[str, Any]], source: str) -> int:
        who = caller.current.get()
        now = time.time()
        stamp = utc_stamp()
        with self.store.write() as conn:
            rows, changes = [], []
            top = feed.next_seq(conn, len(records))
            for seq, record in enumerate(records, start=top - len(records) + 1):
                fields = dict(record)
                fields["version"] = max(int(fields.get("version") or 1), int(now * 1000))
                fields.setdefault("created_at", iso(int(now)))
                fields.setdefault("updated_at", fields["created_at"])
                text = _dumps(fields)
                rows.append({"source": source, "external_id": str(fields["id"]),
                             "api_id": str(fields["id"]), "version": fields["version"],
                             "updated_at": str(fields["updated_at"]), "fields": text,
                             "seq": seq})
                changes.append({"seq": seq, "kind": "escalation", "key": str(fields["id"]),
                                "version": fields["version"], "at": stamp,
                                "actor": who.analyst, "desktop": who.desktop,
                                "payload": text})
            ops = [{"escalation": r["api_id"], "seq": r["seq"], "kind": "add",
                    "detail": "{}"} for r in rows]
            for table, values in ((escalation, rows), (escalation_op, ops),
                                  (change, changes)):
                if self.store.dialect == "postgresql":
                    _copy(conn, table.name, values)
                else:
                    conn.execute(insert(table), values)
        return len(rows)


def _copy(conn: Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """Rows into a PostgreSQL table by COPY, in the connection's transaction: a bulk
    load's rows without SQLAlchemy rendering multi-row INSERTs (docs/hub.md, "Load")."""
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _row(conn: Connection, escalation_id: str, lock: bool = False) -> Any:
    """The escalation's row; `lock` holds it to the end of a PostgreSQL write transaction,
    so two desktops' writes to one escalation run one after the other (SQLite's writers
    are one at a time anyway)."""
    query = select(escalation).where(escalation.c.api_id == escalation_id)
    return conn.execute(query.with_for_update() if lock else query).first()


def _change(conn: Connection, row: Any, current: Mapping[str, Any],
            fields: Mapping[str, Any], kind: str, who: caller.Caller) -> dict[str, Any]:
    """Apply `fields` to the escalation: a new version, its history row and, last, its
    change in the feed; the record as now served."""
    frozen = _FROZEN & set(fields)
    if frozen:
        raise ValueError(f"cannot change {sorted(frozen)}")
    record = {**current, **json.loads(_dumps(dict(fields)))}
    record["version"] = _next_version(int(row.version))
    if "updated_at" not in fields:
        record["updated_at"] = iso(int(time.time()))
    text = _dumps(record)
    if conn.dialect.name == "postgresql":
        _store_in_one_statement(conn, row, record, text, kind, fields, who)
        return record
    seq = feed.next_seq(conn)
    conn.execute(update(escalation).where(escalation.c.id == row.id).values(
        version=record["version"], fields=text, seq=seq,
        updated_at=str(record["updated_at"])))
    _op(conn, row.api_id, seq, kind, fields)
    feed.append_change(conn, "escalation", row.api_id, text, version=record["version"],
                       actor=who.analyst, desktop=who.desktop, seq=seq)
    return record


# On PostgreSQL the feed number, the row, its history and its feed change are one
# statement: the counter row's lock (which orders commits, docs/hub.md "The changes
# feed") is then held for that statement and the commit only, not for four round trips
# (docs/hub.md, "Load"). pg_notify as in feed.append_change: delivered at commit.
_ONE_STATEMENT = sql_text(f"""
WITH s AS (UPDATE hub_counter SET value = value + 1 WHERE name = 'feed' RETURNING value),
e AS (UPDATE hub_escalation SET version = :version, fields = :fields,
      updated_at = :updated_at, seq = (SELECT value FROM s) WHERE id = :id),
o AS (INSERT INTO hub_escalation_op (escalation, seq, kind, detail)
      SELECT :api_id, value, :kind, :detail FROM s),
c AS (INSERT INTO hub_change (seq, kind, key, version, at, actor, desktop, payload)
      SELECT value, 'escalation', :api_id, :version, :at, :actor, :desktop, :fields FROM s)
SELECT value, pg_notify('{feed.NOTIFY_CHANNEL}', value::text) FROM s
""")


def _store_in_one_statement(conn: Connection, row: Any, record: Mapping[str, Any],
                            fields_text: str, kind: str, fields: Mapping[str, Any],
                            who: caller.Caller) -> int:
    seq = conn.execute(_ONE_STATEMENT, {
        "version": record["version"], "fields": fields_text,
        "updated_at": str(record["updated_at"]), "id": row.id, "api_id": row.api_id,
        "kind": kind, "detail": _dumps(dict(fields)), "at": utc_stamp(),
        "actor": who.analyst, "desktop": who.desktop}).scalar_one()
    conn.info[feed.APPENDED] = True  # the waker's own-commit hook (waker.py)
    return int(seq)


def _next_version(previous: int) -> int:
    """Versions only grow, and a change after a restore is newer than anything a desktop
    cached before it (as on the reference service)."""
    return max(previous + 1, int(time.time() * 1000))


def _op(conn: Connection, escalation_id: str, seq: int, kind: str,
        detail: Mapping[str, Any]) -> None:
    conn.execute(insert(escalation_op).values(
        escalation=escalation_id, seq=seq, kind=kind, detail=_dumps(dict(detail))))


def _replayed(conn: Connection, scope: str, key: str) -> dict[str, Any] | None:
    answer = conn.execute(select(idempotency.c.answer).where(
        idempotency.c.scope == scope, idempotency.c.key == key)).scalar_one_or_none()
    return None if answer is None else dict(json.loads(answer))


def _remember(conn: Connection, scope: str, key: str, answer: Mapping[str, Any]) -> None:
    conn.execute(insert(idempotency).values(scope=scope, key=key, answer=_dumps(dict(answer))))


def checked_patch(who: caller.Caller, escalation_id: str, current: dict[str, Any],
                  version: int, base_version: int, fields: Mapping[str, Any],
                  exists: Callable[[str], bool]) -> Mapping[str, Any]:
    """A desktop's PATCH as it will be applied: refused when `base_version` is not the
    record's (VersionMismatch with the record now), outside the caller's role
    (caller.Forbidden) or naming a duplicate that is not there (NotFound); a status
    change carries its own reason, or none."""
    if version != base_version:
        raise VersionMismatch(current)
    _check_role(who, escalation_id, current, fields)
    duplicate_of = fields.get("duplicate_of")
    if duplicate_of is not None and (duplicate_of == escalation_id
                                     or not exists(str(duplicate_of))):
        raise NotFound(str(duplicate_of))
    if "status" in fields:
        return {**{k: None for k in _STATUS_CONTEXT}, **fields}
    return fields


def _check_role(who: caller.Caller, escalation_id: str, current: Mapping[str, Any],
                fields: Mapping[str, Any]) -> None:
    """An analyst's own work: what nobody holds or they hold; taking or releasing it."""
    if who.is_lead:
        return
    holder = current.get("assignee")
    if holder not in (None, "", who.analyst):
        raise caller.Forbidden(f"{escalation_id} is held by {holder}: only a lead can change "
                               "an escalation somebody else holds.")
    if "assignee" in fields and fields["assignee"] not in (None, who.analyst):
        raise caller.Forbidden(f"Giving {escalation_id} to {fields['assignee']} is a lead's "
                               "call: an analyst can take an escalation or release their own.")
