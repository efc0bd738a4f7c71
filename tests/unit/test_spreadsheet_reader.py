"""Reading CSV and XLSX files as text rows: encodings, delimiters, headers, formulas kept
as text, and clear refusals of encrypted, corrupt and non-spreadsheet files."""

from __future__ import annotations

import codecs
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from rr_desktop.channels.contract import Rejected
from rr_desktop.channels.spreadsheet.reader import (
    SpreadsheetError,
    header_names,
    open_sheet,
    scan_file,
    sniff_delimiter,
)

HEADER = "ID,Title,Link,Country\n"


Rows = list[tuple[int, tuple[str, ...]]]


def rows_of(path: Path, sheet: str = "") -> tuple[tuple[str, ...], Rows]:
    with open_sheet(path, sheet) as opened:
        return opened.info.headers, [(r.number, r.cells) for r in opened.rows()]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("encoding,bom", [
    ("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
    ("utf-16-be", codecs.BOM_UTF16_BE), ("utf-16-le", b""), ("utf-32-be", codecs.BOM_UTF32_BE),
    ("utf-32-le", codecs.BOM_UTF32_LE),
])
def test_unicode_files_read_exactly(tmp_path: Path, encoding: str, bom: bytes) -> None:
    text = HEADER + "1,Vidéo « choc » 東京 \u202e,https://ex.com/a,JP\n"
    path = write(tmp_path, "a.csv", bom + text.encode(encoding))
    with open_sheet(path) as opened:
        assert opened.info.warnings == []
        headers, rows = opened.info.headers, [r.cells for r in opened.rows()]
    assert headers == ("ID", "Title", "Link", "Country")  # no BOM glued to "ID"
    assert rows == [("1", "Vidéo « choc » 東京 \u202e", "https://ex.com/a", "JP")]


def test_windows_1252_is_read_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", (HEADER + "1,Caf\xe9 \u20ac scam,https://x.fr,FR\n")
                 .encode("cp1252"))
    with open_sheet(path) as opened:
        assert opened.info.encoding == "cp1252"
        assert "not UTF-8" in opened.info.warnings[0]
        assert [r.cells[1] for r in opened.rows()] == ["Café € scam"]


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed_despite_quotes_and_apostrophes(tmp_path: Path,
                                                             delim: str) -> None:
    rows = [["ID", "Title", "Description"], ["1", "It's a scam", 'says "buy, now; quick"'],
            ["2", "Don't", "multi\nline"]]
    lines = [delim.join('"' + c.replace('"', '""') + '"' if any(
        ch in c for ch in ',;\t|"\n') else c for c in row) for row in rows]
    path = write(tmp_path, "a.csv", ("\r\n".join(lines) + "\r\n").encode())
    headers, got = rows_of(path)
    assert headers == ("ID", "Title", "Description")
    assert [cells for _, cells in got] == [tuple(r) for r in rows[1:]]
    assert [n for n, _ in got] == [2, 3]


def test_single_column_file_and_comma_fallback() -> None:
    assert sniff_delimiter("URL\nhttps://a\nhttps://b\n") == ","


def test_title_rows_above_the_header_and_blank_rows_are_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"eSafety removal notices - March\n\n"
                 b"Ref,URL,,URL\nN1,https://a,x,https://b\n,,,\nN2,https://c,,\n")
    headers, rows = rows_of(path)
    assert headers == ("Ref", "URL", "Column C", "URL (2)")
    assert rows == [(4, ("N1", "https://a", "x", "https://b")), (6, ("N2", "https://c", "", ""))]


def test_header_names_are_unique_and_trimmed() -> None:
    assert header_names(("  Link ", "link", "", "Notes", "", "")) == (
        "Link", "link (2)", "Column C", "Notes")


def test_formula_looking_csv_cells_stay_text(tmp_path: Path) -> None:
    formula = '=HYPERLINK("http://127.0.0.1:1/x","click")'
    path = write(tmp_path, "a.csv", (HEADER + f'1,"{formula.replace(chr(34), chr(34) * 2)}",'
                                     "@SUM(A1),+1\n").encode())
    _, rows = rows_of(path)
    assert rows[0][1] == ("1", formula, "@SUM(A1)", "+1")


def test_big_cells_and_nul_characters(tmp_path: Path) -> None:
    big = "x" * 300_000  # over csv's default 128 KiB field limit
    path = write(tmp_path, "a.csv", (HEADER + f'1,"{big}",a\x00b,AU\n').encode())
    _, rows = rows_of(path)
    assert rows[0][1][1] == big and rows[0][1][2] == "a\x00b"


