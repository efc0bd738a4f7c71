"""Spreadsheets as teams export them: merged cells, a line above the header, Excel date
serials in a CSV, line breaks kept as CRLF inside cells, files whose every row is
rejected. Files are written by the real writers (csv, openpyxl)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest

from rr_desktop.channels.contract import ChannelError, Page
from rr_desktop.channels.spreadsheet import SpreadsheetChannel, SpreadsheetError, preview
from rr_desktop.channels.spreadsheet.reader import open_sheet
from tests.unit.test_spreadsheet_channel import pull_all

HEADER = ["Ref", "Title", "Link", "Country", "Reported"]


def write_csv(path: Path, rows: list[list[str]], lineterminator: str = "\r\n") -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator=lineterminator).writerows(rows)
    return path




def records(pages: list[Page]) -> dict[str, object]:
    return {i.record.external_id: i.record for p in pages for i in p.items}


# -- the header -------------------------------------------------------------------------

def exported(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "export.csv", [
        ["Exported on", "2026-03-04 09:15"], [],
        HEADER,
        ["N-1", "Scam page", "https://ex.com/1", "TH", "2026-03-01"],
        ["N-2", "Fake shop", "https://ex.com/2", "Vietnam", "2026-03-02"],
    ])


def test_a_line_above_the_header_is_skipped_and_said(tmp_path: Path) -> None:
    path = exported(tmp_path)
    with open_sheet(path) as sheet:
        assert sheet.info.headers == tuple(HEADER) and sheet.info.header_row == 3
        assert [r.number for r in sheet.rows()] == [4, 5]
        assert "The header is row 3" in sheet.info.warnings[0]
        assert "'Exported on | 2026-03-04 09:15'" in sheet.info.warnings[0]
    pages, _ = pull_all(SpreadsheetChannel("p", {"path": str(path)}))
    got = records(pages)
    assert set(got) == {"N-1", "N-2"} and pages[-1].problem is None
    assert [p.quarantined for p in pages] == [[]]


def test_the_header_row_can_be_chosen(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "two.csv", [  # two header-like lines: the user decides
        ["Partner list", "week 10"], ["Ref", "Link"], ["N-1", "https://ex.com/1"]])
    with open_sheet(path) as sheet:
        assert sheet.info.header_row == 1  # found: both look like labels
    with open_sheet(path, header_row=2) as sheet:
        assert sheet.info.headers == ("Ref", "Link") and sheet.info.header_chosen
        assert [r.cells for r in sheet.rows()] == [("N-1", "https://ex.com/1")]
    ch = SpreadsheetChannel("p", {"path": str(path), "header_row": "2", "market": "AU"})
    assert set(records(pull_all(ch)[0])) == {"N-1"}
    assert preview(path, header_row=2).info.headers == ("Ref", "Link")
    with pytest.raises(SpreadsheetError, match="no row 9 to take as the header"):
        open_sheet(path, header_row=9)
    with pytest.raises(ChannelError, match="header row 'two' is not a row number"):
        SpreadsheetChannel("p", {"path": str(path), "header_row": "two"})


# -- cells ------------------------------------------------------------------------------

def test_line_breaks_in_quoted_cells_become_newlines(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "crlf.csv", [
        ["Ref", "Title", "Details", "Link", "Country"],
        ["N-1", "Scam", "line one\r\nline two\rline three", "https://ex.com/1", "AU"]])
    assert b'"line one\r\nline two\rline three"' in path.read_bytes()  # as Excel writes
    rec = records(pull_all(SpreadsheetChannel("p", {"path": str(path)}))[0])["N-1"]
    assert rec.body == "line one\nline two\nline three"  # type: ignore[attr-defined]
    wb = openpyxl.Workbook()
    wb.active.append(["Ref", "Details"])
    wb.active.append(["N-1", "a\r\nb"])
    wb.save(tmp_path / "crlf.xlsx")
    with open_sheet(tmp_path / "crlf.xlsx") as sheet:
        assert [r.cells for r in sheet.rows()] == [("N-1", "a\nb")]


@pytest.mark.parametrize(("system", "serial"), [("1900", "46185.66875"), ("1904", "44723.66875")])
def test_excel_date_serials_in_a_csv_are_dates(tmp_path: Path, system: str,
                                               serial: str) -> None:
    path = write_csv(tmp_path / "serial.csv", [
        HEADER, ["N-1", "Scam", "https://ex.com/1", "TH", serial],
        ["N-2", "Scam", "https://ex.com/2", "TH", "46185"],
        ["N-3", "Scam", "https://ex.com/3", "TH", "46185.5.5"]])
    ch = SpreadsheetChannel("p", {"path": str(path), "date_system": system})
    pages, _ = pull_all(ch)
    got = records(pages)
    assert got["N-1"].created_at == datetime(2026, 6, 12, 16, 3, tzinfo=UTC)  # type: ignore[attr-defined]
    day = datetime(2026, 6, 12, tzinfo=UTC) if system == "1900" else \
        datetime(2030, 6, 13, tzinfo=UTC)
    assert got["N-2"].created_at == day  # type: ignore[attr-defined]
    [bad] = [q for p in pages for q in p.quarantined]
    assert bad.reason.startswith("row 4: date '46185.5.5' is not a date we can read")
    # Only where the column is a date: a serial-looking count stays a count.
    assert "46185" not in str(got["N-1"].views)  # type: ignore[attr-defined]


def test_a_workbook_says_its_own_date_system(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    ws = wb.active
    ws.append(HEADER)
    ws.append(["N-1", "Scam", "https://ex.com/1", "TH", 44723.66875])  # General format
    wb.save(tmp_path / "mac.xlsx")
    ch = SpreadsheetChannel("p", {"path": str(tmp_path / "mac.xlsx")})  # config: 1900
    rec = records(pull_all(ch)[0])["N-1"]
    assert rec.created_at == datetime(2026, 6, 12, 16, 3, tzinfo=UTC)  # type: ignore[attr-defined]


# -- merged cells -----------------------------------------------------------------------

def merged_book(path: Path, groups: int, per_group: int = 3) -> dict[str, str]:
    """A team's sheet: one Market cell merged over each group's rows (openpyxl)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Case", "Summary", "URL", "Market", "Severity"])
    expected = {}
    markets = ["TH", "VN", "ID", "PH", "MY", "SG"]
    for g in range(groups):
        first = ws.max_row + 1
        for k in range(per_group):
            case = f"C-{g}-{k}"
            ws.append([case, f"Report {g}.{k}", f"https://ex.com/{g}/{k}",
                       markets[g % 6] if k == 0 else None, "S2"])
            expected[case] = markets[g % 6]
        ws.merge_cells(f"D{first}:D{first + per_group - 1}")
    ws.merge_cells("F1:H1")  # a header cell merged across columns
    ws["F1"] = "Notes"
    wb.save(path)
    return expected


