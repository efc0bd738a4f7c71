"""The playbook library: every base playbook and country overlay that loaded, bundled, the
team's (from the team hub) and the user's, with the problems of those that did not
(docs/playbooks.md).

A file with a problem is left out and its problem listed; the others load. A team file
with the id (playbook) or market (overlay) of a bundled one replaces it, a user file
either, and the listing says so. In an overlay, a section for one playbook that does
not fit that playbook (it replaces a step the playbook does not have) is left out alone:
the rest of the overlay, its clocks and contacts, still applies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .checks import (
    check_changes,
    check_every_playbook,
    check_market,
    check_playbook,
    check_stakeholder,
    check_template,
    check_unique,
    check_version,
    fail,
)
from .files import OVERLAYS, PLAYBOOKS, DataFile, data_files
from .model import LibraryEntry, Overlay, Playbook, Stakeholder
from .problems import FileInvalid, Problem, convert, read_yaml
from .schema import OverlayFile, PlaybookChanges, PlaybookFile, StakeholderSpec


@dataclass(frozen=True, slots=True)
class PlaybookLibrary:
    """Playbooks by id and overlays by market, the listing, and what did not load."""

    playbooks: Mapping[str, Playbook]
    overlays: Mapping[str, Overlay]
    entries: tuple[LibraryEntry, ...]
    problems: tuple[Problem, ...]

    def playbook(self, playbook_id: str) -> Playbook | None:
        return self.playbooks.get(playbook_id)

    def incident_types(self) -> list[tuple[str, str]]:
        """(id, title) of every playbook, by title: the incident types to choose from."""
        return sorted(((p.id, p.title) for p in self.playbooks.values()),
                      key=lambda pair: pair[1].casefold())


def stakeholder_of(spec: StakeholderSpec, file: DataFile, overlay: str = "") -> Stakeholder:
    markets = tuple(m.strip().upper() for m in spec.markets) or ((overlay,) if overlay else ())
    return Stakeholder(id=spec.id, name=spec.name, function=spec.function,
                       channels=spec.channels, team=spec.team, markets=markets,
                       regions=spec.regions, hours=spec.hours, notes=spec.notes,
                       file=file.label, source=file.source, overlay=overlay)


def _load_playbook(file: DataFile) -> Playbook:
    return playbook_of(read_yaml(file.path, file.label), file)


def playbook_of(data: Mapping[str, object], file: DataFile) -> Playbook:
    """A base playbook from a file's top-level mapping; FileInvalid with its problem."""
    spec = convert(data, PlaybookFile, file.label)
    check_playbook(spec, file.label)
    return Playbook(spec, file.label, file.source)


def _load_overlay(file: DataFile) -> tuple[Overlay, dict[str, object]]:
    return overlay_of(read_yaml(file.path, file.label), file)


def overlay_of(data: Mapping[str, object], file: DataFile
               ) -> tuple[Overlay, dict[str, object]]:
    """The overlay without its per-playbook sections (checked later against the
    playbooks), and those sections as written; FileInvalid with its problem."""
    label = file.label
    spec = convert(data, OverlayFile, label)
    check_version(spec.schema_version, label)
    market = check_market(spec.market, label, "market")
    for i, contact in enumerate(spec.contacts):
        check_stakeholder(contact, label, f"contacts[{i}]")
    check_unique(((c.id, f"contacts[{i}].id") for i, c in enumerate(spec.contacts)), label,
                 "contact")
    for i, template in enumerate(spec.templates):
        check_template(template, label, f"templates[{i}]")
    check_unique(((t.id, f"templates[{i}].id") for i, t in enumerate(spec.templates)), label,
                 "template")
    contacts = tuple(stakeholder_of(c, file, market) for c in spec.contacts)
    overlay = Overlay(market=market, title=spec.title, summary=spec.summary,
                      contacts=contacts, templates=spec.templates,
                      every_playbook=spec.every_playbook, changes={}, file=label,
                      source=file.source)
    return overlay, dict(spec.playbooks)


def _keep(kind: str, key: str, title: str, file: DataFile, held: dict[str, LibraryEntry],
          problems: list[Problem]) -> bool:
    """Whether the file's `key` goes in; records its listing entry."""
    earlier = held.get(key)
    if earlier is not None and earlier.source is file.source:
        name = "market" if kind == "overlay" else "id"
        problems.append(Problem(file.label, "", f"has the {kind} {name} {key!r} that "
                                f"{earlier.file} already has: this file is left out"))
        return False
    if earlier is None:
        held[key] = LibraryEntry(kind, key, title, file.label, file.source)
    else:
        held[key] = LibraryEntry(kind, key, title, file.label, file.source, earlier.file,
                                 earlier.source)
    return True


def load_library(data_dir: Path | None, *, bundled_root: Path | None = None) -> PlaybookLibrary:
    """Every playbook and overlay: bundled (under resources/playbooks/), the team's
    (`<data dir>/playbooks/team/`) and the user's (`<data dir>/playbooks/`), later ones
    replacing earlier ones; `bundled_root` stands in for resources/ in tests."""
    problems: list[Problem] = []
    playbooks: dict[str, Playbook] = {}
    held: dict[str, LibraryEntry] = {}
    for file in data_files(PLAYBOOKS, data_dir, bundled_root):
        try:
            playbook = _load_playbook(file)
        except FileInvalid as exc:
            problems.append(exc.problem)
            continue
        if _keep("playbook", playbook.id, playbook.title, file, held, problems):
            playbooks[playbook.id] = playbook

    raw: dict[str, tuple[Overlay, dict[str, object]]] = {}
    held_overlays: dict[str, LibraryEntry] = {}
    for file in data_files(OVERLAYS, data_dir, bundled_root):
        try:
            overlay, sections = _load_overlay(file)
            check_every_playbook(overlay.every_playbook, overlay.file,
                                 [p.step_ids for p in playbooks.values()])
        except FileInvalid as exc:
            problems.append(exc.problem)
            continue
        if _keep("overlay", overlay.market, overlay.title, file, held_overlays, problems):
            raw[overlay.market] = (overlay, sections)

    overlays: dict[str, Overlay] = {}
    for market, (overlay, sections) in sorted(raw.items()):
        changes = _sections(overlay, sections, playbooks, problems)
        overlays[market] = replace(overlay, changes=changes)
    entries = sorted([*held.values(), *held_overlays.values()],
                     key=lambda e: (e.kind != "playbook", e.key))
    return PlaybookLibrary(playbooks, overlays, tuple(entries), tuple(problems))


def _sections(overlay: Overlay, sections: Mapping[str, object],
              playbooks: Mapping[str, Playbook],
              problems: list[Problem]) -> dict[str, PlaybookChanges]:
    label = overlay.file
    shared = [s.id for s in overlay.every_playbook.add]
    changes: dict[str, PlaybookChanges] = {}
    for key, section in sections.items():
        where = f"playbooks.{key}"
        try:
            base = playbooks.get(str(key))
            if base is None:
                raise fail(label, where, f"names the playbook {key!r}, which is not loaded "
                           f"(one of {', '.join(sorted(playbooks)) or 'none'})")
            parsed = convert(section, PlaybookChanges, label, where)
            check_changes(parsed, label, where, base.step_ids, shared)
        except FileInvalid as exc:
            problems.append(exc.problem)
            continue
        changes[base.id] = parsed
    return changes


def problem_lines(problems: Sequence[Problem]) -> list[str]:
    """One sentence per problem, for a listing or a log."""
    return [str(p) for p in problems]
