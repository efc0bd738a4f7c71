"""SLA clocks: time to acknowledge, contain and resolve, by severity (docs/domain.md).

Pure rules, no I/O. The cache keeps the same facts as columns (store/sla_sql.py mirrors
`advance` and `next_deadline` in SQL so "SLA at risk" is an index range; a test holds the
two to the same answers).

- Every clock counts from `created_at`. Time spent in a waiting state
  (waiting_on_partner, waiting_on_stakeholder) never counts: it is added to `paused_s`
  when the pause ends, and a paused clock does not run.
- Milestones follow the status: leaving `new` acknowledges; contained, resolved, closed,
  declined and duplicate contain; resolved, closed, declined and duplicate resolve. Moving
  back (a reopen, an undo) clears the later milestones; waiting states keep them.
- A running clock is *at risk* once less than `at_risk_percent` of its target is left
  (`now >= due - target * percent // 100`), *breached* at its due time.
- A met clock's margin is measured with every pause taken off: exact for acknowledge
  (nothing pauses before it) and resolve (nothing pauses after it); for contain a pause
  after containment also counts as margin. A target met late is a breach (state
  BREACHED, `met` set): "breached, acknowledged 25 d late", never "met".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .enums import Severity, Status

WAITING_STATUSES = frozenset({Status.WAITING_ON_PARTNER, Status.WAITING_ON_STAKEHOLDER})
CONTAINED_STATUSES = frozenset({Status.CONTAINED, Status.RESOLVED, Status.CLOSED,
                                Status.DECLINED, Status.DUPLICATE})
RESOLVED_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED, Status.DECLINED,
                               Status.DUPLICATE})


class SlaKind(StrEnum):
    """The three clocks, in the order their deadlines fall."""

    ACKNOWLEDGE = "acknowledge"
    CONTAIN = "contain"
    RESOLVE = "resolve"


class SlaState(StrEnum):
    """Where a clock stands at a given moment."""

    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    PAUSED = "paused"
    MET = "met"


@dataclass(frozen=True, slots=True)
class SlaTargets:
    """Targets of one severity, in seconds from creation (pauses excluded)."""

    acknowledge_s: int
    contain_s: int
    resolve_s: int

    def target(self, kind: SlaKind) -> int:
        if kind is SlaKind.ACKNOWLEDGE:
            return self.acknowledge_s
        if kind is SlaKind.CONTAIN:
            return self.contain_s
        return self.resolve_s


_M, _H, _D = 60, 3600, 86400
_DEFAULT_TARGETS = (
    SlaTargets(15 * _M, 1 * _H, 4 * _H),
    SlaTargets(1 * _H, 4 * _H, 24 * _H),
    SlaTargets(4 * _H, 24 * _H, 72 * _H),
    SlaTargets(24 * _H, 72 * _H, 7 * _D),
)
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNIT_S = {"": 1, "s": 1, "m": _M, "h": _H, "d": _D, "w": 7 * _D}
_MAX_TARGET_S = 365 * _D
_KIND_NAMES = frozenset(k.value for k in SlaKind)


def parse_duration(value: object) -> int:
    """Seconds from an int (seconds) or a string like "15m", "4h", "7d", "2w"."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; write e.g. 15m, 4h or 7d.")
    if isinstance(value, int):
        return value
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError(f"{value!r} is not a duration; write e.g. 15m, 4h or 7d.")
    return int(match.group(1)) * _UNIT_S[match.group(2).lower()]


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Targets per severity (index = severity level) and the at-risk threshold."""

    targets: tuple[SlaTargets, SlaTargets, SlaTargets, SlaTargets] = _DEFAULT_TARGETS
    at_risk_percent: int = 25

    def __post_init__(self) -> None:
        problems = _policy_problems(self)
        if problems:
            raise ValueError(" ".join(problems))

    @classmethod
    def default(cls) -> SlaPolicy:
        return cls()

    def for_severity(self, severity: Severity | int) -> SlaTargets:
        return self.targets[int(severity)]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlaPolicy:
        """From settings: {"S0": {"acknowledge": "15m", "contain": "1h", "resolve": "4h"},
        ..., "at_risk_percent": 25}. Missing severities or kinds keep the defaults; every
        problem is reported in one ValueError made of sentences."""
        problems: list[str] = []
        targets = list(_DEFAULT_TARGETS)
        for key, value in data.items():
            if key == "at_risk_percent":
                continue
            try:
                sev = Severity.parse(str(key))
            except ValueError:
                problems.append(f"Unknown severity {key!r}: use S0, S1, S2 or S3.")
                continue
            if not isinstance(value, Mapping):
                problems.append(f"{sev.name} must map acknowledge/contain/resolve to "
                                "durations.")
                continue
            fields: dict[str, int] = {}
            for kind_name, raw in value.items():
                if kind_name not in _KIND_NAMES:
                    problems.append(f"{sev.name}: unknown clock {kind_name!r}; use "
                                    "acknowledge, contain or resolve.")
                    continue
                try:
                    fields[f"{kind_name}_s"] = parse_duration(raw)
                except ValueError as exc:
                    problems.append(f"{sev.name} {kind_name}: {exc}")
            targets[sev] = replace(targets[sev], **fields)
        percent = data.get("at_risk_percent", 25)
        if isinstance(percent, bool) or not isinstance(percent, int):
            problems.append(f"at_risk_percent must be a whole number, got {percent!r}.")
            percent = 25
        if problems:
            raise ValueError(" ".join(problems))
        return cls((targets[0], targets[1], targets[2], targets[3]), percent)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            sev.name: {k.value: self.targets[sev].target(k) for k in SlaKind}
            for sev in Severity
        }
        out["at_risk_percent"] = self.at_risk_percent
        return out


def _policy_problems(policy: SlaPolicy) -> list[str]:
    problems: list[str] = []
    if len(policy.targets) != len(Severity):
        return [f"An SLA policy needs targets for all {len(Severity)} severities."]
    for sev, t in zip(Severity, policy.targets, strict=True):
        values = (t.acknowledge_s, t.contain_s, t.resolve_s)
        if any(v <= 0 or v > _MAX_TARGET_S for v in values):
            problems.append(f"{sev.name}: every target must be more than 0 and at most "
                            "365 days.")
        elif not t.acknowledge_s <= t.contain_s <= t.resolve_s:
            problems.append(f"{sev.name}: acknowledge must come no later than contain, and "
                            "contain no later than resolve.")
    if not 1 <= policy.at_risk_percent <= 99:
        problems.append("at_risk_percent must be between 1 and 99.")
    return problems


@dataclass(frozen=True, slots=True)
class SlaFacts:
    """The SLA columns of one escalation (integer Unix seconds, as the cache stores them)."""

    severity: Severity
    created_at: int
    acknowledged_at: int | None = None
    contained_at: int | None = None
    resolved_at: int | None = None
    paused_at: int | None = None
    paused_s: int = 0

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> SlaFacts:
        """From an escalation row (column names as in the cache schema)."""
        return cls(Severity(int(fields["severity"])), _secs(fields["created_at"]),
                   _opt(fields.get("acknowledged_at")), _opt(fields.get("contained_at")),
                   _opt(fields.get("resolved_at")), _opt(fields.get("sla_paused_at")),
                   int(fields.get("sla_paused_s") or 0))

    def milestone(self, kind: SlaKind) -> int | None:
        if kind is SlaKind.ACKNOWLEDGE:
            return self.acknowledged_at
        if kind is SlaKind.CONTAIN:
            return self.contained_at
        return self.resolved_at


def _secs(value: Any) -> int:
    return int(value.timestamp()) if isinstance(value, datetime) else int(value)


def _opt(value: Any) -> int | None:
    return None if value is None else _secs(value)


def advance(facts: SlaFacts, status: Status, at: int) -> SlaFacts:
    """The facts after the escalation moves to `status` at `at` (same status: no-op)."""
    waiting = status in WAITING_STATUSES
    ack = None if status is Status.NEW else (facts.acknowledged_at
                                               if facts.acknowledged_at is not None else at)
    contained = _milestone(facts.contained_at, status in CONTAINED_STATUSES, waiting, at)
    resolved = _milestone(facts.resolved_at, status in RESOLVED_STATUSES, waiting, at)
    paused_s = facts.paused_s
    if facts.paused_at is not None and not waiting:
        paused_s += max(0, at - facts.paused_at)
    paused_at = (facts.paused_at if facts.paused_at is not None else at) if waiting else None
    return replace(facts, acknowledged_at=ack, contained_at=contained, resolved_at=resolved,
                   paused_at=paused_at, paused_s=paused_s)


def _milestone(old: int | None, reached: bool, waiting: bool, at: int) -> int | None:
    if reached:
        return old if old is not None else at
    return old if waiting else None


def next_kind(facts: SlaFacts) -> SlaKind | None:
    """The first clock not yet met (its deadline is the next one), None when resolved."""
    for kind in SlaKind:
        if facts.milestone(kind) is None:
            return kind
    return None


def next_deadline(facts: SlaFacts, policy: SlaPolicy) -> tuple[int, int] | None:
    """(due_at, at_risk_at) of the next clock; None while paused or once resolved."""
    kind = next_kind(facts)
    if kind is None or facts.paused_at is not None:
        return None
    target = policy.for_severity(facts.severity).target(kind)
    due = facts.created_at + facts.paused_s + target
    return due, due - target * policy.at_risk_percent // 100


@dataclass(frozen=True, slots=True)
class SlaClock:
    """One clock at a moment: its due time (None while paused or met), the seconds left
    (negative once breached; for a met clock, the margin it was met with) and its state."""

    kind: SlaKind
    due_at: datetime | None
    remaining_s: int
    state: SlaState
    met: bool = False  # the milestone was reached (in time, or late: BREACHED)


def clocks(fields: SlaFacts | Mapping[str, Any], policy: SlaPolicy,
           now: datetime) -> tuple[SlaClock, ...]:
    """The acknowledge, contain and resolve clocks of an escalation at `now`."""
    facts = fields if isinstance(fields, SlaFacts) else SlaFacts.from_fields(fields)
    now_s = int(now.timestamp())
    targets = policy.for_severity(facts.severity)
    out: list[SlaClock] = []
    for kind in SlaKind:
        target = targets.target(kind)
        met_at = facts.milestone(kind)
        if met_at is not None:
            elapsed = max(0, met_at - facts.created_at - facts.paused_s)
            late = elapsed > target
            out.append(SlaClock(kind, None, target - elapsed,
                                SlaState.BREACHED if late else SlaState.MET, met=True))
            continue
        if facts.paused_at is not None:
            elapsed = max(0, facts.paused_at - facts.created_at - facts.paused_s)
            out.append(SlaClock(kind, None, target - elapsed, SlaState.PAUSED))
            continue
        due = facts.created_at + facts.paused_s + target
        remaining = due - now_s
        if remaining <= 0:
            state = SlaState.BREACHED
        elif now_s >= due - target * policy.at_risk_percent // 100:
            state = SlaState.AT_RISK
        else:
            state = SlaState.OK
        out.append(SlaClock(kind, datetime.fromtimestamp(due, UTC), remaining, state))
    return tuple(out)
