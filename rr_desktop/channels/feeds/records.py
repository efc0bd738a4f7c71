"""From feedparser entries to escalations: stable identity, versions, plain text.

Identity (RSS 2.0 says a guid is any string the publisher chooses; Atom's id "must never
change" yet does in the wild): the entry's link, normalised (scheme dropped, host
lower-cased, default port, fragment and tracking parameters `utm_*`, `fbclid`, ... removed,
query sorted), hashed; when a link is missing or shared by several entries of the same
document, the guid / atom:id; then the title plus the published date. So a feed that
re-issues guids or reuses one guid for new articles does not duplicate or merge them.

Version: the entry's updated (else published) time in epoch milliseconds. The cursor keeps
(version, content hash) of the previous document's entries; an entry whose content changed
without a newer timestamp gets the remembered version + 1, so every change increases it.
Dates more than a day after the server's clock are ignored (they would freeze the version).
"""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import re
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser

from ...domain import Escalation, Extent, Incoming, Quarantined, Status, cut_text, region_of
from ..html_text import HtmlReading, html_to_text
from .rules import FeedRules
from .safexml import refuse, vet

MAX_TITLE = 500
MAX_HTML = 2_000_000  # characters of an entry's HTML read for its text
MAX_ID = 200
MAX_ENTRIES = 2000
FUTURE_SLACK = timedelta(days=1)
Seen = dict[str, tuple[int, str]]
_TRACKING = re.compile(
    r"^(utm_\w*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|igshid|_ga|_gl)$",
    re.IGNORECASE)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _capped(text: str, limit: int | None) -> str:
    return text if limit is None or len(text) <= limit else text[:limit - 1] + "…"


def plain(text: str, limit: int | None = None) -> str:
    """Untrusted plain text: control characters out, blank runs collapsed; a title capped
    at `limit` (a body, limit None, is cut by the domain's Escalation, saying so)."""
    lines = [" ".join(line.split()) for line in _CONTROL.sub(" ", text).splitlines()]
    return _capped(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(), limit)


# An entry's HTML as feeds write it (tidied by `plain`, capped by the caller).
FEED_HTML = HtmlReading(
    blocks=frozenset((
        "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
        "pre", "section", "article", "header", "footer", "ul", "ol", "table", "hr", "dd",
        "dt", "figcaption")),
    skipped=frozenset((
        "script", "style", "template", "noscript", "head", "object", "iframe", "svg")),
    break_after_item=False, void_breaks_once=False, tidy=plain)


def html_text(html: str, limit: int | None = None) -> str:
    """The visible text of an entry's untrusted HTML (no network or file access), capped
    like `plain`. Of HTML longer than MAX_HTML, the text of its start, saying the rest is
    not read."""
    text = _capped(html_to_text(html[:MAX_HTML], FEED_HTML), limit)
    if limit is None and len(html) > MAX_HTML:
        return cut_text(text, source_chars=len(text), extent=Extent.MORE_THAN)
    return text


def _is_html(entry: Mapping[str, Any], key: str) -> bool:
    """Whether a feedparser text construct (`title`, `summary`) is typed as HTML."""
    detail = entry.get(f"{key}_detail") or {}
    kind = detail.get("type", "text/html") if isinstance(detail, Mapping) else "text/html"
    return kind in _HTML_TYPES


def detail_text(entry: Mapping[str, Any], key: str, limit: int | None) -> str:
    """Plain text of a feedparser text construct (`title`, `summary`) of any type."""
    value = entry.get(key)
    if not isinstance(value, str):
        return ""
    return html_text(value, limit) if _is_html(entry, key) else plain(value, limit)


_MARKUP = re.compile(r"<[A-Za-z/!]")


def _content(entry: Mapping[str, Any]) -> tuple[str, str | None]:
    """(plain text, the HTML it came from or None) of the entry's longest content: the
    summary or a `content` part. The HTML is kept for the formatted view (sanitized
    when shown, like any untrusted HTML)."""
    summary = entry.get("summary")
    best = detail_text(entry, "summary", None)
    best_html = summary if isinstance(summary, str) and best \
        and _is_html(entry, "summary") else None
    for part in entry.get("content") or ():
        if isinstance(part, Mapping) and isinstance(part.get("value"), str):
            html = part.get("type", "text/html") in _HTML_TYPES
            text = html_text(part["value"]) if html else plain(part["value"])
            if len(text) > len(best):
                best, best_html = text, part["value"] if html else None
    if best_html is not None and not _MARKUP.search(best_html):
        best_html = None  # typed HTML but plain words: nothing to format
    return best, best_html


