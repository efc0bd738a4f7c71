"""Where the incident screen gets playbooks from (`b`: start playbook): the bundled and
the user's playbooks and overlays (rr_desktop/playbooks/, docs/playbooks.md), read once
per window on first use, and the resolved checklist a `playbook_start` event carries
(docs/incidents.md)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..playbooks import PlaybookLibrary, load_library, resolve_playbook


class PlaybookSource:
    """The playbook library of one data dir."""

    def __init__(self, data_dir: Path | None) -> None:
        self._data_dir = data_dir
        self._library: PlaybookLibrary | None = None

    def library(self) -> PlaybookLibrary:
        if self._library is None:
            self._library = load_library(self._data_dir)
        return self._library

    def reload(self) -> None:
        self._library = None

    def available(self) -> list[tuple[str, str]]:
        """(id, title) of every playbook that can be started."""
        return self.library().incident_types()

    def problems(self) -> list[str]:
        """One sentence per playbook or overlay file that could not be read."""
        return [str(p) for p in self.library().problems]

    def resolve(self, playbook_id: str, markets: Sequence[str]) -> dict[str, Any]:
        """The `playbook_start` data for this playbook and these markets, less `run`.
        ValueError (a sentence) when it cannot be resolved."""
        try:
            resolved = resolve_playbook(self.library(), playbook_id, markets)
        except LookupError as exc:
            raise ValueError(f"There is no playbook {playbook_id!r}.") from exc
        return dict(resolved.to_event_data())
