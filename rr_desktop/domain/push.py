"""What a local change sends to its source channel: the push matrix as data.

Each channel kind declares the `Push` values its source receives (channels' ChannelSpec);
a change the source cannot receive stays on this machine, marked so in the timeline, and
a reply a source cannot receive is refused before it is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Push(StrEnum):
    """One kind of change a source may receive."""

    STATUS = "status"
    STATUS_REASON = "status_reason"  # the decline's reason, with the status
    DUPLICATE_OF = "duplicate_of"  # the escalation it duplicates (same channel)
    SEVERITY = "severity"
    URGENCY = "urgency"
    ASSIGNEE = "assignee"
    TAGS = "tags"
    NOTE = "note"  # an internal note
    FACT = "fact"  # an evolving fact
    REPLY = "reply"  # a reply the reporter sees


FIELDS = frozenset({Push.STATUS, Push.SEVERITY, Push.URGENCY, Push.ASSIGNEE, Push.TAGS})
EVERYTHING = frozenset(Push)
NOTHING: frozenset[Push] = frozenset()

# Changes no source receives: an analyst's own triage state on this machine.
ALWAYS_LOCAL = ("snoozed_until", "queue", "incident_id")


def parse_pushes(values: Iterable[str] | None) -> frozenset[Push] | None:
    """The pushes stored for a channel (None: not recorded, everything is queued)."""
    if values is None:
        return None
    known = {p.value for p in Push}
    return frozenset(Push(v) for v in values if v in known)
