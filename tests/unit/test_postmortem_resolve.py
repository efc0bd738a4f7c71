"""A section both sides changed, merged by the lead (store/postmortems.resolve_conflict):
the section takes the merged body as a "merge" revision, leaves the open conflicts, and
the service's kept copy goes once none is left; the post-mortem stays dirty for the
push."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rr_desktop.locations import resource_path
from rr_desktop.store import incident_log, postmortems
from rr_desktop.store.store import Store

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
TEMPLATE = resource_path("templates", "postmortem.md").read_text(encoding="utf-8")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "cache.sqlite3")
    yield s
    s.close()


def _conflicted(store: Store) -> int:
    with store.write() as db:
        _, uid = incident_log.declare(db, "Doxxing wave", "mei", NOW)
        pm = postmortems.create(db, uid, TEMPLATE, "mei", NOW, ZoneInfo("Asia/Jakarta"))
        conflicts = [{"heading": h, "base": "b\n", "mine": "m\n", "theirs": "t\n"}
                     for h in ("Summary", "Impact")]
        db.execute("UPDATE postmortem SET conflicts = ?, theirs_text = 'theirs', "
                   "theirs_version = 4, dirty = 0 WHERE id = ?", (json.dumps(conflicts), pm))
    return pm


def test_each_merged_section_leaves_the_conflicts_and_the_last_lets_theirs_go(
        store: Store) -> None:
    pm = _conflicted(store)
    with store.write() as db:
        postmortems.resolve_conflict(db, pm, "summary", "Merged summary.",
                                     "mei", NOW + timedelta(minutes=1))
        first = postmortems.get(db, pm)
        kept = db.execute("SELECT theirs_text, theirs_version, dirty FROM postmortem "
                          "WHERE id = ?", (pm,)).fetchone()
    assert first is not None and [c.heading for c in first.conflicts] == ["Impact"]
    assert "## Summary\nMerged summary.\n## Impact" in first.text
    assert kept == ("theirs", 4, 1)
    with store.write() as db:
        postmortems.resolve_conflict(db, pm, "Impact", "Merged impact.\n", "mei",
                                     NOW + timedelta(minutes=2))
        last = postmortems.get(db, pm)
        gone = db.execute("SELECT theirs_text, theirs_version, dirty FROM postmortem "
                          "WHERE id = ?", (pm,)).fetchone()
        kinds = [r.kind for r in postmortems.revisions(db, pm)]
    assert last is not None and last.conflicts == []
    assert "## Impact\nMerged impact.\n## Timeline" in last.text
    assert gone == (None, None, 1)
    assert kinds == ["merge", "merge", "created"]


def test_a_section_without_an_open_merge_is_refused(store: Store) -> None:
    pm = _conflicted(store)
    with store.write() as db, pytest.raises(LookupError, match="no open merge"):
        postmortems.resolve_conflict(db, pm, "Detection", "x", "mei", NOW)
