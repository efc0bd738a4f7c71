"""settings.json "sla" -> the cache's SLA policy (deadlines recomputed when it differs)."""

from __future__ import annotations

import sqlite3

from ..domain.sla import SlaPolicy
from ..store import sla_sql
from ..store.changes import Changes
from .context import AppContext


def apply_sla_settings(ctx: AppContext) -> None:
    """A bad value is reported and the current policy stays."""
    raw = ctx.settings.get("sla")
    if not raw:
        return
    try:
        policy = SlaPolicy.from_dict(raw)
    except ValueError as exc:
        ctx.notifier.warn(f"SLA settings not applied: {exc}", 15_000)
        return

    def save(db: sqlite3.Connection) -> int:
        if sla_sql.load_policy(db) == policy:
            return 0
        return sla_sql.save_policy(db, policy)

    # Deadlines of every open escalation may have moved: the views re-read their ids.
    ctx.run_write("sla-policy", save, failure="SLA settings not applied",
                  on_done=lambda changed: ctx.apply(Changes(all_rows=True)) if changed
                  else None)
