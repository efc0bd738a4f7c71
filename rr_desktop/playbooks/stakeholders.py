"""The stakeholder directory: who to reach in each function and market, and how
(docs/playbooks.md, "Stakeholders").

Entries come from `resources/stakeholders/*.yaml`, the user's
`<data dir>/stakeholders/*.yaml` (an entry with a bundled entry's id replaces it) and the
contacts of the country overlays (regulators, hotlines, police liaison), which count for
their overlay's market. Files are checked like playbooks: a bad file is left out with one
sentence saying where, the rest load.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..domain.markets import REGION_OF_MARKET, normalize_market
from .checks import check_stakeholder, check_unique, check_version
from .files import STAKEHOLDERS, data_files
from .library import PlaybookLibrary, stakeholder_of
from .model import LibraryEntry, Stakeholder
from .problems import FileInvalid, Problem, convert, read_yaml
from .schema import StakeholderFile


@dataclass(frozen=True, slots=True)
class StakeholderDirectory:
    """Every stakeholder that loaded, the listing, and the files that did not."""

    stakeholders: tuple[Stakeholder, ...]
    entries: tuple[LibraryEntry, ...]
    problems: tuple[Problem, ...]

    def get(self, stakeholder_id: str) -> Stakeholder | None:
        return next((s for s in self.stakeholders if s.id == stakeholder_id), None)

    def find(self, function: str | None = None, market: str | None = None) -> \
            tuple[Stakeholder, ...]:
        """Entries of `function` (any when None) covering `market` (any when None):
        those naming the market first, then those covering its region, then those that
        name neither (global teams); by name within each."""
        region = None
        code = None
        if market is not None:
            code = normalize_market(market)
            region = REGION_OF_MARKET[code].value
        ranked: list[tuple[int, str, Stakeholder]] = []
        for s in self.stakeholders:
            if function is not None and s.function != function:
                continue
            if code is None or code in s.markets:
                rank = 0
            elif region in s.regions:
                rank = 1
            elif not s.markets and not s.regions:
                rank = 2
            else:
                continue
            ranked.append((rank, s.name.casefold(), s))
        return tuple(s for _rank, _name, s in sorted(ranked, key=lambda r: r[:2]))

    def functions(self) -> list[str]:
        return sorted({s.function for s in self.stakeholders})


def load_directory(data_dir: Path | None, library: PlaybookLibrary | None = None, *,
                   bundled_root: Path | None = None) -> StakeholderDirectory:
    """The directory: bundled entries, the user's, and (given the library) the overlays'
    contacts."""
    problems: list[Problem] = []
    by_id: dict[str, Stakeholder] = {}
    held: dict[str, LibraryEntry] = {}
    for file in data_files(STAKEHOLDERS, data_dir, bundled_root):
        try:
            spec = convert(read_yaml(file.path, file.label), StakeholderFile, file.label)
            check_version(spec.schema_version, file.label)
            for i, entry in enumerate(spec.stakeholders):
                check_stakeholder(entry, file.label, f"stakeholders[{i}]")
            check_unique(((e.id, f"stakeholders[{i}].id")
                          for i, e in enumerate(spec.stakeholders)), file.label, "stakeholder")
        except FileInvalid as exc:
            problems.append(exc.problem)
            continue
        for i, entry in enumerate(spec.stakeholders):
            earlier = held.get(entry.id)
            if earlier is not None and earlier.source is file.source:
                problems.append(Problem(file.label, f"stakeholders[{i}].id", f"repeats the "
                                        f"id {entry.id!r} of {earlier.file}: left out"))
                continue
            replaced = earlier.file if earlier is not None else ""
            held[entry.id] = LibraryEntry("stakeholder", entry.id, entry.name, file.label,
                                          file.source, replaced)
            by_id[entry.id] = stakeholder_of(entry, file)
    if library is not None:
        for contacts in (library.overlays[m].contacts for m in sorted(library.overlays)):
            for contact in contacts:
                if contact.id in by_id:
                    problems.append(Problem(contact.file, "contacts", f"repeats the "
                                            f"stakeholder id {contact.id!r} of "
                                            f"{by_id[contact.id].file}: left out"))
                    continue
                by_id[contact.id] = contact
    return StakeholderDirectory(tuple(by_id.values()), tuple(held.values()),
                                tuple(problems))


