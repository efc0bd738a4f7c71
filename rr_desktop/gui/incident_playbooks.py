"""Where the incident screen gets playbooks from (`b`: start playbook): the bundled and
the user's playbooks and overlays (rr_desktop/playbooks/, docs/playbooks.md), read once
per window on first use, and the resolved checklist a `playbook_start` event carries
(docs/incidents.md)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the package (YAML, msgspec schemas) loads on first use, not with
    # the window (docs/performance.md, first paint)
    from ..playbooks import PlaybookLibrary, Stakeholder, StakeholderDirectory
    from ..playbooks.schema import Channels


def _function_id(function: str) -> str:
    """The directory's function id of a ledger function as the analyst reads it."""
    from ..playbooks import ROLE_LABELS

    ids = {label.casefold(): fid for fid, label in ROLE_LABELS.items()}
    return ids.get(function.casefold(), function.casefold().replace(" ", "_"))


class PlaybookSource:
    """The playbook library of one data dir."""

    def __init__(self, data_dir: Path | None) -> None:
        self._data_dir = data_dir
        self._library: PlaybookLibrary | None = None
        self._directory: StakeholderDirectory | None = None

    def library(self) -> PlaybookLibrary:
        if self._library is None:
            from ..playbooks import load_library

            self._library = load_library(self._data_dir)
        return self._library

    def reload(self) -> None:
        self._library = self._directory = None

    def directory(self) -> StakeholderDirectory:
        """The stakeholder directory: bundled, the user's, and the overlays' contacts."""
        if self._directory is None:
            from ..playbooks import load_directory

            self._directory = load_directory(self._data_dir, self.library())
        return self._directory

    def contacts(self, function: str, markets: Sequence[str]) -> list[Stakeholder]:
        """Directory entries for a ledger function ("Legal", "Market team") covering the
        incident's markets (theirs first, then their regions, then global teams);
        without markets, everyone of that function."""
        fid = _function_id(function)
        found: dict[str, Stakeholder] = {}
        wanted: list[str | None] = [*markets] or [None]
        for market in wanted:
            try:
                entries = self.directory().find(function=fid, market=market)
            except (KeyError, ValueError):  # a market the directory has no region for
                entries = self.directory().find(function=fid)
            for entry in entries:
                found.setdefault(entry.id, entry)
        return list(found.values())

    def available(self) -> list[tuple[str, str]]:
        """(id, title) of every playbook that can be started."""
        return self.library().incident_types()

    def problems(self) -> list[str]:
        """One sentence per playbook or overlay file that could not be read."""
        return [str(p) for p in self.library().problems]

    def resolve(self, playbook_id: str, markets: Sequence[str]) -> dict[str, Any]:
        """The `playbook_start` data for this playbook and these markets, less `run`.
        ValueError (a sentence) when it cannot be resolved."""
        from ..playbooks import resolve_playbook

        try:
            resolved = resolve_playbook(self.library(), playbook_id, markets)
        except LookupError as exc:
            raise ValueError(f"There is no playbook {playbook_id!r}.") from exc
        return dict(resolved.to_event_data())


def reach(channels: Channels) -> str:
    """How to reach a stakeholder, in one line."""
    parts = [f"{name} {value}" for name, value in (
        ("email", channels.email), ("chat", channels.chat), ("phone", channels.phone),
        ("rota", channels.rota), ("web", channels.web)) if value]
    return " \u00b7 ".join(parts)
