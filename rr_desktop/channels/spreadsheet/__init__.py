"""Channel `spreadsheet`: lists partners and regulators send as CSV or XLSX files.

Importing this package registers the kind. Pieces: `reader` and `xlsx` (CSV/XLSX to
text rows), `columns` (our field -> their column, suggested from header names), `values`
and `records` (a row validated into an escalation), `preview` (what an import would do),
`client` (the client the sync engine drives), `cursor` (what an import leaves for the
next), `importing` (setting a file up as a channel), `spec` (the registry entry).

There is no remote API; the documented behaviour relied on is that of the formats and
the libraries reading them:

- Python `csv` (docs.python.org/3/library/csv.html): files are opened with
  `newline=""` so quoted fields may hold line breaks; the default `excel` dialect is
  RFC 4180 quoting; `csv.field_size_limit` caps a field (128 KiB by default: raised to
  1 MiB here). The delimiter is chosen among , ; TAB | by which splits the first rows
  most consistently (csv.Sniffer's quote guessing trips over apostrophes in free text).
- Python codecs (docs.python.org/3/library/codecs.html): `utf-8-sig` skips a UTF-8
  BOM; the `utf-16`/`utf-32` codecs read the BOM to pick the byte order. Without a BOM a
  file is UTF-8 if the whole of it decodes as UTF-8, else it is read as Windows-1252
  (cp1252, what Excel writes as "CSV" on Western Windows) with a warning to the user.
- openpyxl (openpyxl.readthedocs.io, "Optimised Modes" and `load_workbook`):
  `read_only=True` streams rows in near-constant memory and the workbook must be
  closed explicitly; read-only mode trusts the file's recorded dimensions, which some
  writers get wrong, so `reset_dimensions()` is called; `data_only=True` gives the value
  the spreadsheet application stored last for a formula cell, never the formula and
  never an evaluation; openpyxl parses with defusedxml when it is installed (it is).
  `load_workbook` judges a path by its extension, so it is given an open file instead
  and the format is decided by content.
- An encrypted (password-protected) OOXML workbook is an OLE compound file holding an
  encrypted package (learn.microsoft.com, EncryptedPackageEnvelope; [MS-OFFCRYPTO]),
  recognised by the compound-file signature D0 CF 11 E0 A1 B1 1A E1 ([MS-CFB]), which
  legacy .xls files share: both are refused with a sentence saying what to do.

Push is local only (see client.py): spreadsheets have no write API.
"""

from .client import SpreadsheetChannel
from .columns import FIELD_NAMES, FIELDS, ColumnMapping, FieldInfo
from .cursor import ImportState
from .preview import Preview, PreviewRow, inspect, preview
from .reader import SheetInfo, SpreadsheetError
from .records import Defaults
from .spec import KIND, SPEC

__all__ = [
    "FIELDS", "FIELD_NAMES", "KIND", "SPEC", "ColumnMapping", "Defaults", "FieldInfo",
    "ImportState", "Preview", "PreviewRow", "SheetInfo", "SpreadsheetChannel",
    "SpreadsheetError", "inspect", "preview",
]
