"""Pagination and incremental-sync state, kept in the engine's opaque cursor as JSON.

A *pass* walks the list endpoint from its first page to its last. The cursor of a page in
the middle of a pass holds the position (page number, offset, next token or next URL);
the cursor of the last page holds only the high-water mark: the newest `updated_at` the
server reported (never the local clock), so the next pass asks for records updated since
that mark minus the overlap window. With a cursor that is not a time (config
`list.incremental.field` or `.token`), `mark` carries the highest record value seen, or
the server's last sync token, instead. A cursor written for another config (a different
endpoint or pagination) is treated as expired: the engine then resyncs from the start.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import msgspec

from ..contract import CursorExpired
from .config import RestConfig

CURSOR_VERSION = 1


class _Cursor(msgspec.Struct, omit_defaults=True):
    v: int
    fp: str
    hw: int | None = None  # high-water mark, epoch ms
    since: int | None = None  # the lower bound of the pass in progress, epoch ms
    page: int | None = None
    offset: int | None = None
    token: str | None = None
    url: str | None = None
    last: str | None = None  # digest of the previous page's ids (loop guard)
    t0: int | None = None  # the server's Date at the start of the pass, epoch ms
    mark: str | None = None  # a non-time high-water mark (record value or server token)
    smark: str | None = None  # the mark the pass in progress asked from


@dataclass(frozen=True, slots=True)
class PassState:
    """Where a pull is: `started` False = the next pull begins a new pass."""

    hw: int | None = None
    since: int | None = None
    started: bool = False
    page: int = 0
    offset: int = 0
    token: str | None = None
    url: str | None = None
    last: str | None = None
    t0: int | None = None
    mark: str | None = None
    since_mark: str | None = None


def fingerprint(cfg: RestConfig, base_url: str) -> str:
    """Changes when what a cursor means changes (endpoint, params, pagination) and when
    records would map differently (fields, values, defaults): a fixed value map then
    re-reads the records it used to quarantine, instead of waiting for them to change."""
    parts: list[Any] = [base_url, cfg.listing, cfg.pagination, cfg.fields, cfg.values,
                        cfg.defaults]
    if cfg.expand or cfg.schema_version > 1:  # (v1 fingerprints stay what they were)
        parts += [cfg.expand, cfg.schema_version]
    data = msgspec.json.encode(parts)
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def decode_cursor(cursor: str | None, fp: str, name: str) -> PassState:
    if not cursor:
        return PassState()
    try:
        c = msgspec.json.decode(cursor, type=_Cursor)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise CursorExpired(f"{name}: the saved sync position is unreadable; resyncing") \
            from None
    if c.v != CURSOR_VERSION or c.fp != fp:
        raise CursorExpired(f"{name}: the channel's config changed; resyncing from the start")
    started = any(x is not None for x in (c.page, c.offset, c.token, c.url))
    return PassState(c.hw, c.since, started, c.page or 0, c.offset or 0, c.token, c.url,
                     c.last, c.t0, c.mark, c.smark)


def encode_cursor(state: PassState, fp: str) -> str:
    c = _Cursor(CURSOR_VERSION, fp, state.hw, mark=state.mark)
    if state.started:
        c.since, c.page, c.offset, c.token, c.url, c.last, c.t0, c.smark = (
            state.since, state.page, state.offset, state.token, state.url, state.last,
            state.t0, state.since_mark)
    return msgspec.json.encode(c).decode()


def begin_pass(cfg: RestConfig, state: PassState) -> PassState:
    """The first request of a pass: since = high-water mark - overlap (when incremental)."""
    inc = cfg.listing.incremental
    since = None
    if inc is not None and state.hw is not None and not is_mark(cfg):
        since = state.hw - inc.overlap_seconds * 1000
    p = cfg.pagination
    page = p.first_page if p.style == "page" else 0
    return PassState(state.hw, since, True, page, 0, None, None, None, mark=state.mark,
                     since_mark=state.mark if is_mark(cfg) else None)


def is_mark(cfg: RestConfig) -> bool:
    """Incremental by a record value or a server token, not by time."""
    inc = cfg.listing.incremental
    return inc is not None and bool(inc.field or inc.token)


def mark_key(value: str) -> tuple[int, int, str]:
    """Order of marks: whole numbers by value, below any text; text by code point."""
    text = value.strip()
    if text.isdigit():
        return (0, int(text), "")
    return (1, 0, value)


def mark_value(value: Any) -> str | None:
    """A record value or token usable as a mark (text or a whole number), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return str(int(value))
    if isinstance(value, str) and value and len(value) <= 2048:
        return value
    return None


