"""The rr_api routes on the hub (docs/hub.md, "The API").

The hub speaks the contract the desktop's `rr_api` channel already speaks: the reference
service's route layer (demo/api.py: escalations, notes, replies, facts, history,
analysts, incident events, incidents, post-mortems, tasks) runs unchanged on the hub's
durable stores. What the hub adds around it: the personal token (server.TokenGate) and
the caller for audit and roles (caller.py), a 403 for a write the caller's role does not
allow, 503 when the database is unreachable, and its own contract: the reference
service's document plus the hub's routes (`contract()`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..demo.api import MAX_BODY, EscalationApi, Headers, openapi_document
from ..demo.faults import FaultInjector
from ..demo.postmortem_api import body_limit
from ..demo.response import Response, error
from ..demo.wire import encode
from . import caller
from .escalation_store import HubEscalations
from .schema import analyst
from .store import HubStore

log = logging.getLogger("rr_desktop.hub")
YAML = "application/yaml; charset=utf-8"


@cache
def contract() -> dict[str, Any]:
    """The hub's OpenAPI document: the reference service's routes and the hub's own
    (hub/openapi.yaml), one document. A component named in both is a build error."""
    service = yaml.safe_load(openapi_document())
    hub = yaml.safe_load(resources.files(__package__).joinpath("openapi.yaml").read_bytes())
    merged = dict(hub)
    merged["paths"] = {**service["paths"], **hub["paths"]}
    components: dict[str, Any] = {}
    for part in sorted(set(service["components"]) | set(hub["components"])):
        mine, theirs = hub["components"].get(part, {}), service["components"].get(part, {})
        clash = set(mine) & set(theirs) - ({"bearer"} if part == "securitySchemes" else set())
        if clash:
            raise RuntimeError(f"hub/openapi.yaml redefines {part} {sorted(clash)}")
        components[part] = {**theirs, **mine}
    merged["components"] = components
    return merged


class HubRoutes(EscalationApi):
    """The reference service's routes on the hub's stores. The token was checked before a
    request gets here (server.TokenGate), so `_authorized` lets it through."""

    def __init__(self, store: HubStore, incidents: Any = None, postmortems: Any = None
                 ) -> None:
        if incidents is None:
            from .incident_store import HubIncidentLog
            incidents = HubIncidentLog(store)
        if postmortems is None:
            from .postmortem_store import HubPostmortems
            postmortems = HubPostmortems(store)
        super().__init__("checked-by-the-hub", HubEscalations(store),  # type: ignore[arg-type]
                         FaultInjector(), incidents, postmortems)
        self.store = store

    def _authorized(self, header: str | None) -> bool:
        return True

    def handle(self, method: str, target_path: str, query: str,
               headers: Headers, body: bytes) -> Response:
        path = target_path.rstrip("/") or "/"
        if path == "/v1/openapi.yaml" and method == "GET":
            return Response(200, _contract_yaml(), content_type=YAML)
        if path == "/v1/analysts" and method == "GET":
            return Response(200, encode({"items": self.roster()}))
        return super().handle(method, target_path, query, headers, body)

    def roster(self) -> list[dict[str, Any]]:
        """The hub's analysts (revoked ones left out) as the roster the desktops pick from."""
        with self.store.read() as conn:
            rows = conn.execute(select(analyst.c.id, analyst.c.profile).where(
                analyst.c.revoked_at.is_(None)).order_by(analyst.c.id)).all()
        out = []
        for row in rows:
            profile = json.loads(row.profile or "{}")
            out.append({"id": row.id, "name": profile.get("name") or row.id,
                        "email": profile.get("email", ""),
                        "languages": list(profile.get("languages", [])),
                        "markets": list(profile.get("markets", []))})
        return out


@cache
def _contract_yaml() -> bytes:
    return yaml.safe_dump(contract(), sort_keys=False, allow_unicode=True).encode()


def body_cap(method: str, path: str) -> int:
    """The largest body a route takes (a post-mortem's text is allowed more)."""
    return body_limit(method, path) or MAX_BODY


def answer(routes: HubRoutes, who: caller.Caller, method: str, path: str, query: str,
           headers: Headers, body: bytes) -> Response:
    """One request, as `who`: the route's answer, 403 for a write outside the caller's
    role, 503 (one sentence) when the database fails. Runs in a worker thread."""
    token = caller.current.set(who)
    try:
        return routes.handle(method, path, query, headers, body)
    except caller.Forbidden as exc:
        return error(403, "forbidden", str(exc))
    except SQLAlchemyError as exc:
        log.warning("database error on %s %s: %s", method, path[:200],
                    type(exc).__name__)
        return error(503, "unavailable", "The hub cannot reach its database; try again.")
    finally:
        caller.current.reset(token)


Answer = Callable[[caller.Caller, str, str, str, Headers, bytes], Response]
