"""A base playbook with the overlays of an incident's markets: the checklist a run
copies into its `playbook_start` event (docs/incidents.md, docs/playbooks.md).

Rules (docs/playbooks.md, "Overlays"):
1. Markets apply in alphabetical order of their codes, so AU+SG+IN and IN+SG+AU give the
   same checklist. A market without an overlay changes nothing (noted).
2. replace: the step keeps its place and id, the market's content and `origin`. If several
   markets replace one step, every version is kept (a legal duty in one market is never
   dropped for another's): the first in order in the step's place, the others right after
   it with the id `<market>-<step id>`. Reported.
3. remove: a step is removed only when *every* market of the incident removes it: in an
   AU+SG incident a step AU does without is still SG's duty. A removal that does not apply
   is reported; so is a removal overruled by another market's replacement.
4. add: a market's steps get the id `<market>-<step id>` (lower-case market) and go after
   the step named by `after` (behind whatever other markets already put there), or at the
   end. Every-playbook steps come before a market's playbook-specific ones.
5. clocks: the base's, then every market's (ids `<market>-<clock id>`); a clock starting
   at a step follows that step to its resolved id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..domain.markets import normalize_market
from ..domain.statutory_clock import STARTS_DECLARED, STARTS_STEP_PREFIX, StatutoryClock
from .library import PlaybookLibrary
from .model import Overlay, Stakeholder
from .schema import AddedStep, ClockSpec, StepSpec, TemplateSpec
from .vocabulary import step_of_start

BASE = "base"


class UnknownPlaybook(LookupError):
    """No playbook has the id asked for."""


@dataclass(frozen=True, slots=True)
class ResolvedStep:
    """One step of a run's checklist; `origin` is `base` or the market code."""

    id: str
    title: str
    role: str
    minutes: int
    required: bool
    evidence: tuple[str, ...]
    origin: str

    def to_event_data(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "role": self.role,
                "minutes": self.minutes, "required": self.required,
                "evidence": list(self.evidence), "origin": self.origin}


@dataclass(frozen=True, slots=True)
class ResolvedPlaybook:
    """The checklist of one run, with what the GUI shows beside it: each market's
    contacts and language templates, and the conflicts between overlays."""

    playbook: str
    title: str
    markets: tuple[str, ...]
    steps: tuple[ResolvedStep, ...]
    clocks: tuple[StatutoryClock, ...]
    contacts: Mapping[str, tuple[Stakeholder, ...]] = field(default_factory=dict)
    templates: Mapping[str, tuple[TemplateSpec, ...]] = field(default_factory=dict)
    conflicts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_event_data(self) -> dict[str, object]:
        """The `playbook_start` data without `run` (the caller makes the run's UUID)."""
        return {"playbook": self.playbook, "title": self.title,
                "markets": list(self.markets),
                "steps": [s.to_event_data() for s in self.steps],
                "clocks": [c.to_event_data() for c in self.clocks]}

    def step(self, step_id: str) -> ResolvedStep | None:
        return next((s for s in self.steps if s.id == step_id), None)


@dataclass(slots=True)
class _Slot:
    step: ResolvedStep
    after: str  # the step it was put behind ("" for base steps and steps at the end)
    removed: bool = False


def _resolved(spec: StepSpec, step_id: str, origin: str) -> ResolvedStep:
    return ResolvedStep(step_id, spec.title, spec.role, spec.minutes, spec.required,
                        tuple(spec.evidence), origin)


def _prefixed(market: str, ident: str) -> str:
    return f"{market.lower()}-{ident}"


def _markets(markets: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({normalize_market(m) for m in markets}))


def resolve_playbook(library: PlaybookLibrary, playbook_id: str,
                     markets: Iterable[str]) -> ResolvedPlaybook:
    """The checklist of `playbook_id` for an incident in `markets` (ISO codes; ValueError
    for one that is not). UnknownPlaybook when the library has no such playbook."""
    base = library.playbook(playbook_id)
    if base is None:
        raise UnknownPlaybook(f"no playbook has the id {playbook_id!r}")
    codes = _markets(markets)
    overlays = [library.overlays[m] for m in codes if m in library.overlays]
    notes = [f"{m} has no overlay: the base playbook applies there" for m in codes
             if m not in library.overlays]
    conflicts: list[str] = []
    slots = [_Slot(_resolved(s, s.id, BASE), "") for s in base.spec.steps]
    renamed: dict[tuple[str, str], str] = {}  # (market, id in its file) -> resolved id

    _replace(slots, overlays, playbook_id, renamed, conflicts)
    _mark_removed(slots, overlays, playbook_id, codes, conflicts)
    for overlay in overlays:
        own = [*overlay.every_playbook.add, *_changes(overlay, playbook_id).add]
        for added in own:
            new_id = _prefixed(overlay.market, added.id)
            anchor = renamed.get((overlay.market, added.after), added.after)
            _insert(slots, _Slot(_resolved(added, new_id, overlay.market), anchor))
            renamed[(overlay.market, added.id)] = new_id
    kept = {s.step.id for s in slots if not s.removed}

    clocks = [_clock(c, "", c.id, c.starts, kept, conflicts) for c in base.spec.clocks]
    for overlay in overlays:
        m = overlay.market
        for spec in (*overlay.every_playbook.clocks, *_changes(overlay, playbook_id).clocks):
            step = step_of_start(spec.starts)
            starts = spec.starts if step is None else \
                STARTS_STEP_PREFIX + renamed.get((m, step), step)
            clocks.append(_clock(spec, m, _prefixed(m, spec.id), starts, kept, conflicts))
    return ResolvedPlaybook(
        playbook=base.id, title=base.title, markets=codes,
        steps=tuple(s.step for s in slots if not s.removed), clocks=tuple(clocks),
        contacts={o.market: o.contacts for o in overlays},
        templates={o.market: o.templates for o in overlays},
        conflicts=tuple(conflicts), notes=tuple(notes))


