"""The Zendesk channel client (see the package docstring for the documented contract)."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import msgspec
import requests

from ...domain import Analyst, Incoming, Quarantined
from ...domain.push import FIELD_PUSHES, Push
from ...http import redact
from ..contract import (
    AuthError,
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
from .api import (
    CommentsPage,
    ExportBudget,
    ExportPage,
    Memo,
    MeResponse,
    Thread,
    TicketFieldsPage,
    TicketResponse,
    UsersPage,
    as_text,
    lenient_users,
    norm_text,
    raw_id,
)
from .cursor import decode_cursor, encode_cursor
from .records import Defaults, Ticket, User, ticket_decoder, to_record
from .writes import ZendeskWrites

EXPORT = "/api/v2/incremental/tickets/cursor.json"
PAGE_SIZE = 100  # tickets per export page; each may cost one comments request
MAX_FACTS = 50  # latest comments kept as facts
MAX_USER_PAGES = 100
MEMO_TTL_S = 600.0
COMMENT_MODES = ("all", "open", "none")


class ZendeskChannel:
    """Client of one Zendesk account (https://{subdomain}.zendesk.com)."""

    # Fields as ticket fields and tags, notes as private comments, replies as public ones.
    pushes = FIELD_PUSHES | {Push.NOTE, Push.REPLY}

    def __init__(self, name: str, base_url: str, token: str, *, email: str | None = None,
                 oauth: bool = False, defaults: Defaults | None = None,
                 history_days: int = 30, comments: str = "all", export_per_minute: int = 10,
                 page_size: int = PAGE_SIZE, session: requests.Session | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        if comments not in COMMENT_MODES:
            raise ValueError(f"comments must be one of {', '.join(COMMENT_MODES)}")
        self.name = name
        self._base = base_url.rstrip("/")
        self.defaults = defaults or Defaults(agent_url=self._base)
        self._history_days = history_days
        self._comments_mode = comments
        self._page_size = page_size
        self._now = now
        self._mono = monotonic
        self._budget = ExportBudget(export_per_minute, monotonic)
        self._memo: Memo | None = None
        self.http = Transport(name, base_url, session, hook=self._hook)
        if oauth:
            self.http.session.headers["Authorization"] = f"Bearer {token}"
        else:
            if not email:
                raise ValueError("API token sign-in needs the agent's email address")
            pair = base64.b64encode(f"{email}/token:{token}".encode()).decode()
            self.http.session.headers["Authorization"] = f"Basic {pair}"
        self._email = email
        self._writes = ZendeskWrites(self)

    def close(self) -> None:
        self.http.close()

    def _hook(self, resp: requests.Response) -> None:
        code, path = resp.status_code, resp.request.path_url or ""
        if EXPORT.split(".")[0] in path:
            if code == 403:
                raise AuthError(f"{self.name}: Zendesk allows the incremental ticket export "
                                "to admins only (403): use an admin's credentials")
            if code in (400, 422) and "cursor=" in path:
                raise CursorExpired(f"{self.name}: Zendesk refused the export cursor "
                                    f"({code}); resyncing")
        if code == 404 and "/api/v2/tickets/" in path:
            raise Rejected(f"{self.name}: the ticket no longer exists in Zendesk (404: "
                           "deleted or merged)")
        if code == 404 and "/api/v2/users/me" in path:
            raise Rejected(f"{self.name}: {redact(self._base)} is not a Zendesk account "
                           "(404 for /api/v2/users/me): check the URL")
        if code in (400, 422):
            try:
                err = msgspec.json.decode(resp.content, type=dict[str, Any])
                detail = str(err.get("description") or err.get("error") or "")
            except (msgspec.DecodeError, msgspec.ValidationError):
                detail = resp.text
            raise Rejected(f"{self.name}: Zendesk refused the request ({code}): "
                           f"{detail[:200]}")

    # -- pull ---------------------------------------------------------------------------

    def pull(self, cursor: str | None) -> Page:
        after = decode_cursor(self.name, cursor)
        memo = self._memo
        if memo is None or memo.key != (cursor or "") or \
                self._mono() - memo.at > MEMO_TTL_S:
            memo = self._export(after, cursor or "")
            self._memo = memo
        page = memo.page
        users = lenient_users(page.users)
        items: list[Incoming] = []
        bad: list[Quarantined] = []
        for raw in page.tickets:
            result = self._validate(bytes(raw), users, memo)
            if isinstance(result, Incoming):
                items.append(result)
            else:
                bad.append(result)
        self._memo = None
        # A cursor that does not move (or is missing) ends this run instead of looping.
        stuck = page.after_cursor is None or page.after_cursor == after
        next_after = page.after_cursor or after
        return Page(items, bad, encode_cursor(next_after) if next_after else None,
                    page.end_of_stream or stuck, memo.remote_time)

    def _export(self, after: str | None, key: str) -> Memo:
        wait = self._budget.take()
        if wait > 0:
            raise RateLimited(f"{self.name}: keeping to Zendesk's {self._budget.per_minute} "
                              "export requests a minute", wait)
        params: dict[str, str | int] = {"per_page": self._page_size, "include": "users"}
        if after:
            params["cursor"] = after
        else:
            now = int(self._now().timestamp())
            start = now - self._history_days * 86_400 if self._history_days > 0 else 0
            params["start_time"] = max(min(start, now - 61), 0)  # > 1 min in the past
        resp = self.http.call("GET", EXPORT, params=params)
        try:
            page = msgspec.json.decode(resp.content, type=ExportPage)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise MalformedPage(
                f"{self.name}: Zendesk sent a malformed export page ({exc})",
                Quarantined.of(None, f"malformed export page: {exc}", as_text(resp.content)),
            ) from exc
        return Memo(key, page, self._server_time(resp), self._mono())

    @staticmethod
    def _server_time(resp: requests.Response) -> datetime | None:
        try:
            return parsedate_to_datetime(resp.headers.get("Date", "")).astimezone(UTC)
        except (TypeError, ValueError):
            return None

    def _validate(self, raw: bytes, users: dict[int, User],
                  memo: Memo) -> Incoming | Quarantined:
        try:
            ticket = ticket_decoder.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return Quarantined.of(raw_id(raw), str(exc), as_text(raw))
        thread = memo.threads.get(ticket.id)
        if thread is None:
            thread = self.thread(ticket) if self.wants_comments(ticket) else Thread()
            memo.threads[ticket.id] = thread
        try:
            return self._incoming(raw, ticket, users, thread)
        except ValueError as exc:
            return Quarantined.of(str(ticket.id), str(exc), as_text(raw))

    def wants_comments(self, t: Ticket) -> bool:
        if self._comments_mode == "none" or t.status == "deleted" or t.id <= 0:
            return False
        return self._comments_mode == "all" or t.status not in ("solved", "closed")

    def thread(self, t: Ticket) -> Thread:
        """The latest comments (one List Comments request, newest first, reversed)."""
        try:
            resp = self.http.call("GET", f"/api/v2/tickets/{t.id}/comments.json", params={
                "sort": "-created_at", "page[size]": MAX_FACTS, "include": "users"})
        except Rejected:  # deleted or merged away since the export saw it
            return Thread()
        try:
            data = msgspec.json.decode(resp.content, type=CommentsPage)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return Thread()  # the ticket itself is still worth having
        comments = sorted(data.comments, key=lambda c: (c.created_at, c.id))
        first = comments[0] if comments else None
        skip = bool(first and not data.meta.has_more and norm_text(
            first.plain_body if first.plain_body is not None else first.body or "",
        ) == norm_text(t.description or ""))
        return Thread(comments, skip, resp.content, {u.id: u for u in data.users})

    def _incoming(self, raw: bytes, t: Ticket, users: dict[int, User],
                  thread: Thread) -> Incoming:
        rec = to_record(t, self.defaults, {**thread.users, **users}, thread.comments,
                        thread.skip_first)
        digest = hashlib.blake2b(raw + b"\0" + thread.raw, digest_size=16).hexdigest()
        return Incoming(rec, digest)

    # -- single tickets -----------------------------------------------------------------

    def snapshot(self, tid: int) -> tuple[Ticket, bytes, dict[int, User], Thread]:
        resp = self.http.call("GET", f"/api/v2/tickets/{tid}.json",
                              params={"include": "users"})
        try:
            data = msgspec.json.decode(resp.content, type=TicketResponse)
            raw = bytes(data.ticket)
            ticket = ticket_decoder.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise ServerError(f"{self.name}: Zendesk sent a malformed ticket ({exc})") from exc
        thread = self.thread(ticket) if self.wants_comments(ticket) else Thread()
        return ticket, raw, lenient_users(data.users), thread

    def checked(self, t: Ticket, raw: bytes, users: dict[int, User],
                thread: Thread) -> Incoming:
        try:
            return self._incoming(raw, t, users, thread)
        except ValueError as exc:
            raise ServerError(f"{self.name}: Zendesk sent an invalid ticket: {exc}") from exc

    def fetch(self, external_id: str) -> Incoming:
        return self.checked(*self.snapshot(self.tid(external_id)))

    def tid(self, external_id: str) -> int:
        if not external_id.isdigit():
            raise Rejected(f"{self.name}: {external_id[:40]!r} is not a Zendesk ticket id")
        return int(external_id)

    # -- push ---------------------------------------------------------------------------

    def push(self, mutation: Mutation) -> PushResult:
        return self._writes.push(mutation)

    # -- people and the connection test -------------------------------------------------

    def analysts(self) -> list[Analyst]:
        params: dict[str, Any] = {"role[]": ["agent", "admin"], "page[size]": 100}
        out: list[Analyst] = []
        for _ in range(MAX_USER_PAGES):
            resp = self.http.call("GET", "/api/v2/users.json", params=params)
            try:
                data = msgspec.json.decode(resp.content, type=UsersPage)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                raise ServerError(f"{self.name}: malformed user list ({exc})") from exc
            out += [Analyst(str(u.id), u.name or f"Zendesk user {u.id}", u.email or "",
                            (u.locale,) if u.locale else ()) for u in data.users if u.active]
            if not data.meta.has_more or not data.meta.after_cursor:
                break
            params["page[after]"] = data.meta.after_cursor
        return out

    def check(self) -> None:
        """Test connection: credentials, URL and the admin role the export needs; raises a
        ChannelError whose message is the verdict."""
        resp = self.http.call("GET", "/api/v2/users/me.json")
        try:
            me = msgspec.json.decode(resp.content, type=MeResponse).user
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise Rejected(f"{self.name}: {redact(self._base)} answered, but not like the "
                           "Zendesk API: check the URL") from exc
        if me.id is None:
            raise AuthError(f"{self.name}: Zendesk did not accept the credentials "
                            "(it answered as an anonymous user)")
        if me.role != "admin":
            raise Rejected(f"{self.name}: {me.email or self._email or 'this user'} is a "
                           f"Zendesk {me.role or 'user'}; the incremental ticket export "
                           "needs an admin")
        self._check_custom_fields()

    def _check_custom_fields(self) -> None:
        """The configured custom field ids exist in this account (List Ticket Fields,
        offset pagination with `next_page`)."""
        wanted = self.defaults.custom.field_ids
        if not wanted:
            return
        found: set[int] = set()
        url: str | None = "/api/v2/ticket_fields.json"
        for _ in range(MAX_USER_PAGES):
            if url is None:
                break
            resp = self.http.call("GET", url)
            try:
                page = msgspec.json.decode(resp.content, type=TicketFieldsPage)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                raise ServerError(f"{self.name}: malformed ticket field list ({exc})") from exc
            found |= {f.id for f in page.ticket_fields}
            url = page.next_page if page.next_page and page.next_page.startswith(
                self._base + "/") else None
        missing = [f"{fid} ({target})" for target, fid in wanted.items() if fid not in found]
        if missing:
            raise Rejected(f"{self.name}: this Zendesk has no custom ticket field "
                           f"{', '.join(missing)}: check custom_fields (Admin Center > "
                           "Objects and rules > Tickets > Fields shows the ids)")
