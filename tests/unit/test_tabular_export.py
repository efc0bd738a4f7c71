"""Exports to CSV and XLSX: typed cells, formula-looking text made inert, atomic writes
(the old file survives a failure midway), and `rr-desktop query` end to end."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from rr_desktop.tabular_export import Cell, ExportError, write_table
from tests.query_cache import HOSTILE_TITLE, filled_cache

HEADERS = ("id", "title", "score", "created_utc", "created_market", "note", "big")
ROWS: list[tuple[Cell, ...]] = [
    (1, HOSTILE_TITLE, 0.5, "2026-11-25T00:01:00Z", "2026-11-25T07:01:00+07:00", None,
     12345678901234567890),
    (2, "+62 812 555 0101", -3, "not a time", None, "@channel\tping", 7),
    (3, "Bell\x07 and NUL\x00 inside", 1e308 * 10, None, None, "-rf", None),
]


def test_csv_has_a_bom_and_inert_formulas(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert write_table(path, HEADERS, ROWS) == 3
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        read = list(csv.reader(fh))
    assert read[0] == list(HEADERS)
    assert read[1] == ["1", "'" + HOSTILE_TITLE, "0.5", "2026-11-25T00:01:00Z",
                       "2026-11-25T07:01:00+07:00", "", "12345678901234567890"]
    assert read[2][1] == "'+62 812 555 0101" and read[2][5] == "'@channel\tping"
    assert path.stat().st_mode & 0o777 == 0o600


def test_xlsx_is_typed_and_formulas_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_table(path, HEADERS, ROWS, sheet="Query: v_sla")
    book = load_workbook(path)
    sheet = book.active
    assert sheet is not None and sheet.title == "Query  v_sla"
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == list(HEADERS)
    assert values[1] == [1, HOSTILE_TITLE, 0.5, datetime(2026, 11, 25, 0, 1),
                         datetime(2026, 11, 25, 7, 1), None, "12345678901234567890"]
    hostile = sheet.cell(2, 2)
    assert hostile.data_type == "s" and hostile.quotePrefix  # text, never a formula
    assert values[2] == [2, "+62 812 555 0101", -3, "not a time", None, "@channel\tping", 7]
    assert values[3][1] == "Bell\ufffd and NUL\ufffd inside" and values[3][2] == "inf"
    assert sheet.cell(2, 4).is_date


def test_an_unknown_suffix_is_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"export to a \.csv or \.xlsx file, not \.txt"):
        write_table(tmp_path / "out.txt", HEADERS, ROWS)
    assert list(tmp_path.iterdir()) == []


def _failing_rows(after: int) -> Iterator[Sequence[Cell]]:
    for n in range(after):
        yield (n, f"row {n}", n / 2, None, None, None, None)
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_failure_midway_leaves_the_old_file_as_it_was(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"report{suffix}"
    write_table(path, HEADERS, ROWS)
    before = path.read_bytes()
    with pytest.raises(OSError, match="No space left"):
        write_table(path, HEADERS, _failing_rows(25_000))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no partial file


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    return subprocess.run([sys.executable, "-m", "rr_desktop", "--data-dir", str(data_dir),
                           "query", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def test_the_query_command_end_to_end(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    filled_cache(data)
    out = tmp_path / "sla.xlsx"
    done = _cli(data, "SELECT id, title, due_utc, breached FROM v_sla ORDER BY id", "-o",
                str(out))
    assert (done.returncode, done.stderr) == (0, f"12 rows written to {out}\n")
    rows = list(load_workbook(out).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0] == ("id", "title", "due_utc", "breached")
    assert rows[1] == (1, HOSTILE_TITLE, datetime(2026, 11, 25, 0, 16), "yes")
    assert len(rows) == 13

    shown = _cli(data, "SELECT external_id, market FROM v_escalations WHERE id <= 2 "
                 "ORDER BY id")
    assert shown.returncode == 0
    assert shown.stdout.splitlines() == ["external_id,market", "ESC-000001,ID",
                                         "ESC-000002,PH"]

    before = (data / "cache.sqlite3").read_bytes()
    refused = _cli(data, "DELETE FROM escalation")
    assert refused.returncode == 1
    assert refused.stderr == ("rr-desktop: error: The console is read-only: DELETE is not "
                              "allowed.\n")
    assert (data / "cache.sqlite3").read_bytes() == before

    slow = _cli(data, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                "SELECT count(*) FROM c", "--timeout", "0.5")
    assert slow.returncode == 1 and "longer than 0.5 s" in slow.stderr

    usage = _cli(data, "SELECT 1", "--format", "xlsx")
    assert (usage.returncode, usage.stderr) == (
        2, "rr-desktop: error: XLSX needs a file: add -o FILE.xlsx\n")
    missing = _cli(tmp_path / "nowhere", "SELECT 1")
    assert missing.returncode == 1 and "There is no cache at" in missing.stderr
    assert not (tmp_path / "nowhere").exists()
