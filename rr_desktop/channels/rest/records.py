"""One JSON record of the tool -> an `Escalation`, as the config's field mapping says.

Anything unusable in a record (no id, a timestamp that is not one, an enum value the config
does not map) makes it a `Quarantined` with the reason; it never stops the page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

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
from ..html_text import html_to_text
from .config import Fields, RestConfig
from .expressions import Path, compile_path
from .jsonpath import MISSING

_T = TypeVar("_T")
MAX_ID = 200
MAX_TITLE = 1_000
MAX_SHORT = 200
MAX_TAGS = 64
MAX_FACTS = 200
MAX_FACT_TEXT = 4_000
_MS_THRESHOLD = 100_000_000_000  # epoch numbers above this are milliseconds (year 5138 in s)

_encode_sorted = msgspec.json.Encoder(order="sorted")


def epoch_ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def to_datetime(value: Any, what: str) -> datetime:
    """ISO 8601 text (naive = UTC) or Unix seconds / milliseconds -> aware UTC datetime."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what} is not a timestamp ({value!r})")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    try:
        if isinstance(value, (int, float)):
            seconds = value / 1000 if abs(value) >= _MS_THRESHOLD else value
            return datetime.fromtimestamp(seconds, UTC)
        if isinstance(value, str) and len(value) <= 64:
            dt = datetime.fromisoformat(value.strip())
            return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise ValueError(f"{what} is not a timestamp ({str(value)[:40]!r})")


def to_version(value: Any, what: str) -> int:
    """An integer version as is; a timestamp as epoch milliseconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{what} is negative")
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    return epoch_ms(to_datetime(value, what))


def _text(value: Any, what: str, cap: int | None) -> str:
    """A field as text; a body (cap None) is cut by the domain's Escalation."""
    if isinstance(value, (bool, dict, list)):
        raise ValueError(f"{what} is not text")
    text = value if isinstance(value, str) else str(value)
    if cap is not None and len(text) > cap:
        text = text[:cap] + f"\n[... truncated, {len(text)} characters in all]"
    return text


class _EnumMap:
    """Remote value -> domain value for one enum field (config `values` + `defaults`)."""

    def __init__(self, field: str, table: dict[str, str], default: str,
                 parse_value: Callable[[str], Any]) -> None:
        self.field = field
        self.parse_value = parse_value
        self.table = {k: parse_value(v) for k, v in table.items() if k != "*"}
        self.folded = {k.casefold(): v for k, v in self.table.items()}
        self.fallback = parse_value(table["*"]) if "*" in table else None
        self.default = parse_value(default) if default else None
        self.reverse: dict[Any, str] = {}
        for remote, local in self.table.items():
            self.reverse.setdefault(local, remote)

    def _lookup(self, raw: Any) -> Any:
        key = str(raw).lower() if isinstance(raw, bool) else str(raw)
        if key in self.table:
            return self.table[key]
        if key.casefold() in self.folded:
            return self.folded[key.casefold()]
        try:
            return self.parse_value(key)
        except ValueError:
            return MISSING

    def __call__(self, raw: Any) -> Any:
        if raw is MISSING or raw is None or raw == "" or raw == []:
            if self.default is None:
                raise ValueError(f"no {self.field} in the record and no defaults.{self.field}")
            return self.default
        candidates = raw if isinstance(raw, list) else [raw]
        for c in candidates:
            if isinstance(c, (dict, list)):
                continue
            found = self._lookup(c)
            if found is not MISSING:
                return found
        if self.fallback is not None:
            return self.fallback
        if isinstance(raw, list):  # e.g. labels, none of which says anything about it
            return self(MISSING)
        raise ValueError(f"{self.field} {str(raw)[:40]!r} is not in values.{self.field}")

    def remote(self, value: Any) -> Any:
        """The remote value to write for a domain value (first mapping wins)."""
        if value in self.reverse:
            return self.reverse[value]
        if self.table:
            raise KeyError(value)
        return value.name if isinstance(value, (Severity, Urgency)) else str(value)


