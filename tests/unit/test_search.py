"""Search: every operator, hostile input, triage order, and the chosen drivers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rr_desktop.domain import Channel, PolicyCategory, Severity, Status
from rr_desktop.store import channel_state as cs
from rr_desktop.store import triage_actions as ta
from rr_desktop.store.ingest import merge_page
from rr_desktop.store.search import Filter, TextTerm, parse_query, search_ids
from rr_desktop.store.search_sql import plan
from rr_desktop.store.store import Store
from tests.factories import T0, escalation, incoming

NOW = T0 + timedelta(days=2)
ME = "a.tan"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A small cache with one escalation per interesting combination."""
    s = Store.open(tmp_path_factory.mktemp("search") / "cache.sqlite3")
    day = timedelta(days=1)
    recs = [
        escalation(title="Blackout challenge trending in Jakarta", severity=Severity.S0,
                   status=Status.NEW, assignee=ME, created_at=T0, updated_at=T0),
        escalation(title="Scam pages impersonating a bank", severity=Severity.S2,
                   category=PolicyCategory.IMPERSONATION_SCAMS, market="IN",
                   status=Status.TRIAGED, created_at=T0 + day, updated_at=T0 + day),
        escalation(title="Election rumour: ballots burned", severity=Severity.S1,
                   category=PolicyCategory.MISINFO_CIVIC, market="PH", assignee="b.lee",
                   status=Status.WAITING_ON_PARTNER, tags=("election",),
                   created_at=T0 - day, updated_at=T0),
        escalation(title='Quoted "NEAR(" text and a * star', severity=Severity.S3,
                   market="DE", status=Status.RESOLVED, body="Livestream copy in Europe",
                   created_at=T0, updated_at=T0),
    ]
    with s.write() as db:
        cs.ensure_channel(db, Channel("partner-desk", "zendesk", {}))
        merge_page(db, 1, [incoming(r) for r in recs], [], T0)
        ta.apply_action(db, ta.Snooze(NOW + timedelta(hours=3), "wait"), [2], ME, NOW)
        ta.apply_action(db, ta.MoveQueue("legal-review"), [3], ME, NOW)
        db.execute("INSERT INTO conflict (escalation_id, op_id, field, theirs_version, "
                   "detected_at) VALUES (3, 'x', 'status', 2, 0)")
    yield s
    s.close()


def ids(store: Store, text: str, limit: int | None = 100) -> list[int]:
    with store.read() as db:
        return search_ids(db, text, ME, NOW, limit=limit)


@pytest.mark.parametrize(("query", "expected"), [
    ("", [1, 3, 2, 4]),  # everything, in triage order (priority, created_at, id)
    ("blackout", [1]),
    ("BLACKOUT Jakarta", [1]),
    ('"challenge trending"', [1]),
    ('"trending challenge"', []),
    ("scam*", [2]),
    ("livestream -blackout", [2, 4]),  # #3 has no livestream tag, #4 says it in its body
    ("-livestream", [3]),
    ("sev:0,1", [1, 3]),
    ("sev:S2", [2]),
    ("pri:0", [1]),
    ("status:new,triaged", [1, 2]),
    ("status:waiting", [3]),
    ("status:open", [1, 3, 2]),
    ("status:closed", [4]),
    ("-status:new", [3, 2, 4]),
    ("channel:partner-desk", [1, 3, 2, 4]),
    ("channel:zendesk sev:0", [1]),
    ("channel:nope", []),
    ("market:in,ph", [3, 2]),
    ("region:EMEA", [4]),
    ("region:apac -market:ID", [3, 2]),
    ("cat:misinformation", [3]),
    ("cat:impersonation_scams", [2]),
    ("assignee:me", [1]),
    ("assignee:none", [2, 4]),
    ("assignee:me,b.lee", [1, 3]),
    ("is:mine", [1]),
    ("is:snoozed", [2]),
    ("-is:snoozed status:open", [1, 3]),
    ("is:conflict", [3]),
    ("-is:conflict", [1, 2, 4]),
    ("is:paused", [3]),
    ("is:unassigned is:open", [2]),
    ("queue:legal-review", [3]),
    ("queue:none sev:0", [1]),
    ("is:breached", [1, 2]),  # #3 is paused, #4 resolved
    ("is:at_risk is:open", [1, 2]),
    ("before:2026-11-25", [3]),
    ("after:2026-11-26", [2]),
    ("after:1d", [2]),
    ("after:3d -sev:3", [1, 3, 2]),
])
def test_operators(store: Store, query: str, expected: list[int]) -> None:
    assert parse_query(query).errors == ()
    assert ids(store, query) == expected


