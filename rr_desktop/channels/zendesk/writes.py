"""Push for the Zendesk channel: field edits as one safe_update of the ticket (read,
compare with the base the analyst saw in Zendesk's vocabulary, write), notes and
replies as private and public comments (see the package docstring)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from ...domain import Escalation, Severity, Status, Urgency
from ..contract import Mutation, PushResult, Rejected, VersionConflict, wire_value
from .api import Thread, TicketResponse, norm_text
from .custom_fields import CustomFieldMap
from .records import (
    PRIORITY_OF,
    TO_ZD_STATUS,
    Ticket,
    User,
    norm_tag,
    severity_tags,
    stamp_of,
    ticket_decoder,
    version_of,
)

if TYPE_CHECKING:
    from .client import ZendeskChannel


def canon(field: str, value: Any) -> Any:
    """A payload value in the form Zendesk can tell apart (several of our statuses are one
    Zendesk status), for comparing base / mine / theirs. ValueError if it is not valid."""
    if field == "status":
        return TO_ZD_STATUS[Status(value)]
    if field == "assignee":
        if value is None or value == "":
            return None
        if not str(value).isdigit():
            raise ValueError(f"assignee {str(value)[:40]!r} is not a Zendesk agent id")
        return int(value)
    if field == "severity":
        return Severity.parse(str(value)).name
    if field == "urgency":
        return Urgency.parse(str(value)).name
    if field == "tags":
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise ValueError("tags must be a list of words")
        return sorted({norm_tag(x) for x in value if norm_tag(x)})
    raise ValueError(f"Zendesk tickets have no field {field!r} this app can change")


def ticket_changes(fields: dict[str, Any], current: Ticket, rec: Escalation,
                   prefix: str, custom: CustomFieldMap | None = None) -> dict[str, Any]:
    """The `ticket` object of an Update Ticket request that applies `fields` (canonical
    values of the fields to send) on top of the ticket as it is now. With a severity
    custom field configured, severity is written there (where it is read first)."""
    out: dict[str, Any] = {}
    sev_field = custom.field_ids.get("severity") if custom is not None else None
    if "severity" in fields and sev_field is not None and custom is not None:
        out["custom_fields"] = [{"id": sev_field, "value": custom.remote_severity(
            Severity[fields["severity"]])}]
        fields = {k: v for k, v in fields.items() if k != "severity"}
    if "status" in fields:
        out["status"] = fields["status"]
    if "assignee" in fields:
        out["assignee_id"] = fields["assignee"]
    if "urgency" in fields:
        out["priority"] = PRIORITY_OF[Urgency[fields["urgency"]]]
    tags = [norm_tag(x) for x in current.tags]
    sev_tags = [x for x in tags if severity_tags([x], prefix)]
    new_tags = fields.get("tags", [x for x in tags if x not in sev_tags])
    if "severity" in fields:
        sev_tags = [f"{prefix}{fields['severity'].lower()}"]
    elif "urgency" in fields and not sev_tags:  # keep the severity the analyst sees
        sev_tags = [f"{prefix}{rec.severity.name.lower()}"]
    merged = sorted({*new_tags, *sev_tags})
    if merged != sorted(set(tags)):
        out["tags"] = merged
    return out


class ZendeskWrites:
    """The writes of one ZendeskChannel."""

    def __init__(self, channel: ZendeskChannel) -> None:
        self.ch = channel

    def push(self, mutation: Mutation) -> PushResult:
        tid = self.ch.tid(mutation.external_id)
        if mutation.op_type == "update":
            return self._update(tid, mutation)
        if mutation.op_type in ("note", "reply"):
            return self._comment(tid, mutation)
        raise Rejected(f"{self.ch.name}: Zendesk tickets cannot take a {mutation.op_type!r}")

    def _update(self, tid: int, m: Mutation) -> PushResult:
        ticket, raw, users, thread = self.ch.snapshot(tid)
        current = self.ch.checked(ticket, raw, users, thread)
        try:
            mine = {f: canon(f, v) for f, v in m.payload.items()}
        except (ValueError, KeyError) as exc:
            raise Rejected(f"{self.ch.name}: {exc}") from exc
        send: dict[str, Any] = {}
        clashes: list[str] = []
        for f, value in mine.items():
            theirs = canon(f, wire_value(current.record, f))
            if theirs == value:
                continue  # already so (e.g. a replay after a lost response)
            try:
                base = canon(f, m.base[f]) if f in m.base else theirs
            except (ValueError, KeyError):
                base = None
            if base != theirs:
                clashes.append(f)
            send[f] = value
        if clashes:
            raise VersionConflict(f"{self.ch.name}: ticket {tid} changed in Zendesk meanwhile "
                                  f"({', '.join(sorted(clashes))})", current)
        if not send:
            return PushResult(current.record.remote_version, current)
        if ticket.status in ("closed", "deleted"):
            raise Rejected(f"{self.ch.name}: ticket {tid} is {ticket.status} in Zendesk and "
                           "can no longer be changed")
        if send.get("status") == "new":
            raise Rejected(f"{self.ch.name}: Zendesk cannot set ticket {tid} back to new")
        d = self.ch.defaults
        body = {"ticket": {**ticket_changes(send, ticket, current.record,
                                            d.severity_prefix, d.custom),
                           "safe_update": True, "updated_stamp": stamp_of(ticket.updated_at)}}
        return self._put(tid, body, users)

    def _put(self, tid: int, body: dict[str, Any], users: dict[int, User]) -> PushResult:
        resp = self.ch.http.call("PUT", f"/api/v2/tickets/{tid}.json", write=True,
                                 ok=(409,), json=body)
        if resp.status_code == 409:  # safe_update: someone changed it since our read
            raise VersionConflict(f"{self.ch.name}: ticket {tid} changed in Zendesk while "
                                  "saving", self.ch.checked(*self.ch.snapshot(tid)))
        try:
            raw = bytes(msgspec.json.decode(resp.content, type=TicketResponse).ticket)
            ticket = ticket_decoder.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return PushResult(None)  # applied; the next pull brings the new version
        # Comments again: ours, or one a Zendesk trigger added, belong to this version.
        thread = self.ch.thread(ticket) if self.ch.wants_comments(ticket) else Thread()
        incoming = self.ch.checked(ticket, raw, users, thread)
        return PushResult(version_of(ticket.updated_at), incoming)

    def _comment(self, tid: int, m: Mutation) -> PushResult:
        text = m.payload.get("text")
        if not isinstance(text, str) or not text.strip():
            raise Rejected(f"{self.ch.name}: an empty {m.op_type} cannot be posted")
        public = m.op_type == "reply"
        ticket, raw, users, _ = self.ch.snapshot(tid)
        if ticket.status in ("closed", "deleted"):
            raise Rejected(f"{self.ch.name}: ticket {tid} is {ticket.status} in Zendesk and "
                           f"takes no {m.op_type}")
        # Zendesk takes no idempotency key on updates: after the ticket moved on since the
        # op was queued, look for our comment before posting it again (docs/sync.md rule 8).
        if version_of(ticket.updated_at) > m.base_version:
            thread = self.ch.thread(ticket)
            for c in thread.comments:
                if c.public == public and version_of(c.created_at) >= m.base_version and \
                        norm_text(c.plain_body or c.body or "") == norm_text(text):
                    return PushResult(version_of(ticket.updated_at),
                                      self.ch.checked(ticket, raw, users, thread))
        return self._put(tid, {"ticket": {"comment": {"body": text, "public": public}}},
                         users)
