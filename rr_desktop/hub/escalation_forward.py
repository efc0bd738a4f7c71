"""A desktop's change of a source-backed escalation, forwarded to its source through the
hub's intake before the hub applies it (docs/hub.md, "Channel sync on the hub").

The hub's own checks come first (its version, the caller's role, a duplicate that
exists); then the intake queues the change on the source's version the desktop saw and
waits for the source: pushed -> the hub holds the source's answer (200); a conflict -> a
VersionMismatch carrying the source's record, nothing applied (412); refused ->
InvalidRequest with the source's sentence (422); no answer in time -> applied on the hub
marked `pending_at_source`, answered 202 (hub/intake_routes.py), the op still queued.
A retried request is the same op (intake_queue.py): a PATCH by its If-Match and fields,
a fact or note by its Idempotency-Key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ..demo.state import NotFound, VersionMismatch
from ..demo.wire import InvalidRequest
from . import audit, caller
from .escalation_store import (
    NOTE_PREFIX,
    HubEscalations,
    _change,
    _dumps,
    _remember,
    _replayed,
    _row,
    checked_patch,
)
from .intake_outcome import PENDING_KEY, Forwarded, source_pending


def _source_of(hub: HubEscalations, escalation_id: str) -> Any:
    with hub.store.read() as conn:
        row = _row(conn, escalation_id)
    if row is None:
        raise NotFound(escalation_id)
    return row


def forward_patch(hub: HubEscalations, escalation_id: str, base_version: int,
                  fields: Mapping[str, Any], who: caller.Caller) -> dict[str, Any]:
    """The change goes to the source on the source's version; the hub's version is
    checked first, so a desktop behind the hub gets the hub's record (412)."""
    assert hub.forwarder is not None
    with hub.forwarder.serial(escalation_id):
        row = _source_of(hub, escalation_id)
        current = json.loads(row.fields)
        fields = checked_patch(who, escalation_id, current, int(row.version), base_version,
                               fields, hub.__contains__)
        # The desktop's request: a retry carries the same If-Match and fields.
        digest = hashlib.sha256(_dumps(sorted(fields.items())).encode()).hexdigest()[:32]
        seen = current.get("source_version")
        outcome = hub.forwarder.forward(row.source, row.external_id, escalation_id,
                                        "update", fields, f"{base_version}:{digest}",
                                        who, seen if isinstance(seen, int) else None)
        detail = {"fields": dict(fields), "base_version": base_version,
                  "source": row.source, "outcome": outcome.outcome}
        if outcome.outcome == "pending":
            with hub.store.write() as conn:
                row = _row(conn, escalation_id, lock=True)
                audit.record(conn, who.analyst, "escalation.patch", escalation_id,
                             detail, desktop=who.desktop)
                record = _change(conn, row, json.loads(row.fields),
                                 {**fields, PENDING_KEY: True}, "patch", who)
            source_pending.set(True)
            return record
        return _settled(hub, escalation_id, outcome, "escalation.patch", detail, who)


def _settled(hub: HubEscalations, escalation_id: str, outcome: Forwarded, action: str,
             detail: Mapping[str, Any], who: caller.Caller) -> dict[str, Any]:
    """The hub's record after the source answered (the intake copied the source's
    state in already); a conflict is a VersionMismatch with that record, a refusal
    an InvalidRequest with the source's sentence (422)."""
    with hub.store.write() as conn:
        audit.record(conn, who.analyst, action, escalation_id, detail,
                     desktop=who.desktop)
        row = _row(conn, escalation_id)
    record = dict(outcome.record) if outcome.record else json.loads(row.fields)
    if outcome.outcome == "conflict":
        raise VersionMismatch(record)
    if outcome.outcome == "refused":
        raise InvalidRequest(f"The source refused the change: {outcome.message}")
    return record


def forward_fact(hub: HubEscalations, escalation_id: str, text: str, author: str,
                 key: str | None, who: caller.Caller) -> tuple[dict[str, Any], bool]:
    assert hub.forwarder is not None
    scope = f"{escalation_id}/facts"
    with hub.forwarder.serial(escalation_id):
        row = _source_of(hub, escalation_id)
        if key:
            with hub.store.read() as conn:
                if _replayed(conn, scope, key) is not None:
                    return json.loads(row.fields), False
        outcome = hub.forwarder.forward(row.source, row.external_id, escalation_id,
                                        "fact", {"text": text, "author": author}, key,
                                        who)
        if outcome.outcome in ("local", "pending"):  # the hub appends it itself
            record, created = hub._store_fact(escalation_id, text, author, key, who,
                                               pending=outcome.outcome == "pending")
            source_pending.set(outcome.outcome == "pending")
            return record, created
        record = _settled(hub, escalation_id, outcome, "escalation.fact",
                               {"author": author, "chars": len(text),
                                "source": row.source, "outcome": outcome.outcome}, who)
        if key:
            with hub.store.write() as conn:
                _remember(conn, scope, key, {"version": record["version"]})
        return record, True


def forward_note(hub: HubEscalations, escalation_id: str, kind: str, text: str,
                 author: str, key: str | None, who: caller.Caller) -> tuple[dict[str, Any], bool]:
    """The note goes to the source, and is kept on the hub too (desktops read notes
    from the hub; a channel sync does not bring notes back)."""
    assert hub.forwarder is not None
    with hub.forwarder.serial(escalation_id):
        row = _source_of(hub, escalation_id)
        if key:
            with hub.store.read() as conn:
                first = _replayed(conn, f"{escalation_id}/{kind}", key)
            if first is not None:
                return first, False
        outcome = hub.forwarder.forward(row.source, row.external_id, escalation_id,
                                        NOTE_PREFIX[kind], {"text": text,
                                                            "author": author}, key, who)
        if outcome.outcome in ("refused", "conflict"):
            with hub.store.write() as conn:
                audit.record(conn, who.analyst, f"escalation.{NOTE_PREFIX[kind]}",
                             escalation_id, {"author": author, "outcome": "refused",
                                             "message": outcome.message},
                             desktop=who.desktop)
            raise InvalidRequest(f"The source refused the {NOTE_PREFIX[kind]}: "
                                 f"{outcome.message}")
        source_pending.set(outcome.outcome == "pending")
        return hub._store_note(escalation_id, kind, text, author, key, who)
