"""Containment actions: what is being done to stop the harm spreading, and where each
stands (planned, in progress, done)."""

from __future__ import annotations

from ..domain.incident import IncidentState
from . import theme
from .incident_section import Row, Section, when

HEADERS = ("State", "Action", "By", "Since", "Updated")


def containment_rows(state: IncidentState) -> list[Row]:
    return [Row((a.state.replace("_", " "), a.text, a.created_by, when(a.created_at),
                 when(a.updated_at)), a.uid, theme.MUTED_FG if a.state == "done" else None,
                tip=a.text) for a in state.containment]


class ContainmentSection(Section):
    def __init__(self) -> None:
        super().__init__("Containment", HEADERS, "incidentContainment")

    def show_state(self, state: IncidentState) -> None:
        self.set_rows(containment_rows(state))
