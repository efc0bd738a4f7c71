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

from ...domain import Analyst, Incoming, Quarantined, Severity, Status
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
    VersionConflict,
)
from ..registry import ChannelSpec, FieldSpec, SecretLookup, register
from ..transport import Transport
from .adf import text_to_adf
from .api import checked_value, error_text, issue_path, reset_wait, server_time, visibility
from .records import (
    DEFAULT_SEVERITY_MAP,
    DEFAULT_STATUS_MAP,
    FIELDS,
    JiraSettings,
    merged_labels,
    same,
    validate,
    wire_value,
)
from .search_page import Cursor, build_jql, check_filter, jql_time, parse_projects, split_page

KIND = "jira"
PAGE_SIZE = 100
OVERLAP_MS = 2 * 60_000  # SYNC.md rule 4: re-read ~2 min behind the high-water mark
UNKNOWN_TZ_WIDEN_MS = 12 * 3_600_000  # a UTC literal read in a zone down to UTC-12
FUTURE_SLACK_MS = 3_600_000  # clock skew tolerated before `updated` is "in the future"
OP_PROPERTY = "rr-desktop.op"
EDITABLE = ("status", "assignee", "severity", "urgency", "tags")
_SEARCH = "/rest/api/3/search/jql"
_decode = msgspec.json.Decoder()


def _projects(config: Mapping[str, str]) -> tuple[str, ...]:
    try:
        return parse_projects(config.get("projects", ""))
    except ValueError as exc:
        raise ValueError(f"Project keys: {exc} (capital letters, digits, _)") from None


