"""Where playbook, overlay and stakeholder files are found, and how each is named in a
message: bundled files by their place under resources/ (`playbooks/violent-event.yaml`),
the user's by their full path (that is where they will edit it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..locations import resources_dir
from .model import Source

PLAYBOOKS = "playbooks"
OVERLAYS = "overlays"
TEAM = "team"
STAKEHOLDERS = "stakeholders"
_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class DataFile:
    """A file to load, with its label for messages and its source."""

    path: Path
    label: str
    source: Source


def _listed(folder: Path, source: Source, root: Path) -> list[DataFile]:
    if not folder.is_dir():
        return []
    found = sorted(p for p in folder.iterdir()
                   if p.suffix.lower() in _SUFFIXES and p.is_file()
                   and not p.name.startswith("."))
    if source is Source.BUNDLED:
        return [DataFile(p, p.relative_to(root).as_posix(), source) for p in found]
    return [DataFile(p, str(p), source) for p in found]


def data_files(kind: str, data_dir: Path | None,
               bundled_root: Path | None = None) -> list[DataFile]:
    """The files of one kind (PLAYBOOKS, OVERLAYS or STAKEHOLDERS): bundled first, then
    for playbooks and overlays the team's (`<data dir>/playbooks/team/*.yaml`,
    `<data dir>/playbooks/team/overlays/*.yaml`, written from the team hub), then the
    user's (`<data dir>/playbooks/*.yaml`, `<data dir>/playbooks/overlays/*.yaml`,
    `<data dir>/stakeholders/*.yaml`), each in name order."""
    root = bundled_root if bundled_root is not None else resources_dir()
    rel = Path(PLAYBOOKS, OVERLAYS) if kind == OVERLAYS else Path(kind)
    files = _listed(root / rel, Source.BUNDLED, root)
    if data_dir is not None:
        if kind in (PLAYBOOKS, OVERLAYS):
            team = team_folder(data_dir)
            files += _listed(team / OVERLAYS if kind == OVERLAYS else team, Source.TEAM,
                             data_dir)
        files += _listed(data_dir / rel, Source.USER, data_dir)
    return files


def team_folder(data_dir: Path) -> Path:
    """Where the desktop keeps the team hub's playbook files (docs/playbooks.md, "Team
    playbooks"); the sync writes it, the user's own files are beside it."""
    return data_dir / PLAYBOOKS / TEAM


def user_folder(kind: str, data_dir: Path) -> Path:
    """Where the user puts their own files of a kind (shown in the GUI's listing)."""
    return data_dir / (Path(PLAYBOOKS, OVERLAYS) if kind == OVERLAYS else Path(kind))
