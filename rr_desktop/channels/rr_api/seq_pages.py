"""Pages of the service's numbered feeds (incident events, post-mortems): `after` a seq,
items in increasing `seq`, `next` and `has_more` (docs/incidents.md, docs/postmortems.md).

A page that is unusable as a whole (not JSON, not the documented shape, an item without
uid or seq, seqs out of order or not after `after`, `next` behind the last item,
`has_more` with nothing) is a MalformedPage with its raw text kept; an item that has its
uid and seq but fails the feed's own check is set aside with a sentence, the rest kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from ...domain import Quarantined
from ..contract import MalformedPage, Rejected
from ..transport import Transport
from .records import as_text

_decoder = msgspec.json.Decoder()
DECODE_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, RecursionError)


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed: where it is, its page's list key, what one item is called, the most a
    page may hold, and the check an item must pass (None: fine, else why not)."""

    path: str
    key: str
    one: str  # "incident event", "post-mortem"
    many: str  # "incidents", "post-mortems": what a service without the feed lacks
    max_limit: int
    check: Callable[[dict[str, Any]], str | None]


def decode(content: bytes) -> Any:
    return _decoder.decode(content)


def is_seq(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def missing_feed(http: Transport, feed: Feed) -> Rejected:
    return Rejected(f"{http.name}: the service does not keep {feed.many} (404 for "
                    f"{feed.path}): it may be older than this app, or the URL is wrong")


def read_page(http: Transport, feed: Feed, after: int, limit: int
              ) -> tuple[list[dict[str, Any]], int, bool, list[str]]:
    """(items, next, has_more, set-aside sentences) of the page after `after`."""
    if after < 0:
        raise ValueError("after must not be negative")
    limit = max(1, min(limit, feed.max_limit))
    resp = http.call("GET", feed.path, ok=(404,), params={"after": after, "limit": limit})
    if resp.status_code == 404:
        raise missing_feed(http, feed)

    def malformed(why: str) -> MalformedPage:
        return MalformedPage(f"{http.name}: the service sent a malformed page of {feed.one}s "
                             f"({why})", Quarantined.of(None, f"malformed {feed.one} page: "
                                                        f"{why}", as_text(resp.content)))

    try:
        data = decode(resp.content)
    except DECODE_ERRORS as exc:
        raise malformed(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise malformed("not a JSON object")
    raws, after_next, has_more = data.get(feed.key), data.get("next"), data.get("has_more")
    if not isinstance(raws, list):
        raise malformed(f"{feed.key} is not a list")
    if not isinstance(after_next, int) or not is_seq(after_next) or \
            not isinstance(has_more, bool):
        raise malformed("next must be a seq and has_more true or false")
    if has_more and not raws:
        raise malformed(f"has_more with no {feed.one}s would never end")
    items: list[dict[str, Any]] = []
    bad: list[str] = []
    last = after
    for i, raw in enumerate(raws):
        uid = raw.get("uid") if isinstance(raw, dict) else None
        seq = raw.get("seq") if isinstance(raw, dict) else None
        if not isinstance(uid, str) or not uid or not is_seq(seq):
            raise malformed(f"{feed.one} {i} has no uid or no seq")
        assert isinstance(raw, dict) and isinstance(seq, int)
        if seq <= last:
            raise malformed(f"{feed.one} {i} has seq {seq}, not after {last}")
        last = seq
        why = feed.check(raw)
        if why is None:
            items.append(raw)
        else:
            bad.append(f"{feed.one} {uid[:80]} (seq {seq}): {why}")
    if after_next < last:
        raise malformed(f"next is {after_next}, before the last {feed.one}'s seq {last}")
    return items, after_next, has_more, bad
