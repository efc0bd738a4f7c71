"""Two pieces of a post-mortem's sync bookkeeping (store/postmortem_sync.py): a service
that lost its post-mortems gets every one offered again as new, and a same-section merge
the lead finished lets the post-mortem go out against the service's kept version
(docs/postmortems.md, "Sync")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rr_desktop.domain.postmortem_doc import resolve_section
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


def _pushed_draft(store: Store, title: str, version: int) -> int:
    with store.write() as db:
        _, inc = incident_log.declare(db, title, "mei", NOW)
        pm = postmortems.create(db, inc, TEMPLATE, "mei", NOW, ZoneInfo("UTC"))
        [item] = [o for o in ps.outgoing(db) if o.id == pm]
        ps.pushed(db, pm, item.body, {**item.body, "version": version})
        return pm


def test_a_service_that_lost_them_gets_every_post_mortem_again_as_new(store: Store) -> None:
    first, second = _pushed_draft(store, "Doxxing wave", 3), _pushed_draft(store, "Hoax", 1)
    with store.write() as db:
        assert ps.outgoing(db) == []
        assert ps.service_lost(db) == 2
        out = ps.outgoing(db)
        assert {o.id for o in out} == {first, second}
        assert all(o.if_match is None for o in out)  # new to the service: created
        base = db.execute("SELECT base_text FROM postmortem WHERE id = ?",
                          (first,)).fetchone()[0]
        assert base == postmortems.get(db, first).text  # type: ignore[union-attr]


def test_a_finished_merge_goes_out_against_the_kept_version(store: Store) -> None:
    pm = _pushed_draft(store, "Doxxing wave", 1)
    with store.write() as db:
        text = postmortems.get(db, pm).text  # type: ignore[union-attr]
        postmortems.save(db, pm, resolve_section(text, "Summary", "Ours.\n"), "mei",
                         NOW + timedelta(minutes=1))
        theirs = {"uid": "x", "incident": "i", "title": "t", "state": "draft", "version": 4,
                  "text": resolve_section(text, "Summary", "Theirs.\n")}
        assert not ps.merge_theirs(db, pm, theirs, NOW + timedelta(minutes=2))
        assert ps.outgoing(db) == []
        merged = resolve_section(postmortems.get(db, pm).text,  # type: ignore[union-attr]
                                 "Summary", "Ours and theirs.\n")
        postmortems.save(db, pm, merged, "mei", NOW + timedelta(minutes=3), kind="merge")
        assert ps.outgoing(db) == []  # saving alone does not end the merge
        ps.clear_conflicts(db, pm)
        [item] = ps.outgoing(db)
        assert (item.if_match, item.body["text"]) == (4, merged)
        row = db.execute("SELECT conflicts, theirs_text, theirs_version, dirty FROM "
                         "postmortem WHERE id = ?", (pm,)).fetchone()
        assert row == ("[]", None, None, 1)
        assert postmortems.get(db, pm).conflicts == []  # type: ignore[union-attr]