def test_merged_cells_give_every_row_its_value(tmp_path: Path) -> None:
    expected = merged_book(tmp_path / "merged.xlsx", groups=10)
    with open_sheet(tmp_path / "merged.xlsx") as sheet:
        assert {"D2:D4", "D5:D7", "D29:D31", "F1:H1"} <= set(sheet.info.merged)
        assert sheet.info.headers[:6] == ("Case", "Summary", "URL", "Market", "Severity",
                                          "Notes")
    got = records(pull_all(SpreadsheetChannel("p", {"path": str(tmp_path / "merged.xlsx")}))[0])
    assert {k: r.market for k, r in got.items()} == expected  # type: ignore[attr-defined]


def test_a_range_merged_across_the_header_is_refused_by_name(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Case", "Market"])
    ws.append(["C-1", None])
    ws.merge_cells("B1:B2")
    wb.save(tmp_path / "m.xlsx")
    with pytest.raises(SpreadsheetError, match=r"cells B1:B2 are merged across the header"):
        open_sheet(tmp_path / "m.xlsx")


# -- every row rejected -----------------------------------------------------------------

def test_a_file_whose_every_row_is_rejected_says_so_until_it_is_fixed(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", [HEADER] + [
        [f"N-{i}", "Scam", "https://ex.com/x", "Narnia" if i % 3 else "Atlantis", ""]
        for i in range(7)])
    ch = SpreadsheetChannel("p", {"path": str(path)}, page_size=3)
    pages, cursor = pull_all(ch)
    assert [p.problem for p in pages[:-1]] == [None] * (len(pages) - 1)
    problem = pages[-1].problem
    assert problem is not None and problem.startswith(
        "no row of l.csv was imported: all 7 rows were rejected (market 'Narnia' is not "
        "an ISO country code or a country name we know (4 rows, first row 3); market "
        "'Atlantis'")
    assert "(3 rows, first row 2)" in problem and "header was taken from row 1" in problem
    again, cursor = pull_all(ch, cursor)  # nothing changed: still said
    assert again[-1].problem == problem and not again[-1].quarantined
    fixed = SpreadsheetChannel("p", {"path": str(path), "market": "TH",
                                     "mapping": '{"external_id": "Ref", "title": "Title"}'})
    pages, _ = pull_all(fixed, cursor)  # another set-up: every row again, all fine
    assert len(records(pages)) == 7 and pages[-1].problem is None
