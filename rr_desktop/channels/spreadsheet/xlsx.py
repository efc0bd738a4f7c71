"""XLSX workbooks through openpyxl in read-only, data-only mode (see the package
docstring for the documented behaviour relied on)."""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl

from .reader import MAX_COLUMNS, RawRows, Sheet, SheetInfo, SpreadsheetError

MAX_XLSX_EXPANDED = 2 << 30  # bytes the ZIP members may expand to (zip-bomb guard)
MAX_SHARED_STRINGS = 512 << 20  # openpyxl keeps the shared-strings table in memory


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


def open_xlsx(path: Path, sheet: str) -> Sheet:
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
    ws.reset_dimensions()  # some writers record wrong dimensions (openpyxl docs)
    info = SheetInfo("xlsx", sheet=ws.title, sheet_names=names)
    return Sheet(info, _xlsx_rows(path, ws), close)


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


def _xlsx_rows(path: Path, ws: Any) -> RawRows:
    number = 0
    try:
        for number, values in enumerate(ws.iter_rows(values_only=True), 1):
            yield number, [cell_text(v) for v in values[:MAX_COLUMNS]]
    except Exception as exc:  # openpyxl/XML errors on a damaged sheet
        raise SpreadsheetError(f"{path.name}: row {number + 1} of sheet {ws.title!r} is "
                               f"unreadable ({type(exc).__name__}: {exc})") from exc
