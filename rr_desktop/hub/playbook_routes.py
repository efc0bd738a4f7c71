"""The team playbook routes (docs/hub.md, "Team playbooks"; hub/openapi.yaml):

    GET    /v1/playbooks                     every file (If-None-Match: 304 when unchanged)
    PUT    /v1/playbooks/{name}              {"text": ...}, If-Match "<version>" (none or
    PUT    /v1/playbooks/overlays/{name}       "*" to create); a lead or admin only
    DELETE /v1/playbooks/{name}, /v1/playbooks/overlays/{name}

A bearer token like every /v1 route; 403 with one sentence for an analyst's write, 422
with the playbook check's sentence, 412 with the current file, 503 when the database
cannot be reached.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..playbooks.problems import MAX_FILE_BYTES
from . import caller
from .playbook_store import HubPlaybooks, InvalidPlaybook, PlaybookChanged, PlaybookMissing
from .store import HubStore

if TYPE_CHECKING:
    from .server import TokenGate

log = logging.getLogger("rr_desktop.hub")
PATH = "/v1/playbooks"
MAX_BODY = 4 * MAX_FILE_BYTES  # JSON escapes can make the text up to ~4x longer
Endpoint = Callable[[Request], Awaitable[Response]]


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status)


def _version(header: str | None) -> int | str | None:
    """If-Match as a version (None: absent or "*"), or a sentence for a malformed one."""
    if header is None or header.strip() == "*":
        return None
    raw = header.strip().removeprefix("W/").strip('"')
    if raw.isdigit() and 0 < len(raw) < 19:
        return int(raw)
    return 'If-Match must be a file\'s version in quotes (like "3"), or "*" to create it'


def _etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def playbook_routes(store: HubStore, gate: TokenGate,
                    unauthorized: Callable[[], Response]) -> list[Route]:
    playbooks = HubPlaybooks(store)

    def guarded(work: Callable[[Request, caller.Caller], Awaitable[Response]]) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            who = await run_in_threadpool(gate.identify_caller, request)
            if who is None:
                return unauthorized()
            try:
                return await work(request, who)
            except SQLAlchemyError as exc:
                log.warning("database error on %s %s: %s", request.method,
                            request.url.path[:200], type(exc).__name__)
                return _error(503, "unavailable",
                              "The hub cannot reach its database; try again.")
        return endpoint

    async def listing(request: Request, who: caller.Caller) -> Response:
        known = request.headers.get("if-none-match")
        if known is not None:
            tag = await run_in_threadpool(playbooks.tag)
            if known.strip().strip('"') == tag:
                return Response(status_code=304, headers={"ETag": f'"{tag}"'})
        found = await run_in_threadpool(playbooks.listing)
        return JSONResponse({"playbooks": found.files}, headers={"ETag": f'"{found.tag}"'})

    async def put(request: Request, who: caller.Caller) -> Response:
        name = _name(request)
        version = _version(request.headers.get("if-match"))
        if isinstance(version, str):
            return _error(400, "bad_request", version)
        body = await _body(request)
        if isinstance(body, Response):
            return body
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str):
            return _error(400, "bad_request",
                          'The body must be a JSON object {"text": "<the YAML file>"}.')
        try:
            stored, created = await run_in_threadpool(playbooks.put, who, name, text,
                                                      version)
        except caller.Forbidden as exc:
            return _error(403, "forbidden", str(exc))
        except InvalidPlaybook as exc:
            return _error(422, "invalid_playbook", str(exc))
        except PlaybookChanged as exc:
            return _changed(name, exc)
        return JSONResponse(stored, status_code=201 if created else 200,
                            headers=_etag(stored["version"]))

    async def remove(request: Request, who: caller.Caller) -> Response:
        name = _name(request)
        version = _version(request.headers.get("if-match"))
        if isinstance(version, str):
            return _error(400, "bad_request", version)
        try:
            await run_in_threadpool(playbooks.delete, who, name, version)
        except caller.Forbidden as exc:
            return _error(403, "forbidden", str(exc))
        except InvalidPlaybook as exc:
            return _error(422, "invalid_playbook", str(exc))
        except PlaybookMissing:
            return _error(404, "not_found", f"The team has no playbook file {name[:120]!r}.")
        except PlaybookChanged as exc:
            return _changed(name, exc)
        return Response(status_code=204)

    return [
        Route(PATH, guarded(listing), methods=["GET"]),
        Route(PATH + "/{name}", guarded(put), methods=["PUT"]),
        Route(PATH + "/overlays/{name}", guarded(put), methods=["PUT"]),
        Route(PATH + "/{name}", guarded(remove), methods=["DELETE"]),
        Route(PATH + "/overlays/{name}", guarded(remove), methods=["DELETE"]),
    ]


def _name(request: Request) -> str:
    name = str(request.path_params["name"])
    return f"overlays/{name}" if request.url.path.startswith(PATH + "/overlays/") else name


def _changed(name: str, exc: PlaybookChanged) -> JSONResponse:
    if exc.current is None:
        message = f"The team has no playbook file {name[:120]!r} (it was deleted, or "\
                  "never made): send it without If-Match to create it."
    else:
        message = f"{name[:120]} is at version {exc.current['version']} now (saved by " \
                  f"{exc.current['updated_by']}); edit that version."
    return _error(412, "version_mismatch", message, current=exc.current)


async def _body(request: Request) -> Any:
    """The request's JSON body, or the error response (413, 400)."""
    declared = request.headers.get("content-length", "")
    too_large = _error(413, "too_large", f"the body is over {MAX_BODY} bytes")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return too_large
    raw = b""
    try:
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_BODY:
                return too_large
    except ClientDisconnect:
        return Response(status_code=400)
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return _error(400, "bad_request", "The body is not JSON.")
