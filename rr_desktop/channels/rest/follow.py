"""Linked sub-resources of a record (config `expand`): one follow-up request per record and
link, paced, cached, and added to the record before it is mapped.

A follow-up goes through the channel's own `send`, so it carries the channel's auth,
stays on base_url's origin (a hostile record linking elsewhere gets a Rejected, never
the token) and maps statuses like every other request. What the follow-up answers:
- a value: added to the record under `as`;
- a refusal of that one resource (404, another host, a 4xx): the record is quarantined
  with the sentence, so nothing is stored half-read; it is tried again when it changes;
- anything that may pass (429, 5xx, network, credentials): raised, so the engine retries
  the page; answers fetched so far stay in the cache and are not asked for again.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import msgspec

from ..contract import Rejected
from .config import Follow
from .expressions import Path, compile_path
from .jsonpath import MISSING

if TYPE_CHECKING:
    from .client import RestChannel

CACHE_ENTRIES = 5_000
CACHE_BYTES = 32 * 1024 * 1024  # all cached answers together (JSON-encoded size)
ENTRY_BYTES = 1024 * 1024  # a bigger answer is used but not kept
_ABSENT = object()


class AnswerCache(OrderedDict[tuple[str, str], tuple[Any, int]]):
    """Follow-up answers by (URL, record digest or ""): (value, its size in bytes), least
    recently used first; `total_bytes` is the total size."""

    total_bytes = 0


class FollowUpError(ValueError):
    """One record's linked resource was refused: the record goes to quarantine."""


class Pacer:
    """At most `per_second` requests a second (a minimum gap between two), measured on a
    monotonic clock; sleeps the difference."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.gap = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._last: float | None = None
        self.waited = 0.0

    def wait(self) -> None:
        now = self._clock()
        if self._last is not None and now - self._last < self.gap:
            pause = self.gap - (now - self._last)
            self._sleep(pause)
            self.waited += pause
            now = self._clock()
        self._last = now


class _One:
    """One `expand` entry, compiled."""

    def __init__(self, follow: Follow, version: int,
                 clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self.follow = follow
        self.source: Path = compile_path(follow.source, version)
        self.item: Path = compile_path(follow.item, version)
        self.pacer = Pacer(follow.per_second, clock, sleep)


class FollowUps:
    """The `expand` entries of one record shape, with one cache for the channel."""

    def __init__(self, channel: RestChannel, follows: tuple[Follow, ...],
                 cache: AnswerCache,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.ch = channel
        version = channel.cfg.schema_version
        self.entries = [_One(f, version, clock, sleep) for f in follows]
        self.cache = cache
        self.requests = 0

    def __bool__(self) -> bool:
        return bool(self.entries)

    def expand(self, record: Any, external_id: str | None) -> Any:
        """`record` with every linked value added; FollowUpError when one is refused."""
        if not self.entries or not isinstance(record, dict):
            return record
        out = dict(record)
        digest = ""
        for one in self.entries:
            link = one.source.get(record)
            if link is MISSING or link is None or isinstance(link, (bool, dict, list)):
                continue  # nothing linked: fields using it fall back to defaults
            url = self._url(one.follow, link, external_id)
            digest = digest or _digest(record)
            key = (url, digest if one.follow.cache == "record" else "")
            refused = ("!" + url, digest)  # a refusal holds until the record changes
            kept = self.cache.get(key) or self.cache.get(refused)
            value = kept[0] if kept is not None else _ABSENT
            if value is _ABSENT:
                try:
                    value = self._fetch(one, url)
                except FollowUpError as exc:
                    self._keep(refused, exc)
                    raise
                self._keep(key, value)
            for k in (key, refused):
                if k in self.cache:
                    self.cache.move_to_end(k)
            if isinstance(value, FollowUpError):
                raise FollowUpError(str(value))
            if value is not MISSING:
                out[one.follow.name] = value
        return out

    def _keep(self, key: tuple[str, str], value: Any) -> None:
        size = len(_encode_sorted.encode(str(value) if isinstance(value, Exception)
                                         else value))
        if size > ENTRY_BYTES:
            return
        old = self.cache.pop(key, None)
        if old is not None:
            self.cache.total_bytes -= old[1]
        self.cache[key] = (value, size)
        self.cache.total_bytes += size
        while len(self.cache) > CACHE_ENTRIES or self.cache.total_bytes > CACHE_BYTES:
            _, (_, dropped) = self.cache.popitem(last=False)
            self.cache.total_bytes -= dropped

    @staticmethod
    def _url(follow: Follow, link: Any, external_id: str | None) -> str:
        text = str(link)
        if not follow.path:
            if text.startswith(("https://", "http://", "/")):
                return text
            raise FollowUpError(f"expand {follow.name}: {text[:80]!r} at "
                                f"{follow.source!r} is not a URL (give expand.path)")
        segment = quote(text, safe="")
        if segment in (".", ".."):
            segment = segment.replace(".", "%2E")
        ident = quote(external_id or "", safe="")
        return follow.path.replace("{value}", segment).replace("{id}", ident)

    def _fetch(self, one: _One, url: str) -> Any:
        one.pacer.wait()
        self.requests += 1
        try:
            resp = self.ch.send("GET", url)
        except Rejected as exc:
            raise FollowUpError(f"expand {one.follow.name}: {exc}") from None
        doc = self.ch.json(resp, f"linked {one.follow.name}")
        return one.item.get(doc)


_encode_sorted = msgspec.json.Encoder(order="sorted")


def _digest(record: dict[str, Any]) -> str:
    return hashlib.blake2b(_encode_sorted.encode(record), digest_size=12).hexdigest()
