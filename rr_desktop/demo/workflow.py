"""How the demo team works an escalation: when an analyst acknowledges it, what they
decide, and how it moves on to containment and resolution.

One set of figures shapes both the generated day (:meth:`Workflow.snapshot`: where an
escalation created at ``created`` stands at ``now``) and the live feed
(:meth:`Workflow.next_step`: the next move of an open escalation from where it stands).
Times are fractions of the SLA targets of the escalation's severity under the app's default
policy (domain/sla.py), so that, as on a real team's queue, most clocks are met with time to
spare, some come close (at risk for a while) and very few are missed.

The path: ``new`` -> acknowledged by an analyst as ``triaged`` or straight to
``investigating`` (or closed at once as ``duplicate`` or ``declined``) -> maybe ``snoozed``
or ``waiting_on_partner``/``waiting_on_stakeholder`` on the way -> ``contained`` ->
``resolved`` -> often ``closed`` after review a day or two later. A generated record shows
its latest step and ``updated_at`` is when it was taken, which is what a cache dates the
status change by: the acknowledgement of a ``triaged`` item is its ``updated_at``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from rr_desktop.domain.enums import Status as St
from rr_desktop.domain.sla import SlaPolicy

NEW, TRIAGED, INVESTIGATING = St.NEW.value, St.TRIAGED.value, St.INVESTIGATING.value
CONTAINED, RESOLVED, CLOSED = St.CONTAINED.value, St.RESOLVED.value, St.CLOSED.value
DUPLICATE, DECLINED, SNOOZED = St.DUPLICATE.value, St.DECLINED.value, St.SNOOZED.value
WAITING_ON_PARTNER = St.WAITING_ON_PARTNER.value
WAITING_ON_STAKEHOLDER = St.WAITING_ON_STAKEHOLDER.value
TERMINAL = frozenset({CLOSED, DUPLICATE, DECLINED})

# Acknowledgement, as a fraction of the acknowledge target: most prompt, a third when the
# shift is busy (60-99% of the target: most of those spend a while at risk), very few late
# (a breach).
ACK_LATE = 0.015
ACK_BUSY = 0.35
# Decided at acknowledgement.
DUPLICATE_SHARE = 0.07
DECLINED_SHARE = 0.10
# Containment and resolution, as fractions of their targets: late ones are rarer still.
CONTAIN_LATE = 0.02
RESOLVE_LATE = 0.02
RESOLVE_SLOW = 0.10
CLOSED_SHARE = 0.55  # resolved items closed after review, 12 to 72 hours later
_REVIEW_S, _REVIEW_SPREAD_S = 12 * 3600, 60 * 3600


@dataclass(frozen=True, slots=True)
class Pace:
    """How one severity is worked: its SLA targets (seconds) and the team's habits."""

    ack_s: int
    contain_s: int
    resolve_s: int
    prompt_min: float  # a prompt acknowledgement takes prompt_min + prompt_span * v**2
    prompt_span: float  # of the target, v uniform in [0, 1)
    straight: float  # share acknowledged straight into investigating
    snooze: float  # share of triaged items snoozed before investigation starts
    wait: float  # share waiting on a partner or stakeholder during investigation


def _paces(policy: SlaPolicy) -> tuple[Pace, ...]:
    habits = ((0.10, 0.60, 0.70, 0.00, 0.00),  # S0: about 4 min of the 15 min target
              (0.08, 0.60, 0.50, 0.00, 0.15),  # S1: about 17 of 60 min
              (0.04, 0.60, 0.25, 0.08, 0.35),  # S2: about 1 of 4 h
              (0.02, 0.45, 0.10, 0.25, 0.35))  # S3: about 4 of 24 h
    return tuple(Pace(t.acknowledge_s, t.contain_s, t.resolve_s, *h)
                 for t, h in zip(policy.targets, habits, strict=True))


