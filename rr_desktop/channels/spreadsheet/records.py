"""From a sheet row to an escalation: the mapped cells, the row's identity, validation.

Identity (`external_id`) comes from a mapped ID column when there is one, else from a hash
of the row's key fields (content URL and market; or title, description and market when
there is no URL): never from the row number, so a re-sorted file maps to the same items.
The row's fingerprint (a hash of all its cells) tells an unchanged row from a changed one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...domain import Escalation, PolicyCategory, ReporterType, Severity, Status, Urgency, region_of
from . import values as v
from .columns import FIELD_BY_NAME, ColumnMapping
from .reader import DataRow, SpreadsheetError, column_letter

MAX_ID = 200
MAX_TITLE = 500
OTHER_COLUMNS = "\u2014 Other columns \u2014"
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Defaults:
    """Values for fields the sheet does not have (or leaves empty), from the config."""

    reporter: str = ""
    reporter_type: ReporterType = ReporterType.TRUSTED_PARTNER
    category: PolicyCategory = PolicyCategory.OTHER
    market: str = ""
    severity: Severity = Severity.S2
    urgency: Urgency = Urgency.U2
    language: str = "und"
    day_first: bool = True
    timezone: tzinfo = UTC
    date1904: bool = False  # date serials in a CSV count from 1904 (old Mac Excel)

    @classmethod
    def from_config(cls, config: Mapping[str, str]) -> Defaults:
        """ValueError (one sentence) for a value the config cannot mean."""
        def get(key: str) -> str:
            return (config.get(key) or "").strip()

        tz_name = get("timezone") or "UTC"
        try:
            tz: tzinfo = UTC if tz_name.upper() == "UTC" else ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"time zone {tz_name!r} is not an IANA zone like "
                             "'Australia/Sydney'") from None
        date_order = get("date_order").upper() or "DMY"
        if date_order not in ("DMY", "MDY"):
            raise ValueError("date order must be DMY or MDY")
        date_system = get("date_system") or "1900"
        if date_system not in ("1900", "1904"):
            raise ValueError("date system must be 1900 or 1904")
        return cls(
            reporter=get("reporter")[:200],
            reporter_type=v.parse_reporter_type(get("reporter_type") or "trusted_partner"),
            category=v.parse_category(get("category") or "other"),
            market=v.parse_market(get("market")) if get("market") else "",
            severity=v.parse_severity(get("severity") or "S2"),
            urgency=v.parse_urgency(get("urgency") or "U2"),
            language=v.parse_language(get("language")) if get("language") else "und",
            day_first=date_order == "DMY",
            timezone=tz,
            date1904=date_system == "1904",
        )


@dataclass(frozen=True, slots=True)
class MappedRow:
    """One data row read through the mapping, before validation."""

    number: int
    values: Mapping[str, str]  # field -> cell text (stripped), mapped fields only
    extras: tuple[tuple[str, str], ...]  # unmapped, non-empty columns
    external_id: str | None
    fingerprint: bytes

    def raw(self) -> str:
        """The row as JSON (column -> cell), for quarantine."""
        cells = {f"{FIELD_BY_NAME[f].label}": text for f, text in self.values.items()}
        cells.update(dict(self.extras))
        return json.dumps({"row": self.number, "cells": cells}, ensure_ascii=False)


class RowInvalid(ValueError):
    """A row that cannot become an escalation; `reasons` are short sentences."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def _key_text(text: str) -> str:
    return " ".join(text.split()).casefold()


