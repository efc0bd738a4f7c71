"""`RestChannel`: pulls, fetches and checks a plain JSON API as its `RestConfig` says.

Documented behaviours relied on (HTTP and Web Linking standards, since each internal tool
documents only its own shapes):
- RFC 8288 (Web Linking) 3 and 3.3: `Link: <uri-reference>; rel="next"`; the reference is
  resolved against the request URL and relation types compare case-insensitively; requests'
  `parse_header_links` splits the header (its `Response.links` keys by the whole rel).
- RFC 9110 15.4 (redirects): followed only to the same origin, so credentials never go to
  another host (requests only strips `Authorization` itself, not custom key headers).
- RFC 6585 4 / RFC 9110 10.2.3: 429 with Retry-After (seconds or HTTP date) is mapped by
  `Transport`. The common X-RateLimit convention, as GitHub documents it ("Troubleshooting
  the REST API", docs.github.com): a limit answers 403 or 429; with `retry-after`, wait that
  long; with `x-ratelimit-remaining: 0`, wait until `x-ratelimit-reset`, in UTC epoch
  seconds (measured here against the server's Date, so a skewed laptop clock does not
  matter). A small `X-RateLimit-Reset` / `RateLimit-Reset` is taken as delta seconds.
- RFC 9110 6.6.1: the `Date` header is the server's clock, used as the page's remote time.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import replace
from typing import Any
from urllib.parse import urljoin, urlsplit

import msgspec
import requests

from ...domain import Analyst, Incoming, Quarantined
from ...domain.push import FIELD_PUSHES, Push
from ...http import parse_retry_after, redact
from ..contract import (
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
from .api import MAX_REDIRECTS, REDIRECTS, origin, reset_wait, server_ms, server_time, url_for
from .config import RestConfig
from .cursor import (
    PageFacts,
    PassState,
    advance,
    begin_pass,
    decode_cursor,
    encode_cursor,
    fingerprint,
    high_water,
    list_params,
    mark_key,
    mark_value,
    page_digest,
    value_as_bool,
    value_as_int,
)
from .expressions import Path, compile_path
from .follow import AnswerCache, FollowUpError, FollowUps
from .jsonpath import MISSING
from .records import Mapper


class RestChannel:
    """A configured plain-JSON API; one instance per configured channel."""

    @property
    def pushes(self) -> frozenset[Push]:
        """What the config's write-back describes: the mapped fields, notes, replies."""
        write = self.cfg.write
        out: set[Push] = set()
        if write.update is not None:
            out |= {Push(f) for f in write.update.fields if f in FIELD_PUSHES}
        if write.note is not None:
            out.add(Push.NOTE)
        if write.reply is not None:
            out.add(Push.REPLY)
        return frozenset(out)

    def __init__(self, name: str, config: RestConfig, secret: str | None = None,
                 username: str = "", base_url: str = "",
                 session: requests.Session | None = None) -> None:
        from .writes import Writer

        self.name = name
        self.cfg = config
        self.base = (base_url or config.base_url).rstrip("/")
        self._http = Transport(name, self.base, session, expired_statuses=(),
                               hook=self._status_hook)
        self._auth(secret, username or config.auth.username)
        self.mapper = Mapper(config, base=self.base)
        self._fp = fingerprint(config, self.base)
        self._items = self.path(config.listing.items)
        p = config.pagination
        self._next_cursor = self.path(p.next_cursor) if p.next_cursor else None
        self._total = self.path(p.total) if p.total else None
        self._has_more = self.path(p.has_more) if p.has_more else None
        self._next_link = self.path(p.next_link) if p.next_link else None
        inc = config.listing.incremental
        self._mark_field = self.path(inc.field) if inc is not None and inc.field else None
        self._mark_token = self.path(inc.token) if inc is not None and inc.token else None
        # Linked sub-resources: one cache for the channel, so a page retried after a 429
        # does not ask again for what it already has.
        self._linked = AnswerCache()
        self.follow = FollowUps(self, config.expand, self._linked)
        item = config.item
        if item is not None and item.fields is not None:  # the single item's own shape
            self.item_mapper = Mapper(config, item.fields, self.base)
            self.item_follow = FollowUps(self, item.expand, self._linked)
        else:
            self.item_mapper, self.item_follow = self.mapper, self.follow
        self._writer = Writer(self)

    def path(self, text: str) -> Path:
        """A path of this config's schema_version."""
        return compile_path(text, self.cfg.schema_version)

    def _auth(self, secret: str | None, username: str) -> None:
        a = self.cfg.auth
        headers = self._http.session.headers
        headers.update(self.cfg.headers)
        headers["Accept"] = "application/json"
        if a.style == "none":
            return
        if not secret:
            raise ChannelError(f"{self.name}: no secret for auth style {a.style!r}; add the "
                               "channel again with its token, password or API key")
        if a.style == "bearer":
            headers["Authorization"] = f"Bearer {secret}"
        elif a.style == "basic":
            if not username:
                raise ChannelError(f"{self.name}: basic auth needs a user name (the "
                                   "channel's username setting or auth.username)")
            self._http.session.auth = (username, secret)
        else:
            headers[a.header] = a.prefix + secret

    def close(self) -> None:
        self._http.close()

    # -- HTTP ---------------------------------------------------------------------------

    def send(self, method: str, path: str, write: bool = False, ok: Collection[int] = (),
             **kwargs: Any) -> requests.Response:
        """One request through the Transport, following same-origin redirects only."""
        url = self._http.url(path)
        for _ in range(MAX_REDIRECTS + 1):
            if origin(url) != origin(self.base):
                raise Rejected(f"{self.name}: refusing to send credentials to "
                               f"{redact(url)[:120]}, which is not {redact(self.base)}")
            resp = self._http.call(method, url, write, ok=ok, allow_redirects=False,
                                   **kwargs)
            if resp.status_code not in REDIRECTS:
                return resp
            target = urljoin(resp.url, resp.headers.get("Location", ""))
            if origin(target) != origin(self.base):
                raise Rejected(f"{self.name}: the server redirected to "
                               f"{origin(target)[1] or 'nowhere'} (a login page?): check "
                               "base_url and the credentials")
            if resp.status_code in (301, 302, 303) and method != "GET":
                raise Rejected(f"{self.name}: the server redirected a {method}: check "
                               "the write-back path")
            url = target
            kwargs.pop("params", None)  # the Location carries its own query
        raise Rejected(f"{self.name}: too many redirects from {redact(self.base)}")

    def _status_hook(self, resp: requests.Response) -> None:
        code = resp.status_code
        if code == 403 and resp.headers.get("Retry-After"):
            wait = parse_retry_after(resp.headers["Retry-After"], time.time())
            if wait is not None:
                raise RateLimited(f"{self.name}: rate limited", wait)
        if code in (403, 429) and not (code == 429 and resp.headers.get("Retry-After")):
            wait = reset_wait(resp)
            exhausted = resp.headers.get("X-RateLimit-Remaining", "").strip() == "0"
            if wait is not None and (code == 429 or exhausted):
                raise RateLimited(f"{self.name}: rate limited", wait)
        list_path = urlsplit(self.base + self.cfg.listing.path).path.rstrip("/")
        if code == 404 and resp.request.method == "GET" and \
                urlsplit(resp.url).path.rstrip("/") == list_path:
            raise Rejected(f"{self.name}: {redact(self.base)} has no {self.cfg.listing.path} "
                           "(404): check base_url and list.path")


    def json(self, resp: requests.Response, what: str) -> Any:
        try:
            return msgspec.json.decode(resp.content)
        except msgspec.DecodeError as exc:
            kind = resp.headers.get("Content-Type", "no content type").split(";")[0]
            raise MalformedPage(
                f"{self.name}: the {what} is not JSON ({kind}): check base_url and the paths",
                Quarantined.of(None, f"{what} is not JSON: {exc}",
                               resp.content.decode("utf-8", errors="replace"))) from exc

    # -- pull ---------------------------------------------------------------------------

    def pull(self, cursor: str | None) -> Page:
        state = decode_cursor(cursor, self._fp, self.name)
        mid_pass = state.started
        if not mid_pass:
            state = begin_pass(self.cfg, state)
        resp = self._list(state, mid_pass)
        if not mid_pass:
            t0 = server_ms(resp)
            state = replace(state, started=True, t0=t0)
        doc = self.json(resp, "list answer")
        items = self._items.get(doc)
        if not isinstance(items, list):
            raise MalformedPage(
                f"{self.name}: the answer has no list at {self.cfg.listing.items!r}",
                Quarantined.of(None, f"no list at {self.cfg.listing.items!r}",
                               resp.content.decode("utf-8", errors="replace")))
        good: list[Incoming] = []
        bad: list[Quarantined] = []
        marks: list[str] = []
        for item in items:
            result = self.validate(item, self.mapper, self.follow)
            if isinstance(result, Incoming):
                good.append(result)
                mark = mark_value(self._mark_field.get(item)) if self._mark_field else None
                if mark is not None:
                    marks.append(mark)
            else:
                bad.append(result)
        facts = PageFacts(
            count=len(items),
            digest=page_digest([self.mapper.external_id(i) for i in items]),
            has_more=value_as_bool(self._has_more.get(doc)) if self._has_more else None,
            total=value_as_int(self._total.get(doc)) if self._total else None,
            next_token=self._token(doc), next_url=self._next_url(resp, doc),
            mark=self._new_mark(state.mark, marks, doc))
        hw = high_water(state.hw, [i.record.updated_at for i in good])
        new_state, done, loop = advance(self.cfg, state, facts, hw)
        if loop:
            raise Rejected(f"{self.name}: {loop}")
        return Page(good, bad, encode_cursor(new_state, self._fp), done, server_time(resp))

    def validate(self, item: Any, mapper: Mapper, follow: FollowUps) -> Incoming | Quarantined:
        """One record of the given shape, its linked sub-resources fetched first."""
        if follow:
            ext = mapper.external_id(item)
            try:
                item = follow.expand(item, ext)
            except FollowUpError as exc:
                return Quarantined.of(ext, str(exc), msgspec.json.encode(item).decode(
                    "utf-8", errors="replace"))
        return mapper.validate(item)

    def _new_mark(self, current: str | None, marks: list[str], doc: Any) -> str | None:
        if self._mark_token is not None:
            return mark_value(self._mark_token.get(doc))
        if not marks:
            return None
        best = max(marks, key=mark_key)
        return best if current is None or mark_key(best) > mark_key(current) else current

    def _list(self, state: PassState, mid_pass: bool) -> requests.Response:
        p = self.cfg.pagination
        # A request that carries a position or a server token can find it expired.
        carries = mid_pass or state.since_mark is not None
        expired = tuple(p.expired_statuses) if carries else ()
        if p.style in ("link", "next_link") and state.url:
            resp = self.send("GET", state.url, ok=expired)
        else:
            resp = self.send("GET", self.cfg.listing.path, ok=expired,
                             params=list_params(self.cfg, state))
        if resp.status_code in expired:
            if not p.expired_contains or p.expired_contains in resp.text:
                raise CursorExpired(f"{self.name}: the sync cursor expired; resyncing")
            self._http.raise_for_status(resp)
        return resp

    def _token(self, doc: Any) -> str | None:
        if self._next_cursor is None:
            return None
        value = self._next_cursor.get(doc)
        if value is MISSING or value is None or isinstance(value, (bool, dict, list)):
            return None
        return str(value) or None

    def _next_url(self, resp: requests.Response, doc: Any) -> str | None:
        if self._next_link is not None:
            value = self._next_link.get(doc)
            if isinstance(value, str) and value.strip():
                return urljoin(resp.url, value.strip())
            return None
        if self.cfg.pagination.style != "link" or "Link" not in resp.headers:
            return None
        for link in requests.utils.parse_header_links(resp.headers["Link"]):
            rels = (link.get("rel") or "").lower().split()
            if "next" in rels and link.get("url"):
                return urljoin(resp.url, link["url"])
        return None

    # -- the rest of the protocol -------------------------------------------------------

    def check(self) -> None:
        """Test connection, credentials and config with one small page; raises a
        ChannelError whose message is the verdict."""
        state = begin_pass(self.cfg, PassState())
        resp = self.send("GET", self.cfg.listing.path, params=list_params(self.cfg, state, 1))
        try:
            doc = self.json(resp, "list answer")
        except MalformedPage as exc:
            raise Rejected(f"{self.name}: {redact(self.base)} answered, but not with JSON: "
                           "check base_url and list.path") from exc
        items = self._items.get(doc)
        if not isinstance(items, list):
            raise Rejected(f"{self.name}: the answer has no list at "
                           f"{self.cfg.listing.items!r}: check list.items")
        if items:
            first = self.validate(items[0], self.mapper, self.follow)
            if isinstance(first, Quarantined):
                raise Rejected(f"{self.name}: connected, but the first record does not fit "
                               f"the field mapping: {first.reason}")

    def item_doc(self, external_id: str) -> tuple[Any, requests.Response]:
        if self.cfg.item is None:
            raise Rejected(f"{self.name}: the config has no item endpoint (item.path), so "
                           "one record cannot be read on its own")
        resp = self.send("GET", url_for(self.cfg.item.path, external_id),
                         params=dict(self.cfg.item.params) or None)
        doc = self.json(resp, "record")
        return self.path(self.cfg.item.item).get(doc), resp

    def incoming(self, record: Any) -> Incoming:
        """A single record (item shape) as the engine takes it, or ServerError."""
        result = self.validate(record, self.item_mapper, self.item_follow)
        if isinstance(result, Quarantined):
            raise ServerError(f"{self.name}: the server sent an unusable record: "
                              f"{result.reason}")
        return result

    def fetch(self, external_id: str) -> Incoming:
        record, _ = self.item_doc(external_id)
        return self.incoming(record)

    def push(self, mutation: Mutation) -> PushResult:
        return self._writer.push(mutation)

    def analysts(self) -> list[Analyst]:
        a = self.cfg.analysts
        if a is None:
            return []
        doc = self.json(self.send("GET", a.path), "analyst list")
        rows = self.path(a.items).get(doc)
        if not isinstance(rows, list):
            raise ServerError(f"{self.name}: the analyst list has no list at {a.items!r}")
        out = []
        id_path, name_path = self.path(a.id), self.path(a.name)
        email_path = self.path(a.email) if a.email else None
        for row in rows:
            ident, name = id_path.get(row), name_path.get(row)
            if isinstance(ident, (str, int)) and not isinstance(ident, bool) and \
                    isinstance(name, str):
                email = email_path.get(row) if email_path else ""
                out.append(Analyst(str(ident), name, email if isinstance(email, str) else ""))
        return out