class Workflow:
    """The team's habits per severity (index 0..3 = S0..S3) and the moves they make."""

    def __init__(self, policy: SlaPolicy | None = None) -> None:
        self.paces = _paces(policy or SlaPolicy.default())

    # -- the pieces both paths draw from -------------------------------------------------

    @staticmethod
    def ack_after(p: Pace, rnd: Callable[[], float]) -> int:
        """Seconds from creation to acknowledgement."""
        u = rnd()
        if u < ACK_LATE:
            f = 1.02 + 0.8 * rnd()
        elif u < ACK_LATE + ACK_BUSY:
            f = 0.6 + 0.39 * rnd()
        else:
            v = rnd()
            f = p.prompt_min + p.prompt_span * v * v
        return int(p.ack_s * f) + 30

    @staticmethod
    def contain_after(p: Pace, rnd: Callable[[], float]) -> int:
        """Seconds from creation to containment (before waiting time is added)."""
        if rnd() < CONTAIN_LATE:
            return int(p.contain_s * (1.02 + 0.4 * rnd()))
        v = rnd()
        return int(p.contain_s * (0.12 + 0.7 * v * v))

    @staticmethod
    def resolve_after(p: Pace, contained: int, rnd: Callable[[], float]) -> int:
        """Seconds from creation to resolution of an item contained ``contained`` seconds
        after creation: mostly soon after (the follow-ups), some close to the target."""
        u = rnd()
        if u < RESOLVE_LATE:
            resolve = int(p.resolve_s * (1.02 + 0.3 * rnd()))
        elif u < RESOLVE_LATE + RESOLVE_SLOW:
            resolve = int(p.resolve_s * (0.6 + 0.38 * rnd()))
        else:
            v = rnd()
            resolve = contained + int(max(0, p.resolve_s * 0.6 - contained)
                                      * (0.05 + 0.55 * v * v))
        return max(resolve, contained + p.resolve_s // 50)

    # -- a generated day -------------------------------------------------------------------

    def snapshot(self, severity: int, created: int, now: int, rnd: Callable[[], float]
                 ) -> tuple[str, int]:
        """``(status, since)``: where an escalation of ``severity`` created at ``created``
        stands at ``now`` and when it got there (its ``updated_at``; ``created`` if new)."""
        p = self.paces[severity]
        age = now - created
        ack = self.ack_after(p, rnd)
        if age < ack:
            return NEW, created
        acked = created + ack
        outcome = rnd()
        if outcome < DUPLICATE_SHARE:
            return DUPLICATE, acked
        if outcome < DUPLICATE_SHARE + DECLINED_SHARE:
            return DECLINED, acked
        contain = self.contain_after(p, rnd)
        if contain < ack + 120:
            contain = ack + 120
        if age < contain:
            return self._working(p, acked, created + contain, now, rnd)
        resolve = self.resolve_after(p, contain, rnd)
        if age < resolve:
            return CONTAINED, created + contain
        resolved = created + resolve
        if rnd() < CLOSED_SHARE:
            closed = resolved + _REVIEW_S + int(rnd() * _REVIEW_SPREAD_S)
            if now >= closed:
                return CLOSED, closed
        return RESOLVED, resolved

    def _working(self, p: Pace, acked: int, contained: int, now: int,
                 rnd: Callable[[], float]) -> tuple[str, int]:
        """Between acknowledgement and containment: triaged (maybe snoozed), then
        investigating, maybe waiting on a partner or stakeholder for a while."""
        if rnd() < p.straight:
            investigating = acked
        elif rnd() < p.snooze:  # parked until more reports come in or the market wakes up
            snoozed = acked + int((contained - acked) * 0.05)
            investigating = acked + int((contained - acked) * (0.3 + 0.3 * rnd()))
            if now < investigating:
                return (SNOOZED, snoozed) if now >= snoozed else (TRIAGED, acked)
        else:
            investigating = acked + int((contained - acked) * (0.05 + 0.25 * rnd()))
            if now < investigating:
                return TRIAGED, acked
        if rnd() < p.wait:
            asked = investigating + int((contained - investigating) * (0.1 + 0.3 * rnd()))
            answered = asked + int((contained - asked) * (0.3 + 0.5 * rnd()))
            if asked <= now < answered:
                return (WAITING_ON_PARTNER if rnd() < 0.6 else WAITING_ON_STAKEHOLDER), asked
            if now >= answered:
                return INVESTIGATING, answered
        return INVESTIGATING, investigating

    # -- the live feed ---------------------------------------------------------------------

    def next_step(self, status: str, severity: int, created: int, since: int, now: int,
                  rng: random.Random) -> tuple[str, int] | None:
        """The next move of an escalation that is ``status`` since ``since`` and when it
        happens (after ``now``), drawn like :meth:`snapshot` given that it has not happened
        yet; None when nothing more happens to it."""
        p = self.paces[severity]
        rnd = rng.random

        def later(at: int) -> int:  # never in the past: the feed is behind by a tick at most
            return max(at, now + 30 + int(rnd() * 270))

        if status == NEW:
            acked = created + _after(lambda: self.ack_after(p, rnd), now - created, rnd)
            outcome = rnd()
            if outcome < DUPLICATE_SHARE:
                return DUPLICATE, acked
            if outcome < DUPLICATE_SHARE + DECLINED_SHARE:
                return DECLINED, acked
            return (INVESTIGATING if rnd() < p.straight else TRIAGED), acked
        window = max(600, created + p.contain_s - since)  # the time left to contain it
        if status == TRIAGED:
            if rnd() < p.snooze:
                return SNOOZED, later(since + 300 + int(rnd() * 1500))
            return INVESTIGATING, later(since + int(window * (0.05 + 0.25 * rnd())))
        if status == SNOOZED:
            return INVESTIGATING, later(since + int(window * (0.2 + 0.3 * rnd())))
        if status in (WAITING_ON_PARTNER, WAITING_ON_STAKEHOLDER):
            return INVESTIGATING, later(since + int(window * (0.3 + 0.5 * rnd())))
        if status == INVESTIGATING:
            if now < created + p.contain_s // 2 and rnd() < p.wait:
                waiting = WAITING_ON_PARTNER if rnd() < 0.6 else WAITING_ON_STAKEHOLDER
                return waiting, later(since + int(window * (0.1 + 0.3 * rnd())))
            contain = _after(lambda: self.contain_after(p, rnd), now - created, rnd)
            return CONTAINED, later(created + contain)
        if status == CONTAINED:
            contained = since - created
            resolve = _after(lambda: self.resolve_after(p, contained, rnd), now - created, rnd)
            return RESOLVED, later(created + resolve)
        if status == RESOLVED:
            return self._review(since, now, rnd)
        return None

    @staticmethod
    def _review(resolved: int, now: int, rnd: Callable[[], float]) -> tuple[str, int] | None:
        """Closing after review (12 to 72 hours after resolution, for CLOSED_SHARE of them)
        given that it has not happened by ``now``."""
        start, end = resolved + _REVIEW_S, resolved + _REVIEW_S + _REVIEW_SPREAD_S
        if now >= end:
            return None
        pending = (end - max(now, start)) / _REVIEW_SPREAD_S  # P(not closed yet | closing)
        share = CLOSED_SHARE * pending / (1 - CLOSED_SHARE + CLOSED_SHARE * pending)
        if rnd() >= share:
            return None
        first = max(now + 1, start)
        return CLOSED, first + int(rnd() * (end - first))


def _after(draw: Callable[[], int], elapsed: int, rnd: Callable[[], float]) -> int:
    """A draw of ``draw()`` given that it is more than ``elapsed`` (rejection sampling);
    when that is too unlikely, a few minutes to half an hour from now."""
    for _ in range(40):
        value = draw()
        if value > elapsed:
            return value
    return elapsed + 300 + int(rnd() * 1500)
