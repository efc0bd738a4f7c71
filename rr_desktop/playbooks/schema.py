"""The shapes of playbook, overlay and stakeholder files (docs/playbooks.md), decoded with
msgspec: a wrong type or an unknown key is an error with its path, never a silent default.

The structs say what a file may hold; `checks.py` says what must be true across fields
(vocabularies, unique ids, references between steps).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from .vocabulary import STARTS_DECLARED


class _Section(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Base of every part of a file: unknown keys are errors (typos must not pass)."""


class StepSpec(_Section, frozen=True):
    """One checklist step: who does it, how long it should take, whether the incident may
    close without it, and what to attach as evidence."""

    id: str
    title: str
    role: str
    minutes: Annotated[int, msgspec.Meta(ge=1, le=7 * 24 * 60)]
    required: bool = True
    evidence: tuple[str, ...] = ()


class AddedStep(StepSpec, frozen=True):
    """A step an overlay adds: after the step `after` (a base step, or one this overlay
    added earlier in the same section), or at the end when `after` is empty."""

    after: str = ""


class ClockSpec(_Section, frozen=True):
    """A deadline counted in elapsed hours from `starts` (`declared`, or `step:<id>`)."""

    id: str
    title: str
    hours: Annotated[float, msgspec.Meta(gt=0, le=24 * 366)]
    starts: str = STARTS_DECLARED
    legal_confirm: bool = True


class PlaybookFile(_Section, frozen=True):
    """A base playbook: the checklist for one incident type (its id is the type id)."""

    id: str
    title: str
    steps: tuple[StepSpec, ...]
    summary: str = ""
    clocks: tuple[ClockSpec, ...] = ()
    schema_version: int = 1


class PlaybookChanges(_Section, frozen=True):
    """What an overlay changes in one base playbook."""

    add: tuple[AddedStep, ...] = ()
    replace: tuple[StepSpec, ...] = ()
    remove: tuple[str, ...] = ()
    clocks: tuple[ClockSpec, ...] = ()


class EveryPlaybookChanges(_Section, frozen=True):
    """What an overlay adds to every playbook: steps (after `after` where the playbook
    has that step, else at the end) and clocks that start at the declaration."""

    add: tuple[AddedStep, ...] = ()
    clocks: tuple[ClockSpec, ...] = ()


class Channels(_Section, frozen=True):
    """How to reach a stakeholder; at least one is given."""

    email: str = ""
    chat: str = ""
    phone: str = ""
    rota: str = ""
    web: str = ""


class StakeholderSpec(_Section, frozen=True):
    """A person, team or outside party an incident may need, where and when they answer."""

    id: str
    name: str
    function: str
    channels: Channels
    team: str = ""
    markets: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    hours: str = ""
    notes: str = ""


class TemplateSpec(_Section, frozen=True):
    """A ready-to-adapt text in one language (a BCP 47 tag such as `ja` or `en-SG`)."""

    id: str
    title: str
    language: str
    text: str


class OverlayFile(_Section, frozen=True):
    """A country overlay. `playbooks` maps a base playbook id to its PlaybookChanges;
    each section is decoded on its own so an error names `playbooks.<id>`."""

    market: str
    title: str
    summary: str = ""
    contacts: tuple[StakeholderSpec, ...] = ()
    templates: tuple[TemplateSpec, ...] = ()
    every_playbook: EveryPlaybookChanges = EveryPlaybookChanges()
    playbooks: dict[str, Any] = {}
    schema_version: int = 1


class StakeholderFile(_Section, frozen=True):
    """A stakeholder directory file."""

    stakeholders: tuple[StakeholderSpec, ...]
    schema_version: int = 1
