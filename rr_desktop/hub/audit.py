"""The hub's audit log: every write, with who (analyst id, or "hub-cli" for the admin at
the server's shell), from which desktop, what and when (docs/hub.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from .schema import audit
from .store import utc_stamp

CLI_ACTOR = "hub-cli"


@dataclass(frozen=True)
class AuditEntry:
    at: str
    actor: str
    desktop: str | None
    action: str
    target: str
    detail: dict[str, Any]


def record(conn: Connection, actor: str, action: str, target: str,
           detail: Mapping[str, Any] | None = None, desktop: str | None = None) -> None:
    """Write one entry in the caller's transaction (it commits with the change)."""
    conn.execute(insert(audit).values(
        at=utc_stamp(), actor=actor, desktop=desktop, action=action, target=target,
        detail=json.dumps(dict(detail or {}), ensure_ascii=False, sort_keys=True)))


def entries(conn: Connection, limit: int = 100) -> list[AuditEntry]:
    """The newest entries first."""
    rows = conn.execute(select(audit).order_by(audit.c.id.desc()).limit(limit))
    return [AuditEntry(r.at, r.actor, r.desktop, r.action, r.target, json.loads(r.detail))
            for r in rows]
