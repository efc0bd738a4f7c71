"""Surges: many related escalations at once, the first sign of a major incident
(docs/surges.md). Pure: recent arrivals and a baseline in, "declare an incident?"
suggestions out.

Two kinds of relation make a cluster:

- **category and market**: N or more arrivals of one category from one market within
  SURGE_WINDOW_S, and that many is well above what the pair's usual rate predicts for
  such a window (BURST_FACTOR times, never fewer than MIN_BURST);
- **a shared URL or account**: two or more escalations naming the same normalized URL
  (or content id) or the same account handle, from two or more channels (the same thing
  reported through several doors). Within one channel, repeats of an account are
  ordinary (a popular creator is reported all day); a burst there is rule (a)'s.

A cluster mostly linked to one incident already becomes "add the rest to incident #N?"
(or nothing, when nothing is left). Each suggestion has a stable `key` (its kind and what
relates the cluster), so a dismissed one stays dismissed until it gains GROWTH_MIN new
escalations and GROWTH_SHARE of its size when dismissed (`is_dismissed`).

Strings in suggestions quote untrusted text (categories, URLs, handles from channels):
show them as plain text.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

SURGE_WINDOW_S = 3600
"""Rule (a) counts a category+market's arrivals within any window this long."""
RECENT_WINDOW_S = 4 * 3600
"""How far back detection looks: a cluster older than this is no longer news."""
BASELINE_DAYS = 7
"""The usual rate of a category+market is read from the same hours of the day (the
RECENT_WINDOW_S before this time of day) on each of this many days before today, or on
as many as the cache holds: arrivals follow the sun, so a daytime hour is compared with
daytime hours."""
MIN_BURST = 6
"""Rule (a): never fewer arrivals than this within SURGE_WINDOW_S, however rare the pair."""
BURST_FACTOR = 4.0
"""Rule (a): ... and at least this many times what the usual rate predicts for the window,"""
BURST_P = 1e-5
"""... and so many that the usual rate would bring them by chance less often than this
(Poisson tail): with ~150 category+market pairs checked every few minutes, a looser
bound raises a false surge a day on ordinary traffic (measured on the demo's data)."""
COMMON_SIGNAL_SHARE = 0.25
COMMON_SIGNAL_FLOOR = 40
"""Rule (b) skips a URL or account carried by more than COMMON_SIGNAL_SHARE of the recent
escalations once there are COMMON_SIGNAL_FLOOR of them: a mail footer's link or the
platform's own support account is not a surge."""
MOSTLY_IN_INCIDENT = 0.5
"""A cluster with more than this share linked to one incident belongs to that incident."""
GROWTH_MIN = 3
GROWTH_SHARE = 0.5
"""A dismissed suggestion comes back once it gained at least GROWTH_MIN escalations and
GROWTH_SHARE of its size when it was dismissed."""
CLOSED_STATUSES = frozenset({"declined"})
"""Arrivals in these states are not counted (a declined report is not a signal)."""
TITLE_CAP = 120


class SurgeKind(StrEnum):
    CATEGORY_MARKET = "category_market"
    URL = "url"
    ACCOUNT = "account"


@dataclass(frozen=True, slots=True)
class Arrival:
    """One recent escalation as detection sees it (`at`: created, Unix seconds)."""

    id: int
    at: int
    category: str
    market: str
    channel: str
    urls: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()
    incident_id: int | None = None
    status: str = "new"
    duplicate_of: int | None = None


@dataclass(frozen=True, slots=True)
class Baseline:
    """How many arrivals each (category, market) had over `span_s` seconds of
    observation spread over `days` days: its usual rate."""

    counts: Mapping[tuple[str, str], int] = field(default_factory=dict)
    span_s: int = BASELINE_DAYS * RECENT_WINDOW_S
    days: int = BASELINE_DAYS

    def per_hour(self, category: str, market: str) -> float:
        if self.span_s <= 0:
            return 0.0
        return self.counts.get((category, market), 0) * 3600 / self.span_s