def test_negated_words_and_phrases_exclude(store: Store) -> None:
    assert ids(store, '-"ballots burned"') == [1, 2, 4]
    assert ids(store, 'livestream -"ballots burned" -jakarta') == [2, 4]
    assert ids(store, "-election -jakarta") == [2, 4]


def test_the_limit_and_order_hold(store: Store) -> None:
    assert ids(store, "status:open", limit=2) == [1, 3]
    assert ids(store, "", limit=None) == [1, 3, 2, 4]


def test_parsed_shape() -> None:
    q = parse_query('sev:0,1 -status:new "exact phrase" -spam pre* assignee:"b.lee"')
    assert q.terms == (TextTerm("exact phrase", phrase=True), TextTerm("spam", negated=True),
                       TextTerm("pre", prefix=True))
    assert q.filters == (Filter("sev", ("0", "1")), Filter("status", ("new",), negated=True),
                         Filter("assignee", ("b.lee",)))
    assert q.fts_match() == '("exact phrase" AND "pre"*) NOT "spam"'


@pytest.mark.parametrize(("text", "error"), [
    ("sev:9", "sev: takes 0-3"),
    ("pri:P7", "pri: takes 0-4"),
    ("status:frozen", "no status starts with"),
    ("cat:weather", "no category starts with"),
    ("market:XX", "not a country code"),
    ("region:MARS", "region: takes"),
    ("is:sleepy", "is: takes"),
    ("before:yesterday", "before: takes a date"),
    ("after:2026-02-30", "after: takes a date"),
    ("incident:abc", "incident: takes"),
    ("sev:", "needs a value"),
    ('"unclosed phrase', "quote was not closed"),
    ("*", "a * goes at the end"),
    (")", "no letters or digits"),
    ("x" * 10_001, "cut to its first"),
])
def test_malformed_input_gives_sentences_and_never_raises(text: str, error: str) -> None:
    q = parse_query(text)
    assert any(error in e for e in q.errors), q.errors
    assert all(e[0].isupper() or e[0] in "\"'" or ":" in e.split()[0] for e in q.errors)


ALL = [1, 3, 2, 4]  # every escalation of the fixture, in triage order
# Hostile input and what it finds when every word is only text: #4's title holds the
# words "near", "text", "and" and "a"; #2's "a"; nothing holds "or", "not", "x" or "title".
HOSTILE = [
    ('"', ALL), ("*", ALL), ("NEAR(", [4]), (")", ALL), ("(", ALL), ('"a', [2, 4]),
    ('a"', [2, 4]), ("AND", [4]), ("OR NOT", []), ("title:x", []), ("-", ALL), ("--", ALL),
    ("^x", []), ("x:y:z", []), ("NEAR(a b, 2)", []), ('""', ALL), ('"" ""', ALL),
    ("\x00", ALL), ("col:*", []), ("-*", ALL), ("\\", ALL), ("{title body}: x", []),
    ("a + b", []), ("text AND near", [4]), ("-near", [1, 3, 2]), ('"a" OR "bank"', []),
    ("é*", [3, 4]), ("🔥", ALL), ("sev:0,,1", [1, 3]), ("status:,", ALL),
    ('is:"snoozed', [2]), ("x" * 10_000, []), ("blackout " * 2000, [1]), ('"' * 999, ALL),
    ("NEAR(" * 500, []),
]
_QUOTED = re.compile(r'"(?:[^"]|"")*"')
_SYNTAX_OF_OURS = re.compile(r"(?:[()*\s]|AND|NOT|OR)*")


