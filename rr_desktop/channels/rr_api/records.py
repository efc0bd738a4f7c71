"""Channel `rr_api`: the platform's escalation service (rr_desktop/demo/openapi.yaml).

Pull: the changes feed `GET /v1/escalations?cursor=&limit=` (server-sequence cursor,
`has_more`). Push: `PATCH` with `If-Match` for field edits, with a decline's reason and a
duplicate's canonical (412 = conflict with the current record); `POST .../notes|replies|
facts` with `Idempotency-Key` = the op id (a fact returns the record, a new version).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

import msgspec
import requests

from ...domain import (
    Analyst,
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
from ...domain.push import EVERYTHING
from ...http import redact
from ..contract import (
    ChannelError,
    MalformedPage,
    Mutation,
    Page,
    PushResult,
    Rejected,
    ServerError,
    VersionConflict,
)
from ..json_split import NotSplittable, split_items, strip_bom
from ..registry import ChannelSpec, FieldSpec, SecretLookup, register
from ..transport import Transport, path_segment

_M = TypeVar("_M", bound=Enum)
KIND = "rr_api"
PAGE_SIZE = 500
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


class _Analyst(msgspec.Struct):
    id: str
    name: str
    email: str = ""
    languages: list[str] = []
    markets: list[str] = []


class _Analysts(msgspec.Struct):
    items: list[_Analyst]


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
# Outbox message kinds and the collection each is posted to (openapi.yaml).
_MESSAGE_PATHS = {"note": "notes", "reply": "replies"}
_id_decoder = msgspec.json.Decoder(dict[str, Any])


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
        value = _id_decoder.decode(raw).get("id")
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    return value[:MAX_ID] if isinstance(value, str) else None


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


_INVALID = (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError)


def validate(raw: bytes) -> Incoming | Quarantined:
    try:
        try:
            record = to_record(raw)
        except msgspec.DecodeError as refusal:
            record = to_record_leniently(raw, refusal)
    except _INVALID as exc:
        return Quarantined.of(_external_id(raw), str(exc) or type(exc).__name__, _text(raw))
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


class RrApiChannel:
    """Client of the platform escalation service; one instance per configured channel.
    Its source receives every kind of change (openapi.yaml)."""

    pushes = EVERYTHING

    def __init__(self, name: str, base_url: str, token: str, page_size: int = PAGE_SIZE,
                 session: requests.Session | None = None) -> None:
        self.name = name
        self._base = base_url.rstrip("/")
        self._page_size = page_size
        self._http = Transport(name, base_url, session, hook=self._wrong_url)
        self._http.session.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, write: bool = False,
              **kwargs: Any) -> requests.Response:
        return self._http.call(method, path, write, ok=(412,), **kwargs)

    def _wrong_url(self, resp: requests.Response) -> None:
        if resp.status_code == 404 and resp.request.method == "GET" and \
                "/v1/escalations?" in (resp.request.path_url or ""):
            raise Rejected(f"{self.name}: {redact(self._base)} is not an escalation service "
                           "(404 for /v1/escalations): check the URL")

    def pull(self, cursor: str | None) -> Page:
        params: dict[str, str | int] = {"limit": self._page_size}
        if cursor:
            params["cursor"] = cursor
        resp = self._call("GET", "/v1/escalations", params=params)
        try:
            page, raws = decode_page(resp.content)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            raise MalformedPage(
                f"{self.name}: the server sent a malformed page ({exc})",
                Quarantined.of(None, f"malformed page: {exc}", _text(resp.content))) from exc
        items: list[Incoming] = []
        bad: list[Quarantined] = []
        for raw in raws:
            result = validate(raw)
            (items if isinstance(result, Incoming) else bad).append(result)  # type: ignore[arg-type]
        return Page(items, bad, page.next_cursor, not page.has_more, page.server_time)

    @staticmethod
    def cursor_position(cursor: str) -> int | None:
        """Where a cursor points in the server's change sequence: the service's cursors
        are "<instance>.<sequence number>" (opaque by contract; used only to notice a
        cursor that goes backwards)."""
        _, dot, seq = cursor.rpartition(".")
        return int(seq) if dot and seq.isdigit() and len(seq) <= 18 else None

    def check(self) -> None:
        """Test the connection and credentials (one 1-item page); raises a ChannelError
        whose message is the verdict (auth failed, unreachable, TLS error, wrong URL)."""
        resp = self._call("GET", "/v1/escalations", params={"limit": 1})
        try:
            decode_page(resp.content)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            raise Rejected(f"{self.name}: {redact(self._base)} answered, but not like an "
                           "escalation service: check the URL") from exc

    def fetch(self, external_id: str) -> Incoming:
        resp = self._call("GET", f"/v1/escalations/{path_segment(external_id)}")
        return self._incoming(resp.content)

    def _incoming(self, raw: bytes) -> Incoming:
        result = validate(raw)
        if isinstance(result, Quarantined):
            raise ServerError(f"{self.name}: the server sent an invalid record: {result.reason}")
        return result

    def push(self, mutation: Mutation) -> PushResult:
        path = f"/v1/escalations/{path_segment(mutation.external_id)}"
        if mutation.op_type == "update":
            body = {**mutation.payload, **{k: v for k, v in mutation.context.items()
                                           if k in ("status_reason", "duplicate_of")}}
            resp = self._call("PATCH", path, write=True, json=body,
                              headers={"If-Match": f'"{mutation.base_version}"'})
            if resp.status_code == 412:
                current = msgspec.json.encode(_id_decoder.decode(resp.content).get("current"))
                raise VersionConflict(f"{self.name}: changed on the server meanwhile",
                                      self._incoming(current))
            incoming = self._incoming(resp.content)
            return PushResult(incoming.record.remote_version, incoming)
        if mutation.op_type == "fact":  # joins the record's facts: a new version
            resp = self._call("POST", f"{path}/facts", write=True, json=mutation.payload,
                              headers={"Idempotency-Key": mutation.op_id})
            incoming = self._incoming(resp.content)
            return PushResult(incoming.record.remote_version, incoming)
        if mutation.op_type in _MESSAGE_PATHS:
            self._call("POST", f"{path}/{_MESSAGE_PATHS[mutation.op_type]}", write=True,
                       json=mutation.payload, headers={"Idempotency-Key": mutation.op_id})
            return PushResult(None)
        raise ChannelError(f"{self.name}: cannot push a {mutation.op_type!r}")

    def analysts(self) -> list[Analyst]:
        resp = self._call("GET", "/v1/analysts")
        try:
            data = msgspec.json.decode(resp.content, type=_Analysts)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            raise ServerError(f"{self.name}: malformed analyst list ({exc})") from exc
        return [Analyst(a.id, a.name, a.email, tuple(a.languages), tuple(a.markets))
                for a in data.items]


def _build(name: str, config: Mapping[str, str], secret: SecretLookup) -> RrApiChannel:
    token = secret("token")
    if not token:
        raise ChannelError(f"{name}: no token in the keyring; add the channel again")
    return RrApiChannel(name, config["base_url"], token)


SPEC = register(ChannelSpec(
    kind=KIND, label="Platform escalation service",
    description="The platform's own escalation API (rr_desktop/demo/openapi.yaml).",
    fields=(
        FieldSpec("base_url", "Base URL", help="e.g. https://escalations.internal.example"),
        FieldSpec("token", "API token", secret=True),
    ),
    build=_build,
))
