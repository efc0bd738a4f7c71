"""Reading a partner's CSV or XLSX file as a header plus numbered rows of plain text.

The format is decided by the file's first bytes, not its name: a ZIP container is read as
an XLSX workbook, an OLE compound file (an encrypted workbook or a legacy .xls) is refused
with a clear message, anything else is CSV. Cells are text and stay text: nothing is ever
evaluated (a CSV cell `=HYPERLINK(...)` is those characters; an XLSX formula cell gives
the value the spreadsheet application last stored, openpyxl `data_only=True`).

Rows are streamed (constant memory) and numbered as a spreadsheet application numbers
them: the header is usually row 1, the first data row 2.

The header is the row the user names (`header_row`), else the first of the first rows
that looks like one: at least half as many filled cells as the widest row below it,
all of them labels rather than numbers or dates. A line above it ("Exported on
| 2026-03-04", a title) is skipped and said so in the warnings. Line breaks inside cells
are "\n" whatever the file used (a CSV written on Windows keeps "\r\n" inside quotes).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

from ..contract import Rejected

CHUNK = 1 << 20
MAX_CELL = 1 << 20  # characters kept of one CSV cell; larger cells make the file unreadable
MAX_COLUMNS = 1024  # cells of a row beyond this are ignored
HEADER_SCAN_ROWS = 20
SNIFF_CHARS = 64 * 1024
MAGIC_ZIP = b"PK\x03\x04"
MAGIC_OLE = bytes.fromhex("D0CF11E0A1B11AE1")  # [MS-CFB] compound file header signature
DELIMITERS = ",;\t|"
MAX_HEADER_ROW = 1_000_000
_NOT_A_LABEL = re.compile(r"^[\s\d.,:/+%()\-]*$")  # numbers, dates, times, amounts

# csv's default limit is 128 KiB per field; a long partner description can exceed it. The
# limit is process-wide, so it is only ever raised here, never lowered.
if csv.field_size_limit() < MAX_CELL:
    csv.field_size_limit(MAX_CELL)


class SpreadsheetError(Rejected):
    """The file cannot be read as a spreadsheet (missing, encrypted, corrupt, unmapped
    columns). `str()` is one sentence for the user; the sync run fails with it."""


@dataclass(frozen=True, slots=True)
class FileScan:
    """What one streaming pass over the file learned: its content hash, and for text
    files whether it is valid UTF-8 (the offset of the first bad byte if not)."""

    sha256: str
    size: int
    mtime_ns: int
    bad_utf8_at: int | None


@dataclass(frozen=True, slots=True)
class DataRow:
    """One data row: its row number in the file and its cells as text."""

    number: int
    cells: tuple[str, ...]


@dataclass(slots=True)
class SheetInfo:
    """What the reader found out about the file before its data rows."""

    kind: str  # "csv" | "xlsx"
    headers: tuple[str, ...] = ()
    header_row: int = 0
    header_chosen: bool = False  # the user named the header row (else it was found)
    sheet: str = ""
    sheet_names: tuple[str, ...] = ()
    encoding: str = ""
    delimiter: str = ""
    date1904: bool | None = None  # a workbook's date system (None for CSV: the config's)
    merged: tuple[str, ...] = ()  # merged ranges filled with their value ("E2:E4")
    warnings: list[str] = field(default_factory=list)


def scan_file(path: Path) -> FileScan:
    """Hash the whole file and check it as UTF-8, in one streaming pass."""
    try:
        st = path.stat()
        digest = hashlib.sha256()
        decoder = codecs.getincrementaldecoder("utf-8")()
        bad: int | None = None
        offset = 0
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
                if bad is None:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError as exc:
                        bad = offset + max(exc.start, 0)
                offset += len(chunk)
        if bad is None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                bad = offset
    except OSError as exc:
        raise SpreadsheetError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return FileScan(digest.hexdigest(), st.st_size, st.st_mtime_ns, bad)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (spreadsheet column names)."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def header_names(cells: tuple[str, ...]) -> tuple[str, ...]:
    """Usable, unique column names: whitespace collapsed, blanks named by their letter,
    repeats numbered ("Link", "Link (2)"); trailing blank header cells dropped."""
    last = max((i for i, c in enumerate(cells) if c.strip()), default=-1)
    names: list[str] = []
    seen: set[str] = set()
    for i, cell in enumerate(cells[: last + 1]):
        base = " ".join(cell.split())[:100] or f"Column {column_letter(i)}"
        name, n = base, 1
        while name.casefold() in seen:
            n += 1
            name = f"{base} ({n})"
        seen.add(name.casefold())
        names.append(name)
    return tuple(names)


RawRows = Iterator[tuple[int, list[str]]]


def normalize_breaks(cells: list[str]) -> list[str]:
    """"\r\n" and a lone "\r" inside cells become "\n"."""
    return [c.replace("\r\n", "\n").replace("\r", "\n") if "\r" in c else c
            for c in cells]


def looks_like_header(cells: list[str]) -> bool:
    """Labels: no filled cell is a number, a date, a time or a long text."""
    return not any(_NOT_A_LABEL.match(c) or len(c) > 200 for c in cells if c.strip())


def _shown_row(cells: list[str]) -> str:
    text = " | ".join(" ".join(c.split()) for c in cells if c.strip())
    return text if len(text) <= 80 else text[:79] + "\u2026"


class Sheet:
    """An open spreadsheet: `info` (headers...), then `rows()` once. Use as a context
    manager; `close()` releases the file. `header_row` > 0 names the header row."""

    def __init__(self, info: SheetInfo, raw: RawRows, closer: Callable[[], None],
                 header_row: int = 0) -> None:
        self.info = info
        self._raw = raw
        self._closer = closer
        self._pending: list[tuple[int, list[str]]] = []
        try:
            if header_row > 0:
                self._take_header(header_row)
            else:
                self._find_header()
            self._check_merges()
        except BaseException:
            closer()
            raise

    def __enter__(self) -> Sheet:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._closer()

    def _take_header(self, wanted: int) -> None:
        """The row the user named is the header, whatever it holds."""
        above: list[tuple[int, list[str]]] = []
        for number, cells in self._raw:
            if number == wanted:
                if not any(c.strip() for c in cells):
                    raise SpreadsheetError(f"row {wanted}, chosen as the header, is empty")
                self._set_header(number, cells, above)
                self.info.header_chosen = True
                return
            if any(c.strip() for c in cells):
                above.append((number, cells))
        last = above[-1][0] if above else 0
        raise SpreadsheetError(f"there is no row {wanted} to take as the header (the "
                               f"last filled row is {last})")

    def _find_header(self) -> None:
        """See the module docstring; rows read past the header come back in rows()."""
        seen: list[tuple[int, list[str]]] = []
        for number, cells in self._raw:
            if any(c.strip() for c in cells):
                seen.append((number, cells))
                if len(seen) >= HEADER_SCAN_ROWS:
                    break
        if not seen:
            raise SpreadsheetError("the file has no rows (not even a header)")
        counts = [sum(1 for c in cells if c.strip()) for _, cells in seen]
        chosen = next((i for i, (_, cells) in enumerate(seen)
                       if counts[i] >= max(2, (max(counts[i:]) + 1) // 2)
                       and looks_like_header(cells)), None)
        if chosen is None:  # nothing looks like a header: the first row with 2+ cells
            chosen = next((i for i, n in enumerate(counts) if n >= 2), 0)
        self._set_header(*seen[chosen], seen[:chosen])
        self._pending = seen[chosen + 1:]

    def _set_header(self, number: int, cells: list[str],
                    above: list[tuple[int, list[str]]]) -> None:
        self.info.headers = header_names(tuple(cells))
        self.info.header_row = number
        if above:
            rows = ", ".join(str(n) for n, _ in above[:5]) + (", \u2026" if len(above) > 5
                                                              else "")
            self.info.warnings.append(
                f"The header is row {number}; the {len(above)} row(s) above it ({rows}: "
                f"{_shown_row(above[0][1])!r}) are not imported. Choose another header row "
                "if that is wrong.")

    def _check_merges(self) -> None:
        """A merged range across the header and the rows below it cannot be filled:
        the value is a column name, not a field value."""
        h = self.info.header_row
        for ref in self.info.merged:
            first, _, last = ref.partition(":")
            top = int(re.sub(r"[A-Z]+", "", first))
            bottom = int(re.sub(r"[A-Z]+", "", last or first))
            if top <= h < bottom:
                raise SpreadsheetError(
                    f"cells {ref} are merged across the header (row {h}) and the rows "
                    "below it: unmerge them in the sheet, or choose another header row")

    def rows(self) -> Iterator[DataRow]:
        """Data rows after the header; rows with no filled cell are skipped."""
        pending, self._pending = self._pending, []
        for number, cells in [*pending]:
            yield DataRow(number, tuple(normalize_breaks(cells[:MAX_COLUMNS])))
        for number, cells in self._raw:
            if any(c.strip() for c in cells):
                yield DataRow(number, tuple(normalize_breaks(cells[:MAX_COLUMNS])))


def open_sheet(path: Path, sheet: str = "", scan: FileScan | None = None,
               header_row: int = 0) -> Sheet:
    """Open `path` as CSV or XLSX (by content). `sheet` picks a workbook sheet by name
    (the first one when empty). `scan` (from scan_file) saves a second pass over a CSV.
    `header_row` names the header row (0: find it)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise SpreadsheetError(f"cannot open {path}: {exc.strerror or exc}") from exc
    if head.startswith(MAGIC_OLE):
        raise SpreadsheetError(
            f"{path.name} is a password-protected (encrypted) workbook or an old .xls "
            "file: save it without a password as .xlsx or CSV, then import that")
    if head.startswith(MAGIC_ZIP):
        from .xlsx import open_xlsx  # imported here: CSV-only use skips openpyxl

        return open_xlsx(path, sheet, header_row)
    if sheet:
        raise SpreadsheetError(f"{path.name} is a CSV file: it has no sheet {sheet!r}")
    return _open_csv(path, scan or scan_file(path), header_row)


