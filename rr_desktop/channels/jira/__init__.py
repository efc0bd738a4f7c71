"""Channel `jira`: cross-functional tickets (Legal, Product, Engineering) in Jira Cloud.

Documented contract relied on (Jira Cloud platform REST API v3, developer.atlassian.com;
cross-checked with the published OpenAPI models in jira.js and jira_v3_openapi):

- Auth: Basic with the Atlassian account email and an API token ("Basic auth for REST
  APIs"). 401 = bad email/token; 403 with `X-Seraph-LoginReason: AUTHENTICATION_DENIED` /
  `X-Authentication-Denied-Reason: CAPTCHA_CHALLENGE` = a CAPTCHA is required.
- Pull: `POST /rest/api/3/search/jql` with `jql`, `fields`, `maxResults`, `nextPageToken`
  ("enhanced search"). The response has `issues`, `nextPageToken` and `isLast`; the token
  is absent on the last page (JRACLOUD-92184) and expires after 7 days; an invalid request
  is a 400 with `{"errorMessages": [...], "errors": {...}}`. JQL must be bounded.
- JQL date literals are `"yyyy-MM-dd HH:mm"` (minute precision) and are read in the time
  zone of the querying account (JRACLOUD-74279; that zone is `timeZone` of
  `GET /rest/api/3/myself`). So the cursor keeps the highest `updated` seen, queries
  `updated >= floor_minute(hw - 2 min)` written in the account's zone, and keeps the
  (id, updated) pairs already emitted inside that window so a re-read emits nothing
  twice (docs/sync.md rule 4). `remote_version` is `updated` in epoch milliseconds.
  Deletions are invisible to this feed (docs/sync.md: reconcile).
- Issue fields: see records.py; descriptions and comment bodies are ADF (adf.py).
- Push: `PUT /rest/api/3/issue/{id}/assignee` {"accountId"} (204);
  `GET /rest/api/3/issue/{id}/transitions` then `POST .../transitions`
  {"transition": {"id"}} (204); `PUT /rest/api/3/issue/{id}` {"fields": {"priority":
  {"name"}, "labels": [...]}} (204); `POST /rest/api/3/issue/{id}/comment` {"body": ADF,
  "visibility": {"type": "role"|"group", "value"}, "properties": [{key, value}]} (201).
  Jira has no conditional write, so updates are read-compare-write. Comments carry the
  op id as a comment property; before posting, `GET .../comment?orderBy=-created` and
  `POST /rest/api/3/comment/list?expand=properties` look for it (docs/sync.md rule 8).
- Limits: 429 with `Retry-After` (seconds) and/or `X-RateLimit-Reset` (ISO 8601,
  `yyyy-MM-ddTHH:mmZ`) ("Rate limiting"); 5xx are retried with backoff.
- Users: `GET /rest/api/3/user/assignable/multiProjectSearch?projectKeys=` (accountId,
  displayName, emailAddress).
"""

from .client import JiraChannel
from .spec import KIND, SPEC

__all__ = ["KIND", "SPEC", "JiraChannel"]
