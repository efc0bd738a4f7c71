"""The feed channel's client: a conditional GET of the feed, the document vetted and
parsed, its entries served page by page (see the package docstring for the documented
behaviour relied on)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from ...domain import Analyst, Incoming, Quarantined
from ...domain.push import NOTHING
from ...http import redact
from ..contract import AuthError, Mutation, NetworkError, Page, PushResult, Rejected
from ..transport import Transport
from .cursor import FeedCursor
from .records import Seen, parse_document, process_document
from .rules import FeedRules
from .safexml import FeedRefused, refuse

PAGE_SIZE = 200
MAX_BYTES = 10 * 1024 * 1024
EDITABLE = frozenset({"status", "assignee", "severity", "urgency", "tags"})
ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
          "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


@dataclass(slots=True)
class _Doc:
    """One fetched document, processed, waiting to be served page by page."""

    digest: str
    results: list[Incoming | Quarantined]
    before: FeedCursor
    after: FeedCursor
    server_time: datetime | None


def _server_time(resp: requests.Response) -> datetime | None:
    try:
        when = parsedate_to_datetime(resp.headers.get("Date", ""))
    except (TypeError, ValueError, IndexError):
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


class FeedChannel:
    """Client of one RSS/Atom feed; one instance per configured channel."""

    pushes = NOTHING  # no write API: triage lives in the cache (ingest keeps it)

    def __init__(self, name: str, url: str, rules: FeedRules, page_size: int = PAGE_SIZE,
                 session: requests.Session | None = None, max_bytes: int = MAX_BYTES) -> None:
        self.name = name
        self.url = url.strip()
        self.rules = rules
        self._page_size = page_size
        self._max_bytes = max_bytes
        self._http = Transport(name, self.url, session, expired_statuses=(),
                               hook=self._status)
        self._doc: _Doc | None = None

    def close(self) -> None:
        self._http.close()

    def _status(self, resp: requests.Response) -> None:
        """Error statuses of a streamed response: close it, never read an unbounded body."""
        code = resp.status_code
        resp.close()
        if code in (401, 403):
            raise AuthError(f"{self.name}: the feed server refused access ({code}); feeds "
                            "behind a login are not supported")
        if code == 410:
            raise Rejected(f"{self.name}: the publisher marked this feed as gone (410): "
                           "change its URL or remove the channel")
        if code not in (404, 429) and code < 500:
            raise Rejected(f"{self.name}: the feed server refused the request ({code})")

    def _get(self, state: FeedCursor | None) -> requests.Response:
        headers = {"Accept": ACCEPT}
        if state is not None and state.url == self.url:
            if state.etag:
                headers["If-None-Match"] = state.etag
            if state.modified:
                headers["If-Modified-Since"] = state.modified
        return self._http.call("GET", self.url, headers=headers, stream=True)

    def _read(self, resp: requests.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            declared = int(resp.headers.get("Content-Length") or 0)
            if declared > self._max_bytes:
                raise refuse(self.name, f"it is {declared} bytes (limit {self._max_bytes})",
                             b"")
            for chunk in resp.iter_content(64 * 1024):
                size += len(chunk)
                if size > self._max_bytes:
                    raise refuse(self.name, f"it is over {self._max_bytes} bytes", b"".join(
                        chunks))
                chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            raise NetworkError(f"{self.name}: the connection to {redact(self.url)} broke "
                               f"while reading the feed ({type(exc).__name__})") from exc
        except ValueError:  # a malformed Content-Length
            raise refuse(self.name, "the server sent a malformed Content-Length", b"") from None
        finally:
            resp.close()
        return b"".join(chunks)

    def _parse(self, data: bytes, resp: requests.Response) -> Any:
        m = _CHARSET.search(resp.headers.get("Content-Type", ""))
        return parse_document(self.name, data, resp.url or self.url, m.group(1) if m else None)

    def _process(self, data: bytes, resp: requests.Response, before: FeedCursor) -> _Doc:
        parsed = self._parse(data, resp)
        server_time = _server_time(resp)
        seen: Seen = {}
        results = process_document(parsed, self.rules, before.seen, seen,
                                   server_time or datetime.now(UTC), resp.url or self.url)
        after = FeedCursor(self.url, resp.headers.get("ETag"), resp.headers.get("Last-Modified"),
                       seen)
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        return _Doc(digest, results, before, after, server_time)

    def _slice(self, doc: _Doc, offset: int) -> Page:
        end = offset + self._page_size
        part = doc.results[offset:end]
        done = end >= len(doc.results)
        if done:
            self._doc = None
            cursor = doc.after.dump()
        else:
            self._doc = doc
            cursor = FeedCursor(doc.before.url, doc.before.etag, doc.before.modified,
                            doc.before.seen, doc.digest, end).dump()
        items = [r for r in part if isinstance(r, Incoming)]
        bad = [r for r in part if isinstance(r, Quarantined)]
        return Page(items, bad, cursor, done, doc.server_time)

    def pull(self, cursor: str | None) -> Page:
        state = FeedCursor.load(cursor)
        doc = self._doc
        if state.more_doc and doc is not None and doc.digest == state.more_doc:
            return self._slice(doc, state.more_offset)
        resp = self._get(None if state.more_doc else state)
        if resp.status_code == 304:
            resp.close()
            return Page([], [], cursor, True, _server_time(resp))
        before = FeedCursor(state.url, state.etag, state.modified, state.seen)
        doc = self._process(self._read(resp), resp, before)
        offset = state.more_offset if state.more_doc == doc.digest else 0
        return self._slice(doc, offset)

    def check(self) -> None:
        """Test connection: fetch and vet the feed; raises a ChannelError whose message is
        the verdict (unreachable, TLS error, wrong URL, not a feed, hostile document)."""
        resp = self._get(None)
        try:
            self._parse(self._read(resp), resp)
        except FeedRefused as exc:
            raise Rejected(f"{self.name}: {redact(self.url)} answered, but {exc.why}: "
                           "check the URL") from exc

    def fetch(self, external_id: str) -> Incoming:
        resp = self._get(None)
        doc = self._process(self._read(resp), resp, FeedCursor())
        for result in doc.results:
            if isinstance(result, Incoming) and result.record.external_id == external_id:
                return result
        raise Rejected(f"{self.name}: that entry is no longer in the feed")

    def push(self, mutation: Mutation) -> PushResult:
        if mutation.op_type == "update":
            unknown = set(mutation.payload) - EDITABLE
            if unknown:
                raise Rejected(f"{self.name}: cannot change {', '.join(sorted(unknown))}")
            return PushResult(None)  # local triage state: nothing to send
        if mutation.op_type == "note":
            return PushResult(None)  # internal notes stay in the local cache
        if mutation.op_type == "reply":
            raise Rejected(f"{self.name}: a news feed cannot receive replies; contact the "
                           "publisher another way (the reply was not sent)")
        raise Rejected(f"{self.name}: cannot push a {mutation.op_type!r} to a news feed")

    def analysts(self) -> list[Analyst]:
        return []
