"""Which column of the partner's sheet feeds which escalation field.

A `ColumnMapping` maps our field names to source column names (header text, so a
re-ordered sheet still maps). It is suggested from the header names, including the
synonyms partners and regulators commonly use ("Link" -> content URL, "Country" ->
market), and stored in the channel config as JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """One escalation field a column can feed."""

    name: str
    label: str
    synonyms: tuple[str, ...]
    help: str = ""


def _syn(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.split("|"))


FIELDS: tuple[FieldInfo, ...] = (
    FieldInfo("external_id", "ID", _syn(
        "id|ref|ref no|ref number|reference|reference number|reference no|ticket|ticket id|"
        "case|case id|case number|report id|notice id|notice number|notice no|item id|request id"),
        "a unique reference per row; without it rows are identified by URL and market"),
    FieldInfo("title", "Title", _syn(
        "title|subject|headline|summary|name|issue|short description")),
    FieldInfo("body", "Description", _syn(
        "description|body|details|detail|content|text|notes|note|comment|comments|"
        "message|report|complaint|reason|explanation")),
    FieldInfo("content_url", "Content URL", _syn(
        "url|link|content url|content link|permalink|post url|post link|video url|uri|"
        "web address|reported url|reported link|location url|hyperlink")),
    FieldInfo("market", "Market (country)", _syn(
        "country|market|country code|jurisdiction|country iso|iso country|nation")),
    FieldInfo("reporter", "Reporter", _syn(
        "reporter|reported by|submitted by|flagger|source|organisation|organization|"
        "agency|partner|requester|complainant|authority")),
    FieldInfo("reporter_type", "Reporter type", _syn(
        "reporter type|source type|flagger type|requester type|organisation type|"
        "organization type")),
    FieldInfo("category", "Category", _syn(
        "category|policy|policy area|policy category|violation|violation type|harm|"
        "harm type|issue type|abuse type|type")),
    FieldInfo("severity", "Severity", _syn("severity|impact|sev")),
    FieldInfo("urgency", "Urgency", _syn("urgency|priority|prio")),
    FieldInfo("status", "Status", _syn("status|state")),
    FieldInfo("language", "Language", _syn("language|lang|locale")),
    FieldInfo("created_at", "Reported at", _syn(
        "date|reported|reported at|reported on|date reported|created|created at|"
        "submitted|submitted at|date submitted|date received|received|timestamp|"
        "date of report|notice date|date issued|issued|issued on|issue date")),
    FieldInfo("deadline_at", "Deadline", _syn(
        "deadline|due|due date|due by|respond by|response deadline|removal deadline|"
        "action by|sla")),
    FieldInfo("tags", "Tags", _syn("tags|labels|keywords|tag|label")),
    FieldInfo("views", "Views", _syn("views|view count|impressions|plays|reach")),
    FieldInfo("shares", "Shares", _syn("shares|share count|reposts|retweets|forwards")),
)
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
FIELD_BY_NAME: Mapping[str, FieldInfo] = MappingProxyType({f.name: f for f in FIELDS})


def normalize_header(text: str) -> str:
    """Case, spacing and punctuation do not matter when matching names."""
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Our field -> the source column (header name) it is read from. Unmapped fields
    take the channel's defaults; unmapped columns are kept in the description."""

    columns: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.columns) - set(FIELD_NAMES))
        if unknown:
            raise ValueError("the mapping names unknown fields: " + ", ".join(unknown))
        object.__setattr__(self, "columns", MappingProxyType(
            {f: self.columns[f] for f in FIELD_NAMES if self.columns.get(f)}))

    @classmethod
    def suggest(cls, headers: Iterable[str]) -> ColumnMapping:
        """A first guess from header names; each column feeds at most one field, and a
        field takes the column whose name matches its earliest synonym."""
        by_norm: dict[str, str] = {}
        for header in headers:
            by_norm.setdefault(normalize_header(header), header)
        used: set[str] = set()
        columns: dict[str, str] = {}
        for info in FIELDS:
            for synonym in (info.name, *info.synonyms):
                found = by_norm.get(normalize_header(synonym))
                if found is not None and found not in used:
                    columns[info.name] = found
                    used.add(found)
                    break
        return cls(columns)

    @classmethod
    def from_json(cls, text: str) -> ColumnMapping:
        """Parse the config's JSON object {"field": "Column name"}; ValueError says why."""
        if not text.strip():
            return cls()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the column mapping is not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise ValueError('the column mapping must be a JSON object like '
                             '{"title": "Subject", "content_url": "Link"}')
        return cls(data)

    def to_json(self) -> str:
        return json.dumps(dict(self.columns), ensure_ascii=False, sort_keys=True)

    def column(self, field_name: str) -> str | None:
        return self.columns.get(field_name)

    def with_column(self, field_name: str, column: str | None) -> ColumnMapping:
        """A copy with `field_name` read from `column` (None: unmapped)."""
        columns = dict(self.columns)
        if column:
            columns[field_name] = column
        else:
            columns.pop(field_name, None)
        return ColumnMapping(columns)

    def missing(self, headers: Iterable[str]) -> list[str]:
        """Mapped columns the header does not have (the partner renamed a column)."""
        present = set(headers)
        return sorted({c for c in self.columns.values() if c not in present})

    def __bool__(self) -> bool:
        return bool(self.columns)
