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

import msgspec
import requests

from ...domain import Quarantined
from ...domain.incident_events import validate_event
from ..contract import IncidentPage, MalformedPage, Rejected, ServerError
from ..transport import Transport
from .records import as_text

EVENTS_PATH = "/v1/incident-events"
MAX_LIMIT = 500  # the service's documented maximum page size
_REFUSALS = (400, 404, 409, 422)
_decoder = msgspec.json.Decoder()
_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, RecursionError)


def service_message(resp: requests.Response) -> str:
    """The service's sentence from its error answer (or the start of whatever came)."""
    try:
        data = _decoder.decode(resp.content)
    except _ERRORS:
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
        raise _no_incidents(http)
    if resp.status_code in _REFUSALS:
        raise Rejected(f"{http.name}: the service refused the incident event: "
                       f"{service_message(resp)}")
    try:
        stored = _decoder.decode(resp.content)
    except _ERRORS as exc:
        raise ServerError(f"{http.name}: the service's answer to an incident event is not "
                          f"JSON ({exc}); it may have been stored, and is sent again") from exc
    if not isinstance(stored, dict) or stored.get("uid") != uid or \
            not _is_seq(stored.get("seq")):
        raise ServerError(f"{http.name}: the service's answer to an incident event is not "
                          "the stored event; it may have been stored, and is sent again")
    return stored


def pull_events(http: Transport, after: int, limit: int) -> IncidentPage:
    """The events after `after` (at most `limit`, capped at the service's maximum)."""
    if after < 0:
        raise ValueError("after must not be negative")
    limit = max(1, min(limit, MAX_LIMIT))
    resp = http.call("GET", EVENTS_PATH, ok=(404,), params={"after": after, "limit": limit})
    if resp.status_code == 404:
        raise _no_incidents(http)

    def malformed(why: str) -> MalformedPage:
        return MalformedPage(f"{http.name}: the service sent a malformed incident event "
                             f"page ({why})",
                             Quarantined.of(None, f"malformed incident page: {why}",
                                            as_text(resp.content)))

    try:
        data = _decoder.decode(resp.content)
    except _ERRORS as exc:
        raise malformed(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise malformed("not a JSON object")
    raws, after_next, has_more = data.get("events"), data.get("next"), data.get("has_more")
    if not isinstance(raws, list):
        raise malformed("events is not a list")
    if not isinstance(after_next, int) or not _is_seq(after_next) or \
            not isinstance(has_more, bool):
        raise malformed("next must be a seq and has_more true or false")
    if has_more and not raws:
        raise malformed("has_more with no events would never end")
    events: list[dict[str, Any]] = []
    bad: list[str] = []
    last = after
    for i, raw in enumerate(raws):
        uid = raw.get("uid") if isinstance(raw, dict) else None
        seq = raw.get("seq") if isinstance(raw, dict) else None
        if not isinstance(uid, str) or not uid or not _is_seq(seq):
            raise malformed(f"event {i} has no uid or no seq")
        assert isinstance(raw, dict) and isinstance(seq, int)
        if seq <= last:
            raise malformed(f"event {i} has seq {seq}, not after {last}")
        last = seq
        why = validate_event(raw)
        if why is None:
            events.append(raw)
        else:
            bad.append(f"incident event {uid[:80]} (seq {seq}): {why}")
    if after_next < last:
        raise malformed(f"next is {after_next}, before the last event's seq {last}")
    return IncidentPage(events, after_next, has_more, bad)


def _no_incidents(http: Transport) -> Rejected:
    return Rejected(f"{http.name}: the service does not keep incidents (404 for "
                    f"{EVENTS_PATH}): it may be older than this app, or the URL is wrong")


def _is_seq(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
