"""Zendesk wire records -> domain Escalations, and the vocabulary both ways (writes.py
turns domain edits into Zendesk ticket fields).

Pure functions, no I/O. The vocabulary mapping (documented ticket fields: status
new/open/pending/hold/solved/closed, priority low/normal/high/urgent or null):

| Zendesk status | Status              |  | Status                        | Zendesk |
|----------------|---------------------|--|-------------------------------|---------|
| new            | new                 |  | new                           | new     |
| open           | investigating       |  | triaged, investigating,       | open    |
| pending        | waiting_on_partner  |  | contained                     |         |
| hold           | waiting_on_stakeh.  |  | waiting_on_partner            | pending |
| solved         | resolved            |  | waiting_on_stakeholder,snoozed| hold    |
| closed         | closed              |  | resolved, duplicate, declined | solved  |
| deleted        | closed (+ a fact)   |  | closed                        | closed  |

Priority is how fast a ticket must move, so it is the urgency (urgent U0, high U1,
normal U2, low U3). Zendesk has no severity: it lives in a tag `<prefix>s0..s3`
(default prefix "severity_"); without one, severity follows priority (urgent/high S1,
normal S2, low S3). A tag that equals a policy category value sets the category, a tag
`market_xx` (ISO 3166 alpha-2) sets the market; otherwise the channel's defaults apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

from ...domain import (
    Escalation,
    Fact,
    PolicyCategory,
    ReporterType,
    Severity,
    Status,
    Urgency,
    normalize_market,
    region_of,
)
from .custom_fields import CustomFieldMap

MAX_TITLE = 1_000
MAX_FACT = 4_000
MAX_TAGS = 200

FROM_ZD_STATUS = {
    "new": Status.NEW, "open": Status.INVESTIGATING, "pending": Status.WAITING_ON_PARTNER,
    "hold": Status.WAITING_ON_STAKEHOLDER, "solved": Status.RESOLVED, "closed": Status.CLOSED,
    "deleted": Status.CLOSED,
}
TO_ZD_STATUS = {
    Status.NEW: "new", Status.TRIAGED: "open", Status.INVESTIGATING: "open",
    Status.CONTAINED: "open", Status.WAITING_ON_PARTNER: "pending",
    Status.WAITING_ON_STAKEHOLDER: "hold", Status.SNOOZED: "hold", Status.RESOLVED: "solved",
    Status.DUPLICATE: "solved", Status.DECLINED: "solved", Status.CLOSED: "closed",
}
URGENCY_OF = {"urgent": Urgency.U0, "high": Urgency.U1, "normal": Urgency.U2,
              "low": Urgency.U3}
PRIORITY_OF = {u: p for p, u in URGENCY_OF.items()}
SEVERITY_OF = {"urgent": Severity.S1, "high": Severity.S1, "normal": Severity.S2,
               "low": Severity.S3}
_CATEGORY = {c.value: c for c in PolicyCategory if c is not PolicyCategory.OTHER}


class User(msgspec.Struct):
    """A Zendesk user as sideloaded (`include=users`) or listed by /api/v2/users."""

    id: int
    name: str = ""
    email: str | None = None
    locale: str | None = None
    role: str | None = None
    active: bool = True


class Comment(msgspec.Struct):
    """One ticket comment (List Comments); `plain_body` is its plain-text form."""

    id: int
    created_at: datetime
    author_id: int | None = None
    body: str | None = None
    plain_body: str | None = None
    public: bool = True


class CustomField(msgspec.Struct):
    """One entry of a ticket's `custom_fields`: a field id and its value (text, a number,
    a bool, a list of option values for a multi-select, or null)."""

    id: int
    value: Any = None


class Ticket(msgspec.Struct):
    """The ticket fields this channel reads."""

    id: int
    created_at: datetime
    updated_at: datetime
    status: str
    subject: str | None = None
    raw_subject: str | None = None
    description: str | None = None
    priority: str | None = None
    assignee_id: int | None = None
    requester_id: int | None = None
    tags: list[str] = []
    custom_fields: list[CustomField] = []
    fields: list[CustomField] = []  # the documented legacy name of custom_fields
    ticket_form_id: int | None = None

    def custom(self) -> list[tuple[int, Any]]:
        return [(f.id, f.value) for f in self.custom_fields or self.fields]


ticket_decoder = msgspec.json.Decoder(Ticket)


@dataclass(frozen=True, slots=True)
class Defaults:
    """What a channel's config supplies where Zendesk has no field."""

    market: str = "SG"
    category: PolicyCategory = PolicyCategory.OTHER
    reporter_type: ReporterType = ReporterType.TRUSTED_PARTNER
    language: str = "en"
    severity_prefix: str = "severity_"
    agent_url: str = ""  # https://{subdomain}.zendesk.com, for the ticket's link
    custom: CustomFieldMap = field(default_factory=CustomFieldMap)


def version_of(updated_at: datetime) -> int:
    """remote_version: updated_at in epoch milliseconds (every ticket event moves it)."""
    return int(updated_at.timestamp() * 1000)


