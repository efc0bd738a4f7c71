"""What a reply template knows about its escalation and its writer: the values of the
placeholders in `replies.REPLY_PLACEHOLDERS`, read from the cache (one primary-key read)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..domain.languages import language_name
from ..domain.markets import market_zone
from ..locations import resource_path
from .replies import REPLY_PLACEHOLDERS, PartnerType, ReplyTemplates, load_reply_templates
from .replies import partner_type_of as _partner_type_of


@dataclass(frozen=True, slots=True)
class ReplySubject:
    """The escalation a reply answers, as the cache holds it (texts are untrusted)."""

    external_id: str
    title: str
    reporter: str
    reporter_type: str
    category: str
    market: str
    language: str
    created_at: int  # epoch seconds
    status: str
    channel_kind: str
    content_url: str | None = None
    incident_title: str | None = None

    @property
    def partner_type(self) -> PartnerType | None:
        return _partner_type_of(self.reporter_type)


def read_reply_subject(db: sqlite3.Connection, esc_id: int) -> ReplySubject | None:
    """The escalation `esc_id` as a reply sees it, or None if the cache has no such row."""
    row = db.execute(
        "SELECT e.external_id, e.title, e.reporter, e.reporter_type, e.category, e.market, "
        "e.language, e.created_at, e.status, c.kind, e.content_url, i.title "
        "FROM escalation e JOIN channel c ON c.id = e.channel_id "
        "LEFT JOIN incident i ON i.id = e.incident_id WHERE e.id = ?", (esc_id,)).fetchone()
    if row is None:
        return None
    return ReplySubject(str(row[0]), str(row[1]), str(row[2] or ""), str(row[3]),
                        str(row[4]), str(row[5]), str(row[6] or ""), int(row[7]),
                        str(row[8]), str(row[9]), row[10], row[11])


def market_time(epoch: int, market: str) -> str:
    """A time as a partner in `market` reads it: "2026-05-04 14:03 (UTC+09:00)"; UTC
    when the market has no zone here."""
    when = datetime.fromtimestamp(epoch, UTC)
    zone_name = market_zone(market)
    if zone_name:
        try:
            when = when.astimezone(ZoneInfo(zone_name))
        except ZoneInfoNotFoundError:
            pass
    offset = when.strftime("%z")
    shown = "UTC" if offset in ("", "+0000") else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{when:%Y-%m-%d %H:%M} ({shown})"


def reply_values(subject: ReplySubject, analyst_name: str | None) -> dict[str, str | None]:
    """Every reply placeholder's value (None where there is none: it shows as
    `[label?]` and the reply waits until the analyst writes it in)."""
    values: dict[str, str | None] = {
        "reporter_name": subject.reporter.strip() or None,
        "reporter_type": subject.reporter_type.replace("_", " "),
        "external_id": subject.external_id,
        "title": subject.title,
        "category": subject.category.replace("_", " "),
        "market": subject.market,
        "language": language_name(subject.language) if subject.language else None,
        "received_at": market_time(subject.created_at, subject.market),
        "content_url": subject.content_url or None,
        "status": subject.status,
        "analyst_name": (analyst_name or "").strip() or None,
        "incident_title": subject.incident_title or None,
    }
    assert values.keys() == REPLY_PLACEHOLDERS.keys()
    return values


def template_roots(data_dir: Path | None) -> list[tuple[Path, bool]]:
    """Where templates are looked for: the shipped ones, then the analyst's own
    (`<data dir>/templates`), which replace or add to them."""
    roots = [(resource_path("templates"), False)]
    if data_dir is not None:
        roots.append((data_dir / "templates", True))
    return roots


def load_templates(data_dir: Path | None) -> ReplyTemplates:
    return load_reply_templates(template_roots(data_dir))
