"""What must hold across the fields of a decoded file (the structs check the types):
closed vocabularies, unique ids, steps and clocks that refer to steps that exist.

Each check raises FileInvalid with the first problem, naming its place in the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..domain.enums import Region
from ..domain.markets import normalize_market
from .problems import FileInvalid, Problem
from .schema import (
    AddedStep,
    ClockSpec,
    EveryPlaybookChanges,
    PlaybookChanges,
    PlaybookFile,
    StakeholderSpec,
    StepSpec,
    TemplateSpec,
)
from .vocabulary import (
    ID_PATTERN,
    SCHEMA_VERSION,
    STAKEHOLDER_FUNCTIONS,
    STARTS_DECLARED,
    STEP_ROLES,
    one_of,
    step_of_start,
)

_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://\S+$")


def fail(label: str, where: str, what: str) -> FileInvalid:
    return FileInvalid(Problem(label, where, what))


def check_version(version: int, label: str) -> None:
    if version > SCHEMA_VERSION:
        raise fail(label, "schema_version", f"is {version}: the file was written for a newer "
                   f"RR Desktop (this one reads version {SCHEMA_VERSION})")
    if version < 1:
        raise fail(label, "schema_version", "must be at least 1")


def check_id(value: str, label: str, where: str) -> None:
    if not ID_PATTERN.match(value):
        raise fail(label, where, f"{value!r} is not an id: use lower-case letters, digits "
                   "and single hyphens (like 'notify-legal')")


def check_text(value: str, label: str, where: str) -> None:
    if not value.strip():
        raise fail(label, where, "must not be empty")


def check_market(value: str, label: str, where: str) -> str:
    try:
        return normalize_market(value)
    except ValueError:
        raise fail(label, where, f"{value!r} is not a market: use an ISO 3166-1 alpha-2 "
                   "country code such as AU or SG") from None


def check_step(step: StepSpec, label: str, where: str) -> None:
    check_id(step.id, label, f"{where}.id")
    check_text(step.title, label, f"{where}.title")
    if step.role not in STEP_ROLES:
        raise fail(label, f"{where}.role", f"{step.role!r} is not a role (one of "
                   f"{one_of(STEP_ROLES)})")
    for i, item in enumerate(step.evidence):
        check_text(item, label, f"{where}.evidence[{i}]")


def check_unique(ids: Iterable[tuple[str, str]], label: str, what: str,
                 taken: Sequence[str] = ()) -> None:
    """`ids` as (id, place) pairs; `taken` ids already used (by the base playbook)."""
    seen = set(taken)
    for value, where in ids:
        if value in seen:
            also = " (the base playbook has it)" if value in taken else ""
            raise fail(label, where, f"repeats the {what} id {value!r}{also}: ids must "
                       "be unique")
        seen.add(value)


def check_clock(clock: ClockSpec, label: str, where: str, steps: Iterable[str]) -> None:
    check_id(clock.id, label, f"{where}.id")
    check_text(clock.title, label, f"{where}.title")
    step = step_of_start(clock.starts)
    if clock.starts != STARTS_DECLARED and not step:
        raise fail(label, f"{where}.starts", f"{clock.starts!r} is neither 'declared' nor "
                   "'step:<step id>'")
    if step and step not in set(steps):
        raise fail(label, f"{where}.starts", f"names the step {step!r}, which this "
                   "playbook does not have")


def check_playbook(spec: PlaybookFile, label: str) -> None:
    check_version(spec.schema_version, label)
    check_id(spec.id, label, "id")
    check_text(spec.title, label, "title")
    if not spec.steps:
        raise fail(label, "steps", "must list at least one step")
    for i, step in enumerate(spec.steps):
        check_step(step, label, f"steps[{i}]")
    check_unique(((s.id, f"steps[{i}].id") for i, s in enumerate(spec.steps)), label,
                 "step")
    ids = [s.id for s in spec.steps]
    for i, clock in enumerate(spec.clocks):
        check_clock(clock, label, f"clocks[{i}]", ids)
    check_unique(((c.id, f"clocks[{i}].id") for i, c in enumerate(spec.clocks)), label,
                 "clock")


def _check_adds(adds: Sequence[AddedStep], label: str, where: str,
                anchors: Sequence[str] | None) -> list[str]:
    """The added ids; `anchors` the steps `after` may name (None: not checked here)."""
    added: list[str] = []
    for i, step in enumerate(adds):
        check_step(step, label, f"{where}.add[{i}]")
        if step.after:
            known = [*(anchors or ()), *added]
            if anchors is not None and step.after not in known:
                raise fail(label, f"{where}.add[{i}].after", f"names the step "
                           f"{step.after!r}, which the playbook does not have (yet)")
        added.append(step.id)
    return added


def check_every_playbook(changes: EveryPlaybookChanges, label: str,
                         playbook_steps: Sequence[Sequence[str]]) -> None:
    """`playbook_steps`: the step ids of every loaded playbook; an `after` must name a
    step at least one of them has (a typo would otherwise pass silently)."""
    where = "every_playbook"
    added = _check_adds(changes.add, label, where, None)
    everywhere = {s for steps in playbook_steps for s in steps}
    for i, step in enumerate(changes.add):
        if step.after and step.after not in everywhere and step.after not in added[:i]:
            raise fail(label, f"{where}.add[{i}].after", f"names the step {step.after!r}, "
                       "which no playbook has")
    check_unique(((s.id, f"{where}.add[{i}].id") for i, s in enumerate(changes.add)),
                 label, "step")
    for i, clock in enumerate(changes.clocks):
        check_clock(clock, label, f"{where}.clocks[{i}]", added)
    check_unique(((c.id, f"{where}.clocks[{i}].id") for i, c in enumerate(changes.clocks)),
                 label, "clock")


def check_changes(changes: PlaybookChanges, label: str, where: str,
                  base: Sequence[str], shared_adds: Sequence[str] = ()) -> None:
    """An overlay's section for one playbook whose step ids are `base`; `shared_adds`
    are the ids the overlay's every_playbook section adds."""
    added = _check_adds(changes.add, label, where, [*base, *shared_adds])
    check_unique(((s.id, f"{where}.add[{i}].id") for i, s in enumerate(changes.add)),
                 label, "step", taken=[*base, *shared_adds])
    for i, step in enumerate(changes.replace):
        check_step(step, label, f"{where}.replace[{i}]")
        if step.id not in base:
            raise fail(label, f"{where}.replace[{i}].id", f"names the step {step.id!r}, "
                       "which the base playbook does not have: nothing to replace")
    check_unique(((s.id, f"{where}.replace[{i}].id") for i, s in
                  enumerate(changes.replace)), label, "replaced step")
    replaced = {s.id for s in changes.replace}
    for i, step_id in enumerate(changes.remove):
        if step_id not in base:
            raise fail(label, f"{where}.remove[{i}]", f"names the step {step_id!r}, which "
                       "the base playbook does not have: nothing to remove")
        if step_id in replaced:
            raise fail(label, f"{where}.remove[{i}]", f"removes the step {step_id!r} this "
                       "section also replaces: keep one of the two")
    anchors = [*base, *added, *shared_adds]
    for i, clock in enumerate(changes.clocks):
        check_clock(clock, label, f"{where}.clocks[{i}]", anchors)
        if step_of_start(clock.starts) in changes.remove:
            raise fail(label, f"{where}.clocks[{i}].starts", "names a step this section "
                       "removes")
    check_unique(((c.id, f"{where}.clocks[{i}].id") for i, c in enumerate(changes.clocks)),
                 label, "clock")


