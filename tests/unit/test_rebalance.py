"""The rebalance proposal (domain/rebalance.py): never to an analyst off shift, without
shift hours or at capacity; exactly the excess of an overloaded analyst, unstarted items
first; most urgent first; the same answer whatever the input order."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from rr_desktop.domain import Analyst, PolicyCategory, Priority
from rr_desktop.domain.assignment import Candidate, ItemNeeds
from rr_desktop.domain.rebalance import OpenItem, propose_rebalance
from rr_desktop.domain.roster_profile import AnalystProfile
from rr_desktop.domain.shift import ShiftSchedule

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # Wed 10:00 Jakarta, 03:00 Dublin
JAKARTA = ShiftSchedule.parse("Asia/Jakarta", "Mon-Fri 09:00-18:00")
DUBLIN = ShiftSchedule.parse("Europe/Dublin", "Mon-Fri 09:00-17:00")


def cand(who: str, shift: ShiftSchedule | None, capacity: int | None, load: int,
         languages: tuple[str, ...] = ("en",)) -> Candidate:
    return Candidate(Analyst(who, who.title(), "", languages, ()),
                     AnalystProfile((), shift, capacity), load)


CANDIDATES = [
    cand("budi", JAKARTA, 3, 1, ("id", "en")),  # room for 2
    cand("chen", JAKARTA, 2, 2),                # at capacity
    cand("dana", DUBLIN, 10, 0),                # off shift (03:00 in Dublin)
    cand("eve", None, 10, 0),                   # no shift hours: on shift unknown
    cand("maria", JAKARTA, 2, 4),               # 2 over capacity
    cand("ana", JAKARTA, None, 3),              # on shift, no limit
]


def item(n: int, pri: Priority, assignee: str | None, started: bool = True,
         language: str = "en") -> OpenItem:
    return OpenItem(n, f"ESC-{n}", f"item {n}", pri, 1000 + n, assignee, started,
                    ItemNeeds(language, "ID", PolicyCategory.HATE_SPEECH))


ITEMS = [
    item(1, Priority.P2, None, False, "id"),
    item(2, Priority.P0, None, False),
    item(3, Priority.P1, "maria"), item(4, Priority.P3, "maria", False),
    item(5, Priority.P2, "maria"), item(6, Priority.P4, "maria", False),
    item(7, Priority.P1, "chen"), item(8, Priority.P1, "chen"),
    item(9, Priority.P2, "budi"),
    *(item(10 + k, Priority.P3, "ana") for k in range(3)),
]


def test_moves_follow_the_rules() -> None:
    proposal = propose_rebalance(ITEMS, CANDIDATES, NOW)
    moves = [(m.esc_id, m.from_id, m.to_id) for m in proposal.moves]
    # Most urgent first: the P0 (2), the Indonesian P2 (1), Maria's unstarted P3 (4)
    # and P4 (6), never her started P1 (3) or P2 (5).
    assert moves == [(2, None, "budi"), (1, None, "budi"), (4, "maria", "ana"),
                     (6, "maria", "ana")]
    assert proposal.left == 0
    assert {m.to_id for m in proposal.moves} <= {"budi", "ana"}  # not chen, dana, eve
    # Budi had room for two: he got two, not more.
    assert sum(1 for m in proposal.moves if m.to_id == "budi") == 2
    first = proposal.moves[0]
    assert first.sentence() == ("P0 ESC-2 (unassigned) to Budi: speaks English, "
                                "on shift 8 more hours, 1 of 3 open items")


def test_deterministic_whatever_the_order() -> None:
    expected = propose_rebalance(ITEMS, CANDIDATES, NOW)
    rng = random.Random(13)
    for _ in range(20):
        items, cands = ITEMS[:], CANDIDATES[:]
        rng.shuffle(items)
        rng.shuffle(cands)
        assert propose_rebalance(items, cands, NOW) == expected


def test_nothing_to_move_and_nobody_to_take() -> None:
    balanced = [i for i in ITEMS if i.assignee in ("budi", "ana", "chen")]
    assert propose_rebalance(balanced, CANDIDATES, NOW).moves == ()
    # Only off-shift, shiftless and full analysts: the items stay, counted as left.
    nobody = [c for c in CANDIDATES if c.analyst.id in ("chen", "dana", "eve")]
    proposal = propose_rebalance(ITEMS[:2], nobody, NOW)
    assert proposal.moves == () and proposal.left == 2
