"""Team metrics to a file a lead can share: CSV (UTF-8 with a BOM, which spreadsheet
apps need to read non-Latin names) or XLSX (openpyxl), chosen by the file's suffix
(docs/lead-board.md)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from .domain.team_metrics import AnalystMetrics

HEADERS = ("Analyst", "Name", "Items triaged", "Median time to triage (h)",
           "Items contained", "Median time to contain (h)", "SLA breaches", "Resolved",
           "Reopened", "Reopen rate (%)")
Cell = str | int | float | None


def metric_rows(metrics: Sequence[AnalystMetrics],
                names: dict[str, str]) -> list[tuple[Cell, ...]]:
    """One row per analyst: hours and percentages rounded to 0.1, blank when there is
    nothing to measure."""
    def hours(s: float | None) -> float | None:
        return None if s is None else round(s / 3600, 1)

    return [(m.analyst, names.get(m.analyst, ""), m.triaged, hours(m.median_triage_s),
             m.contained, hours(m.median_contain_s), m.sla_breaches, m.resolved, m.reopened,
             None if m.reopen_rate is None else round(100 * m.reopen_rate, 1))
            for m in metrics]


def _inert(cell: Cell) -> Cell:
    """A text cell a spreadsheet would run as a formula (a name like "=HYPERLINK(...)"
    from a source) is written as text."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def export_metrics(path: Path, rows: Sequence[tuple[Cell, ...]], start: datetime,
                   end: datetime) -> None:
    """Write `rows` to `path` (.csv or .xlsx); ValueError for another suffix, OSError
    when the file cannot be written."""
    suffix = path.suffix.lower()
    period = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(HEADERS)
            out.writerows(["" if c is None else _inert(c) for c in row] for row in rows)
        return
    if suffix == ".xlsx":
        from openpyxl import Workbook  # imported only to export

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "Team metrics"
        sheet.append(list(HEADERS))
        for row in rows:
            sheet.append([_inert(c) for c in row])
        sheet.append([])
        sheet.append([f"Period: {period}"])
        book.save(path)
        return
    raise ValueError(f"export to .csv or .xlsx, not {suffix or 'a file without a suffix'}")
