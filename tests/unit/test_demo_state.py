"""The demo server's store: changes feed, versions, conditional patches, idempotent notes."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from rr_desktop.demo import state as state_module
from rr_desktop.demo.state import (
    CursorExpired,
    CursorMalformed,
    EscalationStore,
    NotFound,
    VersionMismatch,
)
from rr_desktop.demo.wire import decode


class Clock:
    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def rec(n: int, updated: str = "2026-11-01T00:00:00Z") -> dict[str, Any]:
    return {"id": f"ESC-{n:06d}", "version": 1, "updated_at": updated, "status": "new",
            "severity": "S2", "tags": [], "facts": []}


def store(count: int = 10, clock: Clock | None = None) -> EscalationStore:
    return EscalationStore([rec(n) for n in range(1, count + 1)], instance="inst",
                           clock=clock or Clock())


def read_all(s: EscalationStore, after: int = 0, limit: int = 3) -> tuple[list[str], int]:
    ids: list[str] = []
    while True:
        page = s.page(after, limit)
        ids += [decode(b)["id"] for b in page.items]
        assert len(page.items) <= limit
        after = page.last_seq
        if not page.has_more:
            return ids, after


def test_initial_feed_is_ordered_by_last_change_then_id() -> None:
    s = EscalationStore([rec(3, "2026-01-02T00:00:00Z"), rec(1, "2026-01-03T00:00:00Z"),
                         rec(2, "2026-01-02T00:00:00Z")], instance="i")
    assert read_all(s)[0] == ["ESC-000002", "ESC-000003", "ESC-000001"]


def test_feed_lists_each_record_once_at_its_latest_change() -> None:
    s = store(10)
    s.mutate("ESC-000002", status="triaged")
    s.mutate("ESC-000005", status="triaged")
    s.mutate("ESC-000002", status="contained")
    ids, last = read_all(s)
    assert len(ids) == 10 and len(set(ids)) == 10
    assert ids[-2:] == ["ESC-000005", "ESC-000002"]
    assert last == s.max_seq == 13
    page = s.page(last, 100)
    assert page.items == [] and page.last_seq == last and not page.has_more


def test_has_more_is_exact_when_the_tail_is_stale() -> None:
    s = store(5)
    s.mutate("ESC-000005", status="triaged")  # seq 5 is now stale, seq 6 live
    page = s.page(0, 4)
    assert [decode(b)["id"] for b in page.items][-1] == "ESC-000004"
    assert page.has_more
    page = s.page(page.last_seq, 4)
    assert [decode(b)["id"] for b in page.items] == ["ESC-000005"] and not page.has_more


def test_stale_entries_are_compacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state_module, "_COMPACT_MIN", 10)
    s = store(3)
    for i in range(200):
        s.mutate("ESC-000001", tags=[str(i)])
    assert len(s._log) < 30  # white-box: the log does not grow without bound
    ids, _ = read_all(s, limit=2)
    assert ids == ["ESC-000002", "ESC-000003", "ESC-000001"]
    assert s.get("ESC-000001")["tags"] == ["199"]  # type: ignore[index]


def test_cursors() -> None:
    s = store(3)
    assert s.parse_cursor(None) == 0 and s.parse_cursor("") == 0
    assert s.parse_cursor(s.cursor(2)) == 2
    for bad in ("x", "inst.", ".3", "inst.-1", "inst.3.4", "in st.3", "inst.abc"):
        with pytest.raises(CursorMalformed):
            s.parse_cursor(bad)
    with pytest.raises(CursorExpired):
        s.parse_cursor("other.1")
    with pytest.raises(CursorExpired):
        s.parse_cursor("inst.4")
    with pytest.raises(CursorExpired):
        s.page(99, 10)


def test_versions_grow_and_outrun_a_restart() -> None:
    clock = Clock(1_800_000_000.5)
    s = store(2, clock)
    assert s.get("ESC-000001")["version"] == 1  # type: ignore[index]
    first = s.mutate("ESC-000001", status="triaged")
    assert first["version"] == 1_800_000_000_500
    assert first["updated_at"] == "2027-01-15T08:00:00Z"
    second = s.mutate("ESC-000001", status="contained")  # same millisecond
    assert second["version"] == first["version"] + 1
    clock.t += 10
    assert s.mutate("ESC-000001", status="resolved")["version"] == 1_800_000_010_500


def test_get_returns_private_copies_and_mutate_copies_its_input() -> None:
    s = store(1)
    got = s.get("ESC-000001")
    assert got is not None
    got["tags"].append("local")
    tags = ["a"]
    s.mutate("ESC-000001", tags=tags)
    tags.append("b")
    assert s.get("ESC-000001")["tags"] == ["a"]  # type: ignore[index]
    assert s.get("ESC-404") is None
    with pytest.raises(ValueError):
        s.mutate("ESC-000001", version=5)


def test_an_update_that_decides_against_a_change_changes_nothing() -> None:
    """The live feed's analysts look at the record under the lock and may find it moved
    on meanwhile: no new version, nothing in the feed, nothing in the history."""
    s = store(3)
    seq = s.max_seq
    seen: list[str] = []

    def look(record: dict[str, Any]) -> None:
        seen.append(record["status"])

    assert s.update("ESC-000002", look) == s.get("ESC-000002")
    assert seen == ["new"] and s.max_seq == seq and s.history("ESC-000002") == []
    assert s.update("ESC-000002", lambda r: {"status": "triaged"})["version"] > 1
    assert s.max_seq == seq + 1


def test_encoded_bytes_are_cached_per_version() -> None:
    s = store(1)
    v1, b1 = s.encoded("ESC-000001")  # type: ignore[misc]
    assert s.encoded("ESC-000001")[1] is b1  # type: ignore[index]
    s.mutate("ESC-000001", status="triaged")
    v2, b2 = s.encoded("ESC-000001")  # type: ignore[misc]
    assert v2 > v1 and decode(b2)["status"] == "triaged"


def test_patch_is_conditional_and_counted() -> None:
    s = store(2)
    with pytest.raises(VersionMismatch) as info:
        s.patch("ESC-000001", 7, {"status": "triaged"})
    assert info.value.current["version"] == 1
    assert s.patch_count("ESC-000001") == 0
    out = s.patch("ESC-000001", 1, {"status": "triaged"})
    assert out["status"] == "triaged" and out["version"] > 1
    assert s.patch_count("ESC-000001") == 1
    assert [op.kind for op in s.applied("ESC-000001")] == ["patch"]
    with pytest.raises(NotFound):
        s.patch("ESC-404", 1, {"status": "triaged"})


def test_notes_are_idempotent_per_escalation_and_kind() -> None:
    s = store(2)
    a, created_a = s.add_note("ESC-000001", "notes", "first", "a.tan", "k1")
    b, created_b = s.add_note("ESC-000001", "notes", "first", "a.tan", "k1")
    assert created_a and not created_b and a == b and a["id"] == "note-1"
    c, _ = s.add_note("ESC-000001", "replies", "reply", "a.tan", "k1")
    d, _ = s.add_note("ESC-000002", "notes", "other", "a.tan", "k1")
    assert c["id"] == "reply-1" and d["id"] == "note-2"
    assert [n["text"] for n in s.notes("ESC-000001")] == ["first"]
    assert [n["text"] for n in s.replies("ESC-000001")] == ["reply"]
    assert s.get("ESC-000001")["version"] == 1  # type: ignore[index]
    assert s.max_seq == 2  # notes are not changes of the escalation
    with pytest.raises(NotFound):
        s.add_note("ESC-404", "notes", "x", "y")


def test_add_and_create_take_new_numbers_and_fresh_versions() -> None:
    clock = Clock(1_800_000_000.0)
    s = store(3, clock)
    made = s.create(lambda n: {**rec(n), "version": 1})
    assert made["id"] == "ESC-000004" and made["version"] == 1_800_000_000_000
    s.add(rec(10))
    assert s.create(lambda n: rec(n))["id"] == "ESC-000011"
    with pytest.raises(ValueError):
        s.add(rec(10))
    assert read_all(s)[0][-3:] == ["ESC-000004", "ESC-000010", "ESC-000011"]


def test_concurrent_updates_lose_nothing() -> None:
    s = store(1)

    def work(i: int) -> None:
        for j in range(50):
            tag = f"{i}-{j}"

            def add_tag(r: dict[str, Any], tag: str = tag) -> dict[str, Any]:
                return {"tags": [*r["tags"], tag]}

            s.update("ESC-000001", add_tag)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(s.get("ESC-000001")["tags"]) == 200  # type: ignore[index]
    assert s.max_seq == 201
