"""A post-mortem's sync bookkeeping without a network (store/postmortem_sync.py): what is
pushed, what a push leaves, a pull of a new or changed copy, and both sides' edits
merged by section with the same-section ones kept for the lead (docs/postmortems.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from rr_desktop.store import incident_log, postmortems
from rr_desktop.store import postmortem_sync as ps
from rr_desktop.store.store import Store

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
TEMPLATE = "# {{title}}\n\n## Summary\nTBD\n\n## Impact\nTBD\n\n## Action items\n"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "cache.sqlite3")
    yield s
    s.close()


def _draft(store: Store) -> tuple[int, str]:
    with store.write() as db:
        _, inc = incident_log.declare(db, "Doxxing wave", "mei", NOW)
        pm = postmortems.create(db, inc, TEMPLATE, "mei", NOW, ZoneInfo("UTC"))
        return pm, str(postmortems.get(db, pm).uid)  # type: ignore[union-attr]


def _theirs(store: Store, pm: int, text: str, version: int) -> dict[str, Any]:
    with store.read() as db:
        d = postmortems.get(db, pm)
    assert d is not None
    return {"uid": d.uid, "incident": d.incident_uid, "title": d.title, "state": "draft",
            "text": text, "version": version, "seq": version, "actions": []}


def _push(store: Store, pm: int, version: int) -> str:
    """What a push does when the service takes our copy as `version`."""
    with store.write() as db:
        [item] = ps.outgoing(db)
        assert item.id == pm
        ps.pushed(db, pm, item.body, {**item.body, "version": version})
        return str(item.body["text"])


def test_a_pushed_draft_is_clean_until_the_lead_types_again(store: Store) -> None:
    pm, _ = _draft(store)
    with store.read() as db:
        [item] = ps.outgoing(db)
    assert item.if_match is None and item.body["state"] == "draft"
    _push(store, pm, 1)
    with store.write() as db:
        assert ps.outgoing(db) == []
        text = postmortems.get(db, pm).text  # type: ignore[union-attr]
        postmortems.save(db, pm, text + "more\n", "mei", NOW + timedelta(minutes=1))
        assert [o.if_match for o in ps.outgoing(db)] == [1]


def test_different_sections_merge_and_the_same_section_waits_for_the_lead(
        store: Store) -> None:
    pm, _ = _draft(store)
    base = _push(store, pm, 1)
    with store.write() as db:
        postmortems.save(db, pm, base.replace("## Summary\nTBD", "## Summary\nOurs."), "mei",
                         NOW + timedelta(minutes=1))
        theirs = _theirs(store, pm, base.replace("## Impact\nTBD", "## Impact\nTheirs."), 2)
        assert ps.merge_theirs(db, pm, theirs, NOW + timedelta(minutes=2))
        merged = postmortems.get(db, pm)
        assert merged is not None and "Ours." in merged.text and "Theirs." in merged.text
        [item] = ps.outgoing(db)
        assert item.if_match == 2
    _push(store, pm, 3)
    with store.write() as db:
        now = postmortems.get(db, pm)
        assert now is not None
        postmortems.save(db, pm, now.text.replace("Ours.", "Ours, revised."), "mei",
                         NOW + timedelta(minutes=3))
        clash = _theirs(store, pm, now.text.replace("Ours.", "Theirs, revised."), 4)
        assert not ps.merge_theirs(db, pm, clash, NOW + timedelta(minutes=4))
        waiting = postmortems.get(db, pm)
        assert waiting is not None
        [conflict] = waiting.conflicts
        assert (conflict.heading, conflict.mine, conflict.theirs) == (
            "Summary", "Ours, revised.\n\n", "Theirs, revised.\n\n")
        assert "Ours, revised." in waiting.text
        assert ps.outgoing(db) == []  # nothing is pushed until the lead merged it
        row = db.execute("SELECT theirs_text, theirs_version FROM postmortem WHERE id = ?",
                         (pm,)).fetchone()
        assert row == (clash["text"], 4)


def test_pulls_create_unknown_post_mortems_and_update_clean_ones(store: Store) -> None:
    pm, uid = _draft(store)
    text = _push(store, pm, 1)
    with store.write() as db:
        ps.pulled(db, _theirs(store, pm, text + "## Resolution\nDone.\n", 2), NOW)
        d = postmortems.get(db, pm)
        assert d is not None and d.text.endswith("Done.\n") and not d.dirty
        assert postmortems.revisions(db, pm)[0].kind == "synced"
        other = {**_theirs(store, pm, "# Other\n", 7), "uid": "pm-other"}
        new_id = ps.pulled(db, other, NOW)
        assert postmortems.get(db, new_id).text == "# Other\n"  # type: ignore[union-attr]
        assert ps.pulled(db, other, NOW) == new_id  # again: nothing new
        assert len(postmortems.revisions(db, new_id)) == 1
        assert ps.check_remote({**other, "state": "shredded"}) is not None
        assert uid != "pm-other"
