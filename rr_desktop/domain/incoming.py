"""What a channel hands the cache: a validated record, or a record that failed validation.

Channels build these (rr_desktop/channels/contract.py: `Page`, `PushResult`) and the store
merges them (store/ingest.py, store/quarantine.py); both sides import them from here, so
neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from .escalation import Escalation

RAW_CAP = 64 * 1024  # characters of a bad record's payload kept in quarantine


@dataclass(frozen=True, slots=True)
class Incoming:
    """A validated record with the hash of the payload it came from; `raw`, when the
    channel keeps it, is that payload (quarantined with the record if the cache cannot
    store it, see store/ingest.py)."""

    record: Escalation
    payload_hash: str
    raw: bytes | str | None = None


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record that failed validation: kept with its reason and a capped raw copy."""

    external_id: str | None
    reason: str
    raw: str

    @classmethod
    def of(cls, external_id: str | None, reason: str, raw: str) -> Quarantined:
        if len(raw) > RAW_CAP:
            raw = raw[:RAW_CAP] + f"\n[... truncated, {len(raw)} characters in all]"
        return cls(external_id, reason, raw)
