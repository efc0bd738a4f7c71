"""Post-mortem drafts in the cache: made from a cached incident offline, autosaved as
revisions (coalesced per minute), restored, locked when final, action items tracked with
a default due date (docs/postmortems.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rr_desktop.locations import resource_path
from rr_desktop.store import incident_log, postmortems
from rr_desktop.store.store import Store

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
JAKARTA = ZoneInfo("Asia/Jakarta")
TEMPLATE = resource_path("templates", "postmortem.md").read_text(encoding="utf-8")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "cache.sqlite3")
    yield s
    s.close()


def _incident(store: Store) -> str:
    with store.write() as db:
        _, uid = incident_log.declare(db, "Blackout <b>challenge</b>", "mei", NOW,
                                      severity="S1", priority="P1", markets=["ID"])
        fact = incident_log.append(db, uid, "fact", "mei", NOW + timedelta(minutes=5),
                                   {"text": "## Sounds [x](http://evil) spread"})
        incident_log.append(db, uid, "pin", "mei", NOW + timedelta(minutes=6),
                            {"fact": fact["uid"], "pinned": True})
        incident_log.append(db, uid, "request", "mei", NOW + timedelta(minutes=7), {
            "request": "r1", "function": "Legal", "asked_of": "ID counsel",
            "question": "Is the notice binding?", "due": "", "blocking": True})
        incident_log.append(db, uid, "status", "mei", NOW + timedelta(hours=2),
                            {"status": "contained"},
                            incident_log.state(db, uid).head("status"))
    return uid


def test_a_draft_is_prefilled_from_the_cached_incident(store: Store) -> None:
    uid = _incident(store)
    with store.write() as db:
        pm = postmortems.create(db, uid, TEMPLATE, "mei", NOW + timedelta(hours=3), JAKARTA)
        draft = postmortems.get(db, pm)
    assert draft is not None and draft.state == "draft"
    text = draft.text
    assert text.startswith("# Post-mortem: Blackout \\<b\\>challenge\\</b\\>")
    assert "2026-12-06 09:05 WIB: \\#\\# Sounds \\[x\\]\\(http://evil\\) spread (mei)" in text
    assert "| Time to contain | 2 h 00 min |" in text
    assert "Legal (blocking), asked of ID counsel: Is the notice binding? — open" in text
    assert "## What went poorly" in text and "{{" not in text


def test_autosave_coalesces_per_minute_restore_adds_a_revision_final_locks(
        store: Store) -> None:
    uid = _incident(store)
    with store.write() as db:
        pm = postmortems.create(db, uid, TEMPLATE, "mei", NOW, JAKARTA)
        first = postmortems.get(db, pm)
        assert first is not None
        assert postmortems.save(db, pm, first.text + "a", "mei", NOW + timedelta(seconds=2))
        assert postmortems.save(db, pm, first.text + "ab", "mei", NOW + timedelta(seconds=4))
        assert postmortems.save(db, pm, first.text + "ab", "mei", NOW) is None  # unchanged
        assert [r.kind for r in postmortems.revisions(db, pm)] == ["autosave", "created"]
        postmortems.save(db, pm, first.text + "abc", "mei", NOW + timedelta(seconds=70))
        assert len(postmortems.revisions(db, pm)) == 3
        created = postmortems.revisions(db, pm)[-1].id
        postmortems.restore(db, pm, created, "mei", NOW + timedelta(minutes=3))
        draft = postmortems.get(db, pm)
        assert draft is not None and draft.text == first.text
        assert postmortems.revisions(db, pm)[0].kind == "restore"
        postmortems.set_state(db, pm, "final", "mei", NOW + timedelta(minutes=4))
        with pytest.raises(postmortems.FinalLocked, match="final"):
            postmortems.save(db, pm, "changed", "mei", NOW + timedelta(minutes=5))
        postmortems.set_state(db, pm, "draft", "mei", NOW + timedelta(minutes=6))
        assert postmortems.save(db, pm, "changed", "mei", NOW + timedelta(minutes=7))


def test_action_items_follow_the_document_with_a_default_due_date(store: Store) -> None:
    uid = _incident(store)
    with store.write() as db:
        pm = postmortems.create(db, uid, TEMPLATE, "mei", NOW, JAKARTA)
        draft = postmortems.get(db, pm)
        assert draft is not None and postmortems.action_items(db, pm) == []
        text = draft.text.replace(
            "## Action items\n",
            "## Action items\n- [ ] Hash the sounds (owner: budi)\n"
            "- [x] Brief ID (owner: sari, due: 2026-12-08)\n")
        postmortems.save(db, pm, text, "mei", NOW + timedelta(days=1))
        items = postmortems.action_items(db, pm)
        assert [(t, o, d, done) for _, _, t, o, d, done in items] == [
            ("Brief ID", "sari", date(2026, 12, 8), True),
            ("Hash the sounds", "budi", date(2026, 12, 14), False)]
        # the owner changes a day later: same item, same default due date
        postmortems.save(db, pm, text.replace("(owner: budi)", "(owner: wati)"), "mei",
                         NOW + timedelta(days=2))
        assert ("Hash the sounds", "wati", date(2026, 12, 14)) in [
            (t, o, d) for _, _, t, o, d, _ in postmortems.action_items(db, pm)]
        postmortems.save(db, pm, draft.text, "mei", NOW + timedelta(days=3))
        assert postmortems.action_items(db, pm) == []


def test_refresh_keeps_what_the_lead_wrote(store: Store) -> None:
    uid = _incident(store)
    with store.write() as db:
        pm = postmortems.create(db, uid, TEMPLATE, "mei", NOW, JAKARTA)
        draft = postmortems.get(db, pm)
        assert draft is not None
        edited = draft.text.replace("| Linked escalations | 0 |",
                                    "| Linked escalations | 0 (Legal checked) |")
        postmortems.save(db, pm, edited, "mei", NOW + timedelta(minutes=1), kind="save")
        incident_log.append(db, uid, "fact", "mei", NOW + timedelta(hours=4),
                            {"text": "Sounds removed"})
        fact_uid = incident_log.state(db, uid).facts[-1].uid
        incident_log.append(db, uid, "pin", "mei", NOW + timedelta(hours=4),
                            {"fact": fact_uid, "pinned": True})
        refreshed, kept = postmortems.refresh_from_incident(db, pm, "mei",
                                                            NOW + timedelta(hours=5), JAKARTA)
        assert "timeline" in refreshed and kept == ["metrics"]
        after = postmortems.get(db, pm)
        assert after is not None
        assert "Sounds removed" in after.text and "(Legal checked)" in after.text


def test_an_incident_not_in_the_cache_is_refused(store: Store) -> None:
    with store.write() as db, pytest.raises(ValueError, match="not in this cache"):
        postmortems.create(db, "nope", TEMPLATE, "mei", NOW, JAKARTA)


def test_typing_saved_over_a_change_made_meanwhile_merges_by_section(store: Store) -> None:
    uid = _incident(store)
    with store.write() as db:
        pm = postmortems.create(db, uid, "# PM\n\n## Summary\nTBD\n\n## Impact\nTBD\n",
                                "mei", NOW, JAKARTA)
        opened = postmortems.get(db, pm)
        assert opened is not None
        # a sync takes the service's copy while the lead types in Summary
        theirs = opened.text.replace("## Impact\nTBD", "## Impact\n2M views")
        postmortems.save(db, pm, theirs, "sync", NOW + timedelta(seconds=5), kind="synced")
        typed = opened.text.replace("## Summary\nTBD", "## Summary\nA hoax spread.")
        saved = postmortems.save_typing(db, pm, typed, opened.text, "mei",
                                        NOW + timedelta(seconds=6))
        assert "A hoax spread." in saved.text and "2M views" in saved.text
        assert saved.conflicts == []
        assert postmortems.get(db, pm).text == saved.text  # type: ignore[union-attr]
        # both in Impact: the typing stays, the other version waits for the lead
        other = saved.text.replace("2M views", "2.4M views (Comms)")
        postmortems.save(db, pm, other, "sync", NOW + timedelta(seconds=7), kind="synced")
        mine = saved.text.replace("2M views", "2M views, 40 re-uploads")
        clash = postmortems.save_typing(db, pm, mine, saved.text, "mei",
                                        NOW + timedelta(seconds=8))
        [conflict] = clash.conflicts
        assert conflict.heading == "Impact"
        assert "40 re-uploads" in (conflict.mine or "") and "Comms" in (conflict.theirs or "")
        assert "40 re-uploads" in clash.text
        assert postmortems.get(db, pm).conflicts == clash.conflicts  # type: ignore[union-attr]
        # nothing changed meanwhile: a plain save
        plain = postmortems.save_typing(db, pm, clash.text + "x", clash.text, "mei",
                                        NOW + timedelta(seconds=9))
        assert plain.text == clash.text + "x"
