"""The registry entry of kind `spreadsheet`: its settings and how a saved config becomes
a client."""

from __future__ import annotations

from collections.abc import Mapping

from ...domain import PolicyCategory, ReporterType, Severity, Urgency
from ..registry import ChannelSpec, FieldSpec, SecretLookup, register
from .client import SpreadsheetChannel

KIND = "spreadsheet"


def _build(name: str, config: Mapping[str, str], secret: SecretLookup) -> SpreadsheetChannel:
    return SpreadsheetChannel(name, config)


SPEC = register(ChannelSpec(
    kind=KIND, label="Spreadsheet (CSV / XLSX file)",
    description="A list a partner or regulator sends, imported from a local file; "
                "re-importing a new version brings only new and changed rows. Local only: "
                "triage stays in the app, nothing is written back to the file.",
    fields=(
        FieldSpec("path", "File", help="path of the .csv or .xlsx file"),
        FieldSpec("sheet", "Sheet", required=False,
                  help="XLSX sheet name; empty for the first sheet"),
        FieldSpec("header_row", "Header row", required=False,
                  help="row number of the column names, e.g. 3 when two lines come "
                       "first; empty to find it"),
        FieldSpec("mapping", "Column mapping", required=False,
                  help='JSON {"field": "Column"}, e.g. {"title": "Subject", "content_url": '
                       '"Link", "market": "Country"}; empty to guess from the header'),
        FieldSpec("reporter", "Default reporter", required=False,
                  help="who sent the list, when no column says"),
        FieldSpec("reporter_type", "Default reporter type", required=False,
                  default=ReporterType.TRUSTED_PARTNER.value,
                  choices=tuple(m.value for m in ReporterType)),
        FieldSpec("category", "Default category", required=False,
                  default=PolicyCategory.OTHER.value,
                  choices=tuple(m.value for m in PolicyCategory)),
        FieldSpec("market", "Default market", required=False,
                  help="ISO country code for rows without a country"),
        FieldSpec("severity", "Default severity", required=False, default="S2",
                  choices=tuple(m.name for m in Severity)),
        FieldSpec("urgency", "Default urgency", required=False, default="U2",
                  choices=tuple(m.name for m in Urgency)),
        FieldSpec("language", "Default language", required=False,
                  help="language tag like en or zh-TW; empty for undetermined"),
        FieldSpec("date_order", "Date order", required=False, default="DMY",
                  choices=("DMY", "MDY"), help="how to read 04/03/2025"),
        FieldSpec("timezone", "Time zone", required=False, default="UTC",
                  help="IANA zone for dates without one, e.g. Australia/Sydney"),
        FieldSpec("date_system", "Date system", required=False, default="1900",
                  choices=("1900", "1904"),
                  help="for dates a CSV holds as Excel serial numbers (46185.66875): "
                       "1900 (Excel for Windows), 1904 (old Excel for Mac); a workbook "
                       "says its own"),
    ),
    build=_build,
))