def config_problems(config: Mapping[str, str]) -> list[str]:
    """Every setting that would stop this channel from ever syncing, one sentence each
    (checked before the channel is saved, and again when it is built)."""
    problems = JiraSettings.problems(config)
    checks: list[Any] = [
        lambda: _projects(config),
        lambda: check_filter(config.get("jql", "")),
        lambda: visibility("", config.get("note_visibility", "")),
    ]
    for check in checks:
        try:
            check()
        except (ValueError, ChannelError) as exc:
            problems.append(str(exc).removeprefix(": "))
    if not config.get("projects", "").strip(", ") and not config.get("jql", "").strip():
        problems.append("set at least one project key or a JQL filter (Jira's search "
                        "refuses an unbounded query)")
    return problems


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
        self._http = Transport(name, site, session, expired_statuses=(), hook=self._hook)
        basic = base64.b64encode(f"{email}:{token}".encode()).decode("ascii")
        self._http.session.headers["Authorization"] = f"Basic {basic}"
        self._http.session.headers["Accept"] = "application/json"

    def close(self) -> None:
        self._http.close()

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

    def _json(self, resp: requests.Response, what: str) -> Any:
        try:
            return _decode.decode(resp.content)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise ServerError(f"{self.name}: Jira sent a malformed {what}") from exc

    # -- pull ---------------------------------------------------------------------------

    def _zone(self) -> tzinfo:
        """The querying account's time zone (GET /rest/api/3/myself), in which Jira reads
        JQL date literals. Unknown here: UTC, with the re-read window widened to match."""
        if self._tz is None:
            me = self._json(self._http.call("GET", "/rest/api/3/myself"), "user")
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
        return self._http.call("POST", _SEARCH, json=body, ok=ok)

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
        return self._read(external_id)[1]

    def _read(self, issue: str) -> tuple[dict[str, Any], Incoming]:
        resp = self._http.call("GET", issue_path(issue), params={"fields": ",".join(FIELDS)})
        result, _ = validate(resp.content, self.settings)
        if isinstance(result, Quarantined):
            raise ServerError(f"{self.name}: Jira sent an invalid issue: {result.reason}")
        return self._json(resp, "issue")["fields"], result

    # -- push ---------------------------------------------------------------------------

    def push(self, mutation: Mutation) -> PushResult:
        if mutation.op_type == "update":
            return self._update(mutation)
        if mutation.op_type in ("note", "reply"):
            return self._comment(mutation)
        raise Rejected(f"{self.name}: Jira cannot take a {mutation.op_type!r} change")

    def _update(self, m: Mutation) -> PushResult:
        """Read-compare-write: Jira has no conditional update, so the issue is read first
        and a field the source changed away from `base` is a VersionConflict."""
        unknown = sorted(set(m.payload) - set(EDITABLE))
        if unknown:
            raise Rejected(f"{self.name}: Jira cannot change {', '.join(unknown)}")
        wanted = {f: checked_value(self.name, f, v) for f, v in m.payload.items()}
        fields, current = self._read(m.external_id)
        theirs = {f: wire_value(current.record, f) for f in wanted}
        if "status" in wanted and self._holds(fields, Status(wanted["status"])):
            # The issue is in a Jira status ours is written as, though it reads back as
            # another of ours (Done=resolved,Done=declined): our change is there already
            # (a replay after a lost answer), not a change someone else made.
            theirs["status"] = wanted["status"]
        clash = [f for f in wanted if f in m.base and not same(f, theirs[f], m.base[f])
                 and not same(f, theirs[f], wanted[f])]
        if clash:
            raise VersionConflict(f"{self.name}: the issue changed in Jira meanwhile "
                                  f"({', '.join(clash)})", current)
        todo = {f: v for f, v in wanted.items() if not same(f, theirs[f], v)}
        if not todo:
            return PushResult(current.record.remote_version, current)
        edit: dict[str, Any] = {}
        if "severity" in todo:
            priority = self.settings.priority_for(Severity.parse(todo["severity"]))
            if priority is None:
                raise Rejected(f"{self.name}: no Jira priority is mapped to "
                               f"{todo['severity']}; add one to the priority mapping")
            edit["priority"] = {"name": priority}
        if "tags" in todo or "urgency" in todo:
            edit["labels"] = merged_labels(fields.get("labels"), todo)
        path = issue_path(m.external_id)
        if "assignee" in todo:
            self._http.call("PUT", f"{path}/assignee", write=True,
                            json={"accountId": todo["assignee"]})
        if edit:
            self._http.call("PUT", path, write=True, json={"fields": edit})
        if "status" in todo:
            self._transition(path, Status(todo["status"]), current.record.status)
        after = self.fetch(m.external_id)
        return PushResult(after.record.remote_version, after)

    def _holds(self, fields: Mapping[str, Any], status: Status) -> bool:
        """Whether the issue's Jira status is one `status` is mapped to."""
        current = fields.get("status")
        name = current.get("name") if isinstance(current, dict) else None
        return isinstance(name, str) and self.settings.maps_to(name, status)

    def _transition(self, path: str, target: Status, now: Status) -> None:
        """GET the transitions Jira offers now; take the one whose target status is
        mapped to `target` (earliest in the mapping wins); POST it."""
        data = self._json(self._http.call("GET", f"{path}/transitions"), "transition list")
        options = data.get("transitions") if isinstance(data, dict) else None
        ranked: list[tuple[int, str]] = []
        offered: set[str] = set()
        for t in options if isinstance(options, list) else []:
            to = t.get("to") if isinstance(t, dict) else None
            name = to.get("name") if isinstance(to, dict) else None
            if not isinstance(name, str) or not isinstance(t.get("id"), str):
                continue
            offered.add(name[:60])
            rank = next((i for i, (n, s) in enumerate(self.settings.status_map)
                         if n.casefold() == name.casefold() and s == target), None)
            if rank is not None:
                ranked.append((rank, t["id"]))
        if not ranked:
            raise Rejected(f"{self.name}: Jira offers no transition from {now.label!r} to a "
                           f"status mapped to {target.label!r} (offered: "
                           f"{', '.join(sorted(offered)) or 'none'}); adjust the status "
                           "mapping or the workflow")
        self._http.call("POST", f"{path}/transitions", write=True,
                        json={"transition": {"id": min(ranked)[1]}})

    def _comment(self, m: Mutation) -> PushResult:
        """POST an ADF comment carrying the op id as a comment property, unless a recent
        comment already carries it (the replay of a send whose response was lost)."""
        text = m.payload.get("text")
        if not isinstance(text, str) or not text.strip():
            raise Rejected(f"{self.name}: a Jira comment needs text")
        path = f"{issue_path(m.external_id)}/comment"
        if not self._posted(path, m.op_id):
            body: dict[str, Any] = {"body": text_to_adf(text), "properties": [
                {"key": OP_PROPERTY, "value": {"opId": m.op_id}}]}
            if m.op_type == "note" and self.note_visibility:
                body["visibility"] = self.note_visibility
            self._http.call("POST", path, write=True, json=body)
        after = self.fetch(m.external_id)
        return PushResult(after.record.remote_version, after)

    def _posted(self, path: str, op_id: str) -> bool:
        data = self._json(self._http.call("GET", path, params={
            "orderBy": "-created", "maxResults": 50}), "comment list")
        comments = data.get("comments") if isinstance(data, dict) else None
        ids = [int(c["id"]) for c in comments if isinstance(c, dict) and
               isinstance(c.get("id"), str) and c["id"].isdigit()] \
            if isinstance(comments, list) else []
        if not ids:
            return False
        found = self._json(self._http.call("POST", "/rest/api/3/comment/list",
                                           params={"expand": "properties"},
                                           json={"ids": ids}), "comment list")
        values = found.get("values") if isinstance(found, dict) else None
        for c in values if isinstance(values, list) else []:
            props = c.get("properties") if isinstance(c, dict) else None
            for p in props if isinstance(props, list) else []:
                value = p.get("value") if isinstance(p, dict) else None
                if isinstance(value, dict) and p.get("key") == OP_PROPERTY and \
                        value.get("opId") == op_id:
                    return True
        return False

    # -- the rest -----------------------------------------------------------------------

    def analysts(self) -> list[Analyst]:
        """Users assignable in the configured projects (their accountId is assigned)."""
        if not self.projects:
            return []
        people: list[Analyst] = []
        while len(people) < 1000:
            data = self._json(self._http.call(
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
        resp = self._http.call("GET", "/rest/api/3/myself")
        try:
            me = _decode.decode(resp.content)
        except (msgspec.DecodeError, RecursionError):
            me = None
        if not isinstance(me, dict) or not isinstance(me.get("accountId"), str):
            raise Rejected(f"{self.name}: {redact(self._http.base)} answered, but not like "
                           "a Jira Cloud site: check the URL")
        resp = self._search(None, None, 1, ("updated",), ok=(400,))
        if resp.status_code == 400:
            raise Rejected(f"{self.name}: Jira rejected the project/JQL filter: "
                           f"{error_text(resp)}")


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