def stamp_of(updated_at: datetime) -> str:
    """The `updated_stamp` form of a ticket's updated_at (ISO 8601, seconds, Z)."""
    return updated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plain(text: str, cap: int | None) -> str:
    """Untrusted text kept plain: NUL and other C0 controls (but tab/newline) dropped,
    capped with a visible note (a body is cut by the domain's Escalation: cap None)."""
    cleaned = "".join(ch for ch in text if ch >= " " or ch in "\n\t")
    if cap is not None and len(cleaned) > cap:
        return cleaned[:cap] + f"\n[... truncated, {len(cleaned)} characters in all]"
    return cleaned


def norm_tag(tag: str) -> str:
    """Zendesk tags are lower-case words; spaces become underscores."""
    return tag.strip().lower().replace(" ", "_")


def severity_tags(tags: list[str], prefix: str) -> list[Severity]:
    names = {f"{prefix}{s.name.lower()}": s for s in Severity}
    return sorted(names[t] for t in tags if t in names)


def _aware(dt: datetime, what: str) -> datetime:
    if dt.tzinfo is None:
        raise ValueError(f"{what} has no time zone")
    return dt.astimezone(UTC)


def _fact(c: Comment, users: dict[int, User]) -> Fact:
    who = users.get(c.author_id or -1)
    author = who.name if who and who.name else f"user {c.author_id}"
    kind = "Reply" if c.public else "Internal note"
    text = c.plain_body if c.plain_body is not None else (c.body or "")
    return Fact(_aware(c.created_at, "comment created_at"),
                plain(f"{kind} by {author}: {text}", MAX_FACT))


def to_record(t: Ticket, d: Defaults, users: dict[int, User],
              comments: list[Comment] | None = None, skip_first: bool = False) -> Escalation:
    """Validate one ticket; ValueError says what is wrong. `comments` are oldest first;
    with `skip_first` the oldest one is the description (the body) and is left out."""
    if t.id <= 0:
        raise ValueError("id is not a positive number")
    status = FROM_ZD_STATUS.get(t.status)
    if status is None:
        raise ValueError(f"status {t.status[:40]!r} is not a Zendesk status")
    if t.priority is not None and t.priority not in URGENCY_OF:
        raise ValueError(f"priority {t.priority[:40]!r} is not a Zendesk priority")
    if len(t.tags) > MAX_TAGS or any(not x or len(x) > 100 or " " in x for x in t.tags):
        raise ValueError("tags are not a list of short words")
    updated = _aware(t.updated_at, "updated_at")
    tags = [norm_tag(x) for x in t.tags]
    # First found wins: the custom field, the tags, the ticket form, the defaults.
    from_field = d.custom.from_fields(t.custom()) if d.custom.field_ids else {}
    from_form = d.custom.from_form(t.ticket_form_id)
    sev = severity_tags(tags, d.severity_prefix)
    # `is not None`, never `or`: S0 is 0.
    severity: Severity = _first(from_field.get("severity"), sev[0] if sev else None,
                                from_form.get("severity"),
                                SEVERITY_OF.get(t.priority or "", Severity.S2))
    urgency = URGENCY_OF.get(t.priority or "", Urgency.U2)
    category: PolicyCategory = _first(
        from_field.get("category"), next((_CATEGORY[x] for x in tags if x in _CATEGORY), None),
        from_form.get("category"), d.category)
    market: str = _first(from_field.get("market"), _tag_market(tags),
                         from_form.get("market"), d.market)
    requester = users.get(t.requester_id or -1)
    facts = [_fact(c, users) for c in (comments or [])[1 if skip_first else 0:]]
    if t.status == "deleted":
        facts.append(Fact(updated, "Deleted in Zendesk"))
    return Escalation(
        external_id=str(t.id), remote_version=version_of(updated),
        title=plain(t.subject or t.raw_subject or "(no subject)", MAX_TITLE).replace("\n", " "),
        body=plain(t.description or "", None),
        reporter=plain(requester.name if requester and requester.name
                       else f"Zendesk user {t.requester_id}", 200),
        reporter_type=d.reporter_type, category=category, market=market,
        region=region_of(market),
        language=((requester.locale if requester else None) or d.language)[:35],
        severity=severity, urgency=urgency, status=status,
        created_at=_aware(t.created_at, "created_at"), updated_at=updated,
        assignee=str(t.assignee_id) if t.assignee_id is not None else None,
        tags=tuple(x for x in tags if not severity_tags([x], d.severity_prefix)),
        content_url=f"{d.agent_url}/agent/tickets/{t.id}" if d.agent_url else None,
        facts=tuple(facts),
    )


def _first(*values: Any) -> Any:
    return next(v for v in values if v is not None)


def _tag_market(tags: list[str]) -> str | None:
    for x in tags:
        if x.startswith("market_"):
            try:
                return normalize_market(x[7:])
            except ValueError:
                pass
    return None
