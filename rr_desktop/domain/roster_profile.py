"""What the team keeps about an analyst beside what the sources list (docs/lead-board.md):
their policy areas, their shift and how many open items they can carry. Kept on this
machine, never overwritten by a roster sync."""

from __future__ import annotations

from dataclasses import dataclass

from .enums import PolicyCategory
from .shift import ShiftSchedule

MAX_CAPACITY = 500


@dataclass(frozen=True, slots=True)
class AnalystProfile:
    """`skills`: policy areas they handle; `shift`: None when not set; `capacity`: the
    most open items they should carry, None when not set."""

    skills: tuple[PolicyCategory, ...] = ()
    shift: ShiftSchedule | None = None
    capacity: int | None = None


def parse_skills(text: str) -> tuple[PolicyCategory, ...]:
    """Policy areas from their values or labels, separated by commas or spaces
    ("hate_speech, privacy"); ValueError naming an unknown one."""
    known = {c.value: c for c in PolicyCategory}
    found: list[PolicyCategory] = []
    for word in text.replace(",", " ").split():
        key = word.strip().lower().replace("-", "_")
        if key not in known:
            raise ValueError(f"{word!r} is not a policy area (one of: "
                             + ", ".join(c.value for c in PolicyCategory) + ")")
        if known[key] not in found:
            found.append(known[key])
    return tuple(found)


def check_capacity(value: int | None) -> int | None:
    """None (not set) or 1..MAX_CAPACITY; ValueError otherwise."""
    if value is None:
        return None
    if not 1 <= value <= MAX_CAPACITY:
        raise ValueError(f"capacity should be between 1 and {MAX_CAPACITY} open items")
    return value
