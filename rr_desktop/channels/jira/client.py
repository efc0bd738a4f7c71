"""The Jira Cloud channel client: pull through enhanced JQL search, push by read-compare-
write. The documented facts it relies on are listed in the package docstring."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import requests

from ...domain import Analyst, Incoming, Quarantined
from ...domain.push import FIELD_PUSHES, Push
from ...http import redact
from ..contract import (
    AuthError,
    ChannelError,
    CursorExpired,
    MalformedPage,
    Mutation,
    Page,
    PushResult,
    RateLimited,
    Rejected,
    ServerError,
)
from ..transport import Transport
from .api import error_text, issue_path, reset_wait, server_time
from .config import JiraSettings, config_problems, visibility
from .cursor import Cursor
from .jql import build_jql, check_filter, jql_time, parse_projects
from .records import FIELDS, validate
from .search_page import split_page
from .writes import JiraWrites

PAGE_SIZE = 100
OVERLAP_MS = 2 * 60_000  # docs/sync.md rule 4: re-read ~2 min behind the high-water mark
UNKNOWN_TZ_WIDEN_MS = 12 * 3_600_000  # a UTC literal read in a zone down to UTC-12
FUTURE_SLACK_MS = 3_600_000  # clock skew tolerated before `updated` is "in the future"
_SEARCH = "/rest/api/3/search/jql"
_decode = msgspec.json.Decoder()


class JiraChannel:
    """Client of one Jira Cloud site (Basic auth: account email + API token)."""

    # Fields through edits and transitions, notes and replies as comments.
    pushes = FIELD_PUSHES | {Push.NOTE, Push.REPLY}

    def __init__(self, name: str, site: str, email: str, token: str,
                 config: Mapping[str, str] | None = None, page_size: int = PAGE_SIZE,
                 session: requests.Session | None = None) -> None:
        config = config or {}
        self.name = name
        problems = config_problems(config)
        if problems:
            raise ChannelError(f"{name}: " + "; ".join(problems))
        self.settings = JiraSettings.from_config(site, config)
        self.projects = parse_projects(config.get("projects", ""))
        self.extra_jql = check_filter(config.get("jql", ""))
        self.note_visibility = visibility(name, config.get("note_visibility", ""))
        self.page_size = page_size
        self._tz: tzinfo | None = None
        self._window = OVERLAP_MS
        self.http = Transport(name, site, session, expired_statuses=(), hook=self._hook)
        basic = base64.b64encode(f"{email}:{token}".encode()).decode("ascii")
        self.http.session.headers["Authorization"] = f"Basic {basic}"
        self.http.session.headers["Accept"] = "application/json"
        self._writes = JiraWrites(self)

    def close(self) -> None:
        self.http.close()

    def _hook(self, resp: requests.Response) -> None:
        """Jira specifics before the generic status mapping of Transport."""
        code, headers = resp.status_code, resp.headers
        if code == 401:
            raise AuthError(f"{self.name}: Jira refused the email address or API token (401)")
        if code == 403 and ("AUTHENTICATION_DENIED" in headers.get("X-Seraph-LoginReason", "")
                            or "CAPTCHA" in headers.get("X-Authentication-Denied-Reason", "")):
            raise AuthError(f"{self.name}: Jira wants a CAPTCHA after failed logins: sign in "
                            "once in a browser, then try again")
        if code == 403 and resp.request.method not in ("GET", None):
            raise Rejected(f"{self.name}: Jira refused this change (403): {error_text(resp)}")
        if code == 429 and not headers.get("Retry-After") and headers.get("X-RateLimit-Reset"):
            raise RateLimited(f"{self.name}: rate limited by Jira",
                              reset_wait(headers["X-RateLimit-Reset"], headers.get("Date")))
        if code == 404 and "/rest/api/3/issue/" in (resp.request.path_url or ""):
            raise Rejected(f"{self.name}: the issue is gone from Jira or hidden from this "
                           "account (404)")
        if code in (400, 409, 422):
            raise Rejected(f"{self.name}: Jira refused the request ({code}): {error_text(resp)}")

    def decoded(self, resp: requests.Response, what: str) -> Any:
        try:
            return _decode.decode(resp.content)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise ServerError(f"{self.name}: Jira sent a malformed {what}") from exc

    # -- pull ---------------------------------------------------------------------------

    def _zone(self) -> tzinfo:
        """The querying account's time zone (GET /rest/api/3/myself), in which Jira reads
        JQL date literals. Unknown here: UTC, with the re-read window widened to match."""
        if self._tz is None:
            me = self.decoded(self.http.call("GET", "/rest/api/3/myself"), "user")
            zone = me.get("timeZone") if isinstance(me, dict) else None
            try:
                self._tz = ZoneInfo(zone) if isinstance(zone, str) and zone else None
            except (ZoneInfoNotFoundError, ValueError):
                self._tz = None
            if self._tz is None:
                self._tz, self._window = UTC, OVERLAP_MS + UNKNOWN_TZ_WIDEN_MS
        return self._tz

    def _search(self, since: int | None, token: str | None, max_results: int,
                fields: tuple[str, ...] = FIELDS, ok: tuple[int, ...] = ()
                ) -> requests.Response:
        literal = jql_time(since, self._zone()) if since is not None else None
        body: dict[str, Any] = {"jql": build_jql(self.projects, self.extra_jql, literal),
                                "fields": list(fields), "maxResults": max_results}
        if token:
            body["nextPageToken"] = token
        return self.http.call("POST", _SEARCH, json=body, ok=ok)

    def pull(self, cursor: str | None) -> Page:
        try:
            state = Cursor.decode(cursor)
        except ValueError as exc:
            raise CursorExpired(f"{self.name}: {exc}; resyncing") from None
        self._zone()
        if not state.in_pass:
            state.in_pass, state.token = True, None
            state.since = None if state.hw is None else state.hw - self._window
        resp = self._search(state.since, state.token, self.page_size,
                            ok=(400,) if state.token else ())
        if resp.status_code == 400:
            # A nextPageToken expires (after 7 days): restart this pass from its lower
            # bound; the seen set keeps the re-read from emitting anything twice.
            state.token = None
            resp = self._search(state.since, None, self.page_size)
        try:
            page = split_page(resp.content)
        except ValueError as exc:
            raise MalformedPage(
                f"{self.name}: Jira sent a malformed search page ({exc})",
                Quarantined.of(None, f"malformed page: {exc}",
                               resp.content.decode("utf-8", "replace"))) from None
        now = server_time(resp)
        limit = None if now is None else int(now.timestamp() * 1000) + FUTURE_SLACK_MS
        if limit is not None and state.hw is not None and state.hw > limit:
            raise CursorExpired(f"{self.name}: the cursor is ahead of Jira's clock; resyncing")
        items: list[Incoming] = []
        bad: list[Quarantined] = []
        marks: list[str] = []
        for raw in page.issues:
            result, ident = validate(raw, self.settings)
            if ident is not None:
                if state.seen.get(ident[0]) == ident[1]:
                    continue  # re-read by the overlap window, unchanged: emitted before
                state.note(*ident, limit)
            else:  # no id/updated to remember it by: remember its bytes instead
                mark = "#" + hashlib.blake2b(raw, digest_size=12).hexdigest()
                if mark in state.seen:
                    continue
                marks.append(mark)
            if isinstance(result, Incoming):
                items.append(result)
            else:
                bad.append(result)
        if state.hw is not None:
            state.seen.update(dict.fromkeys(marks, state.hw))
        state.prune(self._window)
        done = page.next_token is None
        state.in_pass, state.token = not done, page.next_token
        return Page(items, bad, state.encode(), done, now)

    def fetch(self, external_id: str) -> Incoming:
        return self.read(external_id)[1]

    def read(self, issue: str) -> tuple[dict[str, Any], Incoming]:
        resp = self.http.call("GET", issue_path(issue), params={"fields": ",".join(FIELDS)})
        result, _ = validate(resp.content, self.settings)
        if isinstance(result, Quarantined):
            raise ServerError(f"{self.name}: Jira sent an invalid issue: {result.reason}")
        return self.decoded(resp, "issue")["fields"], result

    # -- push ---------------------------------------------------------------------------

    def push(self, mutation: Mutation) -> PushResult:
        return self._writes.push(mutation)

    # -- the rest -----------------------------------------------------------------------

    def analysts(self) -> list[Analyst]:
        """Users assignable in the configured projects (their accountId is assigned)."""
        if not self.projects:
            return []
        people: list[Analyst] = []
        while len(people) < 1000:
            data = self.decoded(self.http.call(
                "GET", "/rest/api/3/user/assignable/multiProjectSearch",
                params={"projectKeys": ",".join(self.projects), "startAt": len(people),
                        "maxResults": 100}), "user list")
            batch = [u for u in data if isinstance(u, dict) and isinstance(
                u.get("accountId"), str)] if isinstance(data, list) else []
            people += [Analyst(u["accountId"], str(u.get("displayName") or u["accountId"]),
                               str(u.get("emailAddress") or "")) for u in batch]
            if len(batch) < 100:
                break
        return people

    def check(self) -> None:
        """Test connection, credentials and the project/JQL filter; raises a ChannelError
        whose message is the verdict."""
        resp = self.http.call("GET", "/rest/api/3/myself")
        try:
            me = _decode.decode(resp.content)
        except (msgspec.DecodeError, RecursionError):
            me = None
        if not isinstance(me, dict) or not isinstance(me.get("accountId"), str):
            raise Rejected(f"{self.name}: {redact(self.http.base)} answered, but not like "
                           "a Jira Cloud site: check the URL")
        resp = self._search(None, None, 1, ("updated",), ok=(400,))
        if resp.status_code == 400:
            raise Rejected(f"{self.name}: Jira rejected the project/JQL filter: "
                           f"{error_text(resp)}")
