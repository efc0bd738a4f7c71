"""The hub's rr_api routes when the hub runs an intake (docs/hub.md, "Channel sync on the
hub"): the same routes, their store forwarding changes of source-backed escalations to the
intake, and a change the source has not confirmed yet answered 202 instead of 200/201
(the body is the record as applied on the hub, marked `pending_at_source`)."""

from __future__ import annotations

from ..demo.api import Headers
from ..demo.response import Response
from .api import HubRoutes
from .escalation_store import HubEscalations
from .intake_outcome import Forwarder, source_pending
from .store import HubStore

PENDING_HEADER = "X-RR-Pending"


class ForwardingRoutes(HubRoutes):
    def __init__(self, store: HubStore, forwarder: Forwarder) -> None:
        super().__init__(store)
        assert isinstance(self.state, HubEscalations)
        self.state.forwarder = forwarder

    def handle(self, method: str, target_path: str, query: str,
               headers: Headers, body: bytes) -> Response:
        token = source_pending.set(False)
        try:
            answer = super().handle(method, target_path, query, headers, body)
            if source_pending.get() and answer.status in (200, 201):
                return Response(202, answer.body, {**answer.headers, PENDING_HEADER: "source"},
                                answer.content_type)
            return answer
        finally:
            source_pending.reset(token)
