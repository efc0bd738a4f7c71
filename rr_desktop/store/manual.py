"""Creating an escalation by hand (KEYMAP `c`): an analyst types in what came by phone,
chat or a meeting. It lands in the local `manual` channel through the normal ingest path
(priority, SLA clocks, FTS), with a timeline event and an audit entry naming its author."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime

from ..domain import (
    Channel,
    Escalation,
    Incoming,
    PolicyCategory,
    ReporterType,
    Severity,
    Status,
    Urgency,
    normalize_market,
    region_of,
)
from ..domain.manual import DEFAULT_NAME, KIND, PUSHES
from . import channel_state as cs
from .ingest import merge_page
from .outbox import audit
from .timecodec import to_epoch

MAX_TITLE = 300
MAX_BODY = 100_000


@dataclass(frozen=True, slots=True)
class ManualDraft:
    """What the analyst typed. `market` is an ISO alpha-2 code; text is untrusted."""

    title: str
    body: str
    market: str
    severity: Severity
    urgency: Urgency
    category: PolicyCategory
    reporter: str = ""
    reporter_type: ReporterType = ReporterType.INTERNAL
    content_url: str | None = None
    language: str = "en"

    def problems(self) -> list[str]:
        """What is wrong with the draft, as sentences; empty when it can be created."""
        out = []
        if not " ".join(self.title.split()):
            out.append("A title is required.")
        try:
            normalize_market(self.market)
        except ValueError:
            out.append(f"{self.market.strip() or 'An empty market'} is not a country code "
                       "(ISO 3166-1 alpha-2, e.g. ID, PH, AU).")
        url = (self.content_url or "").strip()
        if url and not url.lower().startswith(("http://", "https://")):
            out.append("The content URL must start with http:// or https://.")
        return out


@dataclass(frozen=True, slots=True)
class Created:
    escalation_id: int
    channel: str  # the manual channel's name (created with the first escalation)


def create_escalation(db: sqlite3.Connection, draft: ManualDraft, actor: str,
                      now: datetime) -> Created:
    """Insert the escalation in the caller's write transaction. ValueError (sentences)
    for a draft with problems."""
    problems = draft.problems()
    if problems:
        raise ValueError(" ".join(problems))
    channel_id, channel = manual_channel(db)
    market = normalize_market(draft.market)
    record = Escalation(
        external_id=f"M-{now:%Y%m%d}-{uuid.uuid4().hex[:8]}", remote_version=1,
        title=" ".join(draft.title.split())[:MAX_TITLE], body=draft.body.strip()[:MAX_BODY],
        reporter=(draft.reporter.strip() or actor)[:200], reporter_type=draft.reporter_type,
        category=draft.category, market=market, region=region_of(market),
        language=draft.language, severity=draft.severity, urgency=draft.urgency,
        status=Status.NEW, created_at=now, updated_at=now,
        content_url=(draft.content_url or "").strip() or None,
    )
    digest = hashlib.blake2b(repr(record).encode(), digest_size=16).hexdigest()
    result = merge_page(db, channel_id, [Incoming(record, digest)], [], now,
                        keep_local_triage=True)
    esc_id = result.changed_ids[0]
    db.execute(
        "INSERT INTO escalation_event (escalation_id, at, kind, field, old, new, reason, "
        "author, source) VALUES (?, ?, 'created', NULL, NULL, NULL, ?, ?, 'local')",
        (esc_id, to_epoch(now), "typed in by an analyst", actor))
    audit(db, actor, "create_escalation", now, escalation_id=esc_id, channel_id=channel_id,
          external_id=record.external_id)
    return Created(esc_id, channel)


def manual_channel(db: sqlite3.Connection) -> tuple[int, str]:
    """(id, name) of the manual channel, created on first use; never takes over the name
    of a configured channel of another kind."""
    row = db.execute("SELECT id, name, pushes FROM channel WHERE kind = ? ORDER BY id "
                     "LIMIT 1", (KIND,)).fetchone()
    if row is not None:
        if row[2] is None:  # made before its pushes were recorded
            cs.set_pushes(db, int(row[0]), PUSHES)
        return int(row[0]), str(row[1])
    name, n = DEFAULT_NAME, 1
    while db.execute("SELECT 1 FROM channel WHERE name = ?", (name,)).fetchone():
        n += 1
        name = f"{DEFAULT_NAME}-{n}"
    # What its source receives (nothing), recorded now: the channel is made while the app
    # runs, before any sync has built its client, and a channel with no recorded pushes
    # has every change queued (and later marked sent, though it went nowhere).
    return cs.ensure_channel(db, Channel(name, KIND, {}, pushes=PUSHES)), name
