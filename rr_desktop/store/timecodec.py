"""UTC datetimes <-> integer Unix seconds, the cache's time format."""

from __future__ import annotations

from datetime import UTC, datetime


def to_epoch(dt: datetime) -> int:
    """Whole seconds since the epoch; naive datetimes are taken as UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
