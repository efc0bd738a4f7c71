"""A local "internal tool" with a plain JSON API, in each documented pagination shape.

    GET  /api/page/items?page=&per_page=&updated_since=   {"data": {"items": []}, "meta": {"total"}}
    GET  /api/offset/items?offset=&limit=&updated_since=  {"results": [], "count": N}
    GET  /api/cursor/items?cursor=&limit=&updated_since=  {"items": [], "next": token|null}
    GET  /api/link/items?page=&per_page=&updated_since=   [...] + Link: <...>; rel="next"
    GET  /api/items/{id}          the record, ETag "<version>"
    PATCH /api/items/{id}         If-Match checked (412), body {state, priority, assignee,
                                  labels}; answers the updated record
    POST /api/items/{id}/comments {"body", "author", "internal"}; Idempotency-Key dedupes
    GET  /api/users               {"users": [{"login", "name", "email"}]}
    GET  /api/seq/items?after_seq=&pagelen=&page=   changes after a change number (every
                                  record has `seq`, the tool's change counter at its last
                                  change), Bitbucket Cloud's paged shape: {"values": [],
                                  "page", "pagelen", "size", "next": <URL, absent at the end>}
    GET  /api/delta/items?sync_token=   Todoist Sync API's shape: {"items": [...],
                                  "sync_token": <opaque>, "full_sync": bool}; a token
                                  from another generation answers 410
    GET  /api/texts/{text_id}     a record's text as a linked resource: {"text": {"body"}}

Auth: `Authorization: Bearer TOKEN`, Basic `USER:TOKEN` or `X-Api-Key: TOKEN`. The clock is
fake (starts 2024-05-01T00:00:00Z, +1 s per change) and is also the `Date` header, so
records' `updated_at` and the server time agree. Cursor tokens carry a generation;
`expire_cursors()` makes every token issued so far answer `expired_status`.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

T0 = datetime(2024, 5, 1, tzinfo=UTC)
TOKEN = "rest-canary-token-51d2"
USER = "svc-rr"


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


@dataclass
class Fault:
    """Answer `status` with `headers`/`body` to the next `count` matching requests."""

    status: int
    count: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    method: str | None = None
    path: str = ""
    after: bool = False  # handle the request first, then answer this (a lost response)


class RestTool:
    """The tool's data and rules; thread-safe."""

    def __init__(self, count: int = 0) -> None:
        self.lock = threading.Lock()
        self.now = T0
        self.items: dict[str, dict[str, Any]] = {}
        self.generation = 1
        self.expired_status = 410
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str]] = []
        self.stamps: list[tuple[str, float]] = []  # (path, monotonic time) per request
        self.patches: dict[str, int] = {}
        self.comments_seen: dict[str, str] = {}
        self.ignore_page_param = False
        self.seq = 0
        self.texts: dict[str, str] = {}
        for n in range(1, count + 1):
            self.create(f"AB-{n}")

    def tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        self.seq += 1
        return self.now

    def create(self, ident: str, **fields: Any) -> dict[str, Any]:
        with self.lock:
            t = self.tick()
            n = len(self.items)
            rec: dict[str, Any] = {
                "id": ident, "version": 1, "summary": f"Reported clip {ident}",
                "description": f"<p>Re-uploads of <b>{ident}</b></p><script>x()</script>",
                "priority": ("P1", "P2", "P3", "P4")[n % 4], "state": "open",
                "assignee": None, "labels": [{"name": "livestream"}],
                "country": ("SG", "ID", "AU", "IN")[n % 4],
                "reporter": {"name": "Partner desk", "kind": "partner"},
                "created_at": iso(t), "updated_at": iso(t), "comments": [],
            }
            rec["seq"] = self.seq
            rec["text_id"] = f"t-{ident}"
            self.texts[f"t-{ident}"] = f"Full report of {ident}: clip re-uploaded 40 times"
            rec.update(fields)
            self.items[ident] = rec
            return rec

    def insert_raw(self, raw: Any, sort_key: str) -> None:
        """A malformed record, served as is (sorted as if updated at `sort_key`)."""
        with self.lock:
            self.items[f"raw:{len(self.items)}"] = {"__raw__": raw, "__sort__": sort_key}

    def mutate(self, ident: str, **fields: Any) -> dict[str, Any]:
        with self.lock:
            rec = self.items[ident]
            rec.update(fields)
            rec["version"] += 1
            rec["updated_at"] = iso(self.tick())
            rec["seq"] = self.seq
            return rec

    def expire_cursors(self, status: int = 410) -> None:
        with self.lock:
            self.generation += 1
            self.expired_status = status

    def listing(self, since: str | None) -> list[Any]:
        with self.lock:
            rows = list(self.items.values())
        def key(r: dict[str, Any]) -> tuple[str, str]:
            return (r["__sort__"], "") if "__raw__" in r else (r["updated_at"], r["id"])
        rows.sort(key=key)
        if since:
            cut = datetime.fromisoformat(since).astimezone(UTC)
            rows = [r for r in rows if datetime.fromisoformat(key(r)[0]) >= cut]
        return [r.get("__raw__", r) for r in rows]

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for f in self.faults:
                if f.count > 0 and (f.method in (None, method)) and path.startswith(f.path):
                    f.count -= 1
                    return f
        return None


