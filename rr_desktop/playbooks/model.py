"""Playbooks, overlays and stakeholders as loaded: a checked file's content and where it
came from (bundled with the app, or the user's data dir)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from .schema import Channels, EveryPlaybookChanges, PlaybookChanges, PlaybookFile, TemplateSpec


class Source(StrEnum):
    """Where a file comes from: bundled with the app, the team's (written from the team
    hub into `<data dir>/playbooks/team/`) or the user's own. A team file replaces a
    bundled one with the same id, a user file either."""

    BUNDLED = "bundled"
    TEAM = "team"
    USER = "user"


@dataclass(frozen=True, slots=True)
class Playbook:
    """A base playbook (its id is the incident type id) and the file it came from."""

    spec: PlaybookFile
    file: str
    source: Source

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def step_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.spec.steps)


@dataclass(frozen=True, slots=True)
class Stakeholder:
    """A directory entry: who, which function, where they cover (markets, regions) and
    how to reach them. `overlay` is the market whose overlay lists them ("" otherwise)."""

    id: str
    name: str
    function: str
    channels: Channels
    team: str
    markets: tuple[str, ...]
    regions: tuple[str, ...]
    hours: str
    notes: str
    file: str
    source: Source
    overlay: str = ""


@dataclass(frozen=True, slots=True)
class Overlay:
    """A market's overlay: its changes per playbook id, the steps and clocks it adds to
    every playbook, its contacts and its language templates."""

    market: str
    title: str
    summary: str
    contacts: tuple[Stakeholder, ...]
    templates: tuple[TemplateSpec, ...]
    every_playbook: EveryPlaybookChanges
    changes: Mapping[str, PlaybookChanges]
    file: str
    source: Source


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """One line of the listing: a playbook, overlay or stakeholder file that loaded.
    `replaces` says a user file took the place of the bundled one (`replaced_file`)."""

    kind: str  # "playbook", "overlay" or "stakeholder"
    key: str  # the playbook id, the overlay's market, the stakeholder id
    title: str
    file: str
    source: Source
    replaced_file: str = ""
    replaced_source: Source = Source.BUNDLED

    @property
    def replaces(self) -> bool:
        return bool(self.replaced_file)

    def describe(self) -> str:
        mine = {Source.USER: " (yours)", Source.TEAM: " (the team's)"}.get(self.source, "")
        whose = "the bundled " if self.replaced_source is Source.BUNDLED else \
            "the team's " if self.replaced_source is Source.TEAM else ""
        note = f", replaces {whose}{self.replaced_file}" if self.replaced_file else ""
        return f"{self.kind} {self.key}: {self.title}{mine} from {self.file}{note}"
