"""`id:` in search: a list of cache ids another screen hands over (a surge's escalations),
read by primary key in triage order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from rr_desktop.domain import Channel, Severity
from rr_desktop.store.channel_state import ensure_channel
from rr_desktop.store.ingest import merge_page
from rr_desktop.store.search import Filter, parse_query, search_ids
from rr_desktop.store.search_sql import plan
from rr_desktop.store.store import Store
from tests.factories import T0, escalation, incoming

NOW = T0 + timedelta(days=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "cache.sqlite3")
    with s.write() as db:
        cid = ensure_channel(db, Channel("platform", "rr_api", {}))
        merge_page(db, cid, [incoming(escalation(severity=Severity(n % 4)))
                             for n in range(30)], [], T0)
    yield s
    s.close()


def test_ids_list_exactly_those_escalations_in_triage_order(store: Store) -> None:
    with store.read() as db:
        every = search_ids(db, "", "", NOW, limit=None)
        wanted = [every[20], every[3], every[11]]
        found = search_ids(db, f"id:{wanted[0]},{wanted[1]},{wanted[2]}", "", NOW)
        assert plan(db, parse_query(f"id:{wanted[0]}"), "", NOW, None).driver == "ids"
        narrowed = search_ids(db, f"id:{','.join(map(str, wanted))} sev:0", "", NOW)
        excluded = search_ids(db, f"-id:{wanted[0]}", "", NOW, limit=None)
    assert found == sorted(wanted, key=every.index)
    assert set(narrowed) <= set(wanted)
    assert len(excluded) == len(every) - 1 and wanted[0] not in excluded


@pytest.mark.parametrize("bad", ["id:abc", "id:-3", "id:\u0663", "id:1" + "0" * 20])
def test_an_id_that_is_not_a_number_is_a_sentence_not_a_crash(bad: str) -> None:
    parsed = parse_query(bad)
    assert parsed.errors and parsed.errors[0].startswith("id: takes escalation numbers")
    assert not any(f.op == "id" for f in parsed.filters)


def test_ids_parse_to_one_filter() -> None:
    assert parse_query("id:7,007,9").filters == (Filter("id", ("7", "9")),)