# -- CSV -------------------------------------------------------------------------------


def _bomless_utf16(head: bytes) -> str | None:
    """UTF-16 without a byte-order mark: ASCII text has every other byte NUL."""
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def detect_encoding(head: bytes, scan: FileScan) -> tuple[str, str | None]:
    """(codec, warning): a BOM decides (UTF-8, UTF-16, UTF-32); else UTF-8 when the whole
    file is valid UTF-8; else Windows-1252 with a warning."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", None
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32", None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", None
    guess = _bomless_utf16(head)
    if guess:
        return guess, None
    if scan.bad_utf8_at is None:
        return "utf-8", None
    return "cp1252", (
        f"The file is not UTF-8 (an invalid byte at offset {scan.bad_utf8_at:,}); it was "
        "read as Windows-1252. Check accented and non-Latin characters, or save the file "
        "as CSV UTF-8 and import again.")


def sniff_delimiter(sample: str) -> str:
    """The delimiter among `DELIMITERS` that splits the first rows into the most
    consistent number (> 1) of columns; comma when none does. csv.Sniffer is not used:
    its quote guessing trips over apostrophes in free text."""
    cut = sample.rfind("\n")
    sample = sample[:cut] if cut > 0 else sample
    best, best_score = ",", (0.0, 0)
    for delim in DELIMITERS:
        try:
            rows = itertools.islice(csv.reader(io.StringIO(sample), delimiter=delim), 50)
            counts = [len(r) for r in rows if any(r)]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        score = (counts.count(mode) / len(counts), mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def _open_csv(path: Path, scan: FileScan, header_row: int) -> Sheet:
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise SpreadsheetError(f"cannot open {path}: {exc.strerror or exc}") from exc
    boms = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)
    if b"\x00" in head and _bomless_utf16(head) is None and not head.startswith(boms):
        raise SpreadsheetError(f"{path.name} is not a CSV or XLSX file (binary content)")
    encoding, warning = detect_encoding(head, scan)
    errors = "replace" if encoding == "cp1252" else "strict"
    try:
        fh_text: IO[str] = path.open(encoding=encoding, errors=errors, newline="")
    except OSError as exc:
        raise SpreadsheetError(f"cannot open {path}: {exc.strerror or exc}") from exc
    try:
        delimiter = sniff_delimiter(fh_text.read(SNIFF_CHARS))
        fh_text.seek(0)
    except UnicodeDecodeError as exc:
        fh_text.close()
        raise SpreadsheetError(f"{path.name} is not valid {encoding} text") from exc
    info = SheetInfo("csv", encoding=encoding, delimiter=delimiter)
    if warning:
        info.warnings.append(warning)
    return Sheet(info, _csv_rows(path, fh_text, delimiter), fh_text.close, header_row)


def _csv_rows(path: Path, fh: IO[str], delimiter: str) -> RawRows:
    reader = csv.reader(fh, delimiter=delimiter)  # RFC 4180 quoting (excel dialect)
    number = 0
    try:
        for number, row in enumerate(reader, 1):
            yield number, row
    except csv.Error as exc:
        raise SpreadsheetError(f"{path.name}: row {number + 1} is not readable CSV "
                               f"({exc})") from exc
    except UnicodeDecodeError as exc:
        raise SpreadsheetError(f"{path.name}: row {number + 1} is not valid "
                               f"{exc.encoding} text") from exc
