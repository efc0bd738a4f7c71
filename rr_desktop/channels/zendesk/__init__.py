"""Channel `zendesk`: partner and helpdesk inquiries from a Zendesk Support account.

What it relies on, from Zendesk's public documentation (developer.zendesk.com):

- Incremental Exports (api-reference/ticketing/ticket-management/incremental_exports and
  documentation/ticketing/managing-tickets/using-the-incremental-export-api): cursor-based
  ticket export `GET /api/v2/incremental/tickets/cursor.json`, `start_time` (Unix time,
  more than a minute in the past) on the first request, then `cursor=<after_cursor>`;
  a page has `tickets`, `after_cursor`, `after_url`, `end_of_stream` (true once caught
  up; the `after_cursor` is kept for the next poll). Changes of the last minute are
  excluded. Admins only. "You can make up to 10 requests per minute to these endpoints"
  (30 with the High Volume add-on), rate limited as everywhere else: 429 + Retry-After.
  Sideloads per the Tickets list (`include=users` names the requesters); `last_audits`
  is not supported there.
- Ticket fields (api-reference/ticketing/tickets/tickets): `status` new, open, pending,
  hold, solved, closed ("deleted" appears in the export), `priority` urgent, high, normal,
  low or null, `assignee_id`, `requester_id`, `tags`, `subject`, `description` (the first
  comment, plain text), `created_at`/`updated_at` (ISO 8601, UTC; updated_at moves with
  every ticket event). A closed ticket cannot be changed or reopened.
- Update Ticket `PUT /api/v2/tickets/{id}` with `{"ticket": {...}}`; a comment is added
  with `{"ticket": {"comment": {"body": ..., "public": false}}}` (internal note) or
  `"public": true` (public reply): comments are created through the Tickets API only.
  "Protecting against ticket update collisions": `safe_update: true` with
  `updated_stamp` = the ticket's `updated_at` as read; a mismatch answers 409 Conflict.
  The response holds the updated `ticket` (and its `audit`).
- List Comments `GET /api/v2/tickets/{id}/comments` (api-reference/ticketing/tickets/
  ticket_comments): cursor pagination (`page[size]` up to 100, `meta.has_more`), `sort`
  "-created_at" for newest first, `include=users`; a comment has `id`, `author_id`,
  `body`, `plain_body`, `public`, `created_at`. Show Ticket returns no comments.
- List Users `GET /api/v2/users?role[]=agent&role[]=admin` with cursor pagination
  (`page[after]`), Show Current User `GET /api/v2/users/me` (anonymous: no id).
- Authentication: `Authorization: Basic base64("{email}/token:{api_token}")`, or
  `Authorization: Bearer {oauth_access_token}`; 401 when refused.
- Errors: `{"error": ..., "description": ...}`. The reference documents no cursor expiry;
  API users report 400 InvalidPaginationParameter for a cursor Zendesk no longer takes
  (e.g. one sent without URL-encoding its '+'). A 400/422 (or 410) on an export request
  that carries a cursor is therefore treated as an expired cursor: full resync.

Budget: the export is limited to 10 requests a minute; every page of up to `page_size`
(100) tickets also costs one List Comments request per ticket that changed (account-wide
limit, 200-700 a minute by plan), because comments are the escalation's timeline (facts)
and must match the ticket version they are stored with. The `comments` setting trades
timeline for requests: "all", "open" (solved and closed tickets get none: the initial
load of an old account is then mostly free) or "none". A 429 on a comments request keeps
the export page in memory, so retrying it does not spend another export request.

Mapping of fields and statuses: see records.py; custom ticket fields and ticket forms as
sources of market, category and severity: see custom_fields.py. Conflicts (writes.py):
updates read the ticket, compare each field's remote value with the base the analyst saw
(Zendesk's vocabulary: several of our statuses are one Zendesk status), then write with
safe_update. Notes and replies
carry no idempotency key (Zendesk takes none on updates); if the ticket moved since the
op was queued, a comment with the same text posted since then is taken as ours.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...domain import PolicyCategory, ReporterType, normalize_market
from ..contract import ChannelError
from ..registry import ChannelSpec, FieldSpec, SecretLookup, register
from .client import COMMENT_MODES, ZendeskChannel
from .custom_fields import CustomFieldMap
from .records import Defaults

KIND = "zendesk"

__all__ = ["KIND", "SPEC", "CustomFieldMap", "Defaults", "ZendeskChannel"]


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