def format_since(ms: int, fmt: str) -> str:
    if fmt == "epoch_ms":
        return str(ms)
    if fmt == "epoch_s":
        return str(ms // 1000)
    dt = datetime.fromtimestamp(ms / 1000, UTC)
    if fmt == "iso":
        return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return dt.strftime(fmt)


def list_params(cfg: RestConfig, state: PassState, size: int | None = None) -> dict[str, str]:
    """Query parameters of a list request (not used when following a Link URL)."""
    p = cfg.pagination
    params = dict(cfg.listing.params)
    if p.size_param:
        params[p.size_param] = str(size or p.page_size)
    if p.style == "page":
        params[p.page_param] = str(state.page)
    elif p.style == "offset":
        params[p.offset_param] = str(state.offset)
    elif p.style == "cursor" and state.token:
        params[p.cursor_param] = state.token
    inc = cfg.listing.incremental
    if inc is not None and state.since is not None:
        params[inc.param] = format_since(state.since, inc.format)
    if inc is not None and state.since_mark is not None:
        params[inc.param] = state.since_mark
    return params


def page_digest(ids: list[str | None]) -> str:
    return hashlib.blake2b(repr(ids).encode(), digest_size=8).hexdigest()


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What one answer says about where the list goes next."""

    count: int  # records in the answer (valid or not)
    digest: str
    has_more: bool | None = None
    total: int | None = None
    next_token: str | None = None
    next_url: str | None = None
    mark: str | None = None  # the highest record value, or the answer's sync token


def advance(cfg: RestConfig, state: PassState, facts: PageFacts, hw: int | None,
            ) -> tuple[PassState, bool, str | None]:
    """(next state, done, problem): `problem` is a sentence when the server keeps sending
    the same page or cursor, so a pass cannot loop forever."""
    p = cfg.pagination
    state = replace(state, hw=hw, mark=facts.mark if facts.mark is not None else state.mark)
    done = facts.has_more is False
    loop = None
    if p.style == "none":
        done = True
    elif p.style in ("page", "offset"):
        seen = state.offset + facts.count
        done = done or facts.count == 0 or (facts.total is not None and seen >= facts.total) \
            or (p.short_page_ends and facts.count < p.page_size)
        if not done and facts.digest == state.last:
            param, at = (p.page_param, state.page) if p.style == "page" else \
                (p.offset_param, state.offset)
            loop = (f"the server sent the same records for {param}={at} as for the page "
                    "before: it seems to ignore that parameter; check pagination")
        state = replace(state, page=state.page + 1, offset=seen, last=facts.digest)
    elif p.style == "cursor":
        token = facts.next_token
        done = done or not token
        if not done and token == state.token:
            loop = "the server sent the same cursor again; check pagination.next_cursor"
        state = replace(state, token=token)
    else:  # link, next_link
        done = done or not facts.next_url
        if not done and facts.next_url == state.url:
            loop = "the server's Link rel=\"next\" points at the same page again" \
                if p.style == "link" else \
                "the answer's next link points at the same page again; check " \
                "pagination.next_link"
        state = replace(state, url=facts.next_url)
    if done:
        # Records changed while this pass ran may carry times below the newest one seen:
        # never start the next pass later than the server's time when this one began.
        if hw is not None and state.t0 is not None:
            hw = min(hw, state.t0)
        return PassState(hw=hw, mark=state.mark), True, None
    return state, False, loop


def high_water(current: int | None, updated: list[datetime]) -> int | None:
    best = current
    for dt in updated:
        ms = int(dt.timestamp() * 1000)
        if best is None or ms > best:
            best = ms
    return best


def value_as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def value_as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, int):
        return value != 0
    return None
