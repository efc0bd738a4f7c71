"""Rows and headers to a file a spreadsheet opens: CSV or XLSX (docs/sql-console.md,
"Exports"). Every export of the app goes through here (the SQL console, "Export table",
team metrics).

- **Atomic**: written to a temporary file in the target's folder (0600, as every export:
  docs/security.md), flushed to disk, then renamed over the target; a failure midway
  leaves the old file as it was and no partial one.
- **CSV** is UTF-8 with a byte-order mark (spreadsheet apps need it to read non-Latin
  titles) when written to a file, without one on standard output (pipes and scripts),
  RFC 4180 quoting.
- **XLSX** is written in openpyxl's write-only mode (rows stream to the file; memory stays
  flat at a million rows), typed: numbers stay numbers (integers past 15 digits, which a
  spreadsheet would round, become text), ISO-8601 times become date-times on the clock
  they were written in (the column's name says which: `_utc`, `_market`), blanks stay
  blank. Past a sheet's 1,048,576 rows the rows go on in a second sheet.
- **Formula injection**: text from sources is hostile (a title `=HYPERLINK(...)`). In XLSX
  every text is a text cell (never a formula) with Excel's quote prefix, so even editing
  it does not run it; in CSV, where there are no types, a text starting with = + - @ tab
  or CR is written with a leading apostrophe (OWASP's advice).
"""

from __future__ import annotations

import csv
import math
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

Cell = str | int | float | bool | datetime | date | bytes | None
FORMATS = ("csv", "xlsx")
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_CHARS = 32_767
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"
                       r"(Z|[+-]\d{2}:\d{2})?")
_MAX_EXACT_INT = 10 ** 15


@dataclass(frozen=True, slots=True)
class TableSnapshot:
    """A table as shown, ready to be written on a worker: its name (for the file and the
    sheet), headers, and `rows(cancel)`, which yields plain values (read then, in chunks,
    where the table is big: the triage view's ids, a query re-run) and stops when
    `cancel` is set."""

    name: str
    headers: tuple[str, ...]
    rows: Callable[[threading.Event], Iterable[Sequence[Cell]]]


class ExportError(ValueError):
    """A request that cannot be exported as asked (an unknown format); one sentence."""


def format_for(path: Path | None, fmt: str | None = None) -> str:
    """"csv" or "xlsx": `fmt` if given, else from the file's suffix."""
    if fmt:
        if fmt.lower() not in FORMATS:
            raise ExportError(f"export to csv or xlsx, not {fmt}")
        return fmt.lower()
    suffix = path.suffix.lower().lstrip(".") if path is not None else ""
    if suffix not in FORMATS:
        raise ExportError("export to a .csv or .xlsx file, not "
                          + (f".{suffix}" if suffix else "a file without a suffix"))
    return suffix


# -- cells ------------------------------------------------------------------------------

def csv_cell(value: Cell) -> str:
    """A cell as CSV text (formula-looking text made inert)."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return str(value)


def parse_iso_time(text: str) -> datetime | None:
    """The wall-clock time of an ISO-8601 text (its zone dropped: a spreadsheet has
    none), or None when the text is not a time."""
    if len(text) > 40 or not _ISO_TIME.fullmatch(text):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=None)


def xlsx_value(value: Cell) -> Any:
    """A cell's value as XLSX stores it: numbers, date-times, text, or None."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < _MAX_EXACT_INT else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    if isinstance(value, bytes):
        return value.hex()
    parsed = parse_iso_time(value)
    return parsed if parsed is not None else _clean_text(value)


def _clean_text(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)  # XML cannot hold control characters
    if len(text) > XLSX_MAX_CHARS:  # a spreadsheet's limit per cell
        text = text[:XLSX_MAX_CHARS - 1] + "\u2026"
    return text


# -- files ------------------------------------------------------------------------------

def write_table(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Cell]],
                fmt: str | None = None, *, sheet: str = "Export",
                notes: Sequence[str] = (),
                progress: Callable[[int], None] | None = None) -> int:
    """Write `headers` and `rows` (consumed once, lazily) to `path` atomically; returns
    the number of rows. `notes` are lines under the table (XLSX only: a CSV stays one
    table). `progress(n)` is told the rows written every 10,000. Raises ExportError for
    an unknown format, OSError when the file cannot be written; anything the rows raise
    (a cancelled query) propagates, and the old file stays."""
    kind = format_for(path, fmt)
    directory = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=directory)
    tmp = Path(tmp_name)
    try:
        if kind == "csv":
            with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
                count = write_csv(fh, headers, rows, progress)
                fh.flush()
                os.fsync(fh.fileno())
        else:
            os.close(fd)
            count = _write_xlsx(tmp, headers, rows, sheet, notes, progress)
            _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


def write_csv(fh: IO[str], headers: Sequence[str], rows: Iterable[Sequence[Cell]],
              progress: Callable[[int], None] | None = None) -> int:
    """CSV to an open text stream (a file, or standard output without a BOM)."""
    out = csv.writer(fh)
    out.writerow([csv_cell(h) for h in headers])
    count = 0
    for row in rows:
        out.writerow([csv_cell(c) for c in row])
        count += 1
        if progress is not None and count % 10_000 == 0:
            progress(count)
    return count


def _write_xlsx(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Cell]],
                sheet: str, notes: Sequence[str],
                progress: Callable[[int], None] | None) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    title = _sheet_title(sheet)

    def new_sheet(n: int) -> Any:
        ws = book.create_sheet(title if n == 1 else f"{title[:24]} ({n})")
        header = []
        for h in headers:
            cell = WriteOnlyCell(ws, value=_clean_text(str(h)))
            cell.data_type = "s"
            cell.font = bold
            header.append(cell)
        ws.append(header)
        return ws

    def cells(ws: Any, row: Sequence[Cell]) -> list[Any]:
        out: list[Any] = []
        for value in row:
            v = xlsx_value(value)
            if isinstance(v, str):
                cell = WriteOnlyCell(ws, value=v)
                cell.data_type = "s"  # text, never a formula, whatever it starts with
                if v.startswith(_FORMULA_START):
                    cell.quotePrefix = True
                out.append(cell)
            elif isinstance(v, datetime):
                cell = WriteOnlyCell(ws, value=v)
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
                out.append(cell)
            else:
                out.append(v)
        return out

    sheets = 1
    ws = new_sheet(sheets)
    on_sheet = count = 0
    try:
        for row in rows:
            if on_sheet == XLSX_MAX_ROWS - 1:
                sheets += 1
                ws, on_sheet = new_sheet(sheets), 0
            ws.append(cells(ws, row))
            on_sheet += 1
            count += 1
            if progress is not None and count % 10_000 == 0:
                progress(count)
    except BaseException:
        _discard(book)
        raise
    if notes:
        ws.append([])
        for line in notes:
            ws.append(cells(ws, [line]))
    book.save(path)
    return count


def _discard(book: Any) -> None:
    """Close and remove the sheets openpyxl streamed to its own temporary files."""
    for ws in book.worksheets:
        try:
            ws.close()
            ws._writer.cleanup()
        except (OSError, ValueError, AttributeError):  # best effort: atexit removes them
            pass


def _sheet_title(name: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", name).strip() or "Export"
    return cleaned[:31]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
