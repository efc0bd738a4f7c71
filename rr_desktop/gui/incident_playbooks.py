"""Where the incident screen gets playbooks from (`b`: start playbook): the ids and
titles it can offer, and the resolved checklist (steps and statutory clocks for the
incident's markets) that a `playbook_start` event carries (docs/incidents.md).

A thin seam: the playbook package (YAML playbooks, market overlays, `resolve`) plugs in
with `use(...)`; until one is plugged in, the screen says that no playbooks are installed.
Tests plug in a checklist of their own the same way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Listing = Callable[[], list[tuple[str, str]]]
Resolver = Callable[[str, Sequence[str]], dict[str, Any]]


@dataclass(slots=True)
class _Source:
    listing: Listing | None = None
    resolver: Resolver | None = None


_SOURCE = _Source()


def use(listing: Listing | None, resolver: Resolver | None) -> None:
    """Plug in a playbook source (None, None: none installed)."""
    _SOURCE.listing, _SOURCE.resolver = listing, resolver


def available_playbooks() -> list[tuple[str, str]]:
    """(id, title) of every playbook that can be started."""
    return [] if _SOURCE.listing is None else list(_SOURCE.listing())


def resolve(playbook_id: str, markets: Sequence[str]) -> dict[str, Any]:
    """The `playbook_start` data for this playbook and these markets, less `run` (the
    caller makes one): `playbook`, `title`, `markets`, `steps`, `clocks`. ValueError
    (a sentence) when it cannot be resolved."""
    if _SOURCE.resolver is None:
        raise ValueError("No playbooks are installed on this desktop.")
    data = dict(_SOURCE.resolver(playbook_id, list(markets)))
    data.setdefault("playbook", playbook_id)
    data.setdefault("markets", list(markets))
    data.setdefault("title", playbook_id)
    data.setdefault("steps", [])
    data.setdefault("clocks", [])
    return data
