"""The closed vocabularies playbook, overlay and stakeholder files are checked against
(docs/playbooks.md).

Step owners are the three incident roles, the analyst working the incident, and the
cross-functional functions an incident pulls in (docs/domain.md). Stakeholder entries name
one function each: the internal ones, or an outside party a market's overlay lists
(regulator, police, hotline, industry partner).
"""

from __future__ import annotations

import re

from ..domain.statutory_clock import STARTS_DECLARED, STARTS_STEP_PREFIX

INCIDENT_ROLES = ("commander", "scribe", "liaison")
FUNCTIONS = ("legal", "public_policy", "product", "engineering", "comms",
             "law_enforcement_response", "market_team")
STEP_ROLES = (*INCIDENT_ROLES, "analyst", *FUNCTIONS)
OUTSIDE_PARTIES = ("regulator", "law_enforcement", "hotline", "industry_partner")
STAKEHOLDER_FUNCTIONS = (*FUNCTIONS, *OUTSIDE_PARTIES)

ROLE_LABELS: dict[str, str] = {
    "commander": "Incident commander", "scribe": "Scribe", "liaison": "Liaison",
    "analyst": "Analyst", "legal": "Legal", "public_policy": "Public Policy",
    "product": "Product", "engineering": "Engineering", "comms": "Comms",
    "law_enforcement_response": "Law-Enforcement Response", "market_team": "Market team",
    "regulator": "Regulator", "law_enforcement": "Police", "hotline": "Hotline",
    "industry_partner": "Industry partner",
}

# Ids of playbooks, steps, clocks, templates and stakeholders: lower-case words joined by
# hyphens, so they read well in a file and survive every event encoding unchanged.
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# The newest file format this RR Desktop reads.
SCHEMA_VERSION = 1


__all__ = ["FUNCTIONS", "ID_PATTERN", "INCIDENT_ROLES", "OUTSIDE_PARTIES", "ROLE_LABELS",
           "SCHEMA_VERSION", "STAKEHOLDER_FUNCTIONS", "STARTS_DECLARED",
           "STARTS_STEP_PREFIX", "STEP_ROLES", "one_of", "step_of_start"]


def step_of_start(starts: str) -> str | None:
    """The step id a `step:<id>` start names; None for `declared`."""
    if starts.startswith(STARTS_STEP_PREFIX):
        return starts[len(STARTS_STEP_PREFIX):]
    return None


def one_of(values: tuple[str, ...]) -> str:
    return ", ".join(values)