def _token(gen: int, pos: int) -> str:
    return base64.urlsafe_b64encode(f"{gen}:{pos}".encode()).decode()


def _untoken(tok: str) -> tuple[int, int]:
    gen, pos = base64.urlsafe_b64decode(tok.encode()).decode().split(":")
    return int(gen), int(pos)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    tool: RestTool

    def log_message(self, *args: Any) -> None:
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        return format_datetime(self.tool.now, usegmt=True)

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None,
              ) -> None:
        data = b"" if body is None else (body if isinstance(body, bytes)
                                         else json.dumps(body).encode())
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        auth = self.headers.get("Authorization", "")
        basic = "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
        return auth in (f"Bearer {TOKEN}", basic) or self.headers.get("X-Api-Key") == TOKEN

    def _body(self) -> Any:
        return json.loads(self.raw_body or b"null")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        tool = self.tool
        tool.log.append((method, self.path))
        tool.stamps.append((url.path, time.monotonic()))
        # read the whole request first, so that a keep-alive connection stays in step
        self.raw_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fault = tool.take_fault(method, url.path)
        if fault is not None and not fault.after:
            return self._send(fault.status, fault.body, fault.headers)
        if fault is not None:  # the work is done, but the client never hears of it
            def lost(*args: Any, **kwargs: Any) -> None:
                del self._send  # this connection may serve more requests
                _Handler._send(self, fault.status, fault.body, fault.headers)
            self._send = lost  # type: ignore[method-assign]
        if not self._authorized():
            return self._send(401, {"error": "unauthorized"})
        parts = url.path.strip("/").split("/")
        if parts[:1] != ["api"]:
            return self._send(404, {"error": "not found"})
        if method == "GET" and len(parts) == 3 and parts[2] == "items":
            return self._list(parts[1], q)
        if len(parts) >= 3 and parts[1] == "items":
            ident = unquote(parts[2])
            rec = tool.items.get(ident)
            if rec is None:
                return self._send(404, {"error": "no such item"})
            if method == "GET" and len(parts) == 3:
                return self._send(200, rec, {"ETag": f'"{rec["version"]}"'})
            if method == "PATCH" and len(parts) == 3:
                return self._patch(ident, rec)
            if method == "POST" and parts[3:] == ["comments"]:
                return self._comment(ident, rec)
        if method == "GET" and len(parts) == 3 and parts[1] == "texts":
            text = tool.texts.get(unquote(parts[2]))
            if text is None:
                return self._send(404, {"error": "no such text"})
            return self._send(200, {"text": {"body": text}})
        if method == "GET" and parts[1:] == ["users"]:
            return self._send(200, {"users": [{"login": "a.tan", "name": "Alya Tan"},
                                              {"login": "k.lee", "name": "Kim Lee",
                                               "email": "k.lee@example.com"}]})
        return self._send(404, {"error": "not found"})

    def _list(self, style: str, q: dict[str, str]) -> None:
        rows = self.tool.listing(q.get("updated_since"))
        if style == "page":
            size = int(q.get("per_page", 20))
            page = 1 if self.tool.ignore_page_param else int(q.get("page", 1))
            chunk = rows[(page - 1) * size: page * size]
            return self._send(200, {"data": {"items": chunk}, "meta": {"total": len(rows)}})
        if style == "offset":
            off, size = int(q.get("offset", 0)), int(q.get("limit", 20))
            return self._send(200, {"results": rows[off: off + size], "count": len(rows)})
        if style == "cursor":
            size = int(q.get("limit", 20))
            pos = 0
            if "cursor" in q:
                gen, pos = _untoken(q["cursor"])
                if gen != self.tool.generation:
                    status = self.tool.expired_status
                    return self._send(status, {"error": "cursor expired" if status == 410
                                               else "invalid cursor: expired"})
            end = pos + size
            nxt = _token(self.tool.generation, end) if end < len(rows) else None
            return self._send(200, {"items": rows[pos:end], "next": nxt})
        if style == "link":
            size, page = int(q.get("per_page", 20)), int(q.get("page", 1))
            headers = {}
            if page * size < len(rows):
                since = f"&updated_since={q['updated_since']}" if "updated_since" in q else ""
                headers["Link"] = (f'</api/link/items?page={page + 1}&per_page={size}{since}>; '
                                   'rel="next", </api/link/items?page=1>; rel="first"')
            return self._send(200, rows[(page - 1) * size: page * size], headers)
        if style == "seq":
            return self._by_seq(q)
        if style == "delta":
            return self._delta(q)
        return self._send(404, {"error": "no such list"})

    def _changed_after(self, after: int) -> list[dict[str, Any]]:
        with self.tool.lock:
            rows = [r for r in self.tool.items.values() if "__raw__" not in r]
        return sorted((r for r in rows if r["seq"] > after), key=lambda r: r["seq"])

    def _by_seq(self, q: dict[str, str]) -> None:
        after, size = int(q.get("after_seq", 0)), int(q.get("pagelen", 10))
        page = int(q.get("page", 1))
        rows = self._changed_after(after)
        body: dict[str, Any] = {"values": rows[(page - 1) * size: page * size],
                                "page": page, "pagelen": size, "size": len(rows)}
        if page * size < len(rows):
            body["next"] = (f"http://{self.headers['Host']}/api/seq/items?after_seq={after}"
                            f"&pagelen={size}&page={page + 1}")
        return self._send(200, body)

    def _delta(self, q: dict[str, str]) -> None:
        after = 0
        if q.get("sync_token"):
            gen, after = _untoken(q["sync_token"])
            if gen != self.tool.generation:
                return self._send(410, {"error": "sync token expired"})
        rows = self._changed_after(after)
        return self._send(200, {"items": rows, "full_sync": after == 0,
                                "sync_token": _token(self.tool.generation, self.tool.seq)})

    def _patch(self, ident: str, rec: dict[str, Any]) -> None:
        match = self.headers.get("If-Match")
        if match is not None and match != f'"{rec["version"]}"':
            return self._send(412, {"error": "precondition failed"})
        body = self._body()
        changes: dict[str, Any] = {}
        for key in ("state", "priority"):
            if key in body:
                changes[key] = body[key]
        if "assignee" in body:
            login = body["assignee"]
            changes["assignee"] = None if login is None else {"login": login}
        if "labels" in body:
            changes["labels"] = [{"name": n} for n in body["labels"]]
        self.tool.patches[ident] = self.tool.patches.get(ident, 0) + 1
        updated = self.tool.mutate(ident, **changes)
        return self._send(200, updated, {"ETag": f'"{updated["version"]}"'})

    def _comment(self, ident: str, rec: dict[str, Any]) -> None:
        key = self.headers.get("Idempotency-Key")
        if key and key in self.tool.comments_seen:
            return self._send(201, {"id": self.tool.comments_seen[key]})
        body = self._body()
        with self.tool.lock:
            cid = f"c{sum(len(r.get('comments', [])) for r in self.tool.items.values()) + 1}"
            at = iso(self.tool.tick())
            rec["comments"].append({"id": cid, "at": at, "body": body["body"],
                                    "author": body.get("author", ""),
                                    "internal": bool(body.get("internal"))})
            rec["version"] += 1
            rec["updated_at"] = at
            rec["seq"] = self.tool.seq
            if key:
                self.tool.comments_seen[key] = cid
        return self._send(201, {"id": cid})

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_POST(self) -> None:
        self._dispatch("POST")


@contextmanager
def rest_server(count: int = 0) -> Iterator[tuple[str, RestTool]]:
    """(base URL, tool) of a server on 127.0.0.1 with `count` records AB-1..AB-count."""
    tool = RestTool(count)
    handler = type("Handler", (_Handler,), {"tool": tool})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/api", tool
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
