"""A local fake Zendesk Support API that follows the documented shapes (see
rr_desktop/channels/zendesk/__init__.py for the sources), for tests.

Cursor-based incremental ticket export (start_time, then cursor; after_cursor,
end_of_stream; admins only; an optional 10-a-minute limit answered with 429 +
Retry-After), Show/Update Ticket with safe_update (409), List Comments (cursor paging,
sort, users sideload), List Users, Show Current User, Basic email/token and Bearer auth.
Cursors are base64 with '+' and '/' in them, so a client that does not URL-encode them
gets 400 InvalidPaginationParameter, as Zendesk answers for a bad cursor. Fault injection:
`faults.add(kind, path, count, retry_after)` with kind 429, 500, drop (before
the request is handled), drop_after (handled, the response lost), garbage, expired.
Custom ticket fields and ticket forms as Zendesk documents them (Tickets, Ticket Fields,
Ticket Forms): a ticket has `custom_fields` and its legacy twin `fields`, both
[{"id", "value"}] over every field defined in the account (null when unset), and
`ticket_form_id`; `define_field` adds a field (a "tagger" drop-down has options whose
`value` is also a tag: choosing one adds its tag and removes the previous option's);
Update Ticket takes `custom_fields` [{"id", "value"}] and refuses an unknown field id or a
drop-down value that is not one of its options (422); GET /api/v2/ticket_fields.json lists
the fields.
Simplification: the real export leaves out the last minute of changes; this one does not.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ADMIN_ID, AGENT_ID, PARTNER_ID = 1001, 1002, 2001
_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
_PRIORITIES = (None, "low", "normal", "high", "urgent")


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Faults:
    """Planned failures: each matching request (path prefix) consumes one."""

    plan: list[dict[str, Any]] = field(default_factory=list)
    injected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, path: str = "/api/v2/", count: int = 1,
            retry_after: int = 1, method: str = "") -> None:
        with self.lock:
            self.plan.append({"kind": kind, "path": path, "left": count, "ra": retry_after,
                              "method": method})

    def take(self, method: str, path: str) -> dict[str, Any] | None:
        with self.lock:
            for f in self.plan:
                if f["left"] > 0 and path.startswith(f["path"]) and \
                        f["method"] in ("", method):
                    f["left"] -= 1
                    self.injected.append(f["kind"])
                    return f
        return None


class ZendeskState:
    """Tickets, comments and users of one fake account. Thread-safe."""

    def __init__(self, email: str, token: str, oauth_token: str = "") -> None:
        self.lock = threading.RLock()
        self.creds = {f"{email}/token:{token}": ADMIN_ID}
        self.oauth = {oauth_token: ADMIN_ID} if oauth_token else {}
        self.clock = int(time.time()) - 7200
        self.seq = 0
        self.epoch = 1
        self.tickets: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.stream: dict[Any, tuple[int, int]] = {}  # ticket id or raw key -> (seq, ts)
        self.raw: dict[str, dict[str, Any]] = {}
        self.users = {
            ADMIN_ID: {"id": ADMIN_ID, "name": "Ava Admin", "email": email, "role": "admin",
                       "locale": "en-US", "active": True},
            AGENT_ID: {"id": AGENT_ID, "name": "Kenji Agent", "email": "kenji@example.com",
                       "role": "agent", "locale": "ja", "active": True},
            PARTNER_ID: {"id": PARTNER_ID, "name": "Trusted Partner NGO",
                         "email": "desk@ngo.example", "role": "end-user", "locale": "en-AU",
                         "active": True}}
        self.calls: Counter[str] = Counter()
        self.puts: Counter[int] = Counter()
        self.export_limit: int | None = None
        self.export_times: deque[float] = deque()
        self.ticket_fields: dict[int, dict[str, Any]] = {}

    def define_field(self, fid: int, title: str, kind: str = "tagger",
                     options: list[str] | None = None) -> None:
        """A custom ticket field of type `kind` ("tagger", "multiselect", "text")."""
        with self.lock:
            self.ticket_fields[fid] = {
                "id": fid, "type": kind, "title": title, "active": True, "removable": True,
                "custom_field_options": [{"id": fid * 10 + i, "name": o.title(), "value": o}
                                         for i, o in enumerate(options or [])]}
            for t in self.tickets.values():
                self._set_custom(t, {})

    def _set_custom(self, t: dict[str, Any], values: dict[int, Any]) -> None:
        current = {f["id"]: f["value"] for f in t.get("custom_fields", [])}
        for fid, value in values.items():
            spec = self.ticket_fields[fid]
            if spec["type"] == "tagger":  # the option's tag follows the field's value
                old = current.get(fid)
                t["tags"] = [x for x in t["tags"] if x != old] + \
                    ([value] if value and value not in t["tags"] else [])
            current[fid] = value
        t["custom_fields"] = [{"id": fid, "value": current.get(fid)}
                              for fid in sorted(self.ticket_fields)]
        t["fields"] = [dict(f) for f in t["custom_fields"]]

    def field_problem(self, values: dict[int, Any]) -> str | None:
        for fid, value in values.items():
            spec = self.ticket_fields.get(fid)
            if spec is None:
                return f"Custom field {fid} does not exist"
            options = [o["value"] for o in spec["custom_field_options"]]
            if spec["type"] == "tagger" and value is not None and value not in options:
                return f"{spec['title']}: {value!r} is not a valid option"
        return None

    def add_agent(self, email: str, token: str) -> None:
        self.creds[f"{email}/token:{token}"] = AGENT_ID

    def _bump(self, key: Any) -> int:
        self.clock += 1
        self.seq += 1
        self.stream[key] = (self.seq, self.clock)
        return self.clock

    def add_ticket(self, subject: str, description: str, status: str = "new",
                   priority: str | None = "normal", tags: list[str] | None = None,
                   assignee_id: int | None = None, replies: int = 0,
                   custom: dict[int, Any] | None = None, form_id: int | None = None) -> int:
        with self.lock:
            tid = len(self.tickets) + len(self.raw) + 1
            ts = self._bump(tid)
            self.tickets[tid] = {
                "id": tid, "url": f"https://x.zendesk.com/api/v2/tickets/{tid}.json",
                "subject": subject, "raw_subject": subject, "description": description,
                "status": status, "priority": priority, "tags": list(tags or []),
                "requester_id": PARTNER_ID, "submitter_id": PARTNER_ID,
                "assignee_id": assignee_id, "created_at": iso(ts), "updated_at": iso(ts),
                "generated_timestamp": ts, "type": "incident", "via": {"channel": "email"},
                "ticket_form_id": form_id}
            self._set_custom(self.tickets[tid], custom or {})
            self.comments[tid] = [self._comment(tid, description, True, PARTNER_ID, ts)]
            for i in range(replies):
                self.add_comment(tid, f"Follow-up {i + 1} on {subject}", i % 2 == 0,
                                 PARTNER_ID if i % 2 == 0 else AGENT_ID)
            return tid

    def _comment(self, tid: int, body: str, public: bool, author: int,
                 ts: int) -> dict[str, Any]:
        cid = tid * 1000 + len(self.comments.get(tid, []))
        return {"id": cid, "type": "Comment", "author_id": author, "body": body,
                "html_body": f"<p>{body}</p>", "plain_body": body, "public": public,
                "attachments": [], "audit_id": cid + 7, "created_at": iso(ts)}

    def add_comment(self, tid: int, body: str, public: bool, author: int = AGENT_ID) -> None:
        with self.lock:
            ts = self._bump(tid)
            self.comments[tid].append(self._comment(tid, body, public, author, ts))
            self.tickets[tid].update(updated_at=iso(ts), generated_timestamp=ts)

    def mutate(self, tid: int, **fields: Any) -> None:
        """A change made by someone else in Zendesk."""
        with self.lock:
            ts = self._bump(tid)
            self.tickets[tid].update(fields, updated_at=iso(ts), generated_timestamp=ts)

    def add_raw(self, item: dict[str, Any]) -> None:
        """A malformed item in the export stream."""
        with self.lock:
            key = f"raw{len(self.raw)}"
            self.raw[key] = item
            self._bump(key)

    def cursor(self, seq: int) -> str:
        return base64.b64encode(b"\xfb\xef\xbe" + f"{self.epoch}|{seq}".encode()).decode()

    def parse_cursor(self, cursor: str) -> int | None:
        try:
            epoch, seq = base64.b64decode(cursor, validate=True)[3:].decode().split("|")
        except ValueError:
            return None
        return int(seq) if int(epoch) == self.epoch else None

    def export(self, q: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            per_page = min(int(q.get("per_page", ["1000"])[0]), 1000)
            if "cursor" in q:
                after = self.parse_cursor(q["cursor"][0])
                if after is None:
                    return 400, {"error": "InvalidPaginationParameter",
                                 "description": "cursor is invalid or has expired"}
                keys = [k for k, (s, _) in self.stream.items() if s > after]
            else:
                start = int(q.get("start_time", ["-1"])[0])
                if start < 0 or start > int(time.time()) - 60:
                    return 400, {"error": "InvalidValue", "description": "start_time"}
                after = 0
                keys = [k for k, (_, ts) in self.stream.items() if ts >= start]
            keys.sort(key=lambda k: self.stream[k][0])
            page = keys[:per_page]
            last = self.stream[page[-1]][0] if page else max(after, 0 if keys else self.seq)
            items = [self.raw[k] if isinstance(k, str) else self.tickets[k] for k in page]
            body: dict[str, Any] = {
                "tickets": items, "after_cursor": self.cursor(last),
                "after_url": f"/api/v2/incremental/tickets/cursor.json?cursor={self.cursor(last)}",
                "before_cursor": None, "before_url": None,
                "end_of_stream": len(keys) <= per_page}
            if "users" in q.get("include", [""])[0]:
                ids = {t.get(k) for t in items for k in ("requester_id", "assignee_id")}
                body["users"] = [u for i, u in sorted(self.users.items()) if i in ids]
            return 200, body

    def list_comments(self, tid: int, q: dict[str, list[str]]) -> dict[str, Any]:
        with self.lock:
            items = list(self.comments[tid])
            if q.get("sort", [""])[0] == "-created_at":
                items.reverse()
            size = min(int(q.get("page[size]", ["100"])[0]), 100)
            start = int(q.get("page[after]", ["0"])[0])
            page = items[start:start + size]
            more = start + size < len(items)
            body: dict[str, Any] = {"comments": page, "meta": {
                "has_more": more, "after_cursor": str(start + size) if more else None,
                "before_cursor": None}, "links": {"next": None, "prev": None}}
            if q.get("include", [""])[0] == "users":
                ids = {c["author_id"] for c in page}
                body["users"] = [self.users[i] for i in sorted(ids) if i in self.users]
            return body

    def update(self, tid: int, me: int, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            t = self.tickets[tid]
            new = body.get("ticket") or {}
            if t["status"] == "closed":
                return 422, {"error": "RecordInvalid", "description":
                             "Record validation errors: Status: closed prevents ticket update"}
            if new.get("safe_update") and new.get("updated_stamp") != t["updated_at"]:
                return 409, {"error": "UpdateConflict", "description":
                             "Safe Update prevented the update due to outdated ticket data."}
            if new.get("status", t["status"]) not in _STATUSES or (
                    new.get("status") == "new" and t["status"] != "new") or \
                    new.get("priority", t["priority"]) not in _PRIORITIES or \
                    new.get("assignee_id", t["assignee_id"]) not in (None, ADMIN_ID, AGENT_ID):
                return 422, {"error": "RecordInvalid", "description": "Record validation errors"}
            custom = {int(f["id"]): f.get("value") for f in new.get("custom_fields") or []
                      if isinstance(f, dict) and isinstance(f.get("id"), int)}
            problem = self.field_problem(custom)
            if problem:
                return 422, {"error": "RecordInvalid", "description": problem}
            old_custom = {f["id"]: f["value"] for f in t["custom_fields"]}
            custom = {k: v for k, v in custom.items() if old_custom.get(k) != v}
            changes = {k: v for k, v in new.items() if k in ("status", "priority",
                       "assignee_id") and t[k] != v}
            if "tags" in new:
                tags = sorted({str(x).strip().lower().replace(" ", "_") for x in new["tags"]})
                if tags != sorted(t["tags"]):
                    changes["tags"] = tags
            comment = new.get("comment")
            if changes or comment or custom:
                self.puts[tid] += 1
                ts = self._bump(tid)
                t.update(changes, updated_at=iso(ts), generated_timestamp=ts)
                self._set_custom(t, custom)
                if comment:
                    self.comments[tid].append(self._comment(
                        tid, comment["body"], bool(comment.get("public", True)), me, ts))
            return 200, {"ticket": t, "audit": {"id": self.seq, "ticket_id": tid,
                                                "author_id": me, "events": []}}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # no noise in test output
        pass

    def _send(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
        if getattr(self, "swallow", False):  # applied, but the response is lost
            self.close_connection = True
            self.connection.close()
            return
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _me(self) -> int | bool | None:
        st, auth = self.server.state, self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                return st.creds.get(base64.b64decode(auth[6:]).decode(), False)
            except ValueError:
                return False
        if auth.startswith("Bearer "):
            return st.oauth.get(auth[7:], False)
        return None  # anonymous

    def do_GET(self) -> None:
        self._route("GET")

    def do_PUT(self) -> None:
        self._route("PUT")

    def _route(self, method: str) -> None:
        st = self.server.state
        url = urlsplit(self.path)
        path, q = url.path, parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length) if length else b""
        fault = self.server.faults.take(method, path)
        self.swallow = bool(fault and fault["kind"] == "drop_after")
        if fault and fault["kind"] not in ("expired", "drop_after"):
            kind = fault["kind"]
            if kind == "drop":
                self.close_connection = True
                self.connection.close()
                return
            if kind == "garbage":
                return self._send(200, b"<html>maintenance</html>")
            return self._send(int(kind), {"error": "injected"},
                              {"Retry-After": str(fault["ra"])} if kind == "429" else None)
        if fault and fault["kind"] == "expired":  # the cursor no longer works
            st.epoch += 1
        me = self._me()
        if me is False:
            return self._send(401, {"error": "Couldn't authenticate you"})
        if path == "/api/v2/users/me.json":
            st.calls["me"] += 1
            user = st.users[me] if isinstance(me, int) else {"id": None, "role": "end-user",
                                                              "name": "Anonymous user"}
            return self._send(200, {"user": user})
        if me is None:
            return self._send(401, {"error": "Couldn't authenticate you"})
        parts = path.strip("/").split("/")
        if path == "/api/v2/incremental/tickets/cursor.json" and method == "GET":
            st.calls["export"] += 1
            if st.users[me]["role"] != "admin":
                return self._send(403, {"error": "Forbidden"})
            now = time.monotonic()
            while st.export_times and now - st.export_times[0] >= 60:
                st.export_times.popleft()
            if st.export_limit is not None and len(st.export_times) >= st.export_limit:
                wait = int(60 - (now - st.export_times[0])) + 1
                return self._send(429, {"error": "APIRateLimitExceeded"},
                                  {"Retry-After": str(wait)})
            st.export_times.append(now)
            return self._send(*st.export(q))
        if path == "/api/v2/ticket_fields.json":
            return self._send(200, {"ticket_fields": list(st.ticket_fields.values()),
                                    "count": len(st.ticket_fields)})
        if path == "/api/v2/users.json":
            st.calls["users"] += 1
            roles = q.get("role[]", [])
            users = [u for u in st.users.values() if not roles or u["role"] in roles]
            return self._send(200, {"users": users, "meta": {"has_more": False,
                                                              "after_cursor": None}})
        if len(parts) >= 4 and parts[:3] == ["api", "v2", "tickets"]:
            tid_s = parts[3].removesuffix(".json")
            tid = int(tid_s) if tid_s.isdigit() else -1
            if tid not in st.tickets:
                return self._send(404, {"error": "RecordNotFound", "description": "Not found"})
            if len(parts) == 5 and parts[4] == "comments.json" and method == "GET":
                st.calls["comments"] += 1
                return self._send(200, st.list_comments(tid, q))
            if len(parts) == 4 and method == "GET":
                st.calls["ticket"] += 1
                t = st.tickets[tid]
                return self._send(200, {"ticket": t, "users": [
                    st.users[i] for i in {t["requester_id"], t["assignee_id"]} - {None}]})
            if len(parts) == 4 and method == "PUT":
                st.calls["put"] += 1
                return self._send(*st.update(tid, me, json.loads(payload or b"{}")))
        return self._send(404, {"error": "InvalidEndpoint", "description": "Not found"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: ZendeskState
    faults: Faults


class ZendeskServer:
    """The fake on 127.0.0.1 (a free port); use as a context manager."""

    def __init__(self, email: str = "ava@partner-desk.example", token: str = "zd-token-1",
                 oauth_token: str = "") -> None:
        self.email, self.token = email, token
        self.state = ZendeskState(email, token, oauth_token)
        self.faults = Faults()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.state, self._httpd.faults = self.state, self.faults
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> ZendeskServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)
