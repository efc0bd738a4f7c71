"""What an import would bring in, before anything is stored: the sheet's header (to build
the mapping from) and the first rows mapped and validated, with the reason of every row
that would be rejected. Nothing here writes anywhere."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ...domain import Escalation
from .columns import FIELD_NAMES, ColumnMapping
from .reader import SheetInfo, open_sheet
from .records import Defaults, MappedRow, RowInvalid, RowMapper

DEFAULT_LIMIT = 200
REJECTED_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class PreviewRow:
    """One row as it would be imported: field -> text to show, or why it is rejected."""

    number: int
    cells: Mapping[str, str]
    error: str | None
    external_id: str | None


@dataclass(frozen=True, slots=True)
class Preview:
    """A file through a mapping: the first `limit` data rows as they would be imported,
    and the rejected rows of the whole file (up to a cap) with their reasons. `total` and
    `total_rejected` count every data row read; `complete` is False when the read was
    cancelled."""

    info: SheetInfo
    mapping: ColumnMapping
    rows: tuple[PreviewRow, ...]
    rejected: tuple[PreviewRow, ...]
    total: int
    total_rejected: int
    complete: bool

    @property
    def accepted(self) -> int:
        return self.total - self.total_rejected


def inspect(path: Path, sheet: str = "", header_row: int = 0) -> SheetInfo:
    """The header, sheet names and reading warnings of a file (SpreadsheetError if it
    cannot be read). `header_row` names the header row (0: find it)."""
    with open_sheet(path, sheet, header_row=header_row) as opened:
        return opened.info


def preview(path: Path, mapping: ColumnMapping | None = None, limit: int = DEFAULT_LIMIT,
            *, defaults: Defaults | None = None, sheet: str = "", source: str = "",
            now: datetime | None = None, rejected_limit: int = REJECTED_LIMIT,
            cancelled: Callable[[], bool] = lambda: False, header_row: int = 0) -> Preview:
    """Map and validate the whole file (streamed); keep the first `limit` rows and the
    first `rejected_limit` rejected rows. Without a mapping, the one suggested from the
    header is used. SpreadsheetError when the file (or the mapping) is unusable."""
    defaults = defaults or Defaults()
    now = now or datetime.now(UTC)
    with open_sheet(path, sheet, header_row=header_row) as opened:
        info = opened.info
        mapping = ColumnMapping.suggest(info.headers) if mapping is None else mapping
        mapper = RowMapper(info.headers, mapping, defaults, source or path.name,
                           info.date1904)
        rows: list[PreviewRow] = []
        rejected: list[PreviewRow] = []
        total = total_rejected = 0
        complete = True
        for data in opened.rows():
            if total % 256 == 0 and cancelled():
                complete = False
                break
            total += 1
            row = _judge(mapper, mapper.map(data), now)
            if row.error is not None:
                total_rejected += 1
                if len(rejected) < rejected_limit:
                    rejected.append(row)
            if len(rows) < limit:
                rows.append(row)
    return Preview(info, mapping, tuple(rows), tuple(rejected), total, total_rejected,
                   complete)


def _judge(mapper: RowMapper, mapped: MappedRow, now: datetime) -> PreviewRow:
    duplicate = mapper.duplicate_of(mapped)
    if duplicate is not None:
        return PreviewRow(mapped.number, _raw_cells(mapped), duplicate, mapped.external_id)
    try:
        record = mapper.to_record(mapped, 0, now)
    except RowInvalid as exc:
        return PreviewRow(mapped.number, _raw_cells(mapped), str(exc), mapped.external_id)
    return PreviewRow(mapped.number, record_cells(record), None, record.external_id)


def _raw_cells(row: MappedRow) -> dict[str, str]:
    return {f: row.values[f] for f in FIELD_NAMES if f in row.values}


def record_cells(rec: Escalation) -> dict[str, str]:
    """An escalation's fields as the text a preview shows."""
    return {
        "external_id": rec.external_id, "title": rec.title,
        "body": rec.body, "content_url": rec.content_url or "", "market": rec.market,
        "reporter": rec.reporter, "reporter_type": rec.reporter_type.label,
        "category": rec.category.label, "severity": rec.severity.label,
        "urgency": rec.urgency.label, "status": rec.status.label, "language": rec.language,
        "created_at": rec.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        "deadline_at": rec.deadline_at.strftime("%Y-%m-%d %H:%M UTC")
        if rec.deadline_at else "",
        "tags": ", ".join(rec.tags), "views": str(rec.views), "shares": str(rec.shares),
    }
