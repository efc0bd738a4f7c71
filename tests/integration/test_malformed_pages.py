"""Hostile and broken pages: no crash, bad records quarantined, good ones stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.domain import MAX_BODY, Channel, cut_marker
from rr_desktop.store import channel_state as cs
from rr_desktop.store.store import Store
from rr_desktop.sync.engine import SyncEngine
from tests.peers.page_server import PageServer as _PageServer


@pytest.fixture(scope="module")
def page_server() -> Iterator[_PageServer]:
    s = _PageServer()
    yield s
    s.stop()


def good(n: int) -> dict[str, Any]:
    return {
        "id": f"GOOD-{n}", "version": 1, "created_at": "2026-11-25T01:00:00Z",
        "updated_at": "2026-11-25T01:00:00Z", "title": f"Scam ad impersonating bank #{n}",
        "body": "Partner reports a cloned bank login page advertised to users in Manila.",
        "reporter": {"name": "BSP fraud desk", "type": "regulator"},
        "category": "impersonation_scams", "market": "PH", "language": "fil",
        "severity": "S2", "urgency": "U1", "status": "new", "assignee": None, "tags": ["scam"],
        "deadline_at": None, "reach": {"views": 10, "shares": 1}, "content_url": None,
        "facts": [],
    }


_junk_value = st.one_of(
    st.none(), st.integers(), st.floats(allow_nan=False), st.booleans(),
    st.text(max_size=50), st.text(alphabet=st.characters(codec="utf-8"), min_size=1,
                                  max_size=20).map(lambda t: "\u202e\x00\x1b" + t),
    st.lists(st.integers(), max_size=3), st.just("x" * 3_000),
)
_fields = list(good(0))
_optional = {"assignee", "tags", "deadline_at", "reach", "content_url", "facts"}
_required = [f for f in _fields if f not in _optional]


@st.composite
def bad_record(draw: st.DrawFn) -> dict[str, Any] | Any:
    kind = draw(st.sampled_from(["wrong_type", "missing", "not_object", "bad_enum"]))
    rec: dict[str, Any] = good(draw(st.integers(10_000, 99_999)))
    rec["id"] = "BAD-" + rec["id"]
    if kind == "not_object":
        return draw(_junk_value)
    if kind == "missing":
        del rec[draw(st.sampled_from(_required))]
        return rec
    if kind == "bad_enum":
        rec[draw(st.sampled_from(["category", "status", "severity", "market"]))] = "??"
        return rec
    field = draw(st.sampled_from(_fields))
    rec[field] = draw(_junk_value.filter(lambda v, f=field: not _acceptable(f, v)))
    return rec


def _acceptable(field: str, value: Any) -> bool:
    """Junk that happens to be valid for the field (e.g. None for assignee)."""
    if field in ("assignee", "deadline_at", "content_url") and value is None:
        return True
    if field in ("tags", "facts") and value == []:  # an empty list is a valid list
        return True
    if field == "version" and type(value) is int and value >= 0:  # any version >= 0
        return True
    if field in ("title", "body", "language", "assignee", "content_url", "id") and \
            isinstance(value, str):
        return not (field == "title" and len(value) > 2_000) and not (
            field == "id" and (not value or len(value) > 200))
    return False


def _engine(tmp: Path, url: str) -> tuple[SyncEngine, Store]:
    store = Store.open(tmp / "c.sqlite3")
    with store.write() as db:
        cs.ensure_channel(db, Channel("p", "rr_api", {"base_url": url}))
    return SyncEngine(store, {"p": RrApiChannel("p", url, "t")}), store


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(goods=st.integers(0, 5), bads=st.lists(bad_record(), max_size=6))
def test_bad_records_quarantined_good_ones_stored(page_server: _PageServer, tmp_path_factory:
                                                  pytest.TempPathFactory, goods: int,
                                                  bads: list[Any]) -> None:
    items = [good(i) for i in range(goods)] + bads
    page_server.body = json.dumps({"items": items, "next_cursor": "c1", "has_more": False}
                                  ).encode()
    engine, store = _engine(tmp_path_factory.mktemp("m"), page_server.url)
    report = engine.run("p")
    assert report.error is None
    with store.read() as db:
        stored = {r[0] for r in db.execute("SELECT external_id FROM escalation")}
        # One row per bad record (identical ones in a page are one row, counted).
        quarantined = db.execute("SELECT coalesce(sum(seen_count), 0) FROM quarantine"
                                 ).fetchone()[0]
    store.close()
    assert stored == {f"GOOD-{i}" for i in range(goods)}
    assert quarantined == len(bads)


@pytest.mark.parametrize("body", [
    b"not json at all", b'{"items": 5}', b"[]", b'{"items": [], "has_more": "yes"}',
    b"\xff\xfe\x00garbage", b'{"items": [' + b'{"id": "x"},' * 1000 + b'{}]}',
])
def test_malformed_page_is_quarantined_and_cursor_kept(page_server: _PageServer,
                                                       tmp_path: Path, body: bytes) -> None:
    page_server.body = body
    engine, store = _engine(tmp_path, page_server.url)
    import rr_desktop.sync.engine as eng

    old, eng.MAX_PULL_ATTEMPTS = eng.MAX_PULL_ATTEMPTS, 1
    try:
        report = engine.run("p")
    finally:
        eng.MAX_PULL_ATTEMPTS = old
    assert report.error is not None and "malformed page" in report.error
    with store.read() as db:
        assert db.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM sync_cursor").fetchone()[0] == 0
        assert db.execute("SELECT last_error FROM channel").fetchone()[0] == report.error
    store.close()


def test_huge_bodies_are_stored_cut_with_the_cut_said(page_server: _PageServer,
                                                      tmp_path: Path) -> None:
    """Over the domain's limit, a body is cut at a character boundary with a line that
    says how much was kept of how much (it was 10 MB stored whole and 17 MB quarantined:
    neither helps the analyst)."""
    big = good(1)
    big["body"] = "\u202e" + "A" * (10 * 1024 * 1024)
    huge = good(2)
    huge["body"] = "x" + "\U0001F1F9\U0001F1ED" * (512 * 1024)  # flags: 2 code points each
    page_server.body = json.dumps({"items": [big, huge], "next_cursor": "c",
                                   "has_more": False}).encode()
    engine, store = _engine(tmp_path, page_server.url)
    report = engine.run("p")
    assert report.error is None and report.quarantined == 0
    with store.read() as db:
        bodies = dict(db.execute("SELECT external_id, body FROM escalation").fetchall())
    kept_a, _, line_a = bodies[big["id"]].rpartition("\n\n")
    assert line_a == cut_marker(len(kept_a), 10 * 1024 * 1024 + 1)
    assert kept_a == big["body"][: len(kept_a)] and len(bodies[big["id"]]) <= MAX_BODY
    kept_b, _, line_b = bodies[huge["id"]].rpartition("\n\n")
    assert line_b == cut_marker(len(kept_b), 1024 * 1024 + 1)
    assert kept_b == huge["body"][: len(kept_b)] and len(kept_b) % 2 == 1  # no half flag
    store.close()
