"""The spreadsheet channel client: paging, idempotent re-import, resume from a cursor,
rejected rows quarantined with row number and reason, local-only push."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rr_desktop.channels import registry
from rr_desktop.channels.contract import (
    ChannelError,
    CursorExpired,
    Mutation,
    Page,
    PushResult,
    Rejected,
)
from rr_desktop.channels.spreadsheet import KIND, SPEC, SpreadsheetChannel, SpreadsheetError
from rr_desktop.domain import Incoming, Quarantined

HEADER = ["Ref", "Title", "Link", "Country", "Severity"]
T0 = datetime(2025, 3, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def good(i: int, title: str = "") -> list[str]:
    return [f"N-{i}", title or f"Item {i}", f"https://ex.com/{i}", "AU", "S2"]


def pull_all(ch: SpreadsheetChannel, cursor: str | None = None) -> tuple[list[Page], str]:
    pages = []
    while True:
        page = ch.pull(cursor)
        pages.append(page)
        assert page.next_cursor is not None
        cursor = page.next_cursor
        if page.done:
            return pages, cursor


def items(pages: list[Page]) -> list[Incoming]:
    return [i for p in pages for i in p.items]


def bad(pages: list[Page]) -> list[Quarantined]:
    return [q for p in pages for q in p.quarantined]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sheet(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "list.csv", [good(i) for i in range(25)])


@pytest.fixture
def channel(sheet: Path, clock: Clock) -> Iterator[SpreadsheetChannel]:
    ch = SpreadsheetChannel("esafety", {"path": str(sheet)}, page_size=10, clock=clock)
    yield ch
    ch.close()


def test_pages_are_bounded_and_every_row_arrives_once(channel: SpreadsheetChannel) -> None:
    pages, _ = pull_all(channel, None)
    assert [len(p.items) for p in pages] == [10, 10, 5]
    assert [p.done for p in pages] == [False, False, True]
    ids = [i.record.external_id for i in items(pages)]
    assert ids == [f"N-{i}" for i in range(25)]
    assert {i.record.remote_version for i in items(pages)} == {int(T0.timestamp() * 1000)}
    assert all(p.remote_time is not None and p.remote_time.tzinfo for p in pages)


def test_unchanged_touched_and_resorted_files_bring_nothing(
        channel: SpreadsheetChannel, sheet: Path, clock: Clock) -> None:
    _, cursor = pull_all(channel, None)
    clock.now += timedelta(hours=1)
    again, cursor = pull_all(channel, cursor)
    assert items(again) == [] and bad(again) == []
    os.utime(sheet, (1, 1))  # touched, same content
    again, cursor = pull_all(channel, cursor)
    assert items(again) == []
    write_csv(sheet, [good(i) for i in reversed(range(25))])  # re-sorted
    again, cursor = pull_all(channel, cursor)
    assert items(again) == []


def test_changed_and_new_rows_come_with_a_higher_version(
        channel: SpreadsheetChannel, sheet: Path, clock: Clock) -> None:
    first, cursor = pull_all(channel, None)
    v1 = items(first)[0].record.remote_version
    rows = [good(i) for i in range(25)]
    rows[3] = good(3, "Item 3, now viral")
    rows.append(good(99))
    write_csv(sheet, rows[::-1])
    clock.now -= timedelta(days=1)  # a clock gone backwards still moves versions up
    changed, cursor = pull_all(channel, cursor)
    got = {i.record.external_id: i.record for i in items(changed)}
    assert set(got) == {"N-3", "N-99"}
    assert got["N-3"].title == "Item 3, now viral"
    assert got["N-3"].remote_version == got["N-99"].remote_version == v1 + 1
    assert items(pull_all(channel, cursor)[0]) == []


def test_config_change_resends_every_row(sheet: Path, clock: Clock) -> None:
    ch = SpreadsheetChannel("s", {"path": str(sheet)}, page_size=100, clock=clock)
    _, cursor = pull_all(ch, None)
    other = SpreadsheetChannel("s", {"path": str(sheet), "category": "privacy"},
                               page_size=100, clock=clock)
    pages, _ = pull_all(other, cursor)
    assert len(items(pages)) == 25
    assert {i.record.category.value for i in items(pages)} == {"privacy"}


def test_resume_from_a_cursor_in_a_new_process(sheet: Path, clock: Clock) -> None:
    straight, _ = pull_all(SpreadsheetChannel("s", {"path": str(sheet)}, page_size=10,
                                              clock=clock), None)
    first = SpreadsheetChannel("s", {"path": str(sheet)}, page_size=10, clock=clock)
    page = first.pull(None)
    first.close()  # the process dies after the first page committed
    fresh = SpreadsheetChannel("s", {"path": str(sheet)}, page_size=10, clock=clock)
    clock.now += timedelta(minutes=5)
    rest, cursor = pull_all(fresh, page.next_cursor)
    assert [i.record for i in [*page.items, *items(rest)]] == [i.record for i in
                                                               items(straight)]
    assert items(pull_all(fresh, cursor)[0]) == []


def test_bad_rows_are_quarantined_with_row_number_and_reason(tmp_path: Path,
                                                             clock: Clock) -> None:
    path = write_csv(tmp_path / "l.csv", [
        good(1), ["N-2", "t", "javascript:alert(1)", "AU", ""], good(1, "dup"),
        ["", "no id", "https://ex.com/x", "AU", ""], good(3)])
    ch = SpreadsheetChannel("s", {"path": str(path)}, clock=clock)
    pages, cursor = pull_all(ch, None)
    assert [i.record.external_id for i in items(pages)] == ["N-1", "N-3"]
    reasons = [(q.external_id, q.reason) for q in bad(pages)]
    assert reasons == [
        ("N-2", "row 3: link 'javascript:alert(1)' is not an http(s) URL"),
        ("N-1", "row 4: duplicate of row 2 (same ID)"),
        (None, "row 5: no ID in column 'Ref'"),
    ]
    raw = json.loads(bad(pages)[0].raw)
    assert raw["row"] == 3 and raw["cells"]["Content URL"] == "javascript:alert(1)"
    assert bad(pull_all(ch, cursor)[0]) == []  # not quarantined again on a re-run


def test_garbage_cursor_means_resync() -> None:
    ch = SpreadsheetChannel("s", {"path": "/nonexistent.csv"})
    for cursor in ("nonsense", '{"v": 99}', '{"v": 1, "known": "!!"}'):
        with pytest.raises(CursorExpired):
            ch.pull(cursor)


def test_unreadable_file_fails_the_run_with_a_clear_sentence(tmp_path: Path) -> None:
    ch = SpreadsheetChannel("partner", {"path": str(tmp_path / "gone.csv")})
    with pytest.raises(SpreadsheetError, match=r"^partner: cannot read .*gone\.csv"):
        ch.pull(None)
    with pytest.raises(Rejected, match="partner: cannot open"):
        ch.check()
    path = write_csv(tmp_path / "l.csv", [good(1)])
    renamed = SpreadsheetChannel("partner", {"path": str(path),
                                             "mapping": '{"content_url": "URL"}'})
    with pytest.raises(SpreadsheetError, match="reads 'URL' but the file has no such"):
        renamed.pull(None)


def test_bad_config_is_a_channel_error() -> None:
    with pytest.raises(ChannelError, match="s: the column mapping is not valid JSON"):
        SpreadsheetChannel("s", {"path": "x.csv", "mapping": "{"})
    with pytest.raises(ChannelError, match="time zone"):
        SpreadsheetChannel("s", {"path": "x.csv", "timezone": "Nowhere/Else"})


def test_push_is_local_only(channel: SpreadsheetChannel) -> None:
    for op in ("update", "note"):
        result = channel.push(Mutation("op", op, "N-1", {"status": "triaged"}, 1))
        assert result == PushResult(None)
    # A reply reaches nobody: refused, never "sent" (one queued before the channel's
    # pushes were recorded would otherwise be marked done).
    with pytest.raises(Rejected, match=r"cannot send replies.*the reply was not sent"):
        channel.push(Mutation("op", "reply", "N-1", {"text": "thanks"}, 1))
    with pytest.raises(Rejected):
        channel.push(Mutation("op", "delete", "N-1", {}, 1))
    assert channel.analysts() == []


def test_fetch_reads_one_row(channel: SpreadsheetChannel) -> None:
    got = channel.fetch("N-7")
    assert got.record.title == "Item 7" and got.record.remote_version == 0
    with pytest.raises(Rejected, match="no row 'N-404'"):
        channel.fetch("N-404")


def test_kind_is_registered_with_its_fields() -> None:
    assert registry.spec(KIND) is SPEC
    names = [f.name for f in SPEC.fields]
    assert names[:4] == ["path", "sheet", "header_row", "mapping"]
    assert not SPEC.secret_fields()
    assert SPEC.validate({}) == ["File is required"]
    assert SPEC.validate({"path": "x", "severity": "S9"}) == [
        "Default severity must be one of S0, S1, S2, S3"]
    client = SPEC.build("s", {"path": "x.csv"}, lambda _f: None)
    assert isinstance(client, SpreadsheetChannel)


# Rows as partners fill them: mostly good, some with a bad link or market, a repeated or
# missing ID, blank lines; titles of any text (quotes, delimiters, line breaks, scripts).
KINDS = ("good", "good", "good", "bad link", "bad market", "repeat", "no id", "blank")
title_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
tables = st.lists(st.tuples(st.sampled_from(KINDS), title_text,
                            st.sampled_from(["AU", "TH", "Japan", "sg"]),
                            st.sampled_from(["S0", "high", "2", ""])), min_size=1, max_size=30)


def table_rows(spec: list[tuple[str, str, str, str]]) -> tuple[list[list[str]], list[str],
                                                               list[int]]:
    """(the rows, the IDs that must arrive in order, the row numbers to be rejected)."""
    rows, good_ids, rejected = [], [], []
    for i, (kind, title, market, severity) in enumerate(spec):
        number = i + 2  # the header is row 1
        if kind == "repeat" and not good_ids:
            kind = "good"
        ref = {"repeat": good_ids[0] if good_ids else "", "no id": "",
               "blank": ""}.get(kind, f"N-{i}")
        link = "javascript:alert(1)" if kind == "bad link" else f"https://ex.com/{i}"
        if kind == "blank":
            rows.append(["", "", "", "", ""])
            continue
        rows.append([ref, title, link, "Atlantis" if kind == "bad market" else market,
                     severity])
        (good_ids.append(ref) if kind == "good" else rejected.append(number))
    return rows, good_ids, rejected


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=tables)
def test_any_table_gives_every_row_exactly_once(tmp_path: Path,
                                                spec: list[tuple[str, str, str, str]]) -> None:
    rows, good_ids, rejected = table_rows(spec)
    path = write_csv(tmp_path / "h.csv", rows)
    ch = SpreadsheetChannel("h", {"path": str(path)}, page_size=4)
    try:
        pages, cursor = pull_all(ch, None)
    finally:
        ch.close()
    # Every good row arrives once, in file order; every other row is rejected once, by
    # its row number; blank lines are neither.
    assert [i.record.external_id for i in items(pages)] == good_ids
    assert [int(q.reason.split(":")[0].removeprefix("row ")) for q in bad(pages)] == rejected
    data_rows = sum(1 for r in rows if any(c.strip() for c in r))
    assert len(items(pages)) + len(bad(pages)) == data_rows
    sent = {}
    for ref, title in ((r[0], r[1]) for r in rows):
        sent.setdefault(ref, title)
    for got in items(pages):
        if sent[got.record.external_id].strip():  # as written, on one line
            assert got.record.title == " ".join(sent[got.record.external_id].split())
    again, _ = pull_all(SpreadsheetChannel("h", {"path": str(path)}, page_size=4), cursor)
    assert items(again) == [] and bad(again) == []
