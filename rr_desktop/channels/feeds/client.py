"""Channel `feed`: a news or crisis-monitoring RSS / Atom feed as a source of escalations.

Documented behaviour this encodes:

- Conditional GET (feedparser docs, "ETag and Last-Modified Headers"; RFC 9110 13.1.2 /
  13.1.3): the ETag and Last-Modified of the last full response live in the JSON cursor and
  go back as If-None-Match / If-Modified-Since; a 304 means "not changed since", so the page
  is empty and done and the cursor stays as it was. Fetching goes through `Transport`, never
  through feedparser (its docs warn that a string argument may trigger network or file
  access; it gets a BytesIO of bytes vetted by safexml.py, with Content-Location as the base
  for relative links, resolved as text only).
- HTTP: 401/403 -> AuthError (feeds behind a login are not supported), 410 Gone -> Rejected
  (feedparser docs: a feed marked gone should not be polled again), 404 -> wrong URL,
  429/5xx/unreachable via Transport.
- Hostile or unusable documents (DTD, entities, external references, XInclude, not
  well-formed, over MAX_BYTES) raise FeedRefused: the run fails with that sentence and the
  raw text is quarantined. Identity, versions and plain text: entries.py. Rules: rules.py.
- A document with more than `page_size` escalations is served in several pages from memory
  (re-fetched unconditionally if the process restarted in between).
- Push: a feed has no write API. Triage edits ("update") and internal notes stay local and
  are acknowledged without network (PushResult(None)), so they never sit in the outbox as
  errors; a public "reply" is Rejected: there is nobody to send it to.

Sources: feedparser docs https://pythonhosted.org/feedparser/http-etag.html (ETag /
Last-Modified, 304 carries no feed data) and http-redirect.html (410 gone); feedparser 6
`parse()` docstring (wrap untrusted data in BytesIO; Content-Location as base URI);
RFC 9110 section 13.1.2 (If-None-Match -> 304 for GET) and 13.1.3 (If-Modified-Since is
ignored when If-None-Match is present); RSS 2.0 spec, <guid> (a string the publisher
chooses, isPermaLink); RFC 4287 4.2.6 (atom:id) and 4.2.15 (atom:updated); RFC 7303
section 3.2 (XML charset precedence); defusedxml README (https://github.com/tiran/defusedxml:
billion laughs, quadratic blowup, external entity, DTD retrieval; forbid_dtd /
forbid_entities / forbid_external).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
import requests

from ...domain import Analyst, Incoming, PolicyCategory, Quarantined, ReporterType
from ...domain.push import NOTHING
from ...http import redact
from ..contract import AuthError, ChannelError, Mutation, NetworkError, Page, PushResult, Rejected
from ..registry import ChannelSpec, FieldSpec, SecretLookup, register
from ..transport import Transport
from .records import FeedContext, Seen, convert, detail_text, identities
from .rules import FeedRules
from .safexml import FeedRefused, refuse, vet

KIND = "feed"
PAGE_SIZE = 200
MAX_BYTES = 10 * 1024 * 1024
MAX_ENTRIES = 2000
EDITABLE = frozenset({"status", "assignee", "severity", "urgency", "tags"})
ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
          "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)

__all__ = ["KIND", "SPEC", "FeedChannel", "FeedRefused", "FeedRules"]


@dataclass(slots=True)
class _State:
    """The cursor: validators of the last full response and what its entries were."""

    url: str = ""
    etag: str | None = None
    modified: str | None = None
    seen: Seen = field(default_factory=dict)
    more_doc: str | None = None
    more_offset: int = 0

    @classmethod
    def load(cls, cursor: str | None) -> _State:
        try:
            d = json.loads(cursor) if cursor else {}
            more = d.get("more") or {}
            etag, modified = d.get("etag"), d.get("modified")
            return cls(str(d.get("url", "")), etag if isinstance(etag, str) else None,
                       modified if isinstance(modified, str) else None,
                       {k: (int(v[0]), str(v[1])) for k, v in d.get("seen", {}).items()},
                       more.get("doc"), int(more.get("offset", 0)))
        except (ValueError, TypeError, AttributeError, IndexError, KeyError):
            return cls()  # unreadable: start over with a full fetch

    def dump(self) -> str:
        d: dict[str, Any] = {"url": self.url, "etag": self.etag, "modified": self.modified,
                             "seen": {k: list(v) for k, v in self.seen.items()}}
        if self.more_doc:
            d["more"] = {"doc": self.more_doc, "offset": self.more_offset}
        return json.dumps(d, separators=(",", ":"), sort_keys=True)


@dataclass(slots=True)
class _Doc:
    """One fetched document, processed, waiting to be served page by page."""

    digest: str
    results: list[Incoming | Quarantined]
    before: _State
    after: _State
    server_time: datetime | None


def _server_time(resp: requests.Response) -> datetime | None:
    try:
        when = parsedate_to_datetime(resp.headers.get("Date", ""))
    except (TypeError, ValueError, IndexError):
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def parse_document(name: str, data: bytes, base_url: str, http_charset: str | None) -> Any:
    """feedparser's result for vetted bytes; FeedRefused for hostile or non-feed input.
    feedparser gets a BytesIO (never a string it could open) and no network access."""
    utf8, root = vet(name, data, http_charset)
    parsed = feedparser.parse(
        io.BytesIO(utf8), resolve_relative_uris=False, sanitize_html=True,
        response_headers={"content-type": "application/xml; charset=utf-8",
                          "content-location": base_url})
    if not parsed.get("version"):
        tag = (root or "?").rpartition("}")[2]
        raise refuse(name, f"it is not an RSS or Atom feed (root element <{tag}>)", data)
    return parsed


def process_document(parsed: Any, rules: FeedRules, seen: Seen, out_seen: Seen,
                     server_now: datetime, url: str) -> list[Incoming | Quarantined]:
    """Every entry of a parsed document that the rules keep, or quarantine; `out_seen`
    receives (version, content hash) per kept entry for the next cursor."""
    feed = parsed.get("feed") or {}
    source = " ".join(detail_text(feed, "title", 200).split())
    language = rules.language or str(feed.get("language") or "und")[:35]
    host = urlsplit(url).hostname or "feed"
    ctx = FeedContext(source or host[:200], language, server_now, rules)
    # Plain dicts: FeedParserDict maps a missing "updated" to "published" with a warning.
    entries = [dict(e) for e in parsed.get("entries") or () if isinstance(e, Mapping)]
    results: list[Incoming | Quarantined] = []
    if len(entries) > MAX_ENTRIES:
        results.append(Quarantined.of(None, f"feed has {len(entries)} entries; only the "
                                      f"first {MAX_ENTRIES} were read", ""))
        entries = entries[:MAX_ENTRIES]
    for entry, ext_id in zip(entries, identities(entries), strict=True):
        result = convert(entry, ext_id, ctx, seen, out_seen)
        if result is not None:
            results.append(result)
    return results


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

    def _get(self, state: _State | None) -> requests.Response:
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

    def _process(self, data: bytes, resp: requests.Response, before: _State) -> _Doc:
        parsed = self._parse(data, resp)
        server_time = _server_time(resp)
        seen: Seen = {}
        results = process_document(parsed, self.rules, before.seen, seen,
                                   server_time or datetime.now(UTC), resp.url or self.url)
        after = _State(self.url, resp.headers.get("ETag"), resp.headers.get("Last-Modified"),
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
            cursor = _State(doc.before.url, doc.before.etag, doc.before.modified,
                            doc.before.seen, doc.digest, end).dump()
        items = [r for r in part if isinstance(r, Incoming)]
        bad = [r for r in part if isinstance(r, Quarantined)]
        return Page(items, bad, cursor, done, doc.server_time)

    def pull(self, cursor: str | None) -> Page:
        state = _State.load(cursor)
        doc = self._doc
        if state.more_doc and doc is not None and doc.digest == state.more_doc:
            return self._slice(doc, state.more_offset)
        resp = self._get(None if state.more_doc else state)
        if resp.status_code == 304:
            resp.close()
            return Page([], [], cursor, True, _server_time(resp))
        before = _State(state.url, state.etag, state.modified, state.seen)
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
        doc = self._process(self._read(resp), resp, _State())
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


def _build(name: str, config: Mapping[str, str], secret: SecretLookup) -> FeedChannel:
    url = config.get("base_url", "").strip()
    if not url.startswith(("https://", "http://")):
        raise ChannelError(f"{name}: the feed URL must start with https:// or http://")
    try:
        rules = FeedRules.from_config(config)
    except ValueError as exc:
        raise ChannelError(f"{name}: {exc}") from exc
    return FeedChannel(name, url, rules)


def _choices(values: Any) -> tuple[str, ...]:
    return tuple(str(v.value) for v in values)


SPEC = register(ChannelSpec(
    kind=KIND, label="News / crisis feed (RSS or Atom)",
    description="An RSS or Atom feed; keyword and market rules decide which entries "
                "become escalations. Triage stays local (a feed has no write API).",
    fields=(
        FieldSpec("base_url", "Feed URL", help="e.g. https://news.example/world/rss.xml"),
        FieldSpec("default_market", "Default market",
                  help="ISO country code for entries that name no place, e.g. AU"),
        FieldSpec("keywords", "Keywords", required=False,
                  help="comma-separated; only entries that mention one become escalations "
                       "(empty: every entry)"),
        FieldSpec("critical_keywords", "Critical keywords", required=False,
                  help="comma-separated; entries that mention one become S0 / U0"),
        FieldSpec("markets", "Markets", required=False,
                  help="comma-separated ISO codes; entries about other places are skipped "
                       "(empty: all)"),
        FieldSpec("market_keywords", "Extra place names", required=False,
                  help="NAME=CC pairs, e.g. 'Cebu=PH, Chiang Mai=TH'"),
        FieldSpec("category", "Policy category", required=False,
                  default=PolicyCategory.OTHER.value, choices=_choices(PolicyCategory)),
        FieldSpec("severity", "Default severity", required=False, default="S2",
                  choices=("S0", "S1", "S2", "S3")),
        FieldSpec("urgency", "Default urgency", required=False, default="U2",
                  choices=("U0", "U1", "U2", "U3")),
        FieldSpec("reporter_type", "Reporter type", required=False,
                  default=ReporterType.MEDIA.value, choices=_choices(ReporterType)),
        FieldSpec("language", "Language", required=False,
                  help="e.g. en; empty: the feed's own language"),
    ),
    build=_build,
))