def test_many_rows_stream(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER)
        for i in range(30_000):
            fh.write(f"{i},t{i},https://ex.com/{i},AU\n")
    with open_sheet(path) as opened:
        count = sum(1 for _ in opened.rows())
    assert count == 30_000


def test_scan_hashes_content_not_name(tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", b"x,y\n1,2\n")
    b = write(tmp_path, "b.csv", b"x,y\n1,2\n")
    assert scan_file(a).sha256 == scan_file(b).sha256
    assert scan_file(a).bad_utf8_at is None
    assert write(tmp_path, "c.csv", b"x,y\n\xff,2\n") and scan_file(
        tmp_path / "c.csv").bad_utf8_at == 4


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_xlsx_first_or_chosen_sheet_with_typed_cells(tmp_path: Path) -> None:
    path = workbook(tmp_path / "list.xlsx", {
        "Summary": [["Report"], [], ["ID", "Title", "When", "Views", "Ratio", "Flag"],
                    [1001, "Scam", datetime(2025, 3, 4, 17, 0), 1200000.0, 0.5, True]],
        "Other": [["A", "B"], ["x", "y"]],
    })
    with open_sheet(path) as opened:
        assert opened.info.kind == "xlsx" and opened.info.sheet == "Summary"
        assert opened.info.sheet_names == ("Summary", "Other")
        assert opened.info.headers == ("ID", "Title", "When", "Views", "Ratio", "Flag")
        assert [(r.number, r.cells) for r in opened.rows()] == [
            (4, ("1001", "Scam", "2025-03-04 17:00:00", "1200000", "0.5", "TRUE"))]
    assert rows_of(path, "Other") == (("A", "B"), [(2, ("x", "y"))])
    with pytest.raises(SpreadsheetError, match="no sheet 'Nope'"):
        open_sheet(path, "Nope")


def test_xlsx_formulas_are_never_evaluated(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ID", "Title", "Total"])
    ws.append(["1", "x", "=1+1"])  # a formula cell with no stored value
    ws["B2"].value = '=HYPERLINK("http://127.0.0.1:1/x","click")'
    ws["B2"].data_type = "s"  # text that merely looks like a formula
    path = tmp_path / "f.xlsx"
    wb.save(path)
    _, rows = rows_of(path)
    assert rows == [(2, ("1", '=HYPERLINK("http://127.0.0.1:1/x","click")', ""))]


def test_xlsx_with_wrong_recorded_dimensions_is_read_whole(tmp_path: Path) -> None:
    path = workbook(tmp_path / "d.xlsx", {"S": [["A", "B"], ["1", "2"], ["3", "4"]]})
    with zipfile.ZipFile(path) as zin:
        parts = {n: zin.read(n) for n in zin.namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    parts[sheet] = parts[sheet].replace(b'<dimension ref="A1:B3"/>', b'<dimension ref="A1:A1"/>')
    with zipfile.ZipFile(path, "w") as zout:
        for name, data in parts.items():
            zout.writestr(name, data)
    assert rows_of(path)[1] == [(2, ("1", "2")), (3, ("3", "4"))]


def test_xlsx_named_csv_is_read_as_xlsx(tmp_path: Path) -> None:
    path = workbook(tmp_path / "x.xlsx", {"S": [["A", "B"], ["1", "2"]]})
    renamed = path.rename(tmp_path / "export.csv")
    assert rows_of(renamed) == (("A", "B"), [(2, ("1", "2"))])


@pytest.mark.parametrize("data,message", [
    (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600, "password-protected"),
    (b"PK\x03\x04" + b"\0" * 100, "damaged XLSX"),
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0", "not a CSV or XLSX"),
    (b"", "no rows"),
])
def test_unreadable_files_are_refused_clearly(tmp_path: Path, data: bytes,
                                              message: str) -> None:
    path = write(tmp_path, "bad.xlsx", data)
    with pytest.raises(SpreadsheetError, match=message) as info:
        open_sheet(path)
    assert isinstance(info.value, Rejected)  # the engine fails the run with this sentence


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(SpreadsheetError, match="not an XLSX workbook"):
        open_sheet(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpreadsheetError, match=r"cannot open .*gone\.csv"):
        open_sheet(tmp_path / "gone.csv")
