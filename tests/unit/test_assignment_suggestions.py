"""Suggestion scoring (issue 13): language beats load only within limits, off-shift and
full analysts are never suggested, ties are broken by id, shifts across time zones."""

from __future__ import annotations

from datetime import UTC, datetime

from rr_desktop.domain import Analyst, PolicyCategory
from rr_desktop.domain.assignment import (
    LANGUAGE,
    PER_OPEN_ITEM,
    Candidate,
    ItemNeeds,
    suggest_assignees,
)
from rr_desktop.domain.roster_profile import AnalystProfile
from rr_desktop.domain.shift import ShiftSchedule

MONDAY_0800 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Jakarta 15:00, Dublin 08:00
ALWAYS = ShiftSchedule.parse("UTC", "daily 00:00-24:00")
INDONESIAN_ITEM = ItemNeeds("id", "ID", PolicyCategory.HATE_SPEECH)


def cand(aid: str, open_items: int, langs: tuple[str, ...] = ("en",),
         markets: tuple[str, ...] = (), shift: ShiftSchedule | None = ALWAYS,
         capacity: int | None = None,
         skills: tuple[PolicyCategory, ...] = ()) -> Candidate:
    return Candidate(Analyst(aid, aid.title(), "", langs, markets),
                     AnalystProfile(skills, shift, capacity), open_items)


def ids(needs: ItemNeeds, *cands: Candidate, now: datetime = MONDAY_0800) -> list[str]:
    return [s.analyst_id for s in suggest_assignees(needs, cands, now)]


def test_reasons_read_as_a_sentence() -> None:
    budi = cand("budi", 4, ("id", "en"), ("ID",),
                ShiftSchedule.parse("Asia/Jakarta", "Mon-Fri 09:00-18:00"),
                skills=(PolicyCategory.HATE_SPEECH,))
    [s] = suggest_assignees(INDONESIAN_ITEM, [budi], MONDAY_0800)
    assert s.sentence() == ("speaks Bahasa Indonesia, covers ID, handles hate speech, "
                            "on shift 3 more hours, 4 open items")
    assert s.score == 40 + 20 + 15 - 4 * 5


def test_language_beats_load_only_within_limits() -> None:
    needs = ItemNeeds(language="id")
    limit = LANGUAGE // PER_OPEN_ITEM  # 8 more open items cancel the language
    # The speaker with up to 7 more items than a non-speaker still comes first ...
    assert ids(needs, cand("zed", 0), cand("budi", limit - 1, ("id",)))[0] == "budi"
    # ... at 8 more they tie (broken by id) and past that the lighter load wins.
    assert ids(needs, cand("zed", 0), cand("budi", limit, ("id",)))[0] == "budi"
    assert ids(needs, cand("aaron", 0), cand("budi", limit, ("id",)))[0] == "aaron"
    assert ids(needs, cand("zed", 0), cand("budi", limit + 1, ("id",)))[0] == "zed"
    # At capacity the speaker is not suggested at all, however well they match.
    assert ids(needs, cand("zed", 9, capacity=10),
               cand("budi", 3, ("id",), capacity=3)) == ["zed"]


def test_off_shift_analysts_are_never_suggested() -> None:
    dublin = ShiftSchedule.parse("Europe/Dublin", "Mon-Fri 09:00-17:00")
    perfect_but_asleep = cand("siobhan", 0, ("id",), ("ID",), dublin,
                              skills=(PolicyCategory.HATE_SPEECH,))
    assert ids(INDONESIAN_ITEM, perfect_but_asleep) == []
    assert ids(INDONESIAN_ITEM, perfect_but_asleep, cand("zed", 12)) == ["zed"]


def test_ties_are_broken_by_id_whatever_the_roster_order() -> None:
    a, b, c = cand("chen", 2), cand("aditi", 2), cand("budi", 2)
    needs = ItemNeeds(language="en")
    assert ids(needs, a, b, c) == ids(needs, c, b, a) == ["aditi", "budi", "chen"]


def test_jakarta_and_dublin_at_the_same_utc_time() -> None:
    budi = cand("budi", 2, ("id", "en"), ("ID",),
                ShiftSchedule.parse("Asia/Jakarta", "Mon-Fri 09:00-18:00"))
    siobhan = cand("siobhan", 2, ("en", "ga"), ("IE",),
                   ShiftSchedule.parse("Europe/Dublin", "Mon-Fri 09:00-17:00"))
    english = ItemNeeds(language="en")
    # 08:00 UTC: Jakarta's afternoon, Dublin not started.
    assert ids(english, budi, siobhan) == ["budi"]
    # 10:00 UTC: Jakarta 17:00, one hour left (no penalty yet); Dublin 10:00.
    at_10 = suggest_assignees(english, [budi, siobhan], datetime(2026, 12, 7, 10, 0,
                                                                  tzinfo=UTC))
    assert [(s.analyst_id, s.score) for s in at_10] == [("budi", 30), ("siobhan", 30)]
    assert "on shift 1 more hour" in at_10[0].reasons
    # 10:30 UTC: Jakarta's shift ends within the hour, so Dublin comes first.
    at_1030 = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
    suggested = suggest_assignees(english, [budi, siobhan], at_1030)
    assert [s.analyst_id for s in suggested] == ["siobhan", "budi"]
    assert "on shift 30 more minutes" in suggested[1].reasons
    # 12:00 UTC: Jakarta 19:00, off; Dublin on.
    assert ids(english, budi, siobhan, now=datetime(2026, 12, 7, 12, 0, tzinfo=UTC)) \
        == ["siobhan"]


def test_no_shift_set_is_suggested_after_those_known_on_shift() -> None:
    unknown = cand("aaron", 0, shift=None)
    known = cand("zed", 0)
    result = suggest_assignees(ItemNeeds(language="en"), [unknown, known], MONDAY_0800)
    assert [s.analyst_id for s in result] == ["zed", "aaron"]
    assert "shift not set" in result[1].reasons


def test_language_subtags_and_capacity_wording() -> None:
    chen = cand("chen", 3, ("zh",), capacity=8)
    [s] = suggest_assignees(ItemNeeds(language="zh-Hant"), [chen], MONDAY_0800)
    assert s.reasons[0] == "speaks Chinese" and s.reasons[-1] == "3 of 8 open items"
