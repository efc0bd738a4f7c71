"""Who is calling the hub, for the length of one request (docs/hub.md, "Serving").

The HTTP layer identifies the bearer token and the desktop (`X-RR-Desktop` header) and
sets `current` before it hands the request to the routes; the stores read it to audit
each write and to stamp it on the feed. Starlette runs a plain endpoint in one worker
thread, so the context variable is the request's own.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass

from .audit import CLI_ACTOR

DESKTOP_HEADER = "X-RR-Desktop"
_DESKTOP = re.compile(r"[A-Za-z0-9._:-]{1,64}\Z")
LEAD_ROLES = frozenset({"lead", "admin"})


@dataclass(frozen=True)
class Caller:
    """An authenticated analyst (or the hub itself: `analyst` is "hub-cli" or "hub-sync")."""

    analyst: str
    role: str
    desktop: str | None = None

    @property
    def is_lead(self) -> bool:
        return self.role in LEAD_ROLES


HUB_SELF = Caller("hub-sync", "admin")
ADMIN_SHELL = Caller(CLI_ACTOR, "admin")

current: ContextVar[Caller] = ContextVar("rr_hub_caller", default=HUB_SELF)


def desktop_id(header: str | None) -> str | None:
    """The desktop id a request names, or None when absent or not a plain id (a hostile
    header is not stored)."""
    if header is None:
        return None
    value = header.strip()
    return value if _DESKTOP.match(value) else None


class Forbidden(Exception):
    """The caller's role does not allow this write (HTTP 403); `str()` is one sentence
    naming what the role may do instead."""
