"""Reading what surge detection needs from the cache (domain/surge.py, docs/surges.md).

    recent_arrivals(db, now) -> list[Arrival]      the last RECENT_WINDOW_S, signals extracted
    baseline(db, now) -> Baseline                   arrivals per category+market before it
    find_surges(db, now, dismissals) -> list[SurgeSuggestion]

Both reads (the recent window, and the same hours on each of the week's days before it
for the baseline) walk `ix_escalation_triage` (priority, created_at, ...): with the priority
spelled out (`priority IN (0..4)`) SQLite seeks one created_at range per priority, so
only the window's index entries are read, never the table (docs/performance.md). The
baseline's count reads category and market from that index too. URLs and handles come
from title, body (capped), tags and content URL through the duplicate finder's extractor
(store/duplicates.py), plus profile URLs of a few social sites (`account_of_url`).

Dismissals are kept in `store_meta` (`surge.dismissed`, JSON), so a dismissed suggestion
stays dismissed across restarts; entries older than a day are dropped when one is added.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ..domain import Priority
from ..domain.surge import (
    BASELINE_DAYS,
    RECENT_WINDOW_S,
    Arrival,
    Baseline,
    Dismissal,
    SurgeSuggestion,
    detect,
)
from .duplicates import SIGNAL_TEXT_CAP, extract_signals

MAX_RECENT = 20_000
"""At most this many of the newest arrivals are read (an import of a whole backlog dated
'now' must not make detection slow)."""
MEMO_CAP = 50_000
DISMISSED_KEY = "surge.dismissed"
DISMISSAL_TTL_S = 86400

_PRIORITIES = ", ".join(str(int(p)) for p in Priority)
_WINDOW = (f"FROM escalation e INDEXED BY ix_escalation_triage "
           f"WHERE e.priority IN ({_PRIORITIES}) AND e.created_at >= ? AND e.created_at <= ?")
# Sites whose profile pages are https://host/<account> (and /<account>/status/... on X).
PROFILE_HOSTS = frozenset({"twitter.com", "x.com", "instagram.com", "facebook.com",
                           "threads.net", "tiktok.com", "t.me", "telegram.me"})
_NOT_ACCOUNTS = frozenset({
    "home", "explore", "search", "hashtag", "share", "sharer", "login", "signup", "i",
    "intent", "watch", "p", "reel", "reels", "stories", "video", "videos", "tag", "tags",
    "groups", "events", "pages", "messages", "notifications", "settings", "help",
    "policies", "privacy", "about", "legal", "tos", "s", "joinchat", "status", "live",
    "discover", "foryou", "trending", "story.php", "permalink.php", "profile.php",
    "photo.php", "watch.php", "l.php", "media", "direct", "accounts"})


def account_of_url(url: str) -> str | None:
    """The account a normalized profile URL names (`https://x.com/Budi_ID` -> budi_id;
    `https://instagram.com/budi.id/` too), or None. Only for PROFILE_HOSTS: elsewhere a
    one-segment path is a page, not a person. `/@handle` paths are read by the duplicate
    finder's extractor already."""
    parts = urlsplit(url)
    if (parts.hostname or "") not in PROFILE_HOSTS:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if not segments or segments[0].startswith("@"):
        return None
    name = segments[0].lower()
    if name in _NOT_ACCOUNTS or (len(segments) > 1 and segments[1].lower() != "status"):
        return None
    return name if 1 <= len(name) <= 64 else None


def signals_of(*texts: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """(URLs and content ids, accounts) named in `texts`. A URL without a path (a site,
    not a thing on it) is left out; a content id counts as a URL (youtu.be/X and
    youtube.com/watch?v=X are the same video)."""
    found = extract_signals(texts)
    urls = {u for u in found.urls if urlsplit(u).path not in ("", "/") or urlsplit(u).query}
    accounts = set(found.handles)
    for url in found.urls:
        account = account_of_url(url)
        if account is not None:
            accounts.add(account)
    return frozenset(urls | {f"content id {c}" for c in found.content_ids}), frozenset(accounts)


class SignalMemo:
    """URLs and accounts per escalation version (id, updated_at), kept between checks:
    after a sync only the window's new and changed escalations have their text read and
    scanned again. Holds at most MEMO_CAP versions (the oldest go first). Not
    thread-safe: one check at a time uses it."""

    def __init__(self, cap: int = MEMO_CAP) -> None:
        self.cap = cap
        self._known: dict[tuple[int, int], tuple[frozenset[str], frozenset[str]]] = {}

    def get(self, key: tuple[int, int]) -> tuple[frozenset[str], frozenset[str]] | None:
        return self._known.get(key)

    def put(self, key: tuple[int, int], value: tuple[frozenset[str], frozenset[str]]) -> None:
        self._known[key] = value
        while len(self._known) > self.cap:
            del self._known[next(iter(self._known))]

    def __len__(self) -> int:
        return len(self._known)


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start:start + 500] for start in range(0, len(ids), 500)]


