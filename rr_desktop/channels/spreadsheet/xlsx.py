"""XLSX workbooks through openpyxl in read-only, data-only mode (see the package
docstring for the documented behaviour relied on).

Merged cells: a merged range keeps its value in its top-left cell only (ECMA-376 Part 1,
§18.3.1.55 mergeCell: the other cells of the range are hidden), so a team's sheet with
one "Market" cell merged over the rows of a group reads as one row with the market and
the rest without. Read-only mode does not expose the ranges, so they are read from the
sheet's `<mergeCells>` (after `<sheetData>`, §18.3.1.99) in one byte scan, and each range
is filled with its top-left value as the rows stream, what Excel's "unmerge and fill"
does by hand. A range across the header and the rows below is refused (reader.py).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from .reader import MAX_COLUMNS, RawRows, Sheet, SheetInfo, SpreadsheetError

MAX_XLSX_EXPANDED = 2 << 30  # bytes the ZIP members may expand to (zip-bomb guard)
MAX_SHARED_STRINGS = 512 << 20  # openpyxl keeps the shared-strings table in memory
MAX_MERGED = 200_000  # merged ranges in one sheet
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\sref="([A-Z]{1,3}[0-9]{1,7}'
                    rb'(?::[A-Z]{1,3}[0-9]{1,7})?)"')
_CELL = re.compile(r"([A-Z]+)([0-9]+)")


def cell_text(value: Any) -> str:
    """An XLSX cell value as the text a person sees (never a formula evaluation)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise SpreadsheetError(f"{path.name} is a damaged XLSX file ({exc})") from exc
    if sum(m.file_size for m in members) > MAX_XLSX_EXPANDED:
        raise SpreadsheetError(f"{path.name} expands to more than "
                               f"{MAX_XLSX_EXPANDED >> 30} GiB: refused")
    strings = [m for m in members if m.filename.lower().endswith("sharedstrings.xml")]
    if sum(m.file_size for m in strings) > MAX_SHARED_STRINGS:
        raise SpreadsheetError(f"{path.name} has a text table over "
                               f"{MAX_SHARED_STRINGS >> 20} MiB: refused")
    if not any(m.filename == "xl/workbook.xml" for m in members):
        raise SpreadsheetError(f"{path.name} is a ZIP file but not an XLSX workbook")


@dataclass(frozen=True, slots=True)
class Merged:
    """A merged range, 1-based and inclusive, columns cut at MAX_COLUMNS."""

    ref: str
    top: int
    left: int
    bottom: int
    right: int

    @classmethod
    def parse(cls, ref: str) -> Merged:
        first, _, last = ref.partition(":")
        (c1, r1), (c2, r2) = _cell(first), _cell(last or first)
        return cls(ref, min(r1, r2), min(c1, c2), max(r1, r2), min(max(c1, c2), MAX_COLUMNS))


def _cell(ref: str) -> tuple[int, int]:
    m = _CELL.fullmatch(ref)
    if m is None:
        raise ValueError(ref)
    col = 0
    for letter in m.group(1):
        col = col * 26 + ord(letter) - 64
    return col, int(m.group(2))


def merged_ranges(ws: Any, path: Path) -> list[Merged]:
    """The merged ranges of a read-only worksheet, from its XML."""
    found: list[Merged] = []
    try:
        src = ws._get_source()  # openpyxl's own accessor of the sheet's XML member
    except (AttributeError, KeyError, OSError):
        return found
    with src:
        tail = b""
        while chunk := src.read(1 << 20):
            data = tail + chunk
            cut = data.rfind(b"<")  # a tag cut by the chunk waits for the next one
            data, tail = (data[:cut], data[cut:]) if cut >= 0 else (data, b"")
            for ref in _MERGE.findall(data):
                found.append(Merged.parse(ref.decode("ascii")))
            if len(found) > MAX_MERGED:
                raise SpreadsheetError(f"sheet {ws.title!r} of {path.name} has more than "
                                       f"{MAX_MERGED:,} merged ranges: refused")
        found += [Merged.parse(r.decode("ascii")) for r in _MERGE.findall(tail)]
    return [m for m in found if m.left <= MAX_COLUMNS and (m.bottom > m.top or
                                                           m.right > m.left)]


def open_xlsx(path: Path, sheet: str, header_row: int = 0) -> Sheet:
    """Open sheet `sheet` (or the first worksheet) of the workbook at `path`."""
    _check_zip(path)
    fh = path.open("rb")
    try:
        # A file object (not the path) so openpyxl does not judge the file by its name.
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        fh.close()
        raise SpreadsheetError(f"{path.name} is not a readable XLSX workbook "
                               f"({type(exc).__name__}: {exc})") from exc

    def close() -> None:
        wb.close()
        fh.close()

    names = tuple(wb.sheetnames)
    try:
        ws = _pick_sheet(wb, names, sheet, path)
    except SpreadsheetError:
        close()
        raise
    try:
        merged = merged_ranges(ws, path)
    except SpreadsheetError:
        close()
        raise
    ws.reset_dimensions()  # some writers record wrong dimensions (openpyxl docs)
    info = SheetInfo("xlsx", sheet=ws.title, sheet_names=names,
                     date1904=wb.epoch == CALENDAR_MAC_1904,
                     merged=tuple(m.ref for m in merged))
    return Sheet(info, _filled(_xlsx_rows(path, ws), merged), close, header_row)


def _pick_sheet(wb: Any, names: tuple[str, ...], sheet: str, path: Path) -> Any:
    if sheet:
        if sheet not in names:
            raise SpreadsheetError(f"{path.name} has no sheet {sheet!r} (it has "
                                   + ", ".join(repr(n) for n in names[:20]) + ")")
        ws = wb[sheet]
        if not hasattr(ws, "iter_rows"):
            raise SpreadsheetError(f"sheet {sheet!r} of {path.name} is a chart, not a table")
        return ws
    for name in names:
        ws = wb[name]
        if hasattr(ws, "iter_rows"):
            return ws
    raise SpreadsheetError(f"{path.name} has no worksheet")


def _filled(rows: RawRows, merged: list[Merged]) -> Iterator[tuple[int, list[str]]]:
    """Rows with every merged range filled with its top-left value."""
    waiting = sorted(merged, key=lambda m: m.top, reverse=True)
    active: list[tuple[Merged, str]] = []
    for number, cells in rows:
        while waiting and waiting[-1].top <= number:
            m = waiting.pop()
            if m.top == number and m.left <= len(cells) and cells[m.left - 1]:
                active.append((m, cells[m.left - 1]))
        if active:
            active = [(m, v) for m, v in active if m.bottom >= number]
            for m, value in active:
                if len(cells) < m.right:
                    cells = cells + [""] * (m.right - len(cells))
                for col in range(m.left - 1, m.right):
                    if not cells[col]:
                        cells[col] = value
        yield number, cells


def _xlsx_rows(path: Path, ws: Any) -> RawRows:
    number = 0
    try:
        for number, values in enumerate(ws.iter_rows(values_only=True), 1):
            yield number, [cell_text(v) for v in values[:MAX_COLUMNS]]
    except Exception as exc:  # openpyxl/XML errors on a damaged sheet
        raise SpreadsheetError(f"{path.name}: row {number + 1} of sheet {ws.title!r} is "
                               f"unreadable ({type(exc).__name__}: {exc})") from exc
