"""REST pagination state: where each style ends, what the cursor keeps, loop guards."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest

from rr_desktop.channels.contract import CursorExpired
from rr_desktop.channels.rest import RestConfig, decode_config
from rr_desktop.channels.rest.cursor import (
    PageFacts,
    PassState,
    advance,
    begin_pass,
    decode_cursor,
    encode_cursor,
    fingerprint,
    format_since,
    list_params,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "channels" / "example-rest.json"
MS = 1714521600000  # 2024-05-01T00:00:00Z


def cfg(**pagination: Any) -> RestConfig:
    doc = json.loads(EXAMPLE.read_text())
    doc["pagination"] = {"page_size": 10, "size_param": "n", **pagination}
    return decode_config(json.dumps(doc))


def facts(count: int, digest: str = "d", **kw: Any) -> PageFacts:
    return PageFacts(count=count, digest=digest, **kw)


def test_page_style_ends_on_empty_page_total_or_has_more() -> None:
    c = cfg(style="page", first_page=1)
    s = begin_pass(c, PassState())
    assert list_params(c, s)["page"] == "1" and list_params(c, s)["n"] == "10"
    s, done, loop = advance(c, s, facts(10, "a"), None)
    assert not done and loop is None and s.page == 2 and s.offset == 10
    _, done, _ = advance(c, s, facts(0, "b"), None)
    assert done
    _, done, _ = advance(c, s, facts(10, "b", total=20), None)
    assert done
    _, done, _ = advance(c, s, facts(10, "b", has_more=False), None)
    assert done
    _, done, _ = advance(c, s, facts(3, "b"), None)
    assert not done  # a short page ends nothing unless the config says so
    _, done, _ = advance(cfg(style="page", short_page_ends=True), s, facts(3, "b"), None)
    assert done


def test_page_zero_based_and_offset_style() -> None:
    c = cfg(style="page", first_page=0)
    assert list_params(c, begin_pass(c, PassState()))["page"] == "0"
    o = cfg(style="offset", offset_param="skip")
    s = begin_pass(o, PassState())
    assert list_params(o, s)["skip"] == "0"
    s, _, _ = advance(o, s, facts(10, "a"), None)
    assert list_params(o, s)["skip"] == "10"


def test_a_server_ignoring_the_page_parameter_is_caught() -> None:
    c = cfg(style="page")
    s = begin_pass(c, PassState())
    s, _, _ = advance(c, s, facts(10, "same"), None)
    _, done, loop = advance(c, s, facts(10, "same"), None)
    assert not done and loop is not None and "page=2" in loop and "ignore" in loop


def test_cursor_style_ends_without_a_next_token_and_guards_loops() -> None:
    c = cfg(style="cursor", next_cursor="next", cursor_param="after")
    s = begin_pass(c, PassState())
    assert "after" not in list_params(c, s)
    s, done, _ = advance(c, s, facts(10, next_token="t1"), None)
    assert not done and list_params(c, s)["after"] == "t1"
    _, done, loop = advance(c, s, facts(10, next_token="t1"), None)
    assert loop is not None and "same cursor" in loop
    _, done, _ = advance(c, s, facts(10, next_token=None), None)
    assert done


def test_link_style_follows_next_until_absent() -> None:
    c = cfg(style="link")
    s = begin_pass(c, PassState())
    s, done, _ = advance(c, s, facts(10, next_url="https://x/items?page=2"), None)
    assert not done and s.url == "https://x/items?page=2"
    _, done, _ = advance(c, s, facts(10, next_url=None), None)
    assert done


def test_incremental_since_is_high_water_minus_overlap() -> None:
    c = cfg(style="page")
    assert c.listing.incremental is not None and c.listing.incremental.overlap_seconds == 120
    first = begin_pass(c, PassState())
    assert "updated_since" not in list_params(c, first)  # first sync: everything
    later = begin_pass(c, PassState(hw=MS))
    assert later.since == MS - 120_000
    assert list_params(c, later)["updated_since"] == "2024-04-30T23:58:00.000Z"


def test_pass_end_keeps_only_the_high_water_mark_capped_at_pass_start() -> None:
    c = cfg(style="page")
    s = PassState(hw=MS, since=MS - 1, started=True, page=3, offset=20, t0=MS + 5_000)
    end, done, _ = advance(c, s, facts(0), MS + 9_000)
    assert done and end == PassState(hw=MS + 5_000)  # min(newest seen, server time at start)
    end, _, _ = advance(c, s, facts(0), MS + 1_000)
    assert end.hw == MS + 1_000


@pytest.mark.parametrize(("fmt", "text"), [
    ("iso", "2024-05-01T00:00:00.000Z"), ("epoch_s", "1714521600"),
    ("epoch_ms", "1714521600000"), ("%Y-%m-%d %H:%M", "2024-05-01 00:00"),
])
def test_since_formats(fmt: str, text: str) -> None:
    assert format_since(MS, fmt) == text


def test_cursor_round_trip_and_expiry_on_config_change() -> None:
    c = cfg(style="cursor", next_cursor="next")
    fp = fingerprint(c, c.base_url)
    s = PassState(hw=MS, since=MS - 5, started=True, token="abc", t0=MS)
    text = encode_cursor(s, fp)
    assert decode_cursor(text, fp, "n") == s
    assert decode_cursor(encode_cursor(PassState(hw=MS), fp), fp, "n") == PassState(hw=MS)
    assert decode_cursor(None, fp, "n") == PassState()
    other = fingerprint(msgspec.structs.replace(c, listing=msgspec.structs.replace(
        c.listing, path="/other")), c.base_url)
    with pytest.raises(CursorExpired, match="config changed"):
        decode_cursor(text, other, "n")
    with pytest.raises(CursorExpired, match="unreadable"):
        decode_cursor("someoneelse.5", fp, "n")
    # a new value map re-reads everything (records it quarantined may fit now)
    remapped = msgspec.structs.replace(c, values=msgspec.structs.replace(
        c.values, severity={"P1": "S1"}))
    assert fingerprint(remapped, c.base_url) != fp
    # settings that change neither the list nor the mapping keep the cursor
    relabelled = msgspec.structs.replace(c, label="renamed", write=msgspec.structs.replace(
        c.write, note=None))
    assert fingerprint(relabelled, c.base_url) == fp
    assert datetime.fromtimestamp(MS / 1000, UTC).year == 2024
