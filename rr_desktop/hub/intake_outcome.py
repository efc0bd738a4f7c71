"""What became of a desktop's change the hub forwarded to an escalation's source
(docs/hub.md, "Channel sync on the hub"): the words the hub's store and its intake share,
kept apart from both so neither imports the other."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from . import caller

Outcome = Literal["pushed", "local", "conflict", "refused", "pending"]

# Set by the store when this request's change is applied on the hub but still queued for
# its source (the HTTP answer is then 202); the routes read it (hub/intake_routes.py).
source_pending: ContextVar[bool] = ContextVar("rr_hub_source_pending", default=False)
# The key an escalation carries on the hub while a change of it waits for its source.
PENDING_KEY = "pending_at_source"


@dataclass(frozen=True)
class Forwarded:
    """`pushed`: the source took it; `local`: the source does not receive this kind of
    change (it stays on the hub and the intake cache); `conflict`: the source changed
    the record meanwhile; `refused`: the source said no (`message` says why); `pending`:
    queued, the source did not answer in time. `record` is the hub's record after the
    source's state was copied in (pushed, local, conflict, refused), else None."""

    outcome: Outcome
    record: dict[str, Any] | None = None
    message: str = ""


class Forwarder(Protocol):
    """The hub's intake, as the store sees it."""

    def serial(self, api_id: str) -> AbstractContextManager[None]:
        """Held while one change of this escalation is forwarded and applied."""
        ...

    def forward(self, source: str, external_id: str, api_id: str, kind: str,
                payload: Mapping[str, Any], key: str | None, who: caller.Caller,
                seen_version: int | None = None) -> Forwarded:
        """Queue the change for the source, push it, wait for the outcome (bounded).
        `seen_version`: the source's version the desktop's record showed (a change
        based on an older one than the intake holds is a conflict at once)."""
        ...
