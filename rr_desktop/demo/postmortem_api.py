"""The reference service's post-mortem routes (docs/postmortems.md, openapi.yaml).
``EscalationApi`` hands these paths here after checking the bearer token.

- ``GET /v1/postmortems?after=<seq>&limit=<n>``: those changed after a seq, in seq order
  (410 when ``after`` is past the newest seq: the service restarted and lost them);
- ``GET /v1/postmortems/{uid}``: one, with ``ETag: "<version>"``; 404 if unknown;
- ``PUT /v1/postmortems/{uid}`` with ``If-Match: "<version>"`` (bare digits accepted;
  absent or ``*`` only to create): 201 created, 200 changed, 200 again for a replayed
  ``Idempotency-Key`` (header ``Idempotent-Replayed: true``); 412 with the current copy
  when the version is not the current one, or when ``If-Match`` is absent or ``*`` for one
  that exists (the writer has not seen it); 412 with ``current: null`` for a version of a
  post-mortem the service does not hold; 409 for a key reused with another request; 422
  for a body the service refuses, with one sentence;
- ``GET /v1/tasks?owner=&postmortem=``: the action items of all post-mortems as tasks.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote

import msgspec

from .postmortems import (
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    AheadOfLog,
    InvalidPostmortem,
    KeyReused,
    ServicePostmortems,
    VersionMismatch,
)
from .response import Response, error, feed_params, not_allowed
from .wire import decode, encode

POSTMORTEMS_PATH = "/v1/postmortems"
TASKS_PATH = "/v1/tasks"
MAX_PUT_BODY = 16 * 1024 * 1024  # 2,000,000 characters of text, JSON-escaped
_ONE = re.compile(r"/v1/postmortems/([^/]+)\Z")
_ETAG = re.compile(r'(?:"(\d{1,18})"|(\d{1,18}))\Z')
_KEY = re.compile(r"[\x21-\x7e]{1,255}\Z")
_UID = re.compile(rf"[A-Za-z0-9._~-]{{1,{MAX_ID}}}\Z")


def is_postmortem_path(path: str) -> bool:
    return path in (POSTMORTEMS_PATH, TASKS_PATH) or _ONE.match(path) is not None


def body_limit(method: str, path: str) -> int | None:
    """The larger body cap of a post-mortem write, or None for the service's usual one."""
    return MAX_PUT_BODY if method == "PUT" and _ONE.match(path.rstrip("/")) else None


def _etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


class PostmortemRoutes:
    """Answers the post-mortem and task paths from one store."""

    def __init__(self, postmortems: ServicePostmortems) -> None:
        self.postmortems = postmortems

    def handle(self, method: str, path: str, query: str, if_match: str | None,
               key: str | None, body: bytes) -> Response:
        """One answer (errors included); ``if_match`` and ``key`` are the If-Match and
        Idempotency-Key headers."""
        if path == POSTMORTEMS_PATH:
            return self._page(query) if method == "GET" else not_allowed("GET")
        if path == TASKS_PATH:
            return self._tasks(query) if method == "GET" else not_allowed("GET")
        match = _ONE.match(path)
        uid = unquote(match.group(1)) if match else ""
        if method == "GET":
            found = self.postmortems.encoded(uid)
            if found is None:
                return error(404, "not_found", f"no post-mortem {uid[:80]}")
            version = int(decode(found)["version"])
            return Response(200, found, _etag(version))
        if method == "PUT":
            return self._put(uid, if_match, key, body)
        return not_allowed("GET, PUT")

    def _put(self, uid: str, if_match: str | None, key: str | None,
             body: bytes) -> Response:
        if not _UID.match(uid):
            return error(422, "invalid", f"A post-mortem's uid is 1 to {MAX_ID} letters, "
                         "digits, dots, dashes, underscores or tildes.")
        condition: int | str | None = None
        if if_match is not None and if_match.strip() != "*":
            etag = _ETAG.match(if_match.strip())
            if etag is None:
                return error(400, "bad_request", 'If-Match must be a version like "3" (or *'
                             " to create)")
            condition = int(etag.group(1) or etag.group(2))
        elif if_match is not None:
            condition = "*"
        if key is not None and not _KEY.match(key):
            return error(400, "bad_request", "Idempotency-Key must be 1..255 visible ASCII "
                         "characters")
        try:
            data = decode(body)
        except msgspec.DecodeError:
            return error(400, "bad_request", "the body is not valid JSON")
        try:
            stored, created, replayed = self.postmortems.put(uid, data, condition, key)
        except InvalidPostmortem as exc:
            return error(422, "invalid", str(exc))
        except KeyReused as exc:
            return error(409, "idempotency_key_reused", str(exc))
        except VersionMismatch as exc:
            if exc.current is None:
                return error(412, "version_mismatch",
                             f"the service holds no post-mortem {uid[:80]}: send it without "
                             "If-Match to create it", current=None)
            return Response(412, encode({
                "error": "version_mismatch", "current": exc.current,
                "message": f"the post-mortem is at version {exc.current['version']}: merge "
                           "with it and send that version"}),
                _etag(int(exc.current["version"])))
        headers = _etag(int(stored["version"]))
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(201 if created else 200, encode(stored), headers)

    def _page(self, query: str) -> Response:
        wanted = feed_params(query, DEFAULT_LIMIT, MAX_LIMIT)
        if isinstance(wanted, Response):
            return wanted
        try:
            page = self.postmortems.page(*wanted)
        except AheadOfLog as exc:
            return error(410, "cursor_expired", str(exc))
        return Response(200, b"".join((
            b'{"postmortems":[', b",".join(page.postmortems), b'],"next":',
            str(page.next).encode(), b',"has_more":',
            b"true" if page.has_more else b"false", b"}")))

    def _tasks(self, query: str) -> Response:
        params = parse_qs(query, keep_blank_values=True)
        owner = params.get("owner", [None])[-1]
        postmortem = params.get("postmortem", [None])[-1]
        return Response(200, encode({"items": self.postmortems.tasks(owner, postmortem)}))
