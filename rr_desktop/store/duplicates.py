"""Cross-channel duplicate suggestions: other cached escalations about the same thing.

    suggest_duplicates(db, escalation_id, limit=5) -> list[DuplicateSuggestion]

Signals come from the title, body, tags and content URL: web addresses (normalized), @handles,
content ids (from platform URLs such as `/video/123...` or `?v=`, "content id X" in text,
long numeric ids) and near-identical text. Every candidate comes from a bounded FTS5 query
(LIMIT, never a scan of the escalation table); a call takes tens of milliseconds at
1,000,000 cached escalations (run it off the GUI thread):

- each URL, content id and handle is searched as an FTS phrase, newest first, LIMIT;
- for the text, the escalation's rarest terms are found with capped counts
  (`LIMIT DF_CAP` per term) and searched as one ranked OR query; with a single rare term,
  that term AND any of the common ones, ranked; with none, two handfuls of common terms
  ANDed, newest first; always with a LIMIT;
- candidates are then read by id and compared in Python on capped text (Jaccard of word
  pairs for "near-identical").

The FTS index covers title, body and tags, not content_url: a URL that lives only in the
content_url of *both* escalations is found only if that column has an index (it is used
when present; adding one needs a migration). Same-channel duplicates are suggested with a
lower score; the escalation itself never is.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from urllib.parse import parse_qsl, urlencode, urlsplit

SIGNAL_TEXT_CAP = 10_000  # characters of a body searched for URLs, handles and ids
SIMILARITY_TEXT_CAP = 2_000  # characters of title + body compared for near-identical text
DF_CAP = 2_000  # term counts stop here: rarer than this is what we want to know
MAX_PROBES = 32  # terms whose document count is probed
MAX_TEXT_TERMS = 8
AND_TERMS = 5
MAX_SIGNALS = 4  # URLs / content ids / handles searched per kind
PER_SIGNAL_LIMIT = 40
TEXT_LIMIT = 40
NEAR_IDENTICAL = 0.8
SAME_CHANNEL_FACTOR = 0.7

RARE_HANDLE_DF = 25  # a handle in fewer escalations than this is evidence on its own

W_URL, W_CONTENT_ID, W_TEXT = 0.6, 0.55, 0.75
W_RARE_HANDLE, W_HANDLE = 0.3, 0.1

_URL = re.compile(r"https?://[^\s<>\"'`\\{}|^]+", re.IGNORECASE)
_URL_TRAIL = ".,;:!?'\"*"
_HANDLE = re.compile(r"(?<![\w@./+-])@([A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)")
_LONG_NUMBER = re.compile(r"(?<![\w/=.-])(\d{16,24})(?![\w-])")
_NAMED_ID = re.compile(
    r"(?i)\b(?:content|video|post|stream|clip)[ _-]?id\b[\s:#=]*([A-Za-z0-9_-]{6,64})\b")
_ID_SEGMENTS = frozenset({
    "v", "video", "videos", "stream", "streams", "live", "status", "statuses", "reel",
    "reels", "p", "post", "posts", "shorts", "photo", "photos", "clip", "clips", "embed",
    "watch", "item", "items", "content"})
_ID_PARAMS = ("v", "video_id", "content_id", "item_id")
_ID_VALUE = re.compile(r"[A-Za-z0-9_-]{6,64}")
_DIGIT = re.compile(r"\d")
_TRACKING = frozenset({"fbclid", "gclid", "igshid", "mc_cid", "mc_eid", "si", "ref_src"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SITE_PREFIXES = ("www.", "m.", "mobile.")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class DuplicateSuggestion:
    """Another escalation that looks like the same report, and why.

    `reasons` are plain-text sentences ("same URL https://...", "same handle @x",
    "same content id 123", "near-identical text (92%)"); their strings include
    untrusted text (URLs, handles): show them as plain text. `score` is in (0, 1].
    """

    escalation_id: int
    channel: str
    title: str
    score: float
    reasons: tuple[str, ...]
    same_channel: bool


@dataclass(frozen=True, slots=True)
class Signals:
    """What identifies the thing an escalation is about."""

    urls: frozenset[str]
    handles: frozenset[str]
    content_ids: frozenset[str]


def normalize_url(raw: str) -> str | None:
    """One spelling per address: https, lowercase host without `www.`, `m.` or `mobile.`
    (the mobile site is the same page), default port,
    tracking parameters (utm_*, fbclid, ...), fragment and trailing slash dropped, the
    remaining query sorted. None if it is not an http(s) URL with a host."""
    raw = raw.rstrip(_URL_TRAIL)
    while raw.endswith((")", "]")) and raw.count("(") < raw.count(")") + (raw[-1] == "]"):
        raw = raw[:-1].rstrip(_URL_TRAIL)
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    for prefix in _SITE_PREFIXES:
        if host.startswith(prefix) and "." in host[len(prefix):]:
            host = host[len(prefix):]
            break
    if port is not None and port != _DEFAULT_PORTS[parts.scheme.lower()]:
        host = f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not k.lower().startswith("utm_") and k.lower() not in _TRACKING)
    return f"https://{host}{path}" + (f"?{urlencode(query)}" if query else "")


def looks_like_id(value: str) -> bool:
    """An opaque id rather than a word ("trending", "unknown"): it has a digit, or is
    8+ characters of mixed case (like YouTube's)."""
    if not _ID_VALUE.fullmatch(value):
        return False
    if _DIGIT.search(value):
        return True
    return len(value) >= 8 and value != value.lower() and value != value.upper()


def _url_ids(url: str) -> tuple[set[str], set[str]]:
    """(content ids, handles) a normalized platform URL carries."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    ids: set[str] = set()
    handles = {s[1:].lower() for s in segments[:2] if s.startswith("@") and len(s) > 2}
    for i, seg in enumerate(segments[:-1]):
        if seg.lower() in _ID_SEGMENTS and looks_like_id(segments[i + 1]):
            ids.add(segments[i + 1])
    if parts.hostname == "youtu.be" and segments and looks_like_id(segments[0]):
        ids.add(segments[0])
    for key, value in parse_qsl(parts.query):
        if key.lower() in _ID_PARAMS and looks_like_id(value):
            ids.add(value)
    return ids, handles


def extract_signals(texts: Iterable[str | None]) -> Signals:
    """URLs, @handles and content ids found in `texts` (title, body, tags, content URL)."""
    urls: set[str] = set()
    handles: set[str] = set()
    ids: set[str] = set()
    for text in texts:
        if not text:
            continue
        text = text[:SIGNAL_TEXT_CAP]
        for match in _URL.finditer(text):
            url = normalize_url(match.group())
            if url is None:
                continue
            urls.add(url)
            url_ids, url_handles = _url_ids(url)
            ids |= url_ids
            handles |= url_handles
        handles.update(h.lower() for h in _HANDLE.findall(_URL.sub(" ", text)))
        ids.update(_LONG_NUMBER.findall(text))
        ids.update(i for i in _NAMED_ID.findall(text) if looks_like_id(i))
    return Signals(frozenset(urls), frozenset(handles), frozenset(ids))


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Lowercase words without diacritics (close to FTS5's unicode61 tokens)."""
    return _WORD.findall(_fold(text))


def shingles(text: str) -> frozenset[tuple[str, str]]:
    w = words(text[:SIMILARITY_TEXT_CAP])
    if len(w) < 2:
        return frozenset((x, "") for x in w)
    return frozenset(pairwise(w))


def similarity(a: frozenset[tuple[str, str]], b: frozenset[tuple[str, str]]) -> float:
    """Jaccard of word pairs: 1.0 for the same text, low for a reworded one."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _phrase(text: str) -> str:
    """An FTS5 query matching `text`'s tokens as a phrase (no operators can leak in)."""
    return '"' + text.replace('"', " ") + '"'


def _fts_ids(db: sqlite3.Connection, query: str, limit: int, ranked: bool = False
             ) -> list[int]:
    order = "rank" if ranked else "rowid DESC"
    try:
        return [r[0] for r in db.execute(
            f"SELECT rowid FROM escalation_fts WHERE escalation_fts MATCH ? "
            f"ORDER BY {order} LIMIT ?", (query, limit))]
    except sqlite3.OperationalError:  # a query FTS5 cannot parse: no candidates from it
        return []


def _doc_count(db: sqlite3.Connection, term: str) -> int:
    return int(db.execute(
        "SELECT count(*) FROM (SELECT 1 FROM escalation_fts WHERE escalation_fts MATCH ? "
        "LIMIT ?)", (_phrase(term), DF_CAP)).fetchone()[0])


def rare_terms(db: sqlite3.Connection, text: str) -> list[tuple[int, str]]:
    """(documents holding it, term) for the text's rarest terms, rarest first; a count
    stops at DF_CAP. Terms found only in this escalation are left out."""
    seen: dict[str, None] = {}
    # URLs are searched as URLs; their pieces (https, com, utm_source) are noise here.
    for w in words(_URL.sub(" ", text[:SIMILARITY_TEXT_CAP])):
        if len(w) >= (4 if w.isdigit() else 3):
            seen.setdefault(w)
    # Words with digits (references, handles, ids), then longer words, tend to be rarer:
    # probe those first, within a fixed budget.
    probes = sorted(seen, key=lambda w: (not any(c.isdigit() for c in w), -len(w)))
    probes = probes[:MAX_PROBES]
    counts = [(_doc_count(db, t), t) for t in probes]
    return sorted(((c, t) for c, t in counts if c >= 2), key=lambda ct: (ct[0], -len(ct[1])))


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    channel_id: int
    channel: str
    title: str
    body: str
    tags: str
    content_url: str | None

    def signal_texts(self) -> tuple[str | None, ...]:
        return (self.title, self.body, self.tags, self.content_url)

    def text(self) -> str:
        return f"{self.title}\n{self.body}"


def _rows(db: sqlite3.Connection, ids: Sequence[int]) -> list[_Row]:
    out: list[_Row] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out.extend(_Row(*r) for r in db.execute(
            "SELECT e.id, e.channel_id, c.name, e.title, substr(e.body, 1, ?), e.tags, "
            "e.content_url FROM escalation e JOIN channel c ON c.id = e.channel_id "
            f"WHERE e.id IN ({', '.join('?' * len(chunk))})", (SIGNAL_TEXT_CAP, *chunk)))
    return out


def _content_url_indexed(db: sqlite3.Connection) -> bool:
    for _seq, index, *_rest in db.execute("PRAGMA index_list(escalation)"):
        quoted = '"' + str(index).replace('"', '""') + '"'
        cols = [r[2] for r in db.execute(f"PRAGMA index_info({quoted})")]
        if cols[:1] == ["content_url"]:
            return True
    return False


def _first(preferred: frozenset[str], others: frozenset[str]) -> list[str]:
    """Up to MAX_SIGNALS values, the preferred ones first (each group sorted: stable)."""
    return [*sorted(preferred), *sorted(others - preferred)][:MAX_SIGNALS]


def candidate_ids(db: sqlite3.Connection, me: _Row, signals: Signals) -> set[int]:
    """Ids that may be duplicates of `me`: a few bounded FTS queries, never a scan."""
    found: set[int] = set()
    reported = extract_signals([me.content_url])  # what the channel says it is about
    for url in _first(reported.urls, signals.urls):
        parts = urlsplit(url)
        found.update(_fts_ids(db, _phrase(f"{parts.netloc} {parts.path}"), PER_SIGNAL_LIMIT))
    for cid in _first(reported.content_ids, signals.content_ids):
        found.update(_fts_ids(db, _phrase(cid), PER_SIGNAL_LIMIT))
    for handle in _first(reported.handles, signals.handles):
        found.update(_fts_ids(db, _phrase(handle), PER_SIGNAL_LIMIT))
    if me.content_url and _content_url_indexed(db):
        found.update(r[0] for r in db.execute(
            "SELECT id FROM escalation WHERE content_url = ? LIMIT ?",
            (me.content_url, PER_SIGNAL_LIMIT)))
    terms = rare_terms(db, me.text())
    rare = [t for c, t in terms if c < DF_CAP][:MAX_TEXT_TERMS]
    common = [t for c, t in terms if c >= DF_CAP]
    if len(rare) >= 2:  # ranked by how many rare terms they share (bm25)
        found.update(_fts_ids(db, " OR ".join(_phrase(t) for t in rare), TEXT_LIMIT,
                              ranked=True))
    elif rare and common:  # texts with the rare term, ranked by the common ones
        context = " OR ".join(_phrase(t) for t in common[:MAX_TEXT_TERMS])
        found.update(_fts_ids(db, f"{_phrase(rare[0])} AND ({context})", TEXT_LIMIT,
                              ranked=True))
    else:  # only common words: texts holding all of a handful of them, newest first;
        # two disjoint handfuls, so that one edited word does not hide a near-copy
        for group in (common[:AND_TERMS], common[AND_TERMS:2 * AND_TERMS]):
            if len(group) >= 3:
                found.update(_fts_ids(db, " AND ".join(_phrase(t) for t in group),
                                      TEXT_LIMIT))
    found.discard(me.id)
    return found


def _score(me: _Row, mine: Signals, rare_handles: frozenset[str],
           my_text: frozenset[tuple[str, str]], other: _Row) -> tuple[float, list[str]]:
    """(score, reasons); no reasons when nothing but a common handle is shared (a busy
    account reported many times is not evidence of a duplicate)."""
    theirs = extract_signals(other.signal_texts())
    weights: list[float] = []
    reasons: list[str] = []
    urls = sorted(mine.urls & theirs.urls)
    for i, url in enumerate(urls[:2]):
        weights.append(W_URL if i == 0 else W_URL / 4)
        reasons.append(f"same URL {url}")
    ids = [c for c in sorted(mine.content_ids & theirs.content_ids)
           if not any(c in u for u in urls)]  # already said by "same URL"
    for i, cid in enumerate(ids[:2]):
        weights.append(W_CONTENT_ID if i == 0 else W_CONTENT_ID / 4)
        reasons.append(f"same content id {cid}")
    ratio = similarity(my_text, shingles(other.text()))
    if ratio >= NEAR_IDENTICAL:
        weights.append(W_TEXT * ratio)
        reasons.append(f"near-identical text ({int(ratio * 100)}%)")
    handles = sorted(mine.handles & theirs.handles, key=lambda h: (h not in rare_handles, h))
    if not weights and not (handles and handles[0] in rare_handles):
        return 0.0, []
    for i, handle in enumerate(handles[:2]):
        weight = W_RARE_HANDLE if handle in rare_handles else W_HANDLE
        weights.append(weight if i == 0 else weight / 2)
        reasons.append(f"same handle @{handle}")
    miss = 1.0
    for w in weights:
        miss *= 1.0 - w
    score = 1.0 - miss
    if other.channel_id == me.channel_id:
        score *= SAME_CHANNEL_FACTOR
    return score, reasons


def suggest_duplicates(db: sqlite3.Connection, escalation_id: int, limit: int = 5
                       ) -> list[DuplicateSuggestion]:
    """Up to `limit` escalations that look like duplicates of `escalation_id`, best first
    (other channels before the same channel at equal evidence). Never the escalation
    itself; empty when it is not in the cache."""
    found = _rows(db, [escalation_id])
    if not found or limit <= 0:
        return []
    me = found[0]
    mine = extract_signals(me.signal_texts())
    my_text = shingles(me.text())
    rare_handles = frozenset(h for h in _first(frozenset(), mine.handles)
                             if _doc_count(db, h) < RARE_HANDLE_DF)
    scored: list[tuple[float, int, DuplicateSuggestion]] = []
    for other in _rows(db, sorted(candidate_ids(db, me, mine))):
        if other.id == me.id:
            continue
        score, reasons = _score(me, mine, rare_handles, my_text, other)
        if reasons:
            suggestion = DuplicateSuggestion(
                other.id, other.channel, other.title, round(score, 3), tuple(reasons),
                other.channel_id == me.channel_id)
            scored.append((-score, -other.id, suggestion))
    scored.sort(key=lambda s: (s[0], s[1]))
    return [s for _score_key, _id_key, s in scored[:limit]]
