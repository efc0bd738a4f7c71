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
safe_update. Notes and replies carry no idempotency key (Zendesk takes none on updates);
if the ticket moved since the op was queued, a comment with the same text posted since
then is taken as ours.
"""

from .client import ZendeskChannel
from .custom_fields import CustomFieldMap
from .records import Defaults
from .spec import KIND, SPEC

__all__ = ["KIND", "SPEC", "CustomFieldMap", "Defaults", "ZendeskChannel"]
