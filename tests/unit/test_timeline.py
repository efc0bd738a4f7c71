"""Timeline events read as sentences: every value plain text, never JSON or a repr."""

from __future__ import annotations

from rr_desktop.store.timeline import (
    TimelineEntry,
    delivery_state,
    reason_stays_local,
    value_text,
)


def entry(**kw: object) -> TimelineEntry:
    base: dict[str, object] = {"at": 0, "kind": "field_change", "field": "status",
                               "old": None, "new": None, "reason": None, "author": "aditi",
                               "source": "local"}
    return TimelineEntry(**{**base, **kw})  # type: ignore[arg-type]


def test_field_changes_say_who_what_and_why() -> None:
    e = entry(old="new", new="waiting_on_partner", reason="asked for the URL")
    assert e.sentence() == "aditi set status new \u2192 waiting on partner (asked for the URL)"
    assert entry(source="remote", author=None, old="new", new="contained").sentence() == \
        "Changed on the source: status new \u2192 contained"
    assert entry(field="priority", old="P2", new="P0", reason="S0 and a 24 h deadline",
                 author=None).sentence() == \
        "Priority P2 \u2192 P0, because S0 and a 24 h deadline"


def test_tags_read_as_words_also_from_older_events() -> None:
    assert value_text("tags", "viral livestream") == "viral, livestream"
    assert value_text("tags", "['viral', 'livestream']") == "viral, livestream"  # a repr
    assert value_text("tags", '["viral"]') == "viral"
    assert value_text("tags", "") == "\u2014"


def test_what_was_written_reads_back_in_full() -> None:
    text = "Called the partner.\nEvidence by 14:00 SGT; <b>not</b> markup."
    for kind, opening in (("note", "Internal note by aditi:"),
                          ("reply", "Reply to the reporter by aditi:"),
                          ("fact", "Fact logged by aditi:")):
        assert entry(kind=kind, field=None, new=text).sentence() == f"{opening}\n{text}"


def test_a_conflict_reads_as_a_sentence_not_json() -> None:
    e = entry(kind="conflict", old='"contained"', new='"declined"', author=None,
              source="sync")
    assert e.sentence() == ("Conflict on status: the source has contained, you set "
                            "declined; choose mine, theirs or edit in Outbox & sync (g o)")
    tags = entry(kind="conflict", field="tags", old='["a", "b"]', new='["c"]')
    assert "the source has a, b, you set c" in tags.sentence()


def test_delivery_says_how_far_a_local_change_got() -> None:
    assert delivery_state("local", "note", None, None, None) == "local"
    assert delivery_state("local", "note", None, "op-1", "pending") == "pending"
    assert delivery_state("local", "note", None, "op-1", None) == "withdrawn"
    assert delivery_state("remote", "field_change", "status", None, None) is None
    assert delivery_state("local", "field_change", "priority", None, None) is None
    assert entry(delivery="dead", error="404 not found").delivery_text() == \
        "refused by the source: 404 not found"
    assert entry(delivery="local").delivery_text() == "stays on this machine"


def test_a_status_sent_without_its_reason_says_the_reason_stays_here() -> None:
    """A decline to a source that takes the status but not its reason (Zendesk, Jira,
    mail, a REST tool): the status is sent, the reason stays on this machine."""
    status_only = frozenset({"status", "severity"})
    assert reason_stays_local("status", "satire", "done", status_only)
    assert reason_stays_local("status", "satire", "pending", status_only)
    assert not reason_stays_local("status", "satire", "done", status_only | {"status_reason"})
    assert not reason_stays_local("status", "satire", "local", status_only)  # all of it
    assert not reason_stays_local("status", None, "done", status_only)
    assert not reason_stays_local("severity", "why", "done", status_only)
    assert not reason_stays_local("status", "satire", "done", None)  # not recorded
    assert entry(delivery="done", reason="satire", reason_local=True).delivery_text() == \
        "sent; the reason stays on this machine"
    assert entry(delivery="done", reason="satire").delivery_text() == "sent"
