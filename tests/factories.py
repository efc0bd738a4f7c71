"""Building domain records for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from rr_desktop.domain import (
    Escalation,
    Incoming,
    PolicyCategory,
    ReporterType,
    Severity,
    Status,
    Urgency,
    region_of,
)

T0 = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
_ids = count(1)


def escalation(**overrides: Any) -> Escalation:
    n = next(_ids)
    market = overrides.pop("market", "ID")
    fields: dict[str, Any] = dict(
        external_id=f"ESC-{n:06d}", remote_version=1,
        title=f"Re-upload of violent livestream clip #{n}",
        body="Trusted flagger reports 14 re-uploads of the attack footage.",
        reporter="Safer Internet Lab", reporter_type=ReporterType.TRUSTED_FLAGGER,
        category=PolicyCategory.VIOLENT_EXTREMISM, market=market, region=region_of(market),
        language="id", severity=Severity.S1, urgency=Urgency.U1, status=Status.NEW,
        created_at=T0 + timedelta(minutes=n), updated_at=T0 + timedelta(minutes=n),
        tags=("livestream",),
    )
    fields.update(overrides)
    return Escalation(**fields)


def incoming(record: Escalation | None = None, **overrides: Any) -> Incoming:
    rec = record or escalation(**overrides)
    return Incoming(rec, f"h{rec.external_id}:{rec.remote_version}")