def normalize_link(link: object) -> str | None:
    """The identity form of an http(s) link, or None."""
    if not isinstance(link, str):
        return None
    try:
        parts = urlsplit(link.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if port is not None and port not in (80, 443):
        host += f":{port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not _TRACKING.match(k))
    return f"//{host}{parts.path or '/'}" + (f"?{urlencode(query)}" if query else "")


def clean_link(link: object) -> str | None:
    """An http(s) link without tracking parameters (for display), or None."""
    if normalize_link(link) is None:
        return None
    assert isinstance(link, str)
    parts = urlsplit(link.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _TRACKING.match(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query),
                       parts.fragment))[:2000]


def _h(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=12).hexdigest()


def identities(entries: Sequence[Mapping[str, Any]]) -> list[str | None]:
    """The external id of every entry of one document (see the module docstring)."""
    links = [normalize_link(e.get("link")) for e in entries]
    shared = Counter(link for link in links if link)
    ids: list[str | None] = []
    for entry, link in zip(entries, links, strict=True):
        guid = entry.get("id")
        title = entry.get("title")
        published = entry.get("published") or entry.get("updated")
        if link and shared[link] == 1:
            ids.append("l:" + _h(link))
        elif isinstance(guid, str) and guid.strip():
            ids.append("g:" + _h(guid.strip()))
        elif isinstance(title, str) and title.strip():
            ids.append("t:" + _h(" ".join(title.casefold().split()) + "\n" + str(published)))
        elif link:
            ids.append("l:" + _h(link))
        else:
            ids.append(None)
    return ids


def _when(entry: Mapping[str, Any], key: str, now: datetime) -> datetime | None:
    value = entry.get(f"{key}_parsed")
    if not isinstance(value, time.struct_time):
        return None
    try:
        when = datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None
    return when if when <= now + FUTURE_SLACK else None


def next_version(base: int, content_hash: str, previous: tuple[int, str] | None) -> int:
    """The entry's version given what the previous document said about it."""
    if previous is None:
        return base
    prev_version, prev_hash = previous
    if prev_hash == content_hash:
        return max(base, prev_version)
    return base if base > prev_version else prev_version + 1


@dataclass(frozen=True, slots=True)
class FeedContext:
    """What entries of one document share."""

    source: str
    language: str
    server_now: datetime
    rules: FeedRules


def _raw(entry: Mapping[str, Any]) -> str:
    return json.dumps(entry, default=str, ensure_ascii=False, sort_keys=True)


def to_incoming(entry: Mapping[str, Any], ext_id: str | None, ctx: FeedContext,
                seen: Seen, out_seen: Seen) -> Incoming | Quarantined | None:
    """One entry as an escalation, a quarantined record, or None when the rules skip it."""
    title = " ".join(detail_text(entry, "title", MAX_TITLE).split())
    body, body_html = _content(entry)
    categories = [t["term"] for t in entry.get("tags") or ()
                  if isinstance(t, Mapping) and isinstance(t.get("term"), str)][:50]
    decision = ctx.rules.decide(title, body, categories)
    if decision is None:
        return None
    if ext_id is None:
        return Quarantined.of(None, "feed entry has no link, id or title to identify it",
                              _raw(entry))
    link = clean_link(entry.get("link"))
    published = _when(entry, "published", ctx.server_now)
    updated = _when(entry, "updated", ctx.server_now)
    # What the analyst sees; not the guid or tracking parameters, which some feeds churn.
    content = json.dumps([title, body, normalize_link(link), str(published), str(updated),
                          categories], ensure_ascii=False)
    content_hash = hashlib.blake2b(content.encode("utf-8", "replace"),
                                   digest_size=16).hexdigest()
    stamp = updated or published
    base = max(int(stamp.timestamp() * 1000), 0) if stamp else 0
    version = next_version(base, content_hash[:16], seen.get(ext_id))
    out_seen[ext_id] = (version, content_hash[:16])
    created = published or updated or ctx.server_now
    record = Escalation(
        external_id=ext_id, remote_version=version,
        title=title or plain(body, 120).replace("\n", " ") or link or "(untitled feed entry)",
        body=body, reporter=ctx.source, reporter_type=ctx.rules.reporter_type,
        category=ctx.rules.category, market=decision.market,
        region=region_of(decision.market), language=ctx.language,
        severity=decision.severity, urgency=decision.urgency, status=Status.NEW,
        created_at=created, updated_at=max(updated or created, created), tags=decision.tags,
        content_url=link, body_html=body_html,
    )
    return Incoming(record, content_hash)


def convert(entry: Mapping[str, Any], ext_id: str | None, ctx: FeedContext, seen: Seen,
            out_seen: Seen) -> Incoming | Quarantined | None:
    """`to_incoming`, with any surprise in one entry quarantined instead of raised."""
    try:
        return to_incoming(entry, ext_id, ctx, seen, out_seen)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        return Quarantined.of(ext_id, f"feed entry unusable: {type(exc).__name__}: {exc}",
                              _raw(entry))


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
