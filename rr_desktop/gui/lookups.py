"""Picker data for the main window (analysts, incidents, tags, duplicate candidates), read
on a connection of its own on the GUI thread: each is a primary-key or small-table lookup
(< 1 ms, store/pickers.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ..domain.assignment import Suggestion
from ..store import pickers, workload
from ..store import roster as store_roster
from ..store.connections import raw_reader
from ..store.duplicates import suggest_duplicates
from ..store.roster import RosterEntry
from ..store.triage_queries import TriageRow
from ..templates.reply_values import ReplySubject, read_reply_subject
from .fuzzy import Choice
from .text import one_line

CHOICE_PREFIX = "id:"  # a picked escalation's key; typed text is the source's id


class Lookups:
    """Short reads for pickers (GUI thread)."""

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
        return pickers.analyst_names(self._db())

    def roster(self) -> list[RosterEntry]:
        """The roster with each analyst's open load."""
        return store_roster.roster(self._db())

    def suggestions(self, esc_id: int, now: datetime) -> list[Suggestion]:
        """Who should take an escalation, best first, with the reasons (the roster is
        small: one pass over it and a primary-key read)."""
        return workload.suggestions_for(self._db(), esc_id, now)

    def analyst_name(self, analyst_id: str) -> str | None:
        found = store_roster.analyst(self._db(), analyst_id)
        return None if found is None else found.name

    def incidents(self) -> list[tuple[int, str]]:
        return pickers.incident_titles(self._db())

    def reference(self, esc_id: int, title: bool = True) -> str:
        """How prompts name an escalation: the source's id and the title, never the
        cache's internal number (the analyst has never seen it)."""
        found = pickers.escalation_ref(self._db(), esc_id)
        if found is None:
            return f"escalation #{esc_id}"
        external_id, text = found
        return f"{external_id} \u201c{one_line(text)}\u201d" if title else external_id

    def tags_of(self, esc_id: int) -> list[str]:
        return pickers.tags_of(self._db(), esc_id)

    def duplicate_candidates(self, ids: list[int],
                             neighbours: Sequence[TriageRow]) -> list[Choice]:
        """Suggested duplicates of the first target (with reasons), then its neighbours
        in the current view."""
        suggested = [s for s in suggest_duplicates(self._db(), ids[0], limit=8)
                     if s.escalation_id not in ids]
        others = [o for o in neighbours if o.id not in ids]
        named = pickers.external_ids(
            self._db(), [s.escalation_id for s in suggested] + [o.id for o in others])
        choices: list[Choice] = []
        seen = set(ids)
        for s in suggested:
            if s.escalation_id not in seen:
                seen.add(s.escalation_id)
                choices.append(Choice(f"{CHOICE_PREFIX}{s.escalation_id}",
                                      f"{named.get(s.escalation_id, '')} {s.title}",
                                      "; ".join(s.reasons)))
        for other in others:
            if other.id not in seen:
                seen.add(other.id)
                choices.append(Choice(f"{CHOICE_PREFIX}{other.id}",
                                      f"{named.get(other.id, '')} {other.title}",
                                      other.channel))
        return choices

    def reply_subject(self, esc_id: int) -> ReplySubject | None:
        """What a reply template fills in about the escalation (a primary-key read)."""
        return read_reply_subject(self._db(), esc_id)

    def by_external_id(self, external_id: str) -> list[int]:
        """Cached escalations the source calls `external_id`."""
        return pickers.find_by_external_id(self._db(), external_id)
