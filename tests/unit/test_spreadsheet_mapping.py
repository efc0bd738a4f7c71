"""The column mapping (suggested from header synonyms, stored as JSON), the cell parsers,
row identity and validation, and the preview an analyst sees before importing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rr_desktop.channels.spreadsheet import ColumnMapping, Defaults, preview
from rr_desktop.channels.spreadsheet import values as v
from rr_desktop.channels.spreadsheet.importing import (
    channel_for_file,
    import_problems,
    new_channel_name,
    saved_mapping,
)
from rr_desktop.channels.spreadsheet.reader import DataRow, SpreadsheetError
from rr_desktop.channels.spreadsheet.records import OTHER_COLUMNS, RowInvalid, RowMapper
from rr_desktop.domain import Channel, PolicyCategory, ReporterType, Severity, Status, Urgency

NOW = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)


def test_suggest_uses_synonyms_and_each_column_once() -> None:
    headers = ["Ref No.", "Headline", "Link", "Country", "Description", "Priority",
               "Date received", "Due date", "Source", "Type", "Notes"]
    mapping = ColumnMapping.suggest(headers)
    assert dict(mapping.columns) == {
        "external_id": "Ref No.", "title": "Headline", "content_url": "Link",
        "market": "Country", "body": "Description", "urgency": "Priority",
        "created_at": "Date received", "deadline_at": "Due date", "reporter": "Source",
        "category": "Type",
    }
    assert ColumnMapping.suggest(["URL", "url "]).column("content_url") == "URL"
    assert not ColumnMapping.suggest(["foo", "bar"])


def test_mapping_json_round_trip_and_errors() -> None:
    mapping = ColumnMapping({"title": "Subject", "content_url": "Link"})
    assert ColumnMapping.from_json(mapping.to_json()) == mapping
    assert ColumnMapping.from_json("") == ColumnMapping()
    assert mapping.with_column("title", None) == ColumnMapping({"content_url": "Link"})
    assert mapping.missing(["Subject"]) == ["Link"]
    with pytest.raises(ValueError, match="not valid JSON"):
        ColumnMapping.from_json("{title")
    with pytest.raises(ValueError, match="JSON object"):
        ColumnMapping.from_json('["title"]')
    with pytest.raises(ValueError, match="unknown fields: colour"):
        ColumnMapping.from_json('{"colour": "x"}')


@pytest.mark.parametrize("text,expected", [
    ("S1", Severity.S1), ("s0", Severity.S0), ("2", Severity.S2), ("High", Severity.S1),
    ("critical", Severity.S0), ("S3 low", Severity.S3),
])
def test_severity(text: str, expected: Severity) -> None:
    assert v.parse_severity(text) is expected


def test_urgency_and_enums() -> None:
    assert v.parse_urgency("P0") is Urgency.U0 and v.parse_urgency("low") is Urgency.U3
    assert v.parse_category("Hate speech") is PolicyCategory.HATE_SPEECH
    assert v.parse_category("CSAM") is PolicyCategory.CHILD_SAFETY
    assert v.parse_reporter_type("Police") is ReporterType.LAW_ENFORCEMENT
    assert v.parse_status("In progress") is Status.INVESTIGATING
    with pytest.raises(ValueError, match="category 'knitting' is not one we know"):
        v.parse_category("knitting")


def test_markets_urls_counts_tags_languages() -> None:
    assert [v.parse_market(t) for t in ("Australia", "nz", "UK", " ID ")] == \
        ["AU", "NZ", "GB", "ID"]
    assert v.parse_url(" www.example.com/x ") == "https://www.example.com/x"
    for bad in ("=HYPERLINK(\"http://x\")", "javascript:alert(1)", "file:///etc/passwd",
                "http://", "https://a b"):
        with pytest.raises(ValueError, match="link"):
            v.parse_url(bad)
    assert v.parse_count("1,234", "views") == 1234 and v.parse_count("1.5M", "v") == 1_500_000
    assert v.parse_tags("election 2025, deepfake;election 2025") == ("election-2025",
                                                                     "deepfake")
    assert v.parse_language("Japanese") == "ja" and v.parse_language("zh-TW") == "zh-TW"
    with pytest.raises(ValueError, match="market 'Atlantis'"):
        v.parse_market("Atlantis")


@pytest.mark.parametrize("text,day_first,expected", [
    ("2025-03-04", True, datetime(2025, 3, 3, 13, 0, tzinfo=UTC)),
    ("2025-03-04T10:00:00Z", True, datetime(2025, 3, 4, 10, 0, tzinfo=UTC)),
    ("04/03/2025 5:00 pm", True, datetime(2025, 3, 4, 6, 0, tzinfo=UTC)),
    ("03/04/2025 17:00", False, datetime(2025, 3, 4, 6, 0, tzinfo=UTC)),
    ("4 March 2025", True, datetime(2025, 3, 3, 13, 0, tzinfo=UTC)),
    ("Mar 4, 2025 17:00", True, datetime(2025, 3, 4, 6, 0, tzinfo=UTC)),
])
def test_dates_in_the_configured_zone(text: str, day_first: bool, expected: datetime) -> None:
    assert v.parse_when(text, day_first, ZoneInfo("Australia/Sydney")) == expected


def test_defaults_from_config() -> None:
    d = Defaults.from_config({"reporter": "eSafety", "reporter_type": "regulator",
                              "market": "Australia", "severity": "S1", "timezone":
                              "Australia/Sydney", "date_order": "mdy"})
    assert (d.reporter, d.reporter_type, d.market, d.severity, d.day_first) == (
        "eSafety", ReporterType.REGULATOR, "AU", Severity.S1, False)
    with pytest.raises(ValueError, match="IANA zone"):
        Defaults.from_config({"timezone": "Mars/Olympus"})


HEADERS = ("Ref", "Title", "Link", "Country", "Notes", "Severity")


def mapper(mapping: dict[str, str] | None = None, **defaults: object) -> RowMapper:
    m = ColumnMapping(mapping if mapping is not None else
                      {"external_id": "Ref", "title": "Title", "content_url": "Link",
                       "market": "Country", "severity": "Severity"})
    return RowMapper(HEADERS, m, Defaults(**defaults), "partner list")  # type: ignore[arg-type]


def test_valid_row_becomes_an_escalation_with_other_columns_kept() -> None:
    m = mapper(reporter="eSafety")
    row = m.map(DataRow(7, ("N-1", " Scam  ad ", "https://ex.com/1", "Australia",
                            "<b>see</b>", "high", "extra")))
    rec = m.to_record(row, 42, NOW)
    assert (rec.external_id, rec.remote_version, rec.title, rec.market, rec.region.value,
            rec.severity, rec.reporter, rec.status) == (
        "N-1", 42, "Scam ad", "AU", "APAC", Severity.S1, "eSafety", Status.NEW)
    assert rec.body == f"{OTHER_COLUMNS}\nNotes: <b>see</b>\nColumn G: extra"
    assert rec.created_at == NOW == rec.updated_at


def test_invalid_row_lists_every_reason() -> None:
    m = mapper()
    row = m.map(DataRow(3, ("N-3", "t", "ftp://x", "Atlantis", "", "huge")))
    with pytest.raises(RowInvalid) as info:
        m.to_record(row, 1, NOW)
    assert len(info.value.reasons) == 3
    assert "link 'ftp://x'" in str(info.value) and "'huge' is not a severity" in str(info.value)
    no_id = m.map(DataRow(4, ("", "t", "https://x.com", "AU", "", "")))
    with pytest.raises(RowInvalid, match="no ID in column 'Ref'"):
        m.to_record(no_id, 1, NOW)
    no_market = mapper({"title": "Title"}).map(DataRow(5, ("", "t", "", "", "", "")))
    with pytest.raises(RowInvalid, match="no default market"):
        mapper({"title": "Title"}).to_record(no_market, 1, NOW)


def test_identity_without_id_column_ignores_row_position_and_other_cells() -> None:
    m = mapper({"title": "Title", "content_url": "Link", "market": "Country"})
    a = m.map(DataRow(2, ("x", "Scam", "www.ex.com/1", "AU", "note", "S1")))
    b = m.map(DataRow(90, ("y", "Scam (edited)", "https://www.ex.com/1", "AU", "", "")))
    c = m.map(DataRow(2, ("x", "Scam", "www.ex.com/1", "NZ", "note", "S1")))
    assert a.external_id == b.external_id != c.external_id
    assert a.fingerprint != b.fingerprint
    assert m.map(DataRow(5, a_cells := ("x", "Scam", "www.ex.com/1", "AU", "note", "S1"))) \
        .fingerprint == a.fingerprint == m.map(DataRow(9, (*a_cells, "", ""))).fingerprint


def test_mapping_a_column_the_file_lacks_is_a_clear_error() -> None:
    with pytest.raises(SpreadsheetError, match="'Link' but the file has no such column"):
        RowMapper(("Title",), ColumnMapping({"content_url": "Link"}), Defaults(), "s")


def test_preview_shows_mapped_rows_and_rejections(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "Ref,Headline,URL,Country,Severity\n"
        "N-1,Scam ad,https://ex.com/1,AU,S1\n"
        'N-2,"=HYPERLINK(""http://127.0.0.1:1/"")",=HYPERLINK("x"),NZ,\n'
        "N-1,Again,https://ex.com/9,AU,\n"
        + "".join(f"M-{i},t,https://ex.com/m{i},SG,\n" for i in range(10))
        + "X-1,late,https://ex.com/late,Atlantis,\n", encoding="utf-8")
    pv = preview(path, limit=3, source="eSafety list", now=NOW)
    assert pv.mapping.column("external_id") == "Ref"
    assert [r.number for r in pv.rows] == [2, 3, 4]
    assert pv.rows[0].error is None and pv.rows[0].cells["severity"] == "S1 high"
    assert pv.rows[0].cells["reporter"] == "eSafety list"
    assert pv.rows[1].cells["title"] == '=HYPERLINK("http://127.0.0.1:1/")'  # as text
    assert [(r.number, r.error) for r in pv.rejected] == [
        (3, "link '=HYPERLINK(\"x\")' is not an http(s) URL"),
        (4, "duplicate of row 2 (same ID)"),
        (15, "market 'Atlantis' is not an ISO country code or a country name we know"),
    ]
    assert (pv.total, pv.total_rejected, pv.accepted, pv.complete) == (14, 3, 11, True)
    remapped = preview(path, pv.mapping.with_column("content_url", None), now=NOW)
    assert remapped.total_rejected == 2


def test_setting_a_file_up_as_a_channel(tmp_path: Path) -> None:
    path = tmp_path / "eSafety notices (March).csv"
    channels = [Channel("esafety-notices-march", "rr_api", {"base_url": "https://x"}),
                Channel("notices", "spreadsheet", {"path": str(path),
                                                   "mapping": '{"title": "Title"}'})]
    assert channel_for_file(channels, path) is channels[1]
    assert channel_for_file(channels, tmp_path / "other.csv") is None
    assert new_channel_name(path, channels) == "esafety-notices-march-2"
    assert saved_mapping(channels[1], ["Title", "URL"]) == ColumnMapping({"title": "Title"})
    assert saved_mapping(channels[1], ["Subject"]) is None  # the partner renamed it
    assert import_problems("esafety-notices-march", {"path": str(path)}, channels) == [
        "a rr_api channel is already called 'esafety-notices-march'"]
    assert import_problems(" ", {}, []) == ["Channel name is required", "File is required"]
    assert import_problems("notices", {"path": str(path)}, channels) == []
