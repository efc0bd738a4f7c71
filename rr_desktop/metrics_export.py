"""Team metrics to a file a lead can share: CSV or XLSX, chosen by the file's suffix
(docs/lead-board.md), written by the app's one exporter (tabular_export.py: atomic,
typed, formula-looking names made inert)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from .domain.team_metrics import AnalystMetrics
from .tabular_export import write_table

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


def export_metrics(path: Path, rows: Sequence[tuple[Cell, ...]], start: datetime,
                   end: datetime) -> None:
    """Write `rows` to `path` (.csv or .xlsx, atomically: tabular_export.py); ExportError
    (a ValueError) for another suffix, OSError when the file cannot be written."""
    period = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
    write_table(path, HEADERS, rows, sheet="Team metrics", notes=[f"Period: {period}"])
