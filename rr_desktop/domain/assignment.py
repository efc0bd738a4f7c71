"""Who should take an escalation: candidates scored by language, market, policy area,
open load against capacity, and shift (docs/lead-board.md, "How suggestions score").

Pure: given the item's needs, the candidates and the time, the same answer every time.
Rules:
- off shift: never suggested; at or over capacity: never suggested;
- language +40, market +20, policy area +15;
- each open item -5, so a language match outweighs at most 7 more open items (8 ties,
  broken by id; 9 and more lose): language beats load only within limits;
- shift ending within the hour -15; no shift set -10 (on shift is not known);
- ties: by analyst id, so the order never depends on the roster's order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .enums import PolicyCategory
from .escalation import Analyst
from .languages import language_name, primary
from .roster_profile import AnalystProfile

LANGUAGE = 40
MARKET = 20
SKILL = 15
PER_OPEN_ITEM = 5
SHIFT_ENDING = 15
SHIFT_ENDING_WITHIN_S = 3600
SHIFT_UNKNOWN = 10


@dataclass(frozen=True, slots=True)
class ItemNeeds:
    """What an escalation asks of whoever takes it."""

    language: str = ""
    market: str = ""
    category: PolicyCategory | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    analyst: Analyst
    profile: AnalystProfile
    open_items: int


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A candidate worth suggesting: its score and why, strongest reason first."""

    analyst_id: str
    name: str
    score: int
    reasons: tuple[str, ...]

    def sentence(self) -> str:
        """"speaks Bahasa Indonesia, on shift 3 more hours, 4 open items"."""
        return ", ".join(self.reasons)


def suggest_assignees(needs: ItemNeeds, candidates: Iterable[Candidate], now: datetime,
                      limit: int = 5) -> list[Suggestion]:
    """The best `limit` candidates for an item, best first; `now` is aware."""
    scored = [s for s in (score_candidate(needs, c, now) for c in candidates) if s is not None]
    scored.sort(key=lambda s: (-s.score, s.analyst_id))
    return scored[:limit]


def score_candidate(needs: ItemNeeds, c: Candidate, now: datetime) -> Suggestion | None:
    """One candidate's score and reasons, or None when they must not be suggested (off
    shift, at capacity)."""
    a, p = c.analyst, c.profile
    if p.capacity is not None and c.open_items >= p.capacity:
        return None
    score = 0
    reasons: list[str] = []
    if needs.language and primary(needs.language) in {primary(x) for x in a.languages}:
        score += LANGUAGE
        reasons.append(f"speaks {language_name(needs.language)}")
    market = needs.market.strip().upper()
    if market and market in {m.upper() for m in a.markets}:
        score += MARKET
        reasons.append(f"covers {market}")
    if needs.category is not None and needs.category in p.skills:
        score += SKILL
        reasons.append(f"handles {needs.category.label}")
    if p.shift is None:
        score -= SHIFT_UNKNOWN
        reasons.append("shift not set")
    else:
        end = p.shift.shift_end(now)
        if end is None:
            return None
        left = (end - now).total_seconds()
        if left < SHIFT_ENDING_WITHIN_S:
            score -= SHIFT_ENDING
        reasons.append(f"on shift {_duration(left)}")
    score -= PER_OPEN_ITEM * c.open_items
    reasons.append(_load(c.open_items, p.capacity))
    return Suggestion(a.id, a.name, score, tuple(reasons))


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} more minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    return f"{hours} more hour{'s' if hours != 1 else ''}"


def _load(open_items: int, capacity: int | None) -> str:
    if capacity is not None:
        return f"{open_items} of {capacity} open items"
    if open_items == 0:
        return "no open items"
    return f"{open_items} open item{'s' if open_items != 1 else ''}"