class RowMapper:
    """Reads rows of one sheet through one mapping with one set of defaults."""

    def __init__(self, headers: tuple[str, ...], mapping: ColumnMapping, defaults: Defaults,
                 source: str, date1904: bool | None = None) -> None:
        """`date1904`: the workbook's date system (None: a CSV, the config's)."""
        missing = mapping.missing(headers)
        if missing:
            raise SpreadsheetError(
                "the column mapping reads " + ", ".join(repr(c) for c in missing)
                + " but the file has no such column: update the mapping")
        index = {h: i for i, h in enumerate(headers)}
        self.headers = headers
        self.mapping = mapping
        self.defaults = defaults
        self.source = source
        self.date1904 = defaults.date1904 if date1904 is None else date1904
        self._fields = [(f, index[c]) for f, c in mapping.columns.items()]
        used = {i for _, i in self._fields}
        self._others = [(i, h) for i, h in enumerate(headers) if i not in used]
        self._first_row: dict[str, int] = {}

    def map(self, row: DataRow) -> MappedRow:
        cells = row.cells
        values = {f: cells[i].strip() for f, i in self._fields if i < len(cells)}
        values = {f: t for f, t in values.items() if t}
        extras = [(h, cells[i].strip()) for i, h in self._others
                  if i < len(cells) and cells[i].strip()]
        extras += [(f"Column {column_letter(i)}", cells[i].strip())
                   for i in range(len(self.headers), len(cells)) if cells[i].strip()]
        last = max((i for i, c in enumerate(cells) if c.strip()), default=-1)
        fingerprint = hashlib.blake2b(
            json.dumps(cells[: last + 1], ensure_ascii=False).encode(), digest_size=8).digest()
        return MappedRow(row.number, values, tuple(extras), self._identity(values),
                         fingerprint)

    def duplicate_of(self, row: MappedRow) -> str | None:
        """Why `row` repeats an earlier row of this import ("duplicate of row 4 (same
        ID)"), or None. Call once per row, in file order."""
        if row.external_id is None:
            return None
        first = self._first_row.setdefault(row.external_id, row.number)
        if first == row.number:
            return None
        same = ("ID" if "external_id" in self.mapping.columns else
                "URL and market" if row.values.get("content_url") else
                "title, description and market")
        return f"duplicate of row {first} (same {same})"

    def _identity(self, values: Mapping[str, str]) -> str | None:
        if "external_id" in self.mapping.columns:
            ext = " ".join(values.get("external_id", "").split())
            return ext if 0 < len(ext) <= MAX_ID else None
        market = _key_text(values.get("market", ""))
        url = values.get("content_url", "")
        if url:
            try:
                url = v.parse_url(url)
            except ValueError:
                pass
            key = ["url", url, market]
        elif values.get("title") or values.get("body"):
            key = ["text", _key_text(values.get("title", "")),
                   _key_text(values.get("body", "")), market]
        else:
            return None
        digest = hashlib.blake2b(json.dumps(key, ensure_ascii=False).encode(), digest_size=12)
        return "row-" + digest.hexdigest()

    def to_record(self, row: MappedRow, version: int, imported_at: datetime) -> Escalation:
        """The escalation of a mapped row; RowInvalid lists every problem found."""
        d, val = self.defaults, row.values
        p = _Cells(val)
        if row.external_id is None:
            p.problems.append(self._no_id(val))
        url = p.get("content_url", v.parse_url, None)
        market = p.get("market", v.parse_market, d.market)
        if not market and "market" not in val:
            p.problems.append("no market (country) in the row and no default market set")

        def when(text: str) -> datetime:
            return v.parse_when(text, d.day_first, d.timezone, self.date1904)

        created = p.get("created_at", when, imported_at)
        deadline = p.get("deadline_at", when, None)
        reporter_type = p.get("reporter_type", v.parse_reporter_type, d.reporter_type)
        category = p.get("category", v.parse_category, d.category)
        severity = p.get("severity", v.parse_severity, d.severity)
        urgency = p.get("urgency", v.parse_urgency, d.urgency)
        status = p.get("status", v.parse_status, Status.NEW)
        language = p.get("language", v.parse_language, d.language)
        tags: tuple[str, ...] = p.get("tags", v.parse_tags, ())
        views = p.get("views", lambda t: v.parse_count(t, "views"), 0)
        shares = p.get("shares", lambda t: v.parse_count(t, "shares"), 0)
        if p.problems or row.external_id is None:
            raise RowInvalid(p.problems)
        return Escalation(
            external_id=row.external_id, remote_version=version,
            title=_title(val, url), body=_body(val.get("body", ""), row.extras),
            reporter=(val.get("reporter") or d.reporter or self.source)[:200],
            reporter_type=reporter_type, category=category, market=market,
            region=region_of(market), language=language, severity=severity,
            urgency=urgency, status=status, created_at=created, updated_at=imported_at,
            tags=tags, deadline_at=deadline, views=views, shares=shares, content_url=url,
        )

    def _no_id(self, val: Mapping[str, str]) -> str:
        column = self.mapping.column("external_id")
        if column is None:
            return "no title, description or URL to tell this row apart"
        if val.get("external_id"):
            return (f"ID {v.shown(val['external_id'])} is longer than {MAX_ID} "
                    "characters")
        return f"no ID in column {column!r}"


class _Cells:
    """Parses mapped cells, collecting every problem instead of stopping at the first."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values
        self.problems: list[str] = []

    def get(self, name: str, parse: Callable[[str], _T], default: _T) -> _T:
        text = self.values.get(name)
        if not text:
            return default
        try:
            return parse(text)
        except ValueError as exc:
            self.problems.append(str(exc))
            return default


def _title(val: Mapping[str, str], url: str | None) -> str:
    title = " ".join((val.get("title") or val.get("body", "").strip().split("\n")[0]
                      or url or "").split())
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "\u2026"


def _body(body: str, extras: tuple[tuple[str, str], ...]) -> str:
    """The description, then the columns no field reads (nothing the partner sent is
    dropped). A long one is cut where every body is, the domain's Escalation."""
    if extras:
        lines = "\n".join(f"{h}: {t}" for h, t in extras)
        body = f"{body}\n\n{OTHER_COLUMNS}\n{lines}" if body else f"{OTHER_COLUMNS}\n{lines}"
    return body




def imported_time(version: int) -> datetime:
    """The import time a version stands for (versions are import times in ms)."""
    return datetime.fromtimestamp(version / 1000, UTC)
