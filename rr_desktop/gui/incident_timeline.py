"""The incident's timeline section: every event as the fold tells it (facts, field
changes, roles, links, steps, requests, containment), oldest first; pinned facts are
marked and also listed first, so what matters stays on top."""

from __future__ import annotations

from ..domain.incident import IncidentState
from . import theme
from .incident_section import Row, Section, when

HEADERS = ("When", "Who", "What", "Pinned", "Text")
PINNED_MARK = "\u2022 pinned"


def timeline_rows(state: IncidentState) -> list[Row]:
    pinned = [f for f in state.facts if f.pinned]
    rows = [Row((when(f.at), f.actor, "pinned fact", PINNED_MARK, f.text), f"pin:{f.uid}",
                bold=True, tip=f.text) for f in pinned]
    for e in state.timeline:
        fg = theme.ERROR_FG if e.kind == "conflict" else None
        rows.append(Row((when(e.at), e.actor, e.kind, PINNED_MARK if e.pinned else "",
                         e.text), e.uid, fg, e.kind == "conflict", e.text))
    return rows


def fact_uid(key: str | None, state: IncidentState) -> str | None:
    """The fact a timeline row shows (its own row or its pinned copy), or None."""
    if key is None:
        return None
    uid = key.removeprefix("pin:")
    return uid if any(f.uid == uid for f in state.facts) else None


class TimelineSection(Section):
    def __init__(self) -> None:
        super().__init__("Timeline", HEADERS, "incidentTimeline")

    def show_state(self, state: IncidentState) -> None:
        self.set_rows(timeline_rows(state))
