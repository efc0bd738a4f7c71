"""The hub's incident event log (docs/hub-records.md): the reference service's
`IncidentLog` (rr_desktop/demo/incident_log.py) on the hub's database, with the same
interface, exceptions and rules, so the same routes serve it.

An event's `seq` is the feed seq of its append: increasing in commit order, with gaps
where other records changed in between (the desktop's pull only needs each page's seqs
to increase). Events are checked by `validate_event`, never change, and a repeated uid
with the same body answers the stored event. Each append is one transaction: the event
row, its audit entry and its change in the feed, the change last.

The event is served as the exact JSON the feed's change of its append holds (`hub_change`
at the event's seq: the record as served, every key its writer sent); the row's columns
are what queries need (incident, kind, seq, the time normalised for sorting).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, func, insert, select

from ..demo.incident_log import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    AheadOfLog,
    EventPage,
    InvalidEvent,
    KeyReused,
    canonical,
)
from ..demo.wire import decode, encode
from ..domain.incident import fold
from ..domain.incident_events import parse_time, validate_event
from . import audit
from .caller import current
from .feed import append_change, next_seq
from .schema import change, incident_event
from .store import HubStore, utc_stamp

KIND = "incident_event"
IN_CHUNK = 500  # incidents read per query when refolding many
# What h0001's columns hold (the contract allows 200 characters; the desktop sends UUIDs).
MAX_UID = 36
MAX_ACTOR = 64

_served = (select(incident_event.c.seq, change.c.payload)
           .select_from(incident_event.join(change, change.c.seq == incident_event.c.seq)))


class _Stored(Exception):
    """The uid was stored by another writer while this one waited for the feed lock."""

    def __init__(self, stored: dict[str, Any]) -> None:
        super().__init__("stored already")
        self.stored = stored


def _unfit(event: Mapping[str, Any]) -> str | None:
    """A sentence when a value does not fit the hub's columns (validate_event passed)."""
    for key, limit in (("uid", MAX_UID), ("incident", MAX_UID), ("base", MAX_UID),
                       ("actor", MAX_ACTOR)):
        value = event.get(key)
        if isinstance(value, str) and len(value) > limit:
            return f"The hub keeps an event's {key} of at most {limit} characters."
    return None


def _nul(event: Mapping[str, Any]) -> str | None:
    """PostgreSQL text holds no NUL character: an id with one can be neither kept nor
    looked up (inside `data` it is fine: the JSON text spells it as an escape)."""
    for key in ("uid", "incident", "base", "actor", "kind", "at"):
        value = event.get(key)
        if isinstance(value, str) and "\x00" in value:
            return f"An incident event's {key} cannot hold the NUL character."
    return None


def _replay(stored: dict[str, Any], body: str) -> tuple[dict[str, Any], bool]:
    if canonical(stored) != body:
        raise KeyReused(f"The event {str(stored['uid'])[:80]} is stored already with a "
                        "different body.")
    return stored, False


