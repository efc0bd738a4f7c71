"""Escalations, channels and analysts as plain, immutable records (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .enums import PolicyCategory, Priority, Region, ReporterType, Severity, Status, Urgency
from .long_text import MAX_BODY, MAX_BODY_HTML, cut_html, cut_text


@dataclass(frozen=True, slots=True)
class Fact:
    """An evolving fact about an escalation as reported by its source ("views passed 1M")."""

    at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class Escalation:
    """One reported item (content, account, trend or request) as known from its channel.

    `remote_version` is the channel's monotonic version of the record; the cache never
    lets an older version overwrite a newer one. `title` and `body` are untrusted text;
    `body_html`, when the source sent a formatted body, is untrusted HTML (`body` is its
    plain text) and is shown only through the GUI's SafeHtml path.

    Every channel builds its records here, so this is where long bodies are cut, the
    same way for all of them (long_text.py): at most MAX_BODY characters of `body` and
    MAX_BODY_HTML of `body_html`, cut at a character boundary with a line saying so.
    """

    external_id: str
    remote_version: int
    title: str
    body: str
    reporter: str
    reporter_type: ReporterType
    category: PolicyCategory
    market: str
    region: Region
    language: str
    severity: Severity
    urgency: Urgency
    status: Status
    created_at: datetime
    updated_at: datetime
    assignee: str | None = None
    tags: tuple[str, ...] = ()
    deadline_at: datetime | None = None
    views: int = 0
    shares: int = 0
    content_url: str | None = None
    facts: tuple[Fact, ...] = field(default=())
    body_html: str | None = None

    def __post_init__(self) -> None:
        if len(self.body) > MAX_BODY:
            object.__setattr__(self, "body", cut_text(self.body))
        if self.body_html is not None and len(self.body_html) > MAX_BODY_HTML:
            object.__setattr__(self, "body_html", cut_html(self.body_html))


@dataclass(frozen=True, slots=True)
class Channel:
    """A configured source of escalations. Secrets are never part of it (see secrets.py).
    `pushes`: what its source receives of local changes (None: not known here)."""

    name: str
    kind: str
    config: dict[str, str]
    id: int | None = None
    pushes: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Analyst:
    """Someone escalations can be assigned to."""

    id: str
    name: str
    email: str = ""
    languages: tuple[str, ...] = ()
    markets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PriorityAssessment:
    """A derived priority with the reasons that explain it, most important first."""

    priority: Priority
    reasons: tuple[str, ...]

    def explain(self) -> str:
        return f"{self.priority.name} because " + "; ".join(self.reasons)
