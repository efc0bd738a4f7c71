"""Team metrics against hand-computed figures from a scripted history, and the export
to real CSV and XLSX files read back (openpyxl)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook

from rr_desktop.domain import Severity
from rr_desktop.domain.team_metrics import (
    AnalystMetrics,
    ItemHistory,
    SlaTargets,
    StatusChange,
    team_metrics,
)
from rr_desktop.metrics_export import HEADERS, export_metrics, metric_rows

T = datetime(2026, 12, 1, tzinfo=UTC)
H = timedelta(hours=1)
TARGETS = SlaTargets({Severity.S1: 3600, Severity.S2: 4 * 3600},
                     {Severity.S1: 4 * 3600, Severity.S2: 24 * 3600})


def ch(at: datetime, old: str, new: str, who: str | None) -> StatusChange:
    return StatusChange(at, old, new, who)


HISTORY = [
    # Budi triages 1.5 h after creation (S1 target 1 h: a breach), contains at 3 h,
    # resolves; Chen reopens it later.
    ItemHistory(1, T - H, Severity.S1, "budi", (
        ch(T + H / 2, "new", "triaged", "budi"), ch(T + 2 * H, "triaged", "contained", "budi"),
        ch(T + 3 * H, "contained", "resolved", "budi"),
        ch(T + 5 * H, "resolved", "investigating", "chen"))),
    # The source triages Budi's item 1 h in (credited to the assignee), he contains at
    # 5 h and resolves it: it stays resolved.
    ItemHistory(2, T + H, Severity.S2, "budi", (
        ch(T + 2 * H, "new", "triaged", None), ch(T + 6 * H, "triaged", "contained", "budi"),
        ch(T + 7 * H, "contained", "resolved", "budi"))),
    # Chen triages in 20 min and contains at 5 h (S1 contain target 4 h: a breach).
    ItemHistory(3, T, Severity.S1, "chen", (
        ch(T + H / 3, "new", "triaged", "chen"), ch(T + 5 * H, "triaged", "contained", "chen"))),
    # Triaged before the period (not counted); contained inside it, 73 h in (a breach).
    ItemHistory(4, T - 72 * H, Severity.S1, "chen", (
        ch(T - 48 * H, "new", "triaged", "chen"), ch(T + H, "triaged", "contained", "chen"))),
    # Triaged after the period: nothing.
    ItemHistory(5, T + 20 * H, Severity.S2, "budi", (
        ch(T + 25 * H, "new", "triaged", "budi"),)),
]


def test_metrics_against_hand_computed_values() -> None:
    got = team_metrics(HISTORY, TARGETS, T, T + 24 * H)
    assert got == [
        AnalystMetrics("budi", triaged=2, median_triage_s=(5400 + 3600) / 2, contained=2,
                       median_contain_s=(3 * 3600 + 5 * 3600) / 2, sla_breaches=1,
                       resolved=2, reopened=1),
        AnalystMetrics("chen", triaged=1, median_triage_s=1200.0, contained=2,
                       median_contain_s=(5 * 3600 + 73 * 3600) / 2, sla_breaches=2,
                       resolved=0, reopened=0),
    ]
    assert got[0].reopen_rate == 0.5 and got[1].reopen_rate is None


def test_a_period_with_nothing_in_it_has_no_rows() -> None:
    assert team_metrics(HISTORY, TARGETS, T - 500 * H, T - 400 * H) == []


def test_export_to_csv_and_xlsx_reads_back(tmp_path: Path) -> None:
    metrics = team_metrics(HISTORY, TARGETS, T, T + 24 * H)
    rows = metric_rows(metrics, {"budi": "Budi Santoso", "chen": "=HYPERLINK(\"x\")"})
    assert rows[0] == ("budi", "Budi Santoso", 2, 1.2, 2, 4.0, 1, 2, 1, 50.0)
    export_metrics(tmp_path / "m.csv", rows, T, T + 24 * H)
    with (tmp_path / "m.csv").open(encoding="utf-8-sig", newline="") as fh:
        read = list(csv.reader(fh))
    assert read[0] == list(HEADERS)
    assert read[1] == ["budi", "Budi Santoso", "2", "1.2", "2", "4.0", "1", "2", "1", "50.0"]
    assert read[2][1] == "'=HYPERLINK(\"x\")" and read[2][9] == ""  # inert; no rate
    export_metrics(tmp_path / "m.xlsx", rows, T, T + 24 * H)
    sheet = load_workbook(tmp_path / "m.xlsx").active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == list(HEADERS)
    assert values[1] == ["budi", "Budi Santoso", 2, 1.2, 2, 4, 1, 2, 1, 50]
    # A text cell (never a formula), kept as the source wrote it (tabular_export.py).
    assert values[2][1] == "=HYPERLINK(\"x\")" and values[2][9] is None
    assert sheet.cell(3, 2).data_type == "s"
    assert "2026-12-01 00:00 to 2026-12-02 00:00 UTC" in str(values[-1][0])