class Mapper:
    """Validates records of one shape (the list's, or the single item's when it differs)
    into Incoming / Quarantined. `base` fills {base} in fields.link."""

    def __init__(self, cfg: RestConfig, fields: Fields | None = None,
                 base: str = "") -> None:
        f, d, v = fields or cfg.fields, cfg.defaults, cfg.values
        self.cfg = cfg
        self.fields = f
        self.base = base.rstrip("/")
        version = cfg.schema_version

        def p(text: str) -> Path | None:
            return compile_path(text, version) if text else None

        self.paths = {name: p(getattr(f, name)) for name in f.__struct_fields__
                      if isinstance(getattr(f, name), str)
                      and name not in ("body_format", "link")}
        # No version path (or the updated_at one): the version is updated_at in epoch ms.
        self.version = p(f.version) if f.version and f.version != f.updated_at else None
        self.enums = {
            "severity": _EnumMap("severity", v.severity, d.severity, Severity.parse),
            "urgency": _EnumMap("urgency", v.urgency, d.urgency, Urgency.parse),
            "status": _EnumMap("status", v.status, d.status, Status),
            "category": _EnumMap("category", v.category, d.category, PolicyCategory),
            "reporter_type": _EnumMap("reporter_type", v.reporter_type, d.reporter_type,
                                      ReporterType),
            "market": _EnumMap("market", v.market, d.market, normalize_market),
        }
        fm = f.facts
        self.facts = (compile_path(fm.path, version), compile_path(fm.at, version),
                      compile_path(fm.text, version), p(fm.author)) if fm else None

    def get(self, record: dict[str, Any], name: str) -> Any:
        path = self.paths.get(name)
        return MISSING if path is None else path.get(record)

    def external_id(self, record: Any) -> str | None:
        if not isinstance(record, dict):
            return None
        value = self.get(record, "id")
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return None
        text = str(value)
        return text if text and len(text) <= MAX_ID else None

    def validate(self, record: Any) -> Incoming | Quarantined:
        raw = _encode_sorted.encode(record)
        try:
            esc = self.escalation(record)
        except ValueError as exc:
            ext = self.external_id(record)
            return Quarantined.of(ext, str(exc) or type(exc).__name__,
                                  raw.decode("utf-8", errors="replace"))
        return Incoming(esc, hashlib.blake2b(raw, digest_size=16).hexdigest())

    def escalation(self, r: Any) -> Escalation:
        if not isinstance(r, dict):
            raise ValueError(f"the record is a JSON {type(r).__name__}, not an object")
        ext = self.external_id(r)
        if ext is None:
            raise ValueError(f"no usable id at {self.fields.id!r} (text or number, "
                             f"1-{MAX_ID} characters)")
        title = self.get(r, "title")
        if title is MISSING or title is None:
            raise ValueError(f"no title at {self.fields.title!r}")
        updated_raw = self.get(r, "updated_at")
        if updated_raw is MISSING or updated_raw is None:
            raise ValueError(f"no updated_at at {self.fields.updated_at!r}")
        updated = to_datetime(updated_raw, "updated_at")
        created_raw = self.get(r, "created_at")
        created = updated if created_raw in (MISSING, None) else \
            to_datetime(created_raw, "created_at")
        version = epoch_ms(updated) if self.version is None else \
            self._version(self.version, r)
        market = self.enums["market"](self.get(r, "market"))
        return Escalation(
            external_id=ext, remote_version=version,
            title=_text(title, "title", MAX_TITLE), body=self._body(r),
            reporter=self._short(r, "reporter", self.cfg.defaults.reporter) or "unknown",
            reporter_type=self.enums["reporter_type"](self.get(r, "reporter_type")),
            category=self.enums["category"](self.get(r, "category")),
            market=market, region=region_of(market),
            language=self._short(r, "language", self.cfg.defaults.language)[:35] or "und",
            severity=self.enums["severity"](self.get(r, "severity")),
            urgency=self.enums["urgency"](self.get(r, "urgency")),
            status=self.enums["status"](self.get(r, "status")),
            created_at=created, updated_at=updated,
            assignee=self._short(r, "assignee", "") or None, tags=self._tags(r),
            deadline_at=self._optional_time(r, "deadline_at"),
            views=self._count(r, "views"), shares=self._count(r, "shares"),
            content_url=self._link(ext) if self.fields.link else self._url(r),
            facts=self._facts(r),
        )

    @staticmethod
    def _version(path: Path, r: dict[str, Any]) -> int:
        raw = path.get(r)
        if raw is MISSING or raw is None:
            raise ValueError(f"no version at {path.text!r}")
        return to_version(raw, "version")

    def _body(self, r: dict[str, Any]) -> str:
        value = self.get(r, "body")
        if value is MISSING or value is None:
            return ""
        text = _text(value, "body", None)
        return html_to_text(text) if self.fields.body_format == "html" else text

    def _short(self, r: dict[str, Any], name: str, default: str) -> str:
        value = self.get(r, name)
        if value is MISSING or value is None:
            return default
        return _text(value, name, MAX_SHORT).strip()

    def _tags(self, r: dict[str, Any]) -> tuple[str, ...]:
        value = self.get(r, "tags")
        if value is MISSING or value is None:
            return ()
        values = value if isinstance(value, list) else [value]
        if len(values) > MAX_TAGS:
            raise ValueError(f"{len(values)} tags (max {MAX_TAGS})")
        tags = [_text(t, "a tag", 100).strip() for t in values]
        return tuple(dict.fromkeys(t for t in tags if t))

    def _optional_time(self, r: dict[str, Any], name: str) -> datetime | None:
        value = self.get(r, name)
        return None if value in (MISSING, None, "") else to_datetime(value, name)

    def _count(self, r: dict[str, Any], name: str) -> int:
        value = self.get(r, name)
        if value is MISSING or value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} is not a whole number of 0 or more")
        return value

    def _link(self, ext: str) -> str | None:
        """fields.link filled in: {base} as configured, {id} as one path segment."""
        segment = quote(ext, safe="")
        if segment in (".", ".."):
            segment = segment.replace(".", "%2E")
        url = self.fields.link.replace("{base}", self.base).replace("{id}", segment)
        return url if url.startswith(("https://", "http://")) and len(url) <= 2048 else None

    def _url(self, r: dict[str, Any]) -> str | None:
        value = self.get(r, "content_url")
        if isinstance(value, str) and value.startswith(("https://", "http://")) and \
                len(value) <= 2048:
            return value
        return None  # other schemes (javascript:, file:) are never kept

    def _facts(self, r: dict[str, Any]) -> tuple[Fact, ...]:
        if self.facts is None:
            return ()
        path, at, text, author = self.facts
        entries = path.get(r)
        if entries is MISSING or entries is None:
            return ()
        if not isinstance(entries, list):
            raise ValueError(f"{self.fields.facts.path if self.fields.facts else ''}"
                             " is not a list")
        facts = []
        for i, entry in enumerate(entries[-MAX_FACTS:]):
            when = to_datetime(at.get(entry), f"facts[{i}].at")
            body = text.get(entry)
            if body is MISSING or body is None:
                continue
            line = _text(body, f"facts[{i}].text", MAX_FACT_TEXT)
            if self.fields.body_format == "html":
                line = html_to_text(line)
            who = author.get(entry) if author is not None else MISSING
            if isinstance(who, str) and who.strip():
                line = f"{who.strip()[:MAX_SHORT]}: {line}"
            facts.append(Fact(when, line))
        return tuple(facts)
