"""Setting a file up as a channel (what the import dialog decides, without Qt or a DB):
which configured channel already reads this file, a name for a new one, and whether a
name and config can be saved."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from ...domain import Channel
from .columns import ColumnMapping
from .spec import KIND, SPEC


def channel_for_file(channels: Iterable[Channel], path: Path) -> Channel | None:
    """The spreadsheet channel already reading `path`: importing the file again into it
    keeps its cursor, so only new and changed rows come in."""
    return next((c for c in channels if c.kind == KIND and c.config.get("path") == str(path)),
                None)


def new_channel_name(path: Path, channels: Iterable[Channel]) -> str:
    """A free channel name from the file name ("eSafety notices.csv" -> "esafety-notices")."""
    base = re.sub(r"[^0-9A-Za-z]+", "-", path.stem).strip("-").lower()[:60] or "spreadsheet"
    taken = {c.name for c in channels}
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def saved_mapping(channel: Channel, headers: Sequence[str]) -> ColumnMapping | None:
    """The channel's stored mapping when it still fits the file's header."""
    try:
        mapping = ColumnMapping.from_json(channel.config.get("mapping", ""))
    except ValueError:
        return None
    return mapping if mapping and not mapping.missing(headers) else None


def import_problems(name: str, config: dict[str, str],
                    channels: Iterable[Channel]) -> list[str]:
    """Why this name and config cannot be saved (empty when they can)."""
    problems = [] if name.strip() else ["Channel name is required"]
    problems += SPEC.validate(config)
    clash = next((c for c in channels if c.name == name and c.kind != KIND), None)
    if clash is not None:
        problems.append(f"a {clash.kind} channel is already called {name!r}")
    return problems
