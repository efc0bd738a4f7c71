"""A rebalance proposal for the lead board (`b`, docs/lead-board.md "Rebalance"): who
should take the open items nobody has, and the excess of analysts over their capacity.

Pure, and deterministic: the same items, candidates and time give the same moves.
Rules:
- only analysts on shift now (their shift set) receive items, and never beyond their
  capacity (domain/assignment.py scores them; its hard stops hold);
- an overloaded analyst gives up exactly the items over their capacity, those nobody
  has started first (still `new`), then the most urgent, then the oldest;
- items go most urgent first (then oldest, then id), each to the best-scoring candidate
  as loads stand after the moves before it (ties by analyst id);
- an item nobody can take stays where it is (counted in `left`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from .assignment import Candidate, ItemNeeds, score_candidate
from .enums import Priority


@dataclass(frozen=True, slots=True)
class OpenItem:
    esc_id: int
    ref: str
    title: str
    priority: Priority
    created_at: int
    assignee: str | None
    started: bool  # moved out of `new`
    needs: ItemNeeds


@dataclass(frozen=True, slots=True)
class Move:
    """One item to one analyst, and why them."""

    esc_id: int
    ref: str
    title: str
    priority: Priority
    from_id: str | None
    to_id: str
    to_name: str
    reasons: tuple[str, ...]

    def sentence(self) -> str:
        """"P1 ESC-7 (unassigned) to Budi Santoso: speaks Bahasa Indonesia, ..."."""
        was = "unassigned" if self.from_id is None else f"from {self.from_id}"
        return (f"{self.priority.name} {self.ref} ({was}) to {self.to_name}: "
                f"{', '.join(self.reasons)}")


@dataclass(frozen=True, slots=True)
class Proposal:
    moves: tuple[Move, ...]
    left: int  # items that needed a home and found none


def _to_move(items: Sequence[OpenItem], candidates: Sequence[Candidate]) -> list[OpenItem]:
    """Unassigned items, and the excess of each analyst over their capacity."""
    capacity = {c.analyst.id: c.profile.capacity for c in candidates}
    wanted = [i for i in items if i.assignee is None]
    by_owner: dict[str, list[OpenItem]] = {}
    for i in items:
        if i.assignee is not None:
            by_owner.setdefault(i.assignee, []).append(i)
    for owner, held in sorted(by_owner.items()):
        cap = capacity.get(owner)
        if cap is None or len(held) <= cap:
            continue
        held.sort(key=lambda i: (i.started, i.priority, i.created_at, i.esc_id))
        wanted += held[:len(held) - cap]
    wanted.sort(key=lambda i: (i.priority, i.created_at, i.esc_id))
    return wanted


def propose_rebalance(items: Sequence[OpenItem], candidates: Sequence[Candidate],
                      now: datetime) -> Proposal:
    """The moves, most urgent item first. `items`: every open item, with its assignee;
    `candidates`: the roster with each analyst's open load."""
    load = {c.analyst.id: c for c in candidates
            if c.profile.shift is not None and c.profile.shift.on_shift(now)}
    moves: list[Move] = []
    left = 0
    for item in _to_move(items, candidates):
        best = None
        for who in sorted(load):
            if who == item.assignee:
                continue
            s = score_candidate(item.needs, load[who], now)
            if s is not None and (best is None or s.score > best.score):
                best = s
        if best is None:
            left += 1
            continue
        taker = load[best.analyst_id]
        load[best.analyst_id] = replace(taker, open_items=taker.open_items + 1)
        moves.append(Move(item.esc_id, item.ref, item.title, item.priority, item.assignee,
                          best.analyst_id, best.name, best.reasons))
    return Proposal(tuple(moves), left)
