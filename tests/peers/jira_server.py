"""A local fake of the Jira Cloud REST API v3, following its documented shapes.

Basic auth, `GET myself` (timeZone), enhanced search `POST /rest/api/3/search/jql` (JQL
subset: `project in (...)`, `labels = x`, `updated >= "yyyy-MM-dd HH:mm"` read in the
account's zone, `ORDER BY updated ASC, key ASC`; keyset tokens, absent on the last page,
`isLast`), issues with ADF, transitions, assignee, edit (priority, labels), comments with
properties, `comment/list`, assignable users. Faults (`fail(kind, ...)`): "429"
(Retry-After), "429-reset" (X-RateLimit-Reset only), "503", "garbage" (200 with HTML),
"drop" (apply, then close without a response), "drop_before"; also `expire_tokens()`,
`inject(raw)` (raw issue JSON on first search pages), `captcha`, a request log.
Threaded http.server on 127.0.0.1, free port: `with JiraFake() as jira:`.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

EMAIL, TOKEN = "analyst@example.com", "jira-token-7c1e"
CATEGORY = {"To Do": "new", "In Progress": "indeterminate", "In Review": "indeterminate",
            "Blocked": "indeterminate", "Done": "done"}
# Workflow: which statuses each status can move to (transition id = "1" + index).
WORKFLOW = {"To Do": ["In Progress", "Done"], "In Progress": ["In Review", "Blocked", "Done"],
            "In Review": ["In Progress", "Done"], "Blocked": ["In Progress"],
            "Done": ["To Do"]}
STATUSES = list(CATEGORY)
USERS = {"acc-ana": "Ana Analyst", "acc-lee": "Kim Lee", "acc-raj": "Raj Legal"}
_CLAUSE_PROJECT = re.compile(r'project in \(([^)]*)\)')
_CLAUSE_UPDATED = re.compile(r'updated >= "(\d{4}-\d\d-\d\d \d\d:\d\d)"')
_CLAUSE_LABEL = re.compile(r'\(?labels = "?([^")\s]+)"?\)?')
Reply = tuple[int, dict[str, str], Any]  # status, headers, JSON body (or raw bytes)


def jira_time(ms: int) -> str:
    dt = datetime.fromtimestamp(ms / 1000, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}+0000"


def adf(text: str) -> dict[str, Any]:
    return {"version": 1, "type": "doc", "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": text}]}]}


@dataclass
class Fault:
    """A scripted failure for the next `count` requests matching method and path prefix."""

    kind: str
    method: str | None = None
    path: str = "/"
    count: int = 1
    retry_after: int = 1


@dataclass
class Issue:
    """One issue as the fake stores it."""

    id: str
    key: str
    summary: str
    status: str = "To Do"
    priority: str = "Medium"
    labels: list[str] = field(default_factory=list)
    assignee: str | None = None
    description: Any = None
    duedate: str | None = None
    created: int = 0
    updated: int = 0
    comments: list[dict[str, Any]] = field(default_factory=list)


class JiraFake:
    """The fake site; tests mutate it through its methods (all thread-safe)."""

    def __init__(self, projects: tuple[str, ...] = ("LEGAL", "PROD"),
                 time_zone: str = "America/Los_Angeles", page_cap: int = 100,
                 reported_zone: str | None = None) -> None:
        self.projects, self.time_zone, self.page_cap = projects, time_zone, page_cap
        self.reported_zone = reported_zone or time_zone  # what GET myself says
        self.lock = threading.RLock()
        self.issues: dict[str, Issue] = {}
        self.faults: list[Fault] = []
        self.injected: list[str] = []
        self.raw_items: list[str] = []
        self.log: list[tuple[str, str, Any]] = []
        self.writes: Counter[tuple[str, str]] = Counter()
        self.captcha = False
        self._tokens: dict[str, tuple[str, tuple[int, int]]] = {}
        self._ids, self._comment_ids = itertools.count(10_001), itertools.count(50_001)
        self._last_ms = 0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> JiraFake:
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def now_ms(self) -> int:
        with self.lock:
            self._last_ms = max(int(time.time() * 1000), self._last_ms + 1)
            return self._last_ms

    def add(self, summary: str, project: str = "LEGAL", **fields: Any) -> str:
        with self.lock:
            n = next(self._ids)
            now = self.now_ms()
            issue = Issue(str(n), f"{project}-{n - 10_000}", summary, created=now,
                          updated=now, **fields)
            self.issues[issue.id] = issue
            return issue.id

    def mutate(self, issue_id: str, **fields: Any) -> None:
        with self.lock:
            fields.setdefault("updated", self.now_ms())
            for k, v in fields.items():
                setattr(self.issues[issue_id], k, v)

    def comment(self, issue_id: str, text: str, author: str = "acc-raj") -> None:
        with self.lock:
            self._add_comment(self.issues[issue_id], {"body": adf(text)}, author)

    def fail(self, kind: str, method: str | None = None, path: str = "/", count: int = 1,
             retry_after: int = 1) -> None:
        self.faults.append(Fault(kind, method, path, count, retry_after))

    def inject(self, raw: str) -> None:
        """Raw issue JSON served on the first page of every search (malformed items)."""
        self.raw_items.append(raw)

    def expire_tokens(self) -> None:
        self._tokens.clear()

    def count(self, issue_id: str, what: str) -> int:
        return self.writes[(issue_id, what)]

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any,
               auth: str) -> Reply:
        with self.lock:
            self.log.append((method, path, body))
            if self.captcha:
                return 403, {"X-Seraph-LoginReason": "AUTHENTICATION_DENIED"}, None
            want = "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
            if auth != want:
                return 401, {}, {"errorMessages": ["Client must be authenticated."]}
            if path == "/rest/api/3/myself" and method == "GET":
                return 200, {}, {"accountId": "acc-ana", "emailAddress": EMAIL,
                                 "displayName": "Ana Analyst", "timeZone": self.reported_zone}
            if path == "/rest/api/3/search/jql" and method == "POST":
                return self._search(body)
            if path == "/rest/api/3/comment/list" and method == "POST":
                return self._comment_list(body, query)
            if path == "/rest/api/3/user/assignable/multiProjectSearch":
                users = [{"accountId": a, "displayName": n} for a, n in USERS.items()]
                start = int(query.get("startAt", ["0"])[0])
                return 200, {}, users[start:start + int(query.get("maxResults", ["50"])[0])]
            m = re.fullmatch(r"/rest/api/3/issue/([^/]+)(?:/(\w+))?", path)
            issue = next((i for i in self.issues.values() if m and m.group(1) in (i.id, i.key)),
                         None)
            if m is None or issue is None:
                return 404, {}, {"errorMessages": ["Issue does not exist or you do not have "
                                                   "permission to see it."]}
            return self._issue_op(issue, method, m.group(2) or "", query, body)

    def _issue_op(self, issue: Issue, method: str, sub: str, query: dict[str, list[str]],
                  body: Any) -> Reply:
        if sub == "" and method == "GET":
            wanted = query.get("fields", [""])[0].split(",")
            return 200, {}, self.render(issue, [f for f in wanted if f])
        if sub == "" and method == "PUT":
            fields = body.get("fields", {})
            if "priority" in fields:
                issue.priority = fields["priority"]["name"]
            if "labels" in fields:
                issue.labels = list(fields["labels"])
            return self._wrote(issue, "edit", 204)
        if sub == "assignee" and method == "PUT":
            account = body.get("accountId")
            if account is not None and account not in USERS:
                return 400, {}, {"errorMessages": [],
                                 "errors": {"assignee": f"User '{account}' cannot be "
                                                        "assigned issues."}}
            issue.assignee = account
            return self._wrote(issue, "assignee", 204)
        if sub == "transitions" and method == "GET":
            return 200, {}, {"transitions": [self._transition(s) for s in
                                              WORKFLOW[issue.status]]}
        if sub == "transitions" and method == "POST":
            tid = body.get("transition", {}).get("id")
            targets = [s for s in WORKFLOW[issue.status] if "1" + str(STATUSES.index(s)) == tid]
            if not targets:
                return 400, {}, {"errorMessages": [f"Transition id '{tid}' is not valid for "
                                                   "this issue."], "errors": {}}
            issue.status = targets[0]
            return self._wrote(issue, "transition", 204)
        if sub == "comment" and method == "GET":
            newest = query.get("orderBy", [""])[0] == "-created"
            rows = list(reversed(issue.comments)) if newest else list(issue.comments)
            rows = rows[:int(query.get("maxResults", ["50"])[0])]
            return 200, {}, {"comments": [self._public(c) for c in rows], "startAt": 0,
                             "maxResults": len(rows), "total": len(issue.comments)}
        if sub == "comment" and method == "POST":
            created = self._add_comment(issue, body, "acc-ana")
            self.writes[(issue.id, "comment")] += 1
            return 201, {}, self._public(created)
        return 405, {}, {"errorMessages": ["Method not allowed"]}

    def _wrote(self, issue: Issue, what: str, status: int) -> Reply:
        issue.updated = self.now_ms()
        self.writes[(issue.id, what)] += 1
        return status, {}, None

    def _add_comment(self, issue: Issue, body: dict[str, Any], author: str) -> dict[str, Any]:
        now = self.now_ms()
        comment = {"id": str(next(self._comment_ids)), "body": body.get("body"),
                   "author": {"accountId": author, "displayName": USERS[author]},
                   "created": jira_time(now), "updated": jira_time(now),
                   "visibility": body.get("visibility"),
                   "properties": body.get("properties") or []}
        issue.comments.append(comment)
        issue.updated = now
        return comment

    @staticmethod
    def _public(comment: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in comment.items() if k != "properties" and v is not None}

    def _comment_list(self, body: Any, query: dict[str, list[str]]) -> Reply:
        ids = {str(i) for i in body.get("ids", [])}
        expand = "properties" in query.get("expand", [""])[0]
        found = [c if expand else self._public(c) for i in self.issues.values()
                 for c in i.comments if c["id"] in ids]
        return 200, {}, {"values": found, "isLast": True, "startAt": 0,
                         "maxResults": len(found), "total": len(found)}

    @staticmethod
    def _transition(status: str) -> dict[str, Any]:
        return {"id": "1" + str(STATUSES.index(status)), "name": f"Move to {status}",
                "to": {"name": status, "statusCategory": {"key": CATEGORY[status]}}}

    def render(self, issue: Issue, wanted: list[str]) -> dict[str, Any]:
        def user(acc: str | None) -> dict[str, str] | None:
            return {"accountId": acc, "displayName": USERS.get(acc, acc)} if acc else None

        fields = {
            "summary": issue.summary, "description": issue.description,
            "status": {"name": issue.status,
                       "statusCategory": {"key": CATEGORY.get(issue.status, "new")}},
            "priority": {"name": issue.priority}, "labels": issue.labels,
            "assignee": user(issue.assignee), "reporter": user("acc-raj"),
            "created": jira_time(issue.created), "updated": jira_time(issue.updated),
            "duedate": issue.duedate,
            "comment": {"comments": [self._public(c) for c in issue.comments],
                        "maxResults": len(issue.comments), "total": len(issue.comments),
                        "startAt": 0},
        }
        return {"id": issue.id, "key": issue.key, "self": f"{self.url}/issue/{issue.id}",
                "fields": {k: v for k, v in fields.items() if not wanted or k in wanted}}

    def _search(self, body: Any) -> Reply:
        jql = body.get("jql") if isinstance(body, dict) else None
        if not isinstance(jql, str):
            return 400, {}, {"errorMessages": ["Invalid request payload."]}
        where, _, order = jql.partition(" ORDER BY ")
        if order and order != "updated ASC, key ASC":
            return 400, {}, {"errorMessages": [f"Unsupported order {order!r}"]}
        matches = self._where(where)
        if isinstance(matches, str):
            return 400, {}, {"errorMessages": [matches], "errors": {}}
        rows = sorted(matches, key=_order)
        token = body.get("nextPageToken")
        if token is not None:
            saved = self._tokens.get(token)
            if saved is None or saved[0] != jql:
                return 400, {}, {"errorMessages": ["The nextPageToken is invalid or expired."]}
            rows = [i for i in rows if _order(i) > saved[1]]
        size = min(int(body.get("maxResults", 50)), self.page_cap)
        page, more = rows[:size], len(rows) > size
        out: dict[str, Any] = {"issues": [self.render(i, body.get("fields", [])) for i in page]}
        if more:
            tok = secrets.token_urlsafe(12)
            self._tokens[tok] = (jql, _order(page[-1]))
            out["nextPageToken"] = tok
        out["isLast"] = not more
        if self.raw_items and not token:
            return 200, {}, _with_raw(out, self.raw_items)
        return 200, {}, out

    def _where(self, where: str) -> list[Issue] | str:
        if not where.strip():
            return "Unbounded JQL queries are not allowed here."
        found = list(self.issues.values())
        for clause in where.split(" AND "):
            clause = clause.strip()
            if m := _CLAUSE_PROJECT.fullmatch(clause):
                keys = [k.strip().strip('"') for k in m.group(1).split(",")]
                missing = [k for k in keys if k not in self.projects]
                if missing:
                    return f"The value '{missing[0]}' does not exist for the field 'project'."
                found = [i for i in found if i.key.split("-")[0] in keys]
            elif m := _CLAUSE_UPDATED.fullmatch(clause):
                local = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M")
                since = local.replace(tzinfo=ZoneInfo(self.time_zone)).timestamp() * 1000
                found = [i for i in found if i.updated >= since]
            elif m := _CLAUSE_LABEL.fullmatch(clause):
                found = [i for i in found if m.group(1) in i.labels]
            else:
                return f"Error in the JQL Query: cannot parse {clause!r}."
        return found


def _order(issue: Issue) -> tuple[int, int]:
    """ORDER BY updated ASC, key ASC; tokens continue after the last row (keyset)."""
    return issue.updated, int(issue.key.split("-")[1])


def _with_raw(out: dict[str, Any], raws: list[str]) -> bytes:
    """The page as bytes with raw (possibly broken) issue JSON spliced into `issues`."""
    issues = [json.dumps(i) for i in out["issues"]] + raws
    rest = {k: v for k, v in out.items() if k != "issues"}
    return ('{"issues": [' + ", ".join(issues) + "], " + json.dumps(rest)[1:]).encode()


def _handler(fake: JiraFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            url = urlsplit(self.path)
            size = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(size) if size else b""
            fault = self._fault(self.command, url.path)
            if fault and fault.kind in ("429", "429-reset", "503", "garbage", "drop_before"):
                return self._faulted(fault)
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                return self._send(400, {}, {"errorMessages": ["Invalid request payload."]})
            status, headers, out = fake.handle(self.command, url.path, parse_qs(url.query),
                                               body, self.headers.get("Authorization", ""))
            if fault and fault.kind == "drop":
                self.close_connection = True
                return
            self._send(status, headers, out)

        def _fault(self, method: str, path: str) -> Fault | None:
            with fake.lock:
                for f in fake.faults:
                    if (f.method in (None, method)) and path.startswith(f.path) and f.count:
                        f.count -= 1
                        fake.injected.append(f"{f.kind} {method} {path}")
                        return f
            return None

        def _faulted(self, f: Fault) -> None:
            if f.kind == "drop_before":
                self.close_connection = True
            elif f.kind in ("503", "garbage"):
                self._send(*((503, {}, {"errorMessages": ["Service unavailable"]})
                             if f.kind == "503" else (200, {}, b"<html>Atlassian</html>")))
            else:  # documented X-RateLimit-Reset format: yyyy-MM-ddTHH:mmZ (next minute)
                reset = datetime.fromtimestamp(time.time() + f.retry_after + 59.999, UTC)
                self._send(429, {"Retry-After": str(f.retry_after)} if f.kind == "429" else
                           {"X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%MZ")},
                           {"errorMessages": ["Rate limit exceeded."]})

        def _send(self, status: int, headers: dict[str, str], out: Any) -> None:
            data = out if isinstance(out, bytes) else json.dumps(out).encode() if out else b""
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, *args: Any) -> None:
            pass

    return Handler
