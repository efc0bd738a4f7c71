"""Deterministic demo data: ``generate`` a seeded queue of escalations, ``Evolver`` moves it.

No global random and no wall clock: records depend only on the seed, the count and the
injected ``now``. A generated queue is a team's recent history as it stands at ``now`` (see
docs/demo-data.md): arrivals through the day by market time zone (arrivals.py), the older
items worked by the roster's analysts (workflow.py). ``generate(7, 100_000, now)`` takes
1.6-1.9 s on the 2-core target machine (``python -m tests.benchmarks.bench_demo``), most of
it building the ~600 characters of text per record.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rr_desktop.domain.enums import PolicyCategory
from rr_desktop.domain.enums import Status as St

from .factory import EscalationFactory, regulator_hours
from .phrases import with_article
from .vocab import MARKET_BY_CODE
from .wire import epoch, gc_paused, iso, parse_iso

# A real APAC team's rate: about a hundred escalations a day. The count of a generated
# queue decides how much history it has (3000: a month), up to a month; beyond that (the
# benchmarks' 100k) the month just gets busier.
ARRIVALS_PER_DAY = 100
MAX_SPAN_S = 30 * 86400


def history_s(count: int) -> int:
    """How far back ``count`` escalations reach at a real team's rate (at most a month)."""
    return max(1, min(MAX_SPAN_S, count * 86400 // ARRIVALS_PER_DAY))
MAX_FACTS = 50

# Status moves the platform itself makes (automated enforcement, partner answers, timers).
_PLATFORM_MOVES: dict[str, tuple[str, str]] = {
    St.NEW.value: (St.CONTAINED.value, "Removed by automated enforcement after a hash match"),
    St.TRIAGED.value: (St.CONTAINED.value, "Geo-restricted by the platform pending review"),
    St.INVESTIGATING.value: (St.CONTAINED.value, "Uploader account suspended by the platform"),
    St.WAITING_ON_PARTNER.value: (St.INVESTIGATING.value,
                                  "Partner replied with additional context"),
    St.WAITING_ON_STAKEHOLDER.value: (St.INVESTIGATING.value,
                                      "Legal answered the stakeholder request"),
    St.SNOOZED.value: (St.TRIAGED.value, "Snooze expired; back in the queue"),
    St.CONTAINED.value: (St.RESOLVED.value, "No re-uploads for 24 h; resolved by the platform"),
}
_SEVERITY_REASONS = (
    "views doubling every hour", "the person in the video was identified as a minor",
    "police reported offline harm", "copies spreading to a second market",
    "a regulator asked for an update",
)
_CLOSED = frozenset({St.RESOLVED.value, St.CLOSED.value, St.DUPLICATE.value,
                     St.DECLINED.value})
# What a platform-side change of an open escalation is, as shares of all changes: a
# regulator notice, an automated status move, a severity raise, a new fact; the rest is
# reach. At about 450 changes an hour that is a notice or a raise every hour or so.
CHANGE_SHARES = (0.002, 0.004, 0.002, 0.04)
_CHANGE_CUM = tuple(sum(CHANGE_SHARES[:i + 1]) for i in range(len(CHANGE_SHARES)))
# Statuses in which the content is still up, so its reach keeps growing.
_CONTENT_UP = frozenset({St.NEW.value, St.TRIAGED.value, St.INVESTIGATING.value,
                         St.WAITING_ON_PARTNER.value, St.WAITING_ON_STAKEHOLDER.value,
                         St.SNOOZED.value, St.DECLINED.value})


def generate(seed: int, count: int, now: datetime, span_s: int | None = None,
             fresh: int = 0) -> list[dict[str, Any]]:
    """``count`` wire records ``ESC-000001``.. created over ``span_s`` seconds before ``now``
    (by default ``history_s(count)``: 50 make half a day, 3000 a month), each as it stands
    at ``now``: a real team's queue, worked by the analysts of the roster.

    Ids do not depend on the seed; the content does. Creation times rise with the number and
    follow the day in each market's time zone (arrivals.py); most items older than a few
    hours are acknowledged, worked or closed by now (workflow.py).

    ``fresh``: the last that many arrived in the last minutes (one a minute) and nobody
    has taken them yet, whatever the hour: a queue with work in it for a demo or a test.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    factory = EscalationFactory(random.Random(seed))
    now_s = epoch(now)
    span = history_s(count) if span_s is None else span_s
    times = factory.arrivals.times(count, now_s - span, now_s, factory.rng.random)
    make = factory.record
    first_fresh = count - min(max(fresh, 0), count) + 1
    with gc_paused():
        return [make(i, created, now_s) if i < first_fresh
                else make(i, max(created, now_s - 60 * (count - i + 1)), now_s, fresh=True)
                for i, created in enumerate(times, 1)]


class Evolver:
    """Moves records the way the platform side does and creates new escalations.

    ``change`` returns the fields to set (the store bumps version and ``updated_at``);
    it never mutates the record handed in.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._factory = EscalationFactory(rng)

    def create(self, number: int, now: datetime) -> dict[str, Any]:
        """A brand-new escalation ``ESC-<number>`` reported at ``now``."""
        now_s = epoch(now)
        return self._factory.record(number, now_s, now_s, fresh=True)

    def change(self, record: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        """A realistic, never empty set of field changes for ``record`` at ``now``: mostly
        its reach growing while the content is up (else a new fact), sometimes a new fact,
        rarely a regulator notice, an automated status move or a severity raise (the live
        feed makes about one change every 8 seconds, see CHANGE_SHARES). The analysts'
        moves are the :class:`~.workflow.Workflow`'s."""
        now_s = epoch(now)
        roll = self.rng.random()
        status = record.get("status")
        is_open = status not in _CLOSED
        notice, move, raise_, fact = _CHANGE_CUM
        changes: dict[str, Any] | None = None
        if is_open and roll < notice:
            changes = self._regulator_notice(record, now_s)
        elif is_open and roll < move:
            changes = self._platform_move(record, now_s)
        elif is_open and roll < raise_:
            changes = self._raise_severity(record)
        elif roll < fact or status not in _CONTENT_UP:
            changes = self._new_fact(record, now_s)
        if changes is None:
            changes = (self._reach(record) if status in _CONTENT_UP
                       else self._new_fact(record, now_s))
        facts = changes.pop("_fact", None)
        if facts:
            old = list(record.get("facts") or [])
            changes["facts"] = [*old, {"at": iso(now_s), "text": facts}][-MAX_FACTS:]
        return changes

    def _reach(self, record: Mapping[str, Any]) -> dict[str, Any]:
        rnd = self.rng.random
        reach = record.get("reach") or {}
        views = int(reach.get("views", 0))
        shares = int(reach.get("shares", 0))
        growth = rnd()
        new_views = int(views * (1.0 + 0.1 * growth * growth)) + 5 + int(rnd() * 100)
        new_shares = int(shares * (1.0 + 0.08 * growth * growth)) + int(rnd() * 4)
        changes: dict[str, Any] = {"reach": {"views": new_views, "shares": new_shares}}
        for threshold in (10_000_000, 1_000_000, 100_000, 10_000):
            if views < threshold <= new_views:
                changes["_fact"] = f"Views passed {threshold:,}"
                break
        return changes

    def _regulator_notice(self, record: Mapping[str, Any], now_s: int) -> dict[str, Any] | None:
        market = MARKET_BY_CODE.get(str(record.get("market")))
        if market is None or record.get("deadline_at"):
            return None
        reg = market.regulator
        severity = level(record.get("severity"), 2)
        hours = regulator_hours(market, _category(record), severity)
        tags = list(record.get("tags") or [])
        if "regulator-notice" not in tags:
            tags.append("regulator-notice")
        urgency = min(level(record.get("urgency"), 2), 1)
        return {
            "deadline_at": iso(now_s + hours * 3600), "tags": tags, "urgency": f"U{urgency}",
            "_fact": f"{reg.name} issued {with_article(reg.notice)}; {hours} h deadline",
        }

    def _platform_move(self, record: Mapping[str, Any], now_s: int) -> dict[str, Any] | None:
        status = str(record.get("status"))
        move = _PLATFORM_MOVES.get(status)
        if move is None:
            return None
        if status == St.CONTAINED.value and now_s - _epoch_or(record.get("updated_at"),
                                                              now_s) < 86_400:
            return None  # "no re-uploads for 24 h" needs 24 h
        return {"status": move[0], "_fact": move[1]}

    def _raise_severity(self, record: Mapping[str, Any]) -> dict[str, Any] | None:
        current = level(record.get("severity"), 3)
        if current == 0:
            return None
        reason = self._factory.pick(_SEVERITY_REASONS)
        raised = f"S{current - 1}"
        return {"severity": raised, "_fact": f"Severity raised to {raised}: {reason}"}

    def _new_fact(self, record: Mapping[str, Any], now_s: int) -> dict[str, Any]:
        text = self._factory.fact(str(record.get("market")), _category(record), now_s)
        return {"_fact": text}


def _epoch_or(value: object, default: int) -> int:
    """Epoch seconds of a wire timestamp, or ``default`` if it is not one."""
    try:
        return parse_iso(str(value))
    except ValueError:
        return default


def level(value: object, default: int) -> int:
    """The number of a level like ``"S1"``/``"U0"``, or ``default`` if it is not one."""
    text = str(value)
    return int(text[1:]) if len(text) == 2 and text[1].isdigit() else default


def _category(record: Mapping[str, Any]) -> PolicyCategory:
    try:
        return PolicyCategory(str(record.get("category")))
    except ValueError:
        return PolicyCategory.OTHER
