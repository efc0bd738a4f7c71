"""The reference service's incident event log (docs/incidents.md): one shared order.

Events arrive one at a time, are checked, numbered (``seq`` 1, 2, 3, ... in arrival order,
no gaps) and never change. A repeated ``uid`` with the same body answers the stored event
(a retry after a lost answer); with another body it is refused. Pages are slices of the
log after a ``seq``. Incidents are folded from their events on demand by the same
``fold`` the desktop runs, and the result is kept until the incident's next event.
Thread-safe: the HTTP server answers from many threads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..domain.incident import fold
from ..domain.incident_events import validate_event
from .wire import decode, encode

DEFAULT_LIMIT = 200
MAX_LIMIT = 500


class InvalidEvent(ValueError):
    """The event breaks the contract (HTTP 422); ``str()`` is one sentence."""


class KeyReused(ValueError):
    """The uid is stored already with a different body (HTTP 409)."""


class AheadOfLog(ValueError):
    """A position past the log's end: the service restarted and lost what came after."""


@dataclass(frozen=True, slots=True)
class EventPage:
    """Events after a position: ``events`` as encoded JSON, ``next`` the seq of the last
    one (the position asked for when there are none), ``has_more`` when more follow."""

    events: list[bytes]
    next: int
    has_more: bool


def canonical(event: Mapping[str, Any]) -> str:
    """The event's content in one spelling (key order and spacing do not matter; true and
    1 differ), to tell a retry from a different event under the same uid."""
    return json.dumps({k: v for k, v in event.items() if k != "seq"}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)


class IncidentLog:
    """Every incident event the service accepted, in ``seq`` order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[bytes] = []  # index seq - 1
        self._by_uid: dict[str, tuple[int, str]] = {}  # uid -> (seq, canonical body)
        self._by_incident: dict[str, list[int]] = {}  # incident -> its seqs
        self._folded: dict[str, tuple[int, dict[str, Any], dict[str, Any]]] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)

    @property
    def max_seq(self) -> int:
        with self._lock:
            return len(self._events)

    def append(self, event: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """Store a new event: ``(stored event with seq, True)``; for a uid stored already
        with the same body ``(stored event, False)``. Raises KeyReused for a uid stored
        with another body, InvalidEvent for a malformed event, an event with a ``seq``,
        an incident declared twice or an event of an incident never declared."""
        if not isinstance(event, Mapping):
            raise InvalidEvent("An incident event must be a JSON object.")
        body = canonical(event)
        with self._lock:
            known = self._by_uid.get(str(event.get("uid")))
            if known is not None:
                seq, stored_body = known
                if stored_body != body:
                    raise KeyReused(f"The event {str(event.get('uid'))[:80]} is stored "
                                    "already with a different body.")
                return decode(self._events[seq - 1]), False
            if "seq" in event:
                raise InvalidEvent("The seq is given by the service: send the event "
                                   "without it.")
            why = validate_event(event)
            if why is not None:
                raise InvalidEvent(why)
            incident = str(event["incident"])
            declared = incident in self._by_incident
            if event["kind"] == "declare" and declared:
                raise InvalidEvent(f"The incident {incident[:80]} was declared already.")
            if event["kind"] != "declare" and not declared:
                raise InvalidEvent(f"No incident {incident[:80]} was declared: its declare "
                                   "event comes first.")
            seq = len(self._events) + 1
            stored = {**decode(encode(dict(event))), "seq": seq}
            self._events.append(encode(stored))
            self._by_uid[str(event["uid"])] = (seq, body)
            self._by_incident.setdefault(incident, []).append(seq)
            return stored, True

    def page(self, after: int, limit: int = DEFAULT_LIMIT) -> EventPage:
        """Up to ``limit`` events with ``seq > after``, in seq order. Raises AheadOfLog
        when ``after`` is past the newest seq, ValueError for a negative ``after`` or a
        ``limit`` outside 1..MAX_LIMIT."""
        if after < 0:
            raise ValueError("after must not be negative")
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be 1..{MAX_LIMIT}")
        with self._lock:
            end = len(self._events)
            if after > end:
                raise AheadOfLog(f"after={after} is past this service's newest event "
                                 f"({end}): it restarted; read again from 0")
            events = self._events[after:after + limit]
            last = after + len(events)
            return EventPage(events, last, last < end)

    def events_of(self, incident: str) -> list[dict[str, Any]] | None:
        """The incident's events in seq order, or None for an incident never declared."""
        with self._lock:
            seqs = self._by_incident.get(incident)
            if seqs is None:
                return None
            return [decode(self._events[s - 1]) for s in seqs]

    def incidents(self) -> list[dict[str, Any]]:
        """Every incident's summary, the most recently declared first."""
        with self._lock:
            uids = list(self._by_incident)
        return [self._fold(uid)[0] for uid in reversed(uids)]

    def incident(self, incident: str) -> dict[str, Any] | None:
        """One incident folded whole, or None for one never declared."""
        with self._lock:
            if incident not in self._by_incident:
                return None
        return self._fold(incident)[1]

    def _fold(self, incident: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(summary, whole)`` of the incident, folded again only after a new event."""
        with self._lock:
            count = len(self._by_incident[incident])
            cached = self._folded.get(incident)
            if cached is not None and cached[0] == count:
                return cached[1], cached[2]
            events = [decode(self._events[s - 1]) for s in self._by_incident[incident]]
        state = fold(events, incident)
        summary, whole = state.summary_json(), state.to_json()
        with self._lock:
            self._folded[incident] = (count, summary, whole)
        return summary, whole