def recent_arrivals(db: sqlite3.Connection, now: int, memo: SignalMemo | None = None,
                    extract: bool | None = None) -> list[Arrival]:
    """The escalations created in the RECENT_WINDOW_S before `now` (the newest
    MAX_RECENT), with the URLs and accounts they name. Those are read only when the
    window holds two or more channels (rule (b) needs two), or when `extract` says so;
    `memo` spares reading them again for escalations unchanged since the last check."""
    window = db.execute(f"SELECT e.id, e.channel_id {_WINDOW} ORDER BY e.created_at DESC "
                        "LIMIT ?", (now - RECENT_WINDOW_S, now, MAX_RECENT)).fetchall()
    if extract is None:
        extract = len({channel for _id, channel in window}) >= 2
    memo = memo if memo is not None else SignalMemo()
    rows: list[tuple[Any, ...]] = []
    for chunk in _chunks([esc_id for esc_id, _channel in window]):
        rows.extend(db.execute(
            "SELECT e.id, e.created_at, e.category, e.market, c.name, e.incident_id, "
            "e.status, e.duplicate_of, e.updated_at FROM escalation e JOIN channel c ON "
            f"c.id = e.channel_id WHERE e.id IN ({', '.join('?' * len(chunk))})", chunk))
    if extract:
        missing = [r[0] for r in rows if memo.get((r[0], r[8])) is None]
        for chunk in _chunks(missing):
            for esc_id, updated, title, body, tags, content_url in db.execute(
                    "SELECT e.id, e.updated_at, e.title, substr(e.body, 1, ?), e.tags, "
                    f"e.content_url FROM escalation e WHERE e.id IN "
                    f"({', '.join('?' * len(chunk))})", (SIGNAL_TEXT_CAP, *chunk)):
                memo.put((esc_id, updated), signals_of(title, body, tags, content_url))
    none: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
    out: list[Arrival] = []
    for esc_id, at, category, market, channel, incident, status, dup, updated in rows:
        urls, accounts = (memo.get((esc_id, updated)) or none) if extract else none
        out.append(Arrival(esc_id, at, category, market, channel, urls, accounts, incident,
                           status, dup))
    return out


def baseline(db: sqlite3.Connection, now: int) -> Baseline:
    """Arrivals per (category, market) in the same hours of the day (the
    RECENT_WINDOW_S before this time of day) on each of the BASELINE_DAYS days before,
    counting only days the cache's history covers."""
    oldest = db.execute(f"SELECT min(e.created_at) {_WINDOW}", (0, now)).fetchone()[0]
    counts: dict[tuple[str, str], int] = {}
    days = 0
    for day in range(1, BASELINE_DAYS + 1):
        end = now - day * 86400
        start = end - RECENT_WINDOW_S
        if oldest is None or start < int(oldest):
            break
        days += 1
        for cat, market, n in db.execute(
                f"SELECT e.category, e.market, count(*) {_WINDOW} AND e.created_at < ? "
                "GROUP BY e.category, e.market", (start, end, end)):
            key = (str(cat), str(market))
            counts[key] = counts.get(key, 0) + int(n)
    return Baseline(counts, days * RECENT_WINDOW_S, days)


def find_surges(db: sqlite3.Connection, now: datetime | int,
                dismissals: Mapping[str, Dismissal] | None = None,
                memo: SignalMemo | None = None) -> list[SurgeSuggestion]:
    """Surge suggestions at `now` (domain/surge.py: detect), dismissed ones left out
    (`dismissals`, or those kept in the cache when None). Pass the same `memo` to every
    check of a session."""
    now_s = now if isinstance(now, int) else int(now.timestamp())
    kept = load_dismissals(db) if dismissals is None else dismissals
    return detect(recent_arrivals(db, now_s, memo), baseline(db, now_s), now_s, kept)


def load_dismissals(db: sqlite3.Connection) -> dict[str, Dismissal]:
    row = db.execute("SELECT value FROM store_meta WHERE key = ?", (DISMISSED_KEY,)).fetchone()
    if row is None:
        return {}
    try:
        raw = json.loads(row[0])
        return {str(d["key"]): Dismissal(str(d["key"]), frozenset(int(i) for i in d["ids"]),
                                         int(d["at"])) for d in raw}
    except (ValueError, TypeError, KeyError):  # a damaged entry: forget dismissals
        return {}


def dismiss(db: sqlite3.Connection, suggestion: SurgeSuggestion, now: int) -> None:
    """Remember that the analyst dismissed `suggestion` (writes store_meta)."""
    kept = {k: d for k, d in load_dismissals(db).items() if now - d.at < DISMISSAL_TTL_S}
    kept[suggestion.key] = Dismissal(suggestion.key, frozenset(suggestion.ids), now)
    value = json.dumps([{"key": d.key, "ids": sorted(d.ids), "at": d.at}
                        for d in kept.values()])
    db.execute("INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO "
               "UPDATE SET value = excluded.value", (DISMISSED_KEY, value))
