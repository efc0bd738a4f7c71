"""Small reads the pickers need (analysts, incidents, tags, duplicate candidates), on a
read connection of their own. Each is a primary-key or small-table lookup (< 1 ms)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from ..store.duplicates import suggest_duplicates
from ..store.engine import raw_reader
from .fuzzy import Choice

if TYPE_CHECKING:
    from .triage.model import TriageModel

NEIGHBOURS = 40


class Lookups:
    """Picker data for the main window (GUI thread; short queries only)."""

    def __init__(self, db_path: Path) -> None:
        self._conn: sqlite3.Connection | None = raw_reader(db_path)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("lookups are closed")
        return self._conn

    def analysts(self) -> list[tuple[str, str]]:
        return [(str(a), str(n)) for a, n in self._db().execute(
            "SELECT id, name FROM analyst ORDER BY name LIMIT 2000")]

    def incidents(self) -> list[tuple[int, str]]:
        return [(int(i), str(t)) for i, t in self._db().execute(
            "SELECT id, title FROM incident ORDER BY id DESC LIMIT 500")]

    def tags_of(self, esc_id: int) -> list[str]:
        row = self._db().execute("SELECT tags FROM escalation WHERE id = ?",
                                 (esc_id,)).fetchone()
        return [t for t in str(row[0] or "").split() if t] if row else []

    def duplicate_candidates(self, ids: list[int], model: TriageModel) -> list[Choice]:
        """Suggested duplicates of the first target (with reasons), then its neighbours
        in the current view."""
        first = ids[0]
        choices: list[Choice] = []
        seen = set(ids)
        for s in suggest_duplicates(self._db(), first, limit=8):
            if s.escalation_id not in seen:
                seen.add(s.escalation_id)
                choices.append(Choice(str(s.escalation_id), f"#{s.escalation_id} {s.title}",
                                      "; ".join(s.reasons)))
        row = model.row_of(first)
        if row is not None:
            for r in range(max(row - NEIGHBOURS // 2, 0), row + NEIGHBOURS // 2):
                other = model.row_at(r)
                if other is not None and other.id not in seen:
                    seen.add(other.id)
                    choices.append(Choice(str(other.id), f"#{other.id} {other.title}",
                                          other.channel))
        return choices
