"""The registry entry of kind `zendesk`: its settings and how a saved config becomes a
client."""

from __future__ import annotations

from collections.abc import Mapping

from ...domain import PolicyCategory, ReporterType, normalize_market
from ..contract import ChannelError
from ..registry import ChannelSpec, FieldSpec, SecretLookup, register
from .client import COMMENT_MODES, ZendeskChannel
from .custom_fields import CustomFieldMap
from .records import Defaults

KIND = "zendesk"


def _int(config: Mapping[str, str], key: str, default: int, name: str) -> int:
    value = config.get(key) or str(default)
    if not value.isdigit():
        raise ChannelError(f"{name}: {key} must be a whole number, not {value[:20]!r}")
    return int(value)


def _custom(name: str, config: Mapping[str, str], prefix: str) -> CustomFieldMap:
    try:
        return CustomFieldMap.from_config(config, prefix)
    except ValueError as exc:
        raise ChannelError(f"{name}: {exc}") from None


def _build(name: str, config: Mapping[str, str], secret: SecretLookup) -> ZendeskChannel:
    token = secret("token")
    if not token:
        raise ChannelError(f"{name}: no Zendesk token in the keyring; add the channel again")
    oauth = config.get("auth", "token") == "oauth"
    email = config.get("email", "")
    if not oauth and not email:
        raise ChannelError(f"{name}: API token sign-in needs the agent's email address")
    base = config["base_url"].rstrip("/")
    prefix = config.get("severity_tag_prefix") or "severity_"
    try:
        defaults = Defaults(
            market=normalize_market(config.get("default_market") or "SG"),
            category=PolicyCategory(config.get("default_category") or "other"),
            reporter_type=ReporterType(config.get("reporter_type") or "trusted_partner"),
            severity_prefix=prefix, agent_url=base, custom=_custom(name, config, prefix))
    except ValueError as exc:
        raise ChannelError(f"{name}: {exc}") from exc
    comments = config.get("comments") or "all"
    if comments not in COMMENT_MODES:
        raise ChannelError(f"{name}: comments must be one of {', '.join(COMMENT_MODES)}")
    return ZendeskChannel(
        name, base, token, email=email or None, oauth=oauth, defaults=defaults,
        history_days=_int(config, "history_days", 30, name), comments=comments,
        export_per_minute=_int(config, "export_per_minute", 10, name) or 10)


SPEC = register(ChannelSpec(
    kind=KIND, label="Zendesk",
    description="Partner and helpdesk tickets from a Zendesk Support account "
                "(incremental export; status, assignee, priority, tags, notes, replies).",
    fields=(
        FieldSpec("base_url", "Zendesk URL", help="https://{subdomain}.zendesk.com"),
        FieldSpec("auth", "Sign-in", default="token", choices=("token", "oauth"),
                  help="token: email + API token; oauth: an OAuth access token"),
        FieldSpec("email", "Admin email", required=False,
                  help="the admin the API token belongs to (token sign-in)"),
        FieldSpec("token", "API token or OAuth access token", secret=True),
        FieldSpec("default_market", "Default market", default="SG",
                  help="ISO 3166 country for tickets without a market_xx tag"),
        FieldSpec("default_category", "Default policy category", default="other",
                  choices=tuple(c.value for c in PolicyCategory)),
        FieldSpec("reporter_type", "Reporter type", default="trusted_partner",
                  choices=tuple(r.value for r in ReporterType)),
        FieldSpec("history_days", "Days of history on first sync", default="30",
                  required=False, help="0 = the whole account"),
        FieldSpec("comments", "Comments as timeline", default="all", choices=COMMENT_MODES,
                  help="one request per changed ticket; 'open' skips solved/closed"),
        FieldSpec("export_per_minute", "Export requests per minute", default="10",
                  required=False, help="10, or 30 with the High Volume API add-on"),
        FieldSpec("severity_tag_prefix", "Severity tag prefix", default="severity_",
                  required=False, help="severity lives in tags like severity_s1"),
        FieldSpec("custom_fields", "Custom fields", required=False,
                  help="which custom ticket field holds which of ours, by field id: "
                       "market=360001234, category=360001235, severity=360001236 "
                       "(read before tags; severity is written back there)"),
        FieldSpec("custom_values", "Custom field values", required=False,
                  help="drop-down option values that are not ours already: "
                       "sev_critical=S0, team_thailand=TH, csam=child_safety"),
        FieldSpec("ticket_forms", "Ticket forms", required=False,
                  help="what a ticket form implies, by form id: 360000111=child_safety, "
                       "360000222=misinformation_civic+ID (after fields and tags)"),
    ),
    build=_build,
))
