"""The incident event log of the platform's service, as this channel speaks it
(docs/incidents.md; rr_desktop/demo/openapi.yaml, paths /v1/incident-events).

Push: `POST /v1/incident-events` with one event (no `seq`) and `Idempotency-Key: <uid>`;
201 stored, 200 a replay of the same event (success too), 409 the uid reused with another
body and 422 a refused event (both `Rejected` with the service's sentence). A lost answer
is safe to retry: the key makes the service answer the stored event instead of appending
it again.

Pull: `GET /v1/incident-events?after=<seq>&limit=<n>` -> `{"events", "next", "has_more"}`.
A page that is not that shape, or holds an event without a uid or a seq (it could not
be kept or skipped safely), is a `MalformedPage`; an event that has both but is otherwise
malformed is left out, named with its reason in `IncidentPage.malformed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from ...domain.incident_events import validate_event
from ..contract import IncidentPage, Rejected, ServerError
from ..transport import Transport
from .records import as_text
from .seq_pages import DECODE_ERRORS, Feed, decode, is_seq, missing_feed, read_page

EVENTS_PATH = "/v1/incident-events"
MAX_LIMIT = 500  # the service's documented maximum page size
_REFUSALS = (400, 404, 409, 422)


def service_message(resp: requests.Response) -> str:
    """The service's sentence from its error answer (or the start of whatever came)."""
    try:
        data = decode(resp.content)
    except DECODE_ERRORS:
        data = None
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])[:500]
    return as_text(resp.content)[:200].strip() or f"HTTP {resp.status_code}"


def push_event(http: Transport, event: Mapping[str, Any]) -> dict[str, Any]:
    """Append `event`; the stored event with its seq (see the module docstring)."""
    body = {k: v for k, v in event.items() if k != "seq"}
    uid = body.get("uid")
    if not isinstance(uid, str) or not uid:
        raise Rejected(f"{http.name}: an incident event needs a uid to be sent")
    resp = http.call("POST", EVENTS_PATH, write=True, ok=_REFUSALS, json=body,
                     headers={"Idempotency-Key": uid})
    if resp.status_code == 404:
        raise missing_feed(http, FEED)
    if resp.status_code in _REFUSALS:
        raise Rejected(f"{http.name}: the service refused the incident event: "
                       f"{service_message(resp)}")
    try:
        stored = decode(resp.content)
    except DECODE_ERRORS as exc:
        raise ServerError(f"{http.name}: the service's answer to an incident event is not "
                          f"JSON ({exc}); it may have been stored, and is sent again") from exc
    if not isinstance(stored, dict) or stored.get("uid") != uid or \
            not is_seq(stored.get("seq")):
        raise ServerError(f"{http.name}: the service's answer to an incident event is not "
                          "the stored event; it may have been stored, and is sent again")
    return stored


def pull_events(http: Transport, after: int, limit: int) -> IncidentPage:
    """The events after `after` (at most `limit`, capped at the service's maximum)."""
    return IncidentPage(*read_page(http, FEED, after, limit))


FEED = Feed(EVENTS_PATH, "events", "incident event", "incidents", MAX_LIMIT, validate_event)