@dataclass(frozen=True, slots=True)
class SurgeSuggestion:
    """A cluster worth an incident. `ids`: the escalations to act on (those not in an
    incident yet), oldest first; `size`: the whole cluster; `incident_id`: set when most
    of the cluster is in that incident already (then: add `ids` to it)."""

    key: str
    kind: SurgeKind
    reason: str
    title: str
    ids: tuple[int, ...]
    size: int
    first_at: int
    last_at: int
    incident_id: int | None = None
    in_incident: int = 0


@dataclass(frozen=True, slots=True)
class Dismissal:
    """What the analyst dismissed: the suggestion's key and its escalations then."""

    key: str
    ids: frozenset[int]
    at: int


def is_dismissed(suggestion: SurgeSuggestion, dismissals: Mapping[str, Dismissal]) -> bool:
    """Whether a dismissal still holds: the cluster has not grown materially since."""
    gone = dismissals.get(suggestion.key)
    if gone is None:
        return False
    new = len(set(suggestion.ids) - gone.ids)
    return new < max(GROWTH_MIN, math.ceil(GROWTH_SHARE * len(gone.ids)))


def describe_rate(per_hour: float, days: int) -> str:
    """"1/h", "3/day", "under 1/day", "none in 7 days" (the baseline's days)."""
    if per_hour >= 0.95:
        return f"{round(per_hour)}/h"
    if per_hour * 24 >= 0.95:
        return f"{round(per_hour * 24)}/day"
    if per_hour > 0:
        return "under 1/day"
    if days <= 0:
        return "not known yet"
    return f"none in {days} day{'s' if days != 1 else ''}"


def describe_span(seconds: int) -> str:
    """"40 min", "2 h 5 min" (at least a minute)."""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h" + (f" {rest} min" if rest else "")


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _label(category: str) -> str:
    return category.replace("_", " ").strip() or "uncategorised"


def _cap(text: str) -> str:
    return text if len(text) <= TITLE_CAP else text[:TITLE_CAP - 1] + "\u2026"


def poisson_needed(expected: float) -> int:
    """The fewest arrivals that `expected` (a Poisson mean) brings with probability at
    most BURST_P."""
    term = math.exp(-expected)  # P(X = 0)
    below = 0.0
    k = 0
    while True:
        below += term
        k += 1
        if 1.0 - below <= BURST_P or k > 10_000:
            return k
        term *= expected / k


def _burst_start(times: Sequence[int], needed: int) -> int | None:
    """Index of the first arrival of the earliest window of SURGE_WINDOW_S holding
    `needed` arrivals, or None."""
    lo = 0
    for hi, at in enumerate(times):
        while at - times[lo] > SURGE_WINDOW_S:
            lo += 1
        if hi - lo + 1 >= needed:
            return lo
    return None


def _category_market(arrivals: Sequence[Arrival], baseline: Baseline
                     ) -> list[tuple[SurgeKind, str, str, str, list[Arrival]]]:
    """Rule (a): (kind, key, reason, title, cluster) per pair in a burst."""
    by_pair: dict[tuple[str, str], list[Arrival]] = defaultdict(list)
    for a in arrivals:
        by_pair[(a.category, a.market)].append(a)
    found = []
    for (category, market), items in by_pair.items():
        if len(items) < MIN_BURST:
            continue
        rate = baseline.per_hour(category, market)
        expected = rate * SURGE_WINDOW_S / 3600
        needed = max(MIN_BURST, math.ceil(BURST_FACTOR * expected), poisson_needed(expected))
        start = _burst_start([a.at for a in items], needed)
        if start is None:
            continue
        cluster = items[start:]
        span = describe_span(cluster[-1].at - cluster[0].at)
        reason = (f"{len(cluster):,} {_label(category)} reports from {market} in {span}, "
                  f"usual is {describe_rate(rate, baseline.days)}")
        title = _cap(f"{_label(category).capitalize()} surge in {market}")
        found.append((SurgeKind.CATEGORY_MARKET, f"{SurgeKind.CATEGORY_MARKET}:"
                      f"{category}:{market}", reason, title, cluster))
    return found


