"""The live demo: the queue keeps moving the way a real APAC day does.

Each tick (every few seconds) brings:

- **new escalations** at the day's rate for this hour (a Poisson count: the rate of the
  generated history, shaped by the time of day in each market, arrivals.py), so a quiet night
  brings one every half hour or so and a busy afternoon several an hour;
- **the other analysts' moves** as they fall due: an escalation is acknowledged a few
  minutes to a few hours after it arrives (by its severity's target), investigated,
  contained, resolved and closed (workflow.py), each move dated when it happened and made
  by an analyst who covers the market and reads the language;
- **a platform-side change** to an escalation on most ticks: reach growing while the
  content is up, new facts, now and then a regulator notice, an automated action or a
  severity raise (``Evolver.change``).

An escalation that a client has changed (a PATCH: the analyst using the app accepted,
assigned or declined it) is theirs: the simulated team leaves its status alone from then on.
Everything random comes from the rng handed in, and every time from ``tick(now)``.
"""

from __future__ import annotations

import heapq
import logging
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from .arrivals import ArrivalModel
from .generator import Evolver, level
from .state import EscalationStore, NotFound
from .vocab import MARKETS, analysts_for
from .wire import iso, parse_iso
from .workflow import Workflow

log = logging.getLogger(__name__)

_RECENT = 300  # platform changes prefer the newest records, like a real queue
_PLATFORM_OPEN = 0.85  # ... and those still open
_PLATFORM_PER_TICK = 0.6  # metrics refresh for about one escalation every 8 s


class LiveFeed:
    """A thread that ticks every ``interval_s`` seconds (or call :meth:`tick` yourself).

    ``arrivals_per_day`` is the average rate of new escalations over a day.
    ``counts`` tells what the ticks did: ``arrived``, ``team`` (analysts' moves, and
    ``team:<status>`` per status reached), ``platform`` (other changes).
    """

    def __init__(self, state: EscalationStore, rng: random.Random, interval_s: float,
                 arrivals_per_day: float = 100.0,
                 clock: Callable[[], float] = time.time) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        if arrivals_per_day < 0:
            raise ValueError("arrivals_per_day must not be negative")
        self._state = state
        self._rng = rng
        self._evolver = Evolver(rng)
        self._workflow = Workflow()
        self._arrivals = ArrivalModel(MARKETS)
        self._per_second = arrivals_per_day / 86_400
        self._interval = interval_s
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rr-demo-live", daemon=True)
        # The team's next move per open escalation: a heap of (due, order, id), and per id
        # the plan that is current, (due, order, status it expects, status it moves to);
        # heap entries whose order is not the current plan's are stale and skipped.
        self._heap: list[tuple[int, int, str]] = []
        self._plans: dict[str, tuple[int, int, str, str]] = {}
        self._order = 0
        self._last: float | None = None
        self.ticks = 0
        self.counts: Counter[str] = Counter()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def planned(self, escalation_id: str) -> tuple[int, str] | None:
        """``(when, status)`` of the team's next move on the escalation, if any."""
        plan = self._plans.get(escalation_id)
        return None if plan is None else (plan[0], plan[3])

    def tick(self, now: float | None = None) -> None:
        """One round at ``now`` (epoch seconds; the clock's time by default)."""
        now_f = self._clock() if now is None else now
        now_s = int(now_f)
        if self._last is None:
            self._plan_all(now_s)
            elapsed = self._interval
        else:
            elapsed = max(0.0, now_f - self._last)
        self._last = now_f
        moment = datetime.fromtimestamp(now_s, UTC)
        expected = self._per_second * self._arrivals.busyness(now_s) * elapsed
        for _ in range(_poisson(expected, self._rng.random)):
            record = self._state.create(lambda number: self._evolver.create(number, moment))
            self.counts["arrived"] += 1
            self._plan(record, now_s)
        while self._heap and self._heap[0][0] <= now_s:
            _, order, escalation_id = heapq.heappop(self._heap)
            plan = self._plans.get(escalation_id)
            if plan is not None and plan[1] == order:
                self._team_move(escalation_id, now_s)
        if self._rng.random() < _PLATFORM_PER_TICK:
            self._platform_change(moment)
        self.ticks += 1

    # -- the team ------------------------------------------------------------------------

    def _plan_all(self, now_s: int) -> None:
        for index in range(len(self._state)):
            record = self._state.get(self._state.id_at(index))
            if record is not None:
                self._plan(record, now_s)

    def _plan(self, record: Mapping[str, Any], now_s: int) -> None:
        """Schedule the team's next move on ``record`` (or forget it: nothing is next, or
        the analyst using the app has taken it over)."""
        escalation_id = str(record.get("id"))
        self._plans.pop(escalation_id, None)
        if self._state.patch_count(escalation_id):
            return
        try:
            status = str(record["status"])
            created = parse_iso(str(record["created_at"]))
            since = parse_iso(str(record["updated_at"]))
            severity = min(max(level(record.get("severity"), 2), 0), 3)
        except (KeyError, ValueError):
            return  # not a record the team could read (a hostile test id): left alone
        step = self._workflow.next_step(status, severity, created, since, now_s, self._rng)
        if step is None:
            return
        target, due = step
        self._order += 1
        self._plans[escalation_id] = (due, self._order, status, target)
        heapq.heappush(self._heap, (due, self._order, escalation_id))

    def _team_move(self, escalation_id: str, now_s: int) -> None:
        plan = self._plans.pop(escalation_id, None)
        if plan is None or self._state.patch_count(escalation_id):
            return
        due, _, expected, target = plan

        def move(record: dict[str, Any]) -> dict[str, Any] | None:
            if record.get("status") != expected:
                return None  # moved meanwhile (by the platform): planned again below
            try:
                at = max(due, parse_iso(str(record.get("updated_at"))))
            except ValueError:
                at = due
            fields: dict[str, Any] = {"status": target, "updated_at": iso(min(at, now_s))}
            if not record.get("assignee"):
                team = analysts_for(str(record.get("market")), str(record.get("language")))
                fields["assignee"] = team[int(self._rng.random() * len(team))]
            return fields

        try:
            record = self._state.update(escalation_id, move)
        except NotFound:  # pragma: no cover - records are never deleted today
            return
        if record.get("status") == target:
            self.counts["team"] += 1
            self.counts[f"team:{target}"] += 1
        self._plan(record, now_s)

    # -- the platform --------------------------------------------------------------------

    def _platform_change(self, moment: datetime) -> None:
        rng, state = self._rng, self._state
        size = len(state)
        if size == 0:
            return
        if self._plans and rng.random() < _PLATFORM_OPEN:
            ids = list(self._plans)
            escalation_id = ids[int(rng.random() * len(ids))]
        else:
            escalation_id = state.id_at(size - 1 - int(rng.random() * min(size, _RECENT)))
        try:
            before = state.get(escalation_id)
            after = state.update(escalation_id,
                                 lambda rec: self._evolver.change(rec, moment))
        except NotFound:  # pragma: no cover - records are never deleted today
            return
        self.counts["platform"] += 1
        if before is not None and after.get("status") != before.get("status"):
            self._plan(after, int(moment.timestamp()))

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.tick()
            except Exception:  # one odd record (a test's hostile data) must not end the feed
                log.exception("the live demo feed skipped a tick")


def _poisson(mean: float, rnd: Callable[[], float]) -> int:
    """A Poisson-distributed count with ``mean`` (Knuth's method: means here are small)."""
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-min(mean, 500.0)), 0, rnd()
    while p > limit:
        k += 1
        p *= rnd()
    return k

