"""An incident's state, folded from its events in the shared order (docs/incidents.md).

`fold` is a pure function: the desktop (its cache's events, then its own pending ones) and
the reference service (its log) run it on the same events and get the same incident, the
same conflicts included. Malformed or out-of-place events are skipped and listed in
`problems`, never raised: a newer writer may know kinds this one does not."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .incident_events import FIELD_KINDS, parse_time, validate_event
from .statutory_clock import StatutoryClock


@dataclass(slots=True)
class RoleSpan:
    role: str
    analyst: str
    assumed_at: datetime
    renounced_at: datetime | None = None


@dataclass(slots=True)
class Link:
    source: str
    external_id: str
    title: str
    category: str
    market: str
    reported_at: datetime | None
    linked_at: datetime
    linked_by: str


@dataclass(slots=True)
class Fact:
    uid: str
    at: datetime
    actor: str
    text: str
    pinned: bool = False


@dataclass(slots=True)
class StepState:
    id: str
    title: str
    role: str
    minutes: int
    required: bool
    evidence: str
    origin: str
    done: bool = False
    done_at: datetime | None = None
    done_by: str = ""
    note: str = ""
    evidence_text: str = ""


@dataclass(slots=True)
class PlaybookRun:
    run: str
    playbook: str
    title: str
    markets: list[str]
    started_at: datetime
    started_by: str
    steps: list[StepState]
    clocks: list[StatutoryClock]

    def steps_done_at(self) -> dict[str, datetime]:
        return {s.id: s.done_at for s in self.steps if s.done and s.done_at is not None}

    def clock_start(self, clock: StatutoryClock, declared_at: datetime) -> datetime | None:
        """When a clock starts counting: the incident's declaration, or the tick of the
        step it names (`step:<id>`); None while that step is not ticked."""
        return clock.started_at(declared_at, self.steps_done_at())


@dataclass(slots=True)
class Request:
    uid: str
    function: str
    asked_of: str
    question: str
    asked_at: datetime
    asked_by: str
    due: datetime | None
    blocking: bool
    status: str = "open"
    answer: str = ""
    answered_at: datetime | None = None

    def overdue(self, now: datetime) -> bool:
        return self.status == "open" and self.due is not None and now > self.due


@dataclass(slots=True)
class Containment:
    uid: str
    text: str
    state: str
    created_at: datetime
    created_by: str
    updated_at: datetime


@dataclass(slots=True)
class Sitrep:
    at: datetime
    actor: str
    audience: str
    text: str


@dataclass(slots=True)
class FieldConflict:
    """Two edits of one field made without seeing each other: (event uid, value, actor,
    at) each, the earlier in the shared order first (its value stands until resolved)."""

    field: str
    values: list[tuple[str, Any, str, datetime]]


@dataclass(slots=True)
class TimelineEntry:
    at: datetime
    actor: str
    kind: str
    text: str
    uid: str
    pinned: bool = False


@dataclass(slots=True)
class IncidentState:
    uid: str
    title: str = ""
    type: str = ""
    severity: str = ""
    priority: str = ""
    markets: list[str] = field(default_factory=list)
    summary: str = ""
    status: str = "active"
    declared_at: datetime | None = None
    declared_by: str = ""
    updated_at: datetime | None = None
    stage_times: dict[str, datetime] = field(default_factory=dict)
    roles: list[RoleSpan] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    runs: list[PlaybookRun] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    containment: list[Containment] = field(default_factory=list)
    sitreps: list[Sitrep] = field(default_factory=list)
    conflicts: list[FieldConflict] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # field -> (uid, value, actor, at) of the event that set it last: what `base` names
    heads: dict[str, tuple[str, Any, str, datetime]] = field(default_factory=dict)

    def holders(self, role: str) -> list[str]:
        """Who holds `role` now (assumed and not renounced)."""
        return [s.analyst for s in self.roles if s.role == role and s.renounced_at is None]

    def conflict(self, name: str) -> FieldConflict | None:
        return next((c for c in self.conflicts if c.field == name), None)

    def head(self, name: str) -> str | None:
        """The uid an edit of `name` made now must carry as its `base`."""
        found = self.heads.get(name)
        return None if found is None else found[0]

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("heads")
        out["holders"] = {r: self.holders(r) for r in ("commander", "scribe", "liaison")}
        whole: dict[str, Any] = _jsonable(out)
        return whole

    def summary_json(self) -> dict[str, Any]:
        summary: dict[str, Any] = _jsonable({
                          "uid": self.uid, "title": self.title, "status": self.status,
                          "severity": self.severity, "priority": self.priority,
                          "markets": self.markets, "declared_at": self.declared_at,
                          "updated_at": self.updated_at, "links": len(self.links),
                          "conflicts": [c.field for c in self.conflicts]})
        return summary


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class IncidentMetrics:
    """Read from the timeline: time to detect (first linked report -> declared), to
    acknowledge (declared -> first commander), to contain and to resolve (declared ->
    first reaching that stage). None where the incident has not got there."""

    detect: timedelta | None
    acknowledge: timedelta | None
    contain: timedelta | None
    resolve: timedelta | None


def metrics(state: IncidentState) -> IncidentMetrics:
    declared = state.declared_at
    if declared is None:
        return IncidentMetrics(None, None, None, None)
    reports = [ln.reported_at for ln in state.links if ln.reported_at is not None]
    first_report = min(reports) if reports else None
    commanders = [s.assumed_at for s in state.roles if s.role == "commander"]

    def since(at: datetime | None) -> timedelta | None:
        return None if at is None else max(at - declared, timedelta(0))

    return IncidentMetrics(
        None if first_report is None else max(declared - first_report, timedelta(0)),
        since(min(commanders) if commanders else None),
        since(state.stage_times.get("contained")),
        since(state.stage_times.get("resolved")))


def _show(value: Any) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


class _Folder:
    def __init__(self, uid: str) -> None:
        self.s = IncidentState(uid)
        self.facts: dict[str, Fact] = {}
        self.requests: dict[str, Request] = {}
        self.actions: dict[str, Containment] = {}
        self.runs: dict[str, PlaybookRun] = {}

    def note(self, e: Mapping[str, Any], at: datetime, kind: str, text: str) -> None:
        self.s.timeline.append(TimelineEntry(at, e["actor"], kind, text, e["uid"]))

    def set_field(self, e: Mapping[str, Any], at: datetime, name: str, value: Any) -> None:
        s = self.s
        head = s.heads.get(name)
        old = s.status if name == "status" else getattr(s, name)
        existing = s.conflict(name)
        if existing is not None:
            if e.get("base") not in {uid for uid, *_ in existing.values}:
                existing.values.append((e["uid"], value, e["actor"], at))
                self.note(e, at, "conflict", f"{name} also set to "
                          f"{_show(value)} without seeing the other edits")
                return
            s.conflicts.remove(existing)
        elif head is not None and e.get("base") != head[0] and head[1] != value:
            s.conflicts.append(FieldConflict(name, [head, (e["uid"], value, e["actor"], at)]))
            self.note(e, at, "conflict", f"{name}: {_show(value)} conflicts "
                      f"with {_show(head[1])} (set without seeing it)")
            return
        s.heads[name] = (e["uid"], value, e["actor"], at)
        if name == "status":
            s.status = value
            s.stage_times.setdefault(value, at)
        else:
            setattr(s, name, list(value) if name == "markets" else value)
        self.note(e, at, "field", f"{name}: {_show(old) or '—'} → {_show(value)}")

    def apply(self, e: Mapping[str, Any]) -> str | None:
        s, kind, d = self.s, e["kind"], e["data"]
        at = parse_time(e["at"])
        assert at is not None
        if kind != "declare" and s.declared_at is None:
            return f"a {kind} event came before the incident was declared"
        if kind == "declare":
            if s.declared_at is not None:
                return "the incident was declared twice; the second is ignored"
            s.declared_at, s.declared_by = at, e["actor"]
            s.stage_times["active"] = at
            self.note(e, at, "declare", f"declared: {d['title']}")
            for name in ("title", "type", "severity", "priority", "markets", "summary"):
                s.heads[name] = (e["uid"], d[name], e["actor"], at)
                setattr(s, name, list(d[name]) if name == "markets" else d[name])
            s.heads["status"] = (e["uid"], "active", e["actor"], at)
        elif kind in FIELD_KINDS:
            name = d["field"] if kind == "set" else "status"
            self.set_field(e, at, name, d["value"] if kind == "set" else d["status"])
        elif kind == "role":
            if d["assume"]:
                if d["analyst"] not in s.holders(d["role"]):
                    s.roles.append(RoleSpan(d["role"], d["analyst"], at))
                self.note(e, at, "role", f"{d['analyst']} is {d['role']}")
            else:
                for span in s.roles:
                    if span.role == d["role"] and span.analyst == d["analyst"] \
                            and span.renounced_at is None:
                        span.renounced_at = at
                self.note(e, at, "role", f"{d['analyst']} is no longer {d['role']}")
        elif kind == "link":
            key = (d["source"], d["external_id"])
            if all((ln.source, ln.external_id) != key for ln in s.links):
                s.links.append(Link(d["source"], d["external_id"], d["title"], d["category"],
                                    d["market"], parse_time(d["reported_at"] or ""), at,
                                    e["actor"]))
            self.note(e, at, "link", f"linked {d['external_id']}: {d['title']}")
        elif kind == "unlink":
            key = (d["source"], d["external_id"])
            s.links = [ln for ln in s.links if (ln.source, ln.external_id) != key]
            self.note(e, at, "link", f"unlinked {d['external_id']}")
        elif kind == "fact":
            fact = Fact(e["uid"], at, e["actor"], d["text"])
            self.facts[fact.uid] = fact
            s.facts.append(fact)
            self.note(e, at, "fact", d["text"])
        elif kind == "pin":
            found = self.facts.get(d["fact"])
            if found is None:
                return "a pin names a fact this incident does not have"
            found.pinned = d["pinned"]
            for entry in s.timeline:
                if entry.uid == found.uid:
                    entry.pinned = found.pinned
        elif kind == "playbook_start":
            run = PlaybookRun(d["run"], d["playbook"], d["title"], list(d["markets"]), at,
                              e["actor"], [_step(st) for st in d["steps"]],
                              [_clock(c) for c in d["clocks"]])
            self.runs[run.run] = run
            s.runs.append(run)
            self.note(e, at, "playbook", f"playbook started: {d['title'] or d['playbook']}")
        elif kind == "step":
            run_found = self.runs.get(d["run"])
            step = None if run_found is None else \
                next((st for st in run_found.steps if st.id == d["step"]), None)
            if step is None:
                return "a step event names a playbook step this incident does not have"
            step.done, step.note, step.evidence_text = d["done"], d["note"], d["evidence"]
            step.done_at, step.done_by = (at, e["actor"]) if d["done"] else (None, "")
            self.note(e, at, "step", ("done: " if d["done"] else "reopened: ") + step.title)
        elif kind == "request":
            req = Request(d["request"], d["function"], d["asked_of"], d["question"], at,
                          e["actor"], parse_time(d["due"] or ""), d["blocking"])
            self.requests[req.uid] = req
            s.requests.append(req)
            self.note(e, at, "request", f"asked {d['function']}: {d['question']}")
        elif kind == "request_update":
            found_req = self.requests.get(d["request"])
            if found_req is None:
                return "a request update names a request this incident does not have"
            found_req.status, found_req.answer = d["status"], d["answer"]
            found_req.answered_at = at if d["status"] == "answered" else None
            self.note(e, at, "request", f"{found_req.function} request {d['status']}"
                      + (f": {d['answer']}" if d["answer"] else ""))
        elif kind == "containment":
            act = Containment(d["action"], d["text"], d["state"], at, e["actor"], at)
            self.actions[act.uid] = act
            s.containment.append(act)
            self.note(e, at, "containment", f"containment ({d['state']}): {d['text']}")
        elif kind == "containment_update":
            found_act = self.actions.get(d["action"])
            if found_act is None:
                return "a containment update names an action this incident does not have"
            found_act.state, found_act.updated_at = d["state"], at
            self.note(e, at, "containment", f"containment {d['state']}: {found_act.text}")
        elif kind == "sitrep":
            s.sitreps.append(Sitrep(at, e["actor"], d["audience"], d["text"]))
            self.note(e, at, "sitrep", f"{d['audience']} sitrep sent")
        s.updated_at = at if s.updated_at is None else max(s.updated_at, at)
        return None


_STEP_KEYS = ("id", "title", "role", "minutes", "required", "evidence", "origin")
_CLOCK_KEYS = ("id", "title", "hours", "market", "starts", "legal_confirm")


def _step(data: Mapping[str, Any]) -> StepState:
    """A step as the event carries it; keys a newer writer added are left aside."""
    known = {k: data[k] for k in _STEP_KEYS}
    evidence = known["evidence"]
    known["evidence"] = "; ".join(evidence) if isinstance(evidence, list) else evidence
    return StepState(**known)


def _clock(data: Mapping[str, Any]) -> StatutoryClock:
    return StatutoryClock(**{k: data[k] for k in _CLOCK_KEYS})


def fold(events: Sequence[Mapping[str, Any]], uid: str | None = None) -> IncidentState:
    """The state of one incident from its events, in the shared order."""
    incident = uid if uid is not None else (str(events[0].get("incident")) if events else "")
    folder = _Folder(incident)
    for e in events:
        why = validate_event(e)
        if why is None and e["incident"] != incident:
            why = "an event of another incident"
        if why is None:
            why = folder.apply(e)
        if why is not None:
            folder.s.problems.append(f"event {str(e.get('uid', '?'))[:40]}: {why}")
    return folder.s

