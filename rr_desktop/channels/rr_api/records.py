"""The service's records as this channel reads them (rr_desktop/demo/openapi.yaml): a
changes-feed page and each escalation in it, validated into an `Incoming` or kept as a
`Quarantined` with the reason. Pure functions, no I/O."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

import msgspec

from ...domain import (
    Escalation,
    Fact,
    Incoming,
    PolicyCategory,
    Quarantined,
    ReporterType,
    Severity,
    Status,
    Urgency,
    normalize_market,
    region_of,
)
from ..json_split import NotSplittable, split_items, strip_bom

_M = TypeVar("_M", bound=Enum)
MAX_ID = 200
MAX_TITLE = 2_000
MAX_TAGS = 64


class _Reporter(msgspec.Struct):
    name: str
    type: str


class _Reach(msgspec.Struct):
    views: int = 0
    shares: int = 0


class _Fact(msgspec.Struct):
    at: datetime
    text: str
    author: str = ""


class _Record(msgspec.Struct):
    id: str
    version: int
    created_at: datetime
    updated_at: datetime
    title: str
    body: str
    reporter: _Reporter
    category: str
    market: str
    language: str
    severity: str
    urgency: str
    status: str
    assignee: str | None = None
    tags: list[str] = []
    deadline_at: datetime | None = None
    reach: _Reach = msgspec.field(default_factory=_Reach)
    content_url: str | None = None
    facts: list[_Fact] = []


class _Page(msgspec.Struct):
    items: list[msgspec.Raw]
    next_cursor: str
    has_more: bool
    server_time: datetime | None = None


_record_decoder = msgspec.json.Decoder(_Record)
# Dict lookups instead of Enum(value) calls: a third of validation time at 100k records.
_REPORTER = {m.value: m for m in ReporterType}
_CATEGORY = {m.value: m for m in PolicyCategory}
_STATUS = {m.value: m for m in Status}
_SEVERITY = {m.name: m for m in Severity}
_URGENCY = {m.name: m for m in Urgency}


def _member(table: dict[str, _M], value: str, what: str) -> _M:
    try:
        return table[value]
    except KeyError:
        raise ValueError(f"{what} {value[:40]!r} is not one we know") from None
_page_decoder = msgspec.json.Decoder(_Page)
object_decoder = msgspec.json.Decoder(dict[str, Any])


def _aware(dt: datetime, what: str) -> datetime:
    if dt.tzinfo is None:
        raise ValueError(f"{what} has no time zone")
    return dt


def to_record(raw: bytes) -> Escalation:
    """Validate one wire record; ValueError/msgspec errors say what is wrong."""
    return _escalation(_record_decoder.decode(raw))


def to_record_leniently(raw: bytes, refusal: msgspec.DecodeError) -> Escalation:
    """`to_record` for JSON that msgspec refused (`refusal`) but Python's json reads: a
    lone surrogate escape, bytes that are not UTF-8 inside a string (carried as
    surrogateescape). Ingest's text boundary then makes every string valid UTF-8
    (store/storable.py). Raises `refusal` if the bytes are not JSON at all."""
    try:
        data = json.loads(raw.decode("utf-8", "surrogateescape"))
    except (ValueError, RecursionError):
        raise refusal from None
    return _escalation(msgspec.convert(data, _Record))


def _escalation(w: _Record) -> Escalation:
    if not w.id or len(w.id) > MAX_ID:
        raise ValueError("id is empty or too long")
    if len(w.title) > MAX_TITLE:
        raise ValueError(f"title is {len(w.title)} characters (max {MAX_TITLE})")
    if len(w.tags) > MAX_TAGS or any(not t or len(t) > 100 or " " in t for t in w.tags):
        raise ValueError("tags are not a list of short words")
    if w.version < 0 or w.reach.views < 0 or w.reach.shares < 0:
        raise ValueError("negative version or reach")
    market = normalize_market(w.market)
    return Escalation(
        external_id=w.id, remote_version=w.version, title=w.title, body=w.body,
        reporter=w.reporter.name,
        reporter_type=_member(_REPORTER, w.reporter.type, "reporter type"),
        category=_member(_CATEGORY, w.category, "category"), market=market,
        region=region_of(market), language=w.language[:35],
        severity=_member(_SEVERITY, w.severity, "severity"),
        urgency=_member(_URGENCY, w.urgency, "urgency"),
        status=_member(_STATUS, w.status, "status"),
        created_at=_aware(w.created_at, "created_at"),
        updated_at=_aware(w.updated_at, "updated_at"), assignee=w.assignee or None,
        tags=tuple(w.tags),
        deadline_at=_aware(w.deadline_at, "deadline_at") if w.deadline_at else None,
        views=w.reach.views, shares=w.reach.shares, content_url=w.content_url,
        facts=tuple(Fact(_aware(f.at, "fact time"), f"{f.author}: {f.text}" if f.author
                         else f.text) for f in w.facts),
    )


def _external_id(raw: bytes) -> str | None:
    try:
        value = object_decoder.decode(raw).get("id")
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    return value[:MAX_ID] if isinstance(value, str) else None


def as_text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


_INVALID = (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError)


def validate(raw: bytes) -> Incoming | Quarantined:
    try:
        try:
            record = to_record(raw)
        except msgspec.DecodeError as refusal:
            record = to_record_leniently(raw, refusal)
    except _INVALID as exc:
        return Quarantined.of(_external_id(raw), str(exc) or type(exc).__name__, as_text(raw))
    return Incoming(record, hashlib.blake2b(raw, digest_size=16).hexdigest(), raw)


def decode_page(body: bytes) -> tuple[_Page, list[bytes]]:
    """The page and its records' bytes. A page msgspec refuses as a whole is split record
    by record (channels/json_split.py), so what is wrong inside one record is that
    record's problem; raises when the page itself is broken."""
    body = strip_bom(body)
    try:
        page = _page_decoder.decode(body)
        return page, [bytes(raw) for raw in page.items]
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        try:
            split = split_items(body)
            envelope = _page_decoder.decode(split.envelope)
        except (NotSplittable, msgspec.DecodeError, msgspec.ValidationError,
                RecursionError):
            raise exc from None
        return envelope, split.items
