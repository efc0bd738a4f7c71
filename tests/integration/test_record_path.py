"""The whole record path, channel decode -> ingest, with anything a record can carry.

A page is served over loopback HTTP exactly as bytes; the real rr_api client pulls it
(its page split and validate()), the real engine merges it into a real cache. Any JSON
value in any field, any string (lone surrogates included, as `\\uXXXX` escapes or as the
raw bytes a sloppy server writes), numbers beyond 64 bits, a BOM, a record nested
200,000 deep: every record is stored or quarantined, nothing raises, the other records
of the page are stored, and every stored text is valid UTF-8.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rr_desktop.channels.rr_api import RrApiChannel
from rr_desktop.domain import Channel
from rr_desktop.store import channel_state as cs
from rr_desktop.store.database import Store
from rr_desktop.sync.engine import SyncEngine
from tests.integration.test_malformed_pages import good
from tests.peers.page_server import PageServer

_channels = count()
# Every character, with surrogates (category Cs: lone, or bytes carried by
# surrogateescape), a BOM, NUL and bidi controls drawn often, not once in thousands.
_any_char = st.one_of(st.characters(codec=None, categories=None),
                      st.characters(categories=["Cs"]),
                      st.sampled_from(["\udcc3", "\udca2", "\ufeff", "\x00", "\u202e"]))
# (st.text drops surrogates whatever the alphabet, so strings are joined by hand.)
_any_text = st.lists(_any_char, max_size=30).map("".join)
_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**80),
    st.integers(min_value=-(2**80), max_value=-(2**63) + 2),
    st.floats(allow_nan=True, allow_infinity=True), _any_text,
)
_json = st.recursive(_scalar, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(_any_text, inner, max_size=3), max_leaves=8)
_FIELDS = [*good(0), "reach.views", "reach.shares", "reporter.name", "reporter.type",
           "extra"]
_TEXT_FIELDS = ("title", "body", "reporter.name")


def _set(rec: dict[str, Any], path: str, value: Any) -> None:
    head, _, rest = path.partition(".")
    if rest:
        if not isinstance(rec.get(head), dict):
            rec[head] = {}
        rec[head][rest] = value
    else:
        rec[head] = value


@st.composite
def _item(draw: st.DrawFn, n: int) -> tuple[str, Any]:
    """(kind, item): "good" records must be stored (with their text, cleaned); "wild"
    ones may be stored or quarantined; "junk" is any JSON value at all."""
    kind = draw(st.sampled_from(["good", "good", "wild", "wild", "junk"]))
    rec = good(n)
    rec["id"] = f"R-{n}"
    if kind == "junk":
        return kind, draw(_json)
    if kind == "good":
        for path in draw(st.sets(st.sampled_from(_TEXT_FIELDS), max_size=3)):
            _set(rec, path, draw(_any_text))
        return kind, rec
    for path in draw(st.sets(st.sampled_from(_FIELDS), min_size=1, max_size=3)):
        value = draw(_json)
        if path == "id" and isinstance(value, str):
            value = f"W{n}-{value}"  # never another item's id
        _set(rec, path, value)
    return kind, rec


@st.composite
def _page(draw: st.DrawFn) -> tuple[list[tuple[str, Any]], bytes]:
    size = draw(st.integers(1, 8))
    items = [draw(_item(n)) for n in range(size)]
    text = json.dumps({"items": [i for _, i in items], "next_cursor": "c1",
                       "has_more": False}, ensure_ascii=draw(st.booleans()))
    # Lone surrogates left raw come out as the CESU-8 bytes a sloppy server writes.
    body = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        body = b"\xef\xbb\xbf" + body
    return items, body


_NOISE = re.compile("[\ud800-\udfff\ufffd\U00010000-\U0010ffff]")


def _visible(text: str) -> str:
    """Text without what the boundary may rewrite (surrogates, U+FFFD, astral pairs)."""
    return _NOISE.sub("", text)


def _as_bytes(text: str) -> str:
    """`text` with runs of escaped bytes decoded as UTF-8 (what else is not UTF-8 is left
    for `_visible` to drop)."""
    out = []
    for part in re.split(r"([\udc80-\udcff]+)", text):
        if part and "\udc80" <= part[0] <= "\udcff":
            out.append(part.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
        else:
            out.append(part)
    return "".join(out)


@pytest.fixture(scope="module")
def page_server() -> Iterator[PageServer]:
    server = PageServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = Store.open(tmp_path_factory.mktemp("path") / "cache.sqlite3")
    yield s
    assert s.quick_check() is None
    s.close()


def _sync(store: Store, server: PageServer, body: bytes) -> tuple[int, str]:
    """Sync one page into a fresh channel of `store`: (channel id, report error)."""
    server.body = body
    name = f"p{next(_channels)}"
    with store.write() as db:
        cid = cs.ensure_channel(db, Channel(name, "rr_api", {"base_url": server.url}))
    engine = SyncEngine(store, {name: RrApiChannel(name, server.url, "t")})
    report = engine.run(name)
    assert report.error is None, report.error
    return cid, name


def _outcome(store: Store, cid: int) -> tuple[dict[str, dict[str, Any]], int]:
    with store.read() as db:
        cur = db.execute("SELECT * FROM escalation WHERE channel_id = ?", (cid,))
        cols = [d[0] for d in cur.description]
        stored = {r[cols.index("external_id")]: dict(zip(cols, r, strict=True))
                  for r in cur.fetchall()}
        quarantined = db.execute("SELECT coalesce(sum(seen_count), 0) FROM quarantine "
                                 "WHERE channel_id = ?", (cid,)).fetchone()[0]
    return stored, quarantined


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(page=_page())
def test_every_record_is_stored_or_quarantined(page_server: PageServer, store: Store,
                                               page: tuple[list[tuple[str, Any]], bytes]
                                               ) -> None:
    items, body = page
    cid, _ = _sync(store, page_server, body)
    stored, quarantined = _outcome(store, cid)
    assert len(stored) + quarantined == len(items)
    for kind, item in items:
        if kind != "good":
            continue
        row = stored[item["id"]]  # the good records of the page are all there
        for path in _TEXT_FIELDS:
            head, _, rest = path.partition(".")
            sent = item[head][rest] if rest else item[head]
            column = {"reporter.name": "reporter"}.get(path, path)
            # Lone surrogates in U+DC80..U+DCFF are how Python carries undecodable bytes:
            # the boundary may decode a run of them back (\udcc2\udc80 is UTF-8 U+0080).
            assert _visible(row[column]) in (_visible(sent), _visible(_as_bytes(sent)))
    for row in stored.values():
        for value in row.values():
            if isinstance(value, str):
                value.encode("utf-8")  # valid UTF-8: no surrogate left


@pytest.mark.parametrize("case", ["bom", "lone_escape", "raw_bytes", "deep", "huge_numbers"])
def test_one_hostile_record_does_not_hold_back_its_page(page_server: PageServer,
                                                        store: Store, case: str) -> None:
    """The reported cases: each page has two good records around the hostile one."""
    before, after = json.dumps(good(1)).encode(), json.dumps(good(2)).encode()
    hostile = good(3)
    prefix = b""
    if case == "bom":
        prefix = b"\xef\xbb\xbf"
        middle = json.dumps(hostile).encode()
    elif case == "lone_escape":
        middle = json.dumps(hostile).encode().replace(b'"Scam', b'"\\ud800Scam', 1)
    elif case == "raw_bytes":  # RFC 6532-style raw UTF-8, then bytes that are not UTF-8
        middle = json.dumps(hostile).encode().replace(b'"BSP', b'"T\xc3\xa2n \xff\xfe', 1)
    elif case == "deep":
        middle = json.dumps(hostile).encode()[:-1] + b', "x": ' + b"[" * 200_000 \
            + b"]" * 200_000 + b"}"
    else:
        hostile["version"] = 2**63
        extra = good(4)
        extra["reach"] = {"views": 2**64, "shares": 10**40}
        middle = json.dumps(hostile).encode() + b", " + json.dumps(extra).encode()
    body = prefix + b'{"items": [' + before + b", " + middle + b", " + after \
        + b'], "next_cursor": "c9", "has_more": false}'
    cid, name = _sync(store, page_server, body)
    stored, quarantined = _outcome(store, cid)
    assert {"GOOD-1", "GOOD-2"} <= set(stored)
    if case in ("bom", "lone_escape", "raw_bytes"):
        assert "GOOD-3" in stored and quarantined == 0
    if case == "lone_escape":
        assert stored["GOOD-3"]["title"].startswith("\ufffdScam")
    if case == "raw_bytes":
        assert stored["GOOD-3"]["reporter"].startswith("T\u00e2n \ufffd")
    if case == "deep":
        assert "GOOD-3" not in stored and quarantined == 1
    if case == "huge_numbers":
        assert "GOOD-3" not in stored and "GOOD-4" not in stored and quarantined == 2
        with store.read() as db:
            reasons = [r[0] for r in db.execute(
                "SELECT reason FROM quarantine WHERE channel_id = ? ORDER BY external_id",
                (cid,))]
        assert "remote_version 9223372036854775808 is out of range" in reasons[0]
        assert "views 18446744073709551616 is out of range" in reasons[1]
    with store.read() as db:
        state = cs.channel_statuses(db, __import__("datetime").datetime.now())
    assert next(s for s in state if s.name == name).state(0) == "ok"