def check_stakeholder(spec: StakeholderSpec, label: str, where: str) -> None:
    check_id(spec.id, label, f"{where}.id")
    check_text(spec.name, label, f"{where}.name")
    if spec.function not in STAKEHOLDER_FUNCTIONS:
        raise fail(label, f"{where}.function", f"{spec.function!r} is not a function (one "
                   f"of {one_of(STAKEHOLDER_FUNCTIONS)})")
    for i, market in enumerate(spec.markets):
        check_market(market, label, f"{where}.markets[{i}]")
    regions = tuple(r.value for r in Region)
    for i, region in enumerate(spec.regions):
        if region not in regions:
            raise fail(label, f"{where}.regions[{i}]", f"{region!r} is not a region (one "
                       f"of {one_of(regions)})")
    ch = spec.channels
    if not any((ch.email, ch.chat, ch.phone, ch.rota, ch.web)):
        raise fail(label, f"{where}.channels", "must give at least one way to reach them "
                   "(email, chat, phone, rota or web)")
    if ch.email and not _EMAIL.match(ch.email):
        raise fail(label, f"{where}.channels.email", f"{ch.email!r} is not an email address")
    for name, url in (("rota", ch.rota), ("web", ch.web)):
        if url and not _URL.match(url):
            raise fail(label, f"{where}.channels.{name}", f"{url!r} is not an http(s) link")


def check_template(spec: TemplateSpec, label: str, where: str) -> None:
    check_id(spec.id, label, f"{where}.id")
    check_text(spec.title, label, f"{where}.title")
    check_text(spec.text, label, f"{where}.text")
    if not _LANGUAGE_TAG.match(spec.language):
        raise fail(label, f"{where}.language", f"{spec.language!r} is not a language tag "
                   "(like 'ja', 'id' or 'en-SG')")
