"""The reference service's incident routes (docs/incidents.md, openapi.yaml): the shared
event log and the incidents folded from it. ``EscalationApi`` hands these paths here
after checking the bearer token.

- ``POST /v1/incident-events`` with ``Idempotency-Key: <the event's uid>``: 201 with the
  stored event, 200 with it again for a retry (same uid, same body; header
  ``Idempotent-Replayed: true``), 409 for the uid reused with another body, 422 for an
  event the log refuses;
- ``GET /v1/incident-events?after=<seq>&limit=<n>``: a page of the log (410 when
  ``after`` is past its end: the service restarted and lost its memory);
- ``GET /v1/incidents`` and ``GET /v1/incidents/{uid}``: folded incidents.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import msgspec

from .incident_log import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    AheadOfLog,
    IncidentLog,
    InvalidEvent,
    KeyReused,
)
from .response import Response, error, feed_params, not_allowed
from .wire import decode, encode

EVENTS_PATH = "/v1/incident-events"
INCIDENTS_PATH = "/v1/incidents"
_ONE = re.compile(r"/v1/incidents/([^/]+)\Z")


def is_incident_path(path: str) -> bool:
    return path in (EVENTS_PATH, INCIDENTS_PATH) or _ONE.match(path) is not None


class IncidentRoutes:
    """Answers the incident paths from one log."""

    def __init__(self, log: IncidentLog) -> None:
        self.log = log

    def handle(self, method: str, path: str, query: str, key: str | None,
               body: bytes) -> Response:
        """One answer (errors included); ``key`` is the Idempotency-Key header."""
        if path == EVENTS_PATH:
            if method == "POST":
                return self._post(key, body)
            if method == "GET":
                return self._page(query)
            return not_allowed("GET, POST")
        if method != "GET":
            return not_allowed("GET")
        if path == INCIDENTS_PATH:
            return Response(200, encode({"items": self.log.incidents()}))
        match = _ONE.match(path)
        uid = unquote(match.group(1)) if match else ""
        found = self.log.incident(uid)
        if found is None:
            return error(404, "not_found", f"no incident {uid[:80]}")
        return Response(200, encode(found))

    def _post(self, key: str | None, body: bytes) -> Response:
        if not key:
            return error(400, "bad_request", "send Idempotency-Key: the event's uid")
        try:
            event = decode(body)
        except msgspec.DecodeError:
            return error(400, "bad_request", "the body is not valid JSON")
        if not isinstance(event, dict):
            return error(422, "invalid", "An incident event must be a JSON object.")
        if event.get("uid") != key:
            return error(422, "invalid", "The Idempotency-Key must be the event's uid.")
        try:
            stored, created = self.log.append(event)
        except KeyReused as exc:
            return error(409, "idempotency_key_reused", str(exc))
        except InvalidEvent as exc:
            return error(422, "invalid", str(exc))
        if created:
            return Response(201, encode(stored))
        return Response(200, encode(stored), {"Idempotent-Replayed": "true"})

    def _page(self, query: str) -> Response:
        wanted = feed_params(query, DEFAULT_LIMIT, MAX_LIMIT)
        if isinstance(wanted, Response):
            return wanted
        try:
            page = self.log.page(*wanted)
        except AheadOfLog as exc:
            return error(410, "cursor_expired", str(exc))
        return Response(200, b"".join((
            b'{"events":[', b",".join(page.events), b'],"next":', str(page.next).encode(),
            b',"has_more":', b"true" if page.has_more else b"false", b"}")))
