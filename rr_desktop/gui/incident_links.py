"""Linked escalations: each by its channel's source key and external id; one this cache
does not hold is still listed, marked "not in this cache" (docs/incidents.md)."""

from __future__ import annotations

from collections.abc import Mapping

from ..domain.incident import IncidentState
from . import theme
from .incident_section import Row, Section, when

HEADERS = ("Escalation", "Title", "Category", "Market", "Reported", "Linked", "Source")


def link_key(source: str, external_id: str) -> str:
    return f"{source}\n{external_id}"


def link_rows(state: IncidentState, members: Mapping[str, int]) -> list[Row]:
    rows = []
    for ln in state.links:
        key = link_key(ln.source, ln.external_id)
        here = key in members
        rows.append(Row((ln.external_id + ("" if here else " (not in this cache)"),
                         ln.title, ln.category, ln.market, when(ln.reported_at),
                         f"{when(ln.linked_at)} {ln.linked_by}", ln.source), key,
                        None if here else theme.MUTED_FG, tip=ln.title))
    return rows


class LinksSection(Section):
    def __init__(self) -> None:
        super().__init__("Linked escalations", HEADERS, "incidentLinks")

    def show_state(self, state: IncidentState, members: Mapping[str, int]) -> None:
        self.set_rows(link_rows(state, members))