def _shared(arrivals: Sequence[Arrival]
            ) -> list[tuple[SurgeKind, str, str, str, list[Arrival]]]:
    """Rule (b): (kind, key, reason, title, cluster) per shared URL or account."""
    carriers: dict[tuple[SurgeKind, str], list[Arrival]] = defaultdict(list)
    for a in arrivals:
        for url in a.urls:
            carriers[(SurgeKind.URL, url)].append(a)
        for account in a.accounts:
            carriers[(SurgeKind.ACCOUNT, account)].append(a)
    common = (len(arrivals) * COMMON_SIGNAL_SHARE if len(arrivals) >= COMMON_SIGNAL_FLOOR
              else math.inf)
    found = []
    for (kind, value), items in carriers.items():
        if len(items) < 2 or len(items) > common:
            continue
        ids = {a.id for a in items}
        canonical = [a for a in items if a.duplicate_of not in ids]
        channels = {a.channel for a in items}
        if len(canonical) < 2 or len(channels) < 2:
            continue
        span = describe_span(items[-1].at - items[0].at)
        across = f"across {len(channels)} channels"
        named = value if kind is SurgeKind.URL else f"@{value}"
        verb = "share" if kind is SurgeKind.URL else "name"
        reason = f"{len(items):,} reports {verb} {named} {across} within {span}"
        title = _cap(f"Reports of {named}")
        found.append((kind, f"{kind}:{value}", reason, title, items))
    return found


def _suggestion(kind: SurgeKind, key: str, reason: str, title: str,
                cluster: list[Arrival]) -> SurgeSuggestion | None:
    """The suggestion for a cluster, given what is linked to incidents already."""
    linked: dict[int, int] = defaultdict(int)
    for a in cluster:
        if a.incident_id is not None:
            linked[a.incident_id] += 1
    free = tuple(a.id for a in cluster if a.incident_id is None)
    incident, in_it = max(linked.items(), key=lambda kv: (kv[1], -kv[0]), default=(None, 0))
    first, last = cluster[0].at, cluster[-1].at
    if incident is not None and in_it > MOSTLY_IN_INCIDENT * len(cluster):
        if not free:
            return None
        reason += f"; {in_it:,} of {len(cluster):,} are in incident #{incident}"
        return SurgeSuggestion(key, kind, reason, title, free, len(cluster), first, last,
                               incident, in_it)
    if len(free) < 2:
        return None
    if linked:
        reason += f"; {sum(linked.values()):,} already in incidents"
    return SurgeSuggestion(key, kind, reason, title, free, len(cluster), first, last)


def detect(arrivals: Iterable[Arrival], baseline: Baseline, now: int,
           dismissals: Mapping[str, Dismissal] | None = None) -> list[SurgeSuggestion]:
    """The surges among `arrivals` (those created in the RECENT_WINDOW_S before `now`
    are read), biggest first; a cluster already covered by a bigger suggestion, and a
    dismissed one that has not grown materially, are left out."""
    recent = sorted((a for a in arrivals
                     if now - RECENT_WINDOW_S <= a.at <= now
                     and a.status not in CLOSED_STATUSES), key=lambda a: (a.at, a.id))
    clusters = _category_market(recent, baseline) + _shared(recent)
    suggestions = [s for c in clusters if (s := _suggestion(*c)) is not None]
    order = {SurgeKind.CATEGORY_MARKET: 0, SurgeKind.URL: 1, SurgeKind.ACCOUNT: 2}
    # Same size: category+market first, then a URL as spelled before a bare content id.
    suggestions.sort(key=lambda s: (-s.size, order[s.kind], "://" not in s.key, s.key))
    kept: list[SurgeSuggestion] = []
    covered: list[frozenset[int]] = []
    for s in suggestions:
        ids = frozenset(s.ids)
        if any(ids <= c for c in covered):
            continue
        covered.append(ids)
        if dismissals is None or not is_dismissed(s, dismissals):
            kept.append(s)
    return kept