def _changes(overlay: Overlay, playbook_id: str) -> _Changes:
    found = overlay.changes.get(playbook_id)
    if found is None:
        return _Changes((), (), (), ())
    return _Changes(found.add, found.replace, found.remove, found.clocks)


@dataclass(frozen=True, slots=True)
class _Changes:
    add: Sequence[AddedStep]
    replace: Sequence[StepSpec]
    remove: Sequence[str]
    clocks: Sequence[ClockSpec]


def _replace(slots: list[_Slot], overlays: Sequence[Overlay], playbook_id: str,
             renamed: dict[tuple[str, str], str], conflicts: list[str]) -> None:
    for index in range(len(slots) - 1, -1, -1):
        step_id = slots[index].step.id
        versions = [(o.market, spec) for o in overlays
                    for spec in _changes(o, playbook_id).replace if spec.id == step_id]
        if not versions:
            continue
        first_market, first = versions[0]
        slots[index] = _Slot(_resolved(first, step_id, first_market), "")
        for offset, (market, spec) in enumerate(versions[1:], start=1):
            new_id = _prefixed(market, step_id)
            slots.insert(index + offset, _Slot(_resolved(spec, new_id, market), step_id))
            renamed[(market, step_id)] = new_id
        if len(versions) > 1:
            names = " and ".join(m for m, _ in versions)
            conflicts.append(f"{names} each replace the step {step_id!r}: every version is "
                             f"kept ({first_market}'s as {step_id!r}, the others after it)")


def _mark_removed(slots: list[_Slot], overlays: Sequence[Overlay], playbook_id: str,
                  markets: Sequence[str], conflicts: list[str]) -> None:
    for slot in slots:
        if slot.step.origin != BASE and slot.after:
            continue  # a second market's version of a replaced step is never removed
        step_id = slot.step.id
        removers = [o.market for o in overlays
                    if step_id in _changes(o, playbook_id).remove]
        if not removers:
            continue
        if slot.step.origin != BASE:
            conflicts.append(f"{', '.join(removers)} remove{'s' * (len(removers) == 1)} the "
                             f"step {step_id!r} that {slot.step.origin} replaces: "
                             f"{slot.step.origin}'s version is kept")
        elif set(removers) == set(markets):
            slot.removed = True
        else:
            others = [m for m in markets if m not in removers]
            conflicts.append(f"{', '.join(removers)} remove{'s' * (len(removers) == 1)} the "
                             f"step {step_id!r}, but {', '.join(others)} keep"
                             f"{'s' * (len(others) == 1)} it: it stays")


def _descends(slot_id: str, anchor: str, after_of: Mapping[str, str]) -> bool:
    seen: set[str] = set()
    current = after_of.get(slot_id, "")
    while current and current not in seen:
        if current == anchor:
            return True
        seen.add(current)
        current = after_of.get(current, "")
    return False


def _insert(slots: list[_Slot], new: _Slot) -> None:
    ids = [s.step.id for s in slots]
    if not new.after or new.after not in ids:
        new.after = ""
        slots.append(new)
        return
    after_of = {s.step.id: s.after for s in slots}
    index = ids.index(new.after) + 1
    while index < len(slots) and _descends(ids[index], new.after, after_of):
        index += 1
    slots.insert(index, new)


def _clock(spec: ClockSpec, market: str, clock_id: str, starts: str, kept: set[str],
           conflicts: list[str]) -> StatutoryClock:
    step = step_of_start(starts)
    if step is not None and step not in kept:
        conflicts.append(f"the clock {clock_id!r} started at the step {step!r}, which this "
                         "incident's markets removed: it starts at the declaration")
        starts = STARTS_DECLARED
    return StatutoryClock(clock_id, spec.title, float(spec.hours), market, starts,
                          spec.legal_confirm)