def _only_quoted_text(expr: str | None) -> bool:
    """Outside the quoted strings, an FTS5 expression holds only the operators the query
    builder writes itself."""
    return expr is None or _SYNTAX_OF_OURS.fullmatch(_QUOTED.sub("", expr)) is not None


@pytest.mark.parametrize(("text", "expected"), HOSTILE,
                         ids=[repr(t[:12]) for t, _ in HOSTILE])
def test_hostile_input_never_reaches_fts_as_syntax(store: Store, text: str,
                                                   expected: list[int]) -> None:
    query = parse_query(text)
    assert _only_quoted_text(query.fts_match()) and _only_quoted_text(query.fts_exclude())
    assert ids(store, text) == expected


def test_the_syntax_check_sees_unquoted_text() -> None:
    """The check above can fail: FTS5 syntax outside quotes is caught."""
    assert not _only_quoted_text('"a" NEAR("b" "c")')
    assert not _only_quoted_text('title:"x"')
    assert _only_quoted_text('("a" AND "b"*) NOT "c"')


def test_fts_syntax_in_the_input_is_only_text(store: Store) -> None:
    assert ids(store, "NEAR(") == [4]  # the word "near" in #4's title, not an operator
    assert ids(store, "title:blackout") == []  # not a column filter: no such text
    assert ids(store, "blackout OR scam") == []  # OR is a word here, not an operator


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from('ab "*():-^,NEARORsev0'), max_size=40))
def test_any_input_parses_and_runs(store: Store, text: str) -> None:
    """Whatever is typed parses without raising, reaches FTS only as quoted text, and
    finds a subset of the cache in triage order, each once."""
    query = parse_query(text)
    assert _only_quoted_text(query.fts_match()) and _only_quoted_text(query.fts_exclude())
    with store.read() as db:
        found = search_ids(db, query, ME, NOW)
    assert found == [i for i in ALL if i in found]
    assert found == ids(store, text)  # the text and its parsed query agree


def _plan_driver(store: Store, text: str, limit: int | None = 1000) -> str:
    with store.read() as db:
        return plan(db, parse_query(text), ME, NOW, limit).driver


def test_small_sets_drive_the_query(store: Store) -> None:
    assert _plan_driver(store, "is:snoozed") == "ix_escalation_snoozed"
    assert _plan_driver(store, "is:conflict livestream") == "conflict"
    assert _plan_driver(store, "blackout") == "fts"
    assert _plan_driver(store, "") == "ix_escalation_triage"


def test_plans_without_data_fall_back_to_rules() -> None:
    chosen = plan(None, parse_query("status:new -is:snoozed"), ME, NOW, None)
    assert chosen.driver == "ix_escalation_status_triage"
    assert "INDEXED BY ix_escalation_status_triage" in chosen.sql
    assert plan(None, parse_query("sev:2"), ME, NOW, 100).driver == "ix_escalation_triage"


def test_every_plan_is_valid_sql_on_an_empty_cache(tmp_path_factory: pytest.TempPathFactory,
                                                    ) -> None:
    s = Store.open(tmp_path_factory.mktemp("empty") / "c.sqlite3")
    try:
        with s.read() as db:
            for text in ("status:new,triaged market:ID", "is:conflict x", "region:EMEA",
                         "is:snoozed,breached", "-queue:a incident:3", "queue:none"):
                for limit in (None, 10):
                    chosen = plan(db, parse_query(text), ME, NOW, limit)
                    assert db.execute(chosen.sql, chosen.args).fetchall() == []
    finally:
        s.close()


def test_chunked_read_matches_and_stops_when_told(store: Store) -> None:
    from rr_desktop.store.search import search_ids_until

    with store.read() as db:
        every = search_ids(db, "", "aditi", NOW, limit=None)
        assert search_ids_until(db, "", "aditi", NOW, lambda: False, chunk=7) == every
        calls = []

        def stop() -> bool:
            calls.append(1)
            return len(calls) > 2

        assert search_ids_until(db, "", "aditi", NOW, stop, chunk=3) is None
        assert len(calls) == 3
