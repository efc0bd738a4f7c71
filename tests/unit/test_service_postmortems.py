"""The reference service's post-mortem store (rr_desktop/demo/postmortems.py): version
rules of the conditional write, the change sequence under concurrent writers, pages,
idempotent replays, the body check's sentences and the tasks (docs/postmortems.md).

These are the store's contract: tests/hub/records/test_postmortem_store_contract.py runs the same
tests against the hub's post-mortems (rr_desktop/hub/postmortem_store.py) by giving
`new_store` and `rounds` its own values."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from rr_desktop.demo.postmortems import (
    MAX_TEXT,
    PAGE_BUDGET,
    AheadOfLog,
    InvalidPostmortem,
    KeyReused,
    ServicePostmortems,
    VersionMismatch,
)
from rr_desktop.demo.wire import decode

NewStore = Callable[..., ServicePostmortems]  # (now=...) -> a new, empty store


@pytest.fixture
def new_store() -> NewStore:
    return ServicePostmortems


@pytest.fixture
def rounds() -> int:
    """Writes per writer in the concurrency test."""
    return 40


def body(text: str = "# PM\n\n## Summary\nTBD\n", **changes: Any) -> dict[str, Any]:
    return {"incident": "inc-1", "title": "Post-mortem: doxxing wave", "state": "draft",
            "text": text, "actions": [], **changes}


def action(key: str, owner: str = "b.santoso", due: str = "2026-12-13",
           done: bool = False) -> dict[str, Any]:
    return {"key": key, "text": f"Do {key}", "owner": owner, "due": due, "done": done}


def everything(store: ServicePostmortems, limit: int = 7) -> list[dict[str, Any]]:
    out, after = [], 0
    while True:
        page = store.page(after, limit)
        out += [decode(raw) for raw in page.postmortems]
        after = page.next
        if not page.has_more:
            return out


def test_versions_count_from_one_and_each_write_names_the_current_one(
        new_store: NewStore) -> None:
    store = new_store(now=lambda: 1_796_000_000)
    first, created, replayed = store.put("pm-1", body(), None)
    assert (first["version"], first["seq"], created, replayed) == (1, 1, True, False)
    assert first["updated_at"] == "2026-11-30T00:53:20Z" and first["updated_by"] == ""
    second, created, _ = store.put("pm-1", body("v2", updated_by="a.tan"), 1)
    assert (second["version"], second["seq"], created) == (2, 2, False)
    assert store.get("pm-1") == second and second["updated_by"] == "a.tan"
    for stale in (1, 3, None, "*"):  # an old version, a future one, none, create-only
        with pytest.raises(VersionMismatch) as caught:
            store.put("pm-1", body("lost"), stale)
        assert caught.value.current == second
    with pytest.raises(VersionMismatch) as unknown:
        store.put("pm-2", body(), 4)  # a version of one it does not hold
    assert unknown.value.current is None
    assert store.put("pm-2", body(), "*")[0]["version"] == 1  # * creates
    with pytest.raises(InvalidPostmortem, match="belongs to incident inc-1"):
        store.put("pm-1", body(incident="inc-9"), 2)
    assert store.get("pm-1") == second and store.max_seq == 3 and len(store) == 2


def test_a_replayed_key_answers_what_it_stored_and_another_request_under_it_is_refused(
        new_store: NewStore) -> None:
    store = new_store()
    store.put("pm-1", body(), None)
    mine, _, replayed = store.put("pm-1", body("mine"), 1, key="k-1")
    assert not replayed and mine["version"] == 2
    store.put("pm-1", body("someone else's"), 2)
    again, created, replayed = store.put("pm-1", body("mine"), 1, key="k-1")
    assert again == mine and replayed and not created
    with pytest.raises(KeyReused):
        store.put("pm-1", body("other"), 1, key="k-1")
    with pytest.raises(KeyReused):
        store.put("pm-1", body("mine"), 2, key="k-1")  # the same body, another version
    assert store.get("pm-1")["text"] == "someone else's"  # type: ignore[index]
    assert store.max_seq == 3


def test_concurrent_writers_get_one_gapless_sequence_and_readers_miss_nothing(
        new_store: NewStore, rounds: int) -> None:
    store = new_store()
    uids = [f"pm-{i}" for i in range(6)]
    for uid in uids:
        store.put(uid, body(), None)
    writers = 6
    start = threading.Barrier(writers + 1)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        start.wait()
        done = 0
        while done < rounds:
            uid = uids[(n + done) % len(uids)]
            current = store.get(uid)
            assert current is not None
            try:
                store.put(uid, body(f"writer {n} round {done}"), current["version"])
            except VersionMismatch:
                continue  # lost the race: read again, as a client does
            done += 1

    def guarded(n: int) -> None:
        try:
            write(n)
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    start.wait()
    seen: dict[str, int] = {}
    after = 0
    while any(t.is_alive() for t in threads):  # a reader paging while they write
        page = store.page(after, 5)
        for pm in map(decode, page.postmortems):
            assert pm["seq"] > after
            seen[pm["uid"]] = pm["version"]
        after = page.next
    for t in threads:
        t.join()
    assert failures == []
    total = len(uids) + writers * rounds
    assert store.max_seq == total
    final = everything(store)
    assert [pm["uid"] for pm in final] == sorted(uids, key=lambda u: store.get(u)["seq"])  # type: ignore[index]
    seqs = [pm["seq"] for pm in final]
    assert seqs == sorted(seqs) and seqs[-1] == total
    assert sum(pm["version"] for pm in final) == total  # every write counted once
    while True:  # the reader catches up from its cursor and sees every last version
        page = store.page(after, 5)
        for pm in map(decode, page.postmortems):
            seen[pm["uid"]] = pm["version"]
        after = page.next
        if not page.has_more:
            break
    assert seen == {pm["uid"]: pm["version"] for pm in final}


def test_pages_follow_the_sequence_stop_at_the_budget_and_know_their_end(
        new_store: NewStore) -> None:
    store = new_store()
    for i in range(7):
        store.put(f"pm-{i}", body(), None)
    store.put("pm-0", body("again"), 1)  # pm-0 moves to the end, at seq 8
    pages = []
    after = 0
    while True:
        page = store.page(after, 3)
        pages.append([decode(raw)["uid"] for raw in page.postmortems])
        after = page.next
        if not page.has_more:
            break
    assert pages == [["pm-1", "pm-2", "pm-3"], ["pm-4", "pm-5", "pm-6"], ["pm-0"]]
    assert after == 8
    empty = store.page(8, 3)
    assert (empty.postmortems, empty.next, empty.has_more) == ([], 8, False)
    with pytest.raises(AheadOfLog, match="read again from 0"):
        store.page(9, 3)
    big = "x" * MAX_TEXT
    fit = -(-PAGE_BUDGET // MAX_TEXT)  # this many reach the budget
    for n in range(fit + 1):
        store.put(f"big-{n}", body(big), None)
    cut = store.page(8, 50)
    assert len(cut.postmortems) == fit and cut.has_more and cut.next == 8 + fit
    assert [decode(raw)["uid"] for raw in store.page(cut.next, 50).postmortems] == \
        [f"big-{fit}"]


@pytest.mark.parametrize(("bad", "words"), [
    ([], "must be a JSON object"),
    (body(extra=1), "Unknown field 'extra'"),
    (body(incident=""), "incident must be non-empty"),
    (body(title=" "), "title must be non-empty"),
    (body(state="published"), "Unknown review state 'published'"),
    (body(text=None), "text must be text"),
    (body(text="x" * (MAX_TEXT + 1)), "at most 2,000,000 characters"),
    (body(actions={}), "must be a list"),
    (body(actions=[{"key": "a"}]), "Action item 1 must be an object with exactly"),
    (body(actions=[action("a"), action("a")]), "Action item 2's key 'a' is used twice"),
    (body(actions=[action("a", due="13/12/2026")]), "due date '13/12/2026' is not YYYY"),
    (body(actions=[action("a", due="2026-02-30")]), "is not YYYY-MM-DD"),
    (body(actions=[{**action("a"), "done": "no"}]), "done must be true or false"),
    (body(actions=[{**action("a"), "text": ""}]), "text must be non-empty"),
    (body(actions=[action("a", owner=None)]), "owner must be an analyst id"),  # type: ignore[arg-type]
])
def test_a_bad_body_is_refused_with_one_sentence_and_stores_nothing(
        new_store: NewStore, bad: Any, words: str) -> None:
    store = new_store()
    with pytest.raises(InvalidPostmortem) as caught:
        store.put("pm-1", bad, None)
    sentence = str(caught.value)
    assert words in sentence
    assert sentence.endswith(".") and "\n" not in sentence and len(sentence) < 300
    assert store.get("pm-1") is None and store.max_seq == 0
    assert store.put("pm-1", body(text="x" * MAX_TEXT), None)[0]["version"] == 1


def test_action_items_are_the_teams_tasks(new_store: NewStore) -> None:
    store = new_store()
    store.put("pm-1", body(actions=[action("b", due="2026-12-20"), action("a", "s.lim")]),
              None)
    store.put("pm-2", body(actions=[action("c", owner="", done=True)]), None)
    assert [(t["postmortem"], t["key"]) for t in store.tasks()] == \
        [("pm-1", "a"), ("pm-2", "c"), ("pm-1", "b")]
    [mine] = store.tasks(owner="s.lim")
    assert mine == {"key": "a", "postmortem": "pm-1", "incident": "inc-1",
                    "text": "Do a", "owner": "s.lim", "due": "2026-12-13", "done": False}
    assert [t["key"] for t in store.tasks(owner="")] == ["c"]  # the ones nobody owns
    assert [t["key"] for t in store.tasks(postmortem="pm-1")] == ["a", "b"]
    store.put("pm-1", body(actions=[action("a", "s.lim", done=True)]), 1)
    assert [(t["key"], t["done"]) for t in store.tasks(postmortem="pm-1")] == [("a", True)]
