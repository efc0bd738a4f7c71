"""Post-mortems on the platform's service, as this channel speaks them
(docs/postmortems.md; rr_desktop/demo/openapi.yaml, paths /v1/postmortems).

Push: `PUT /v1/postmortems/{uid}` with the whole post-mortem, `If-Match: "<version>"`
(none to create) and an `Idempotency-Key` made from the request itself, so a retry after
a lost answer (the same uid, version and body) gets the stored copy instead of a 412
against its own write. 200/201: the stored copy. 412 with the current copy:
`PostmortemChanged`; 412 with `current: null` (the service holds no such post-mortem: it
restarted with an empty memory) is answered by creating it, once. 409/422/400/413:
`Rejected` with the service's sentence; 404: the service keeps no post-mortems.

Pull: `GET /v1/postmortems?after=<seq>&limit=<n>` -> `{"postmortems", "next",
"has_more"}`. A page that is not that shape, or an entry without a uid or a seq (it could
be neither kept nor skipped safely), is a `MalformedPage`; an entry with both but
otherwise unusable is left out, named with its reason in `PostmortemPage.malformed`.
410 (the position is past the service's newest change) is `CursorExpired`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import requests

from ..contract import PostmortemChanged, PostmortemPage, Rejected, ServerError
from ..transport import Transport, path_segment
from .incidents import service_message
from .seq_pages import DECODE_ERRORS, Feed, decode, is_seq, missing_feed, read_page

POSTMORTEMS_PATH = "/v1/postmortems"
MAX_LIMIT = 200  # the service's documented maximum page size
STATES = ("draft", "in_review", "final")
_REFUSALS = (400, 404, 409, 412, 413, 422)


def idempotency_key(uid: str, if_match: int | None, body: Mapping[str, Any]) -> str:
    """The same request always gets the same key (across retries and runs); another
    body or version another key."""
    raw = json.dumps([uid, if_match, body], sort_keys=True, separators=(",", ":"),
                     ensure_ascii=False)
    return "pm-" + hashlib.sha256(raw.encode()).hexdigest()


def problem(raw: object) -> str | None:
    """None if `raw` is a post-mortem as the service answers one, else why not."""
    if not isinstance(raw, dict):
        return "it is not a JSON object"
    for key in ("uid", "incident", "title", "state", "text"):
        if not isinstance(raw.get(key), str):
            return f"its {key} is missing or not text"
    if raw["state"] not in STATES:
        return f"its review state {raw['state'][:20]!r} is unknown"
    if not is_seq(raw.get("version")) or raw["version"] < 1:
        return "its version is missing"
    if not isinstance(raw.get("actions", []), list):
        return "its actions are not a list"
    return None


def put_postmortem(http: Transport, uid: str, body: Mapping[str, Any],
                   if_match: int | None) -> dict[str, Any]:
    """Store post-mortem `uid` (see the module docstring); the stored copy."""
    resp = _put(http, uid, body, if_match)
    if resp.status_code == 412:
        current = _current(http, resp, uid)
        if current is None and if_match is not None:  # it lost the post-mortem: create
            resp = _put(http, uid, body, None)
            current = _current(http, resp, uid) if resp.status_code == 412 else None
        if resp.status_code == 412:
            if current is None:
                raise ServerError(f"{http.name}: the service refused to create a post-mortem "
                                  "it says it does not hold; it is sent again later")
            raise PostmortemChanged(f"{http.name}: the post-mortem changed on the service "
                                    f"meanwhile (now version {current['version']})", current)
    if resp.status_code in _REFUSALS:
        raise Rejected(f"{http.name}: the service refused the post-mortem: "
                       f"{service_message(resp)}")
    try:
        stored = decode(resp.content)
    except DECODE_ERRORS as exc:
        raise ServerError(f"{http.name}: the service's answer to a post-mortem is not JSON "
                          f"({exc}); it may have been stored, and is sent again") from exc
    why = problem(stored)
    if why is None and stored["uid"] != uid:
        why = "it is another post-mortem"
    if why is not None:
        raise ServerError(f"{http.name}: the service's answer to a post-mortem is not the "
                          f"stored post-mortem ({why}); it may have been stored, and is sent "
                          "again")
    return dict(stored)


def _put(http: Transport, uid: str, body: Mapping[str, Any],
         if_match: int | None) -> requests.Response:
    headers = {"Idempotency-Key": idempotency_key(uid, if_match, body)}
    if if_match is not None:
        headers["If-Match"] = f'"{if_match}"'
    resp = http.call("PUT", f"{POSTMORTEMS_PATH}/{path_segment(uid)}", write=True,
                     ok=_REFUSALS, json=dict(body), headers=headers)
    if resp.status_code == 404:
        raise missing_feed(http, FEED)
    return resp


def _current(http: Transport, resp: requests.Response, uid: str) -> dict[str, Any] | None:
    """The service's copy from a 412: a dict, or None when the service says it holds
    none (`current: null`). Anything else is an unusable answer (ServerError)."""
    try:
        data = decode(resp.content)
    except DECODE_ERRORS as exc:
        raise ServerError(f"{http.name}: the service answered a post-mortem with 412 but "
                          f"without its current copy (not JSON: {exc})") from exc
    if isinstance(data, dict) and "current" in data and data["current"] is None:
        return None
    current = data.get("current") if isinstance(data, dict) else None
    why = problem(current) if current is not None else "there is none"
    if why is None and isinstance(current, dict) and current["uid"] != uid:
        why = "it is another post-mortem"
    if why is not None or not isinstance(current, dict):
        raise ServerError(f"{http.name}: the service answered a post-mortem with 412 but "
                          f"its current copy is unusable ({why})")
    return current


def pull_postmortems(http: Transport, after: int, limit: int) -> PostmortemPage:
    """Post-mortems changed after `after` (at most `limit`, capped at the service's
    maximum), in the service's change order."""
    return PostmortemPage(*read_page(http, FEED, after, limit))


FEED = Feed(POSTMORTEMS_PATH, "postmortems", "post-mortem", "post-mortems", MAX_LIMIT, problem)
