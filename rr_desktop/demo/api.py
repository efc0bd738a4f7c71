"""The REST API of the demo escalation service, independent of sockets and threads.

``EscalationApi.handle`` turns one parsed request into a ``Response``; the HTTP plumbing in
``handler.py`` feeds it. The contract is documented in ``openapi.yaml`` next to this file.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from importlib import resources
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote

import msgspec

from .faults import FaultInjector
from .incident_api import IncidentRoutes, is_incident_path
from .incident_log import IncidentLog
from .postmortem_api import PostmortemRoutes, is_postmortem_path
from .postmortems import ServicePostmortems
from .response import Response, error, not_allowed
from .state import (
    CursorExpired,
    CursorMalformed,
    EscalationStore,
    NotFound,
    VersionMismatch,
)
from .vocab import ANALYSTS
from .wire import InvalidRequest, decode, encode, iso, validate_note, validate_patch

YAML = "application/yaml; charset=utf-8"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_BODY = 1024 * 1024
MAX_IDEMPOTENCY_KEY = 255

_ONE = re.compile(r"/v1/escalations/([^/]+)\Z")
_SUB = re.compile(r"/v1/escalations/([^/]+)/(notes|replies)\Z")
_FACTS = re.compile(r"/v1/escalations/([^/]+)/facts\Z")
_HISTORY = re.compile(r"/v1/escalations/([^/]+)/history\Z")
_LIMIT = re.compile(r"\d{1,4}\Z")
_ETAG = re.compile(r'(?:"(\d{1,19})"|(\d{1,19}))\Z')
_KEY = re.compile(rf"[\x21-\x7e]{{1,{MAX_IDEMPOTENCY_KEY}}}\Z")


class Headers(Protocol):
    """Request headers: ``http.client.HTTPMessage`` (case-insensitive) or a plain dict."""

    def get(self, name: str, /) -> str | None: ...


def _json(status: int, value: Any, **headers: str) -> Response:
    return Response(status, encode(value), dict(headers))


def _etag(version: int) -> str:
    return f'"{version}"'


def openapi_document() -> bytes:
    """The OpenAPI 3.1 description shipped next to this module."""
    return resources.files(__package__).joinpath("openapi.yaml").read_bytes()


class EscalationApi:
    """Routes and answers requests against one store; checks the bearer token."""

    def __init__(self, token: str, state: EscalationStore, faults: FaultInjector,
                 incidents: IncidentLog | None = None,
                 postmortems: ServicePostmortems | None = None) -> None:
        if not token:
            raise ValueError("a token is required")
        self._token = f"Bearer {token}".encode()
        self.state = state
        self.faults = faults
        self.incidents = IncidentRoutes(incidents if incidents is not None else IncidentLog())
        self.postmortems = PostmortemRoutes(
            postmortems if postmortems is not None else ServicePostmortems())
        self._analysts = encode({"items": [a.wire() for a in ANALYSTS]})
        self._openapi: bytes | None = None

    def handle(self, method: str, target_path: str, query: str,
               headers: Headers, body: bytes) -> Response:
        """Answer one request; never raises for bad input (errors become responses)."""
        path = target_path.rstrip("/") or "/"
        if path == "/v1/openapi.yaml":
            if method != "GET":
                return self._not_allowed("GET")
            if self._openapi is None:
                self._openapi = openapi_document()
            return Response(200, self._openapi, content_type=YAML)
        if not (path == "/v1" or path.startswith("/v1/")):
            return error(404, "not_found", f"no route for {path}")
        if not self._authorized(headers.get("Authorization")):
            return Response(401, encode({"error": "unauthorized",
                                         "message": "a valid bearer token is required"}),
                            {"WWW-Authenticate": 'Bearer realm="rr-demo"'})
        if is_incident_path(path):
            return self.incidents.handle(method, path, query,
                                         headers.get("Idempotency-Key"), body)
        if is_postmortem_path(path):
            return self.postmortems.handle(method, path, query, headers.get("If-Match"),
                                           headers.get("Idempotency-Key"), body)
        if path == "/v1/escalations":
            return self._feed(query) if method == "GET" else self._not_allowed("GET")
        if path == "/v1/analysts":
            return Response(200, self._analysts) if method == "GET" else self._not_allowed("GET")
        match = _ONE.match(path)
        if match:
            escalation_id = unquote(match.group(1))
            if method == "GET":
                return self._one(escalation_id)
            if method == "PATCH":
                return self._patch(escalation_id, headers, body)
            return self._not_allowed("GET, PATCH")
        match = _FACTS.match(path)
        if match:
            escalation_id = unquote(match.group(1))
            if method == "POST":
                return self._post_fact(escalation_id, headers, body)
            return self._not_allowed("POST")
        match = _HISTORY.match(path)
        if match:
            escalation_id = unquote(match.group(1))
            if method != "GET":
                return self._not_allowed("GET")
            try:
                return _json(200, {"items": self.state.history(escalation_id)})
            except NotFound:
                return error(404, "not_found", f"no escalation {escalation_id}")
        match = _SUB.match(path)
        if match:
            escalation_id, kind = unquote(match.group(1)), match.group(2)
            if method == "GET":
                return self._notes(escalation_id, kind)
            if method == "POST":
                return self._post_note(escalation_id, kind, headers, body)
            return self._not_allowed("GET, POST")
        return error(404, "not_found", f"no route for {path}")

    def _authorized(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, credentials = header.strip().partition(" ")
        given = f"Bearer {credentials.strip()}".encode() if scheme.lower() == "bearer" else b""
        return hmac.compare_digest(given, self._token)

    @staticmethod
    def _not_allowed(allow: str) -> Response:
        return not_allowed(allow)

    def _feed(self, query: str) -> Response:
        params = parse_qs(query, keep_blank_values=True)
        limit = DEFAULT_LIMIT
        if "limit" in params:
            raw = params["limit"][-1]
            if not _LIMIT.match(raw) or not 1 <= int(raw) <= MAX_LIMIT:
                return error(400, "bad_request", f"limit must be an integer 1..{MAX_LIMIT}")
            limit = int(raw)
        cursor = params.get("cursor", [""])[-1]
        state = self.state
        try:
            after = state.parse_cursor(cursor)
            page = state.page(after, limit)
        except CursorMalformed as exc:
            return error(400, "bad_request", str(exc))
        except CursorExpired as exc:
            return error(410, "cursor_expired", f"{exc}; restart from the beginning")
        body = b"".join((
            b'{"items":[', b",".join(page.items), b'],"next_cursor":',
            encode(state.cursor(page.last_seq)), b',"has_more":',
            b"true" if page.has_more else b"false", b',"server_time":',
            encode(iso(int(state.now()))), b"}",
        ))
        return Response(200, body)

    def _one(self, escalation_id: str) -> Response:
        found = self.state.encoded(escalation_id)
        if found is None:
            return error(404, "not_found", f"no escalation {escalation_id}")
        version, data = found
        return Response(200, data, {"ETag": _etag(version)})

    def _patch(self, escalation_id: str, headers: Headers, body: bytes
               ) -> Response:
        if escalation_id not in self.state:
            return error(404, "not_found", f"no escalation {escalation_id}")
        if_match = headers.get("If-Match")
        if if_match is None:
            return error(428, "precondition_required",
                         'send If-Match: "<version>" with the version you edited')
        etag = _ETAG.match(if_match.strip())
        if etag is None:
            return error(400, "bad_request", 'If-Match must be a quoted version like "12"')
        base_version = int(etag.group(1) or etag.group(2))
        try:
            fields = validate_patch(decode(body))
            record = self.state.patch(escalation_id, base_version, fields)
        except msgspec.DecodeError:
            return error(400, "bad_request", "the body is not valid JSON")
        except InvalidRequest as exc:
            return error(422, "invalid", str(exc))
        except NotFound as exc:
            if escalation_id in self.state:  # what it duplicates is not there
                return error(422, "invalid", f"duplicate_of: no other escalation {exc}")
            return error(404, "not_found", f"no escalation {escalation_id}")
        except VersionMismatch as exc:
            return Response(412, encode({"error": "version_mismatch",
                                         "message": "the escalation changed since that version",
                                         "current": exc.current}),
                            {"ETag": _etag(int(exc.current["version"]))})
        return _json(200, record, ETag=_etag(int(record["version"])))

    def _post_fact(self, escalation_id: str, headers: Headers, body: bytes) -> Response:
        return self._post_text(escalation_id, headers, body, self.state.add_fact, etag=True)

    def _notes(self, escalation_id: str, kind: str) -> Response:
        if escalation_id not in self.state:
            return error(404, "not_found", f"no escalation {escalation_id}")
        items = (self.state.notes if kind == "notes" else self.state.replies)(escalation_id)
        return _json(200, {"items": items})

    def _post_note(self, escalation_id: str, kind: str, headers: Headers,
                   body: bytes) -> Response:
        def add(esc: str, text: str, author: str, key: str | None) -> tuple[Any, bool]:
            return self.state.add_note(esc, kind, text, author, key)

        return self._post_text(escalation_id, headers, body, add, etag=False)

    def _post_text(self, escalation_id: str, headers: Headers, body: bytes,
                   add: Callable[[str, str, str, str | None], tuple[Any, bool]],
                   etag: bool) -> Response:
        """A fact, note or reply: text and author, idempotent by `Idempotency-Key` (a
        replay answers what the first request created, marked `Idempotent-Replayed`)."""
        if escalation_id not in self.state:
            return error(404, "not_found", f"no escalation {escalation_id}")
        key = headers.get("Idempotency-Key")
        if key is not None and not _KEY.match(key):
            return error(400, "bad_request", "Idempotency-Key must be 1..255 visible ASCII "
                         "characters")
        try:
            text, author = validate_note(decode(body))
            created_item, created = add(escalation_id, text, author, key)
        except msgspec.DecodeError:
            return error(400, "bad_request", "the body is not valid JSON")
        except InvalidRequest as exc:
            return error(422, "invalid", str(exc))
        except NotFound:
            return error(404, "not_found", f"no escalation {escalation_id}")
        extra = {} if created else {"Idempotent-Replayed": "true"}
        if etag:
            extra["ETag"] = _etag(int(created_item["version"]))
        return _json(201, created_item, **extra)