class HubIncidentLog:
    """Every incident event the hub accepted, in `seq` order (two hub processes may share
    the database: everything is read from it; only folded incidents are cached, each
    keyed by the newest seq of its events)."""

    def __init__(self, store: HubStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._folded: dict[str, tuple[int, dict[str, Any], dict[str, Any]]] = {}

    def __len__(self) -> int:
        with self.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(incident_event))
                       .scalar_one())

    @property
    def max_seq(self) -> int:
        with self.store.read() as conn:
            return _newest(conn)

    def append(self, event: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """Store a new event: `(stored event with seq, True)`; for a uid stored already
        with the same body `(stored event, False)`. Raises KeyReused for a uid stored
        with another body, InvalidEvent for a malformed event, an event with a `seq`,
        an incident declared twice or an event of an incident never declared."""
        if not isinstance(event, Mapping):
            raise InvalidEvent("An incident event must be a JSON object.")
        body = canonical(event)
        if (nul := _nul(event)) is not None:
            raise InvalidEvent(nul)
        uid = str(event.get("uid"))
        with self.store.read() as conn:  # a retry is answered without the feed lock
            known = _stored(conn, uid)
        if known is not None:
            return _replay(known, body)
        if "seq" in event:
            raise InvalidEvent("The seq is given by the service: send the event without it.")
        why = validate_event(event) or _unfit(event)
        if why is not None:
            raise InvalidEvent(why)
        try:
            return self._insert(event), True
        except _Stored as raced:
            return _replay(raced.stored, body)

    def _insert(self, event: Mapping[str, Any]) -> dict[str, Any]:
        who = current.get()
        incident = str(event["incident"])
        with self.store.write() as conn:
            # The feed's number first: its row lock makes this writer the only one until
            # commit, so the checks below see every event committed before it.
            seq = next_seq(conn)
            known = _stored(conn, str(event["uid"]))
            if known is not None:
                raise _Stored(known)  # rolls back: the number is given back
            declared = conn.execute(select(incident_event.c.seq).where(
                incident_event.c.incident == incident).limit(1)).first() is not None
            if event["kind"] == "declare" and declared:
                raise InvalidEvent(f"The incident {incident[:80]} was declared already.")
            if event["kind"] != "declare" and not declared:
                raise InvalidEvent(f"No incident {incident[:80]} was declared: its declare "
                                   "event comes first.")
            stored = {**decode(encode(dict(event))), "seq": seq}
            at = parse_time(str(event["at"]))
            assert at is not None  # validate_event checked it
            conn.execute(insert(incident_event).values(
                uid=stored["uid"], incident=incident, kind=stored["kind"],
                actor=stored["actor"], at=utc_stamp(at), base=stored.get("base"),
                data=encode(stored["data"]).decode(), seq=seq))
            audit.record(conn, who.analyst, KIND, stored["uid"],
                         {"incident": incident, "kind": stored["kind"], "seq": seq},
                         desktop=who.desktop)
            append_change(conn, KIND, stored["uid"], encode(stored).decode(),
                          actor=who.analyst, desktop=who.desktop, seq=seq)
        return stored

    def page(self, after: int, limit: int = DEFAULT_LIMIT) -> EventPage:
        """Up to `limit` events with `seq > after`, in seq order. Raises AheadOfLog when
        `after` is past the newest event's seq (the database was replaced or restored),
        ValueError for a negative `after` or a `limit` outside 1..MAX_LIMIT."""
        if after < 0:
            raise ValueError("after must not be negative")
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be 1..{MAX_LIMIT}")
        with self.store.read() as conn:
            end = _newest(conn)
            if after > end:
                raise AheadOfLog(f"after={after} is past this hub's newest event ({end}): "
                                 "its database was replaced; read again from 0")
            rows = conn.execute(_served.where(incident_event.c.seq > after)
                                .order_by(incident_event.c.seq).limit(limit + 1)).all()
        shown = rows[:limit]
        return EventPage([r.payload.encode() for r in shown],
                         int(shown[-1].seq) if shown else after, len(rows) > limit)

    def events_of(self, incident: str) -> list[dict[str, Any]] | None:
        """The incident's events in seq order, or None for an incident never declared."""
        with self.store.read() as conn:
            events = _events(conn, [incident]).get(incident)
        return events

    def incidents(self) -> list[dict[str, Any]]:
        """Every incident's summary, the most recently declared first."""
        with self.store.read() as conn:
            newest = conn.execute(
                select(incident_event.c.incident, func.max(incident_event.c.seq))
                .group_by(incident_event.c.incident)
                .order_by(func.min(incident_event.c.seq).desc())).all()
            heads = [(str(uid), int(seq)) for uid, seq in newest]
            stale = [uid for uid, seq in heads if not self._cached(uid, seq)]
            events = _events(conn, stale) if stale else {}
        return [self._fold(uid, seq, events.get(uid))[0] for uid, seq in heads]

    def incident(self, incident: str) -> dict[str, Any] | None:
        """One incident folded whole, or None for one never declared."""
        with self.store.read() as conn:
            seq = conn.execute(select(func.max(incident_event.c.seq)).where(
                incident_event.c.incident == incident)).scalar_one()
            if seq is None:
                return None
            events = None if self._cached(incident, int(seq)) else \
                _events(conn, [incident]).get(incident)
        return self._fold(incident, int(seq), events)[1]

    def _cached(self, incident: str, newest: int) -> bool:
        # Seqs become visible in order (docs/hub.md), so an incident whose newest event
        # is still `newest` has exactly the events it was folded from.
        with self._lock:
            cached = self._folded.get(incident)
        return cached is not None and cached[0] == newest

    def _fold(self, incident: str, newest: int, events: list[dict[str, Any]] | None
              ) -> tuple[dict[str, Any], dict[str, Any]]:
        """`(summary, whole)`: folded from `events`, or the cached fold when not given."""
        if events is None:
            with self._lock:
                cached = self._folded[incident]
            return cached[1], cached[2]
        state = fold(events, incident)
        summary, whole = state.summary_json(), state.to_json()
        with self._lock:
            self._folded[incident] = (newest, summary, whole)
        return summary, whole


def _newest(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(incident_event.c.seq), 0)))
               .scalar_one())


def _stored(conn: Connection, uid: str) -> dict[str, Any] | None:
    row = conn.execute(_served.where(incident_event.c.uid == uid)).first()
    return None if row is None else dict(decode(row.payload))


def _events(conn: Connection, incidents: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """The events of each incident that has any, in seq order."""
    wanted = list(incidents)
    out: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start:start + IN_CHUNK]
        rows = conn.execute(_served.add_columns(incident_event.c.incident)
                            .where(incident_event.c.incident.in_(chunk))
                            .order_by(incident_event.c.seq))
        for row in rows:
            out.setdefault(str(row.incident), []).append(decode(row.payload))
    return out
