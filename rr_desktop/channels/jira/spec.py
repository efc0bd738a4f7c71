"""The registry entry of kind `jira`: its settings and how a saved config becomes a
client."""

from __future__ import annotations

from collections.abc import Mapping

from ..contract import ChannelError
from ..registry import ChannelSpec, FieldSpec, SecretLookup, register
from .client import JiraChannel
from .config import DEFAULT_SEVERITY_MAP, DEFAULT_STATUS_MAP

KIND = "jira"


def _build(name: str, config: Mapping[str, str], secret: SecretLookup) -> JiraChannel:
    token = secret("api_token")
    if not token:
        raise ChannelError(f"{name}: no API token in the keyring; add the channel again")
    return JiraChannel(name, config["site_url"], config["email"], token, config)


SPEC = register(ChannelSpec(
    kind=KIND, label="Jira Cloud",
    description="Cross-functional tickets (Legal, Product, Engineering) in Jira Cloud, "
                "through REST API v3 with an account email and API token.",
    fields=(
        FieldSpec("site_url", "Site URL", help="e.g. https://your-team.atlassian.net"),
        FieldSpec("email", "Account email", help="the Atlassian account of the API token"),
        FieldSpec("api_token", "API token", secret=True,
                  help="id.atlassian.com > Security > API tokens"),
        FieldSpec("projects", "Project keys", required=False,
                  help="comma-separated, e.g. LEGAL,PROD,ENG"),
        FieldSpec("jql", "Extra JQL filter", required=False,
                  help='ANDed with the projects, e.g. labels = "trust-safety" (no ORDER BY)'),
        FieldSpec("status_map", "Status mapping", required=False, default=DEFAULT_STATUS_MAP,
                  help="Jira status=our status, comma-separated; unmapped statuses follow "
                       "their category (To Do / In Progress / Done)"),
        FieldSpec("severity_map", "Priority mapping", required=False,
                  default=DEFAULT_SEVERITY_MAP, help="Jira priority=severity S0..S3"),
        FieldSpec("default_market", "Default market", default="SG",
                  help="ISO country code; a label market-XX overrides it"),
        FieldSpec("default_category", "Default policy category", required=False,
                  default="other", help="a label category-NAME overrides it"),
        FieldSpec("default_reporter_type", "Reporter type", required=False,
                  default="internal"),
        FieldSpec("default_urgency", "Default urgency", required=False, default="U2",
                  choices=("U0", "U1", "U2", "U3"),
                  help="a label urgency-U0..U3 overrides it"),
        FieldSpec("note_visibility", "Internal note visibility", required=False,
                  help="role:NAME or group:NAME; empty: visible to everyone on the issue"),
    ),
    build=_build,
))
