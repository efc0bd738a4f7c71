"""Surge detection (domain/surge.py): generated bursts against baselines."""

from __future__ import annotations

from itertools import count

from rr_desktop.domain.surge import (
    BASELINE_DAYS,
    MIN_BURST,
    RECENT_WINDOW_S,
    Arrival,
    Baseline,
    Dismissal,
    SurgeKind,
    describe_rate,
    describe_span,
    detect,
    is_dismissed,
)
from rr_desktop.store.surge import signals_of

NOW = 1_790_000_000
SPAN = BASELINE_DAYS * RECENT_WINDOW_S
_ids = count(1)
HOURS = SPAN // 3600
NORMAL = Baseline({("dangerous_challenges", "ID"): HOURS, ("hate_speech", "IN"): HOURS},
                  SPAN)  # 1 an hour each


def arrival(minutes_ago: float, category: str = "dangerous_challenges", market: str = "ID",
            channel: str = "platform", text: str = "", **fields: object) -> Arrival:
    urls, accounts = signals_of(text)
    base: dict[str, object] = dict(urls=urls, accounts=accounts)
    base.update(fields)
    return Arrival(next(_ids), NOW - int(minutes_ago * 60), category, market, channel,
                   **base)  # type: ignore[arg-type]


def background() -> list[Arrival]:
    """A normal morning: a few categories and markets, an item every ~10 minutes."""
    mix = [("hate_speech", "IN"), ("privacy", "PH"), ("dangerous_challenges", "ID"),
           ("misinformation_civic", "VN")]
    return [arrival(10 * n + 3, *mix[n % len(mix)]) for n in range(24)]


def test_a_burst_of_ten_within_half_an_hour_is_suggested() -> None:
    burst = [arrival(3 * n + 1) for n in range(10)]
    [found] = detect(background() + burst, NORMAL, NOW)
    assert found.kind is SurgeKind.CATEGORY_MARKET
    assert found.key == "category_market:dangerous_challenges:ID"
    # The background's earlier dangerous-challenge items before the burst are not in it.
    assert set(found.ids) >= {a.id for a in burst}
    assert found.reason.startswith(f"{found.size} dangerous challenges reports from ID in ")
    assert found.reason.endswith("usual is 1/h")
    assert found.title == "Dangerous challenges surge in ID"
    assert found.incident_id is None


def test_the_same_ten_spread_over_a_day_are_not() -> None:
    spread = [arrival(144 * n + 1) for n in range(10)]  # one every 2.4 h over 24 h
    assert detect(background() + spread, NORMAL, NOW + 0) == []
    # ... nor when the recent window holds only the newest of them
    assert detect(spread, Baseline({}, SPAN), NOW) == []


def test_a_pair_that_is_always_busy_needs_far_more() -> None:
    busy = Baseline({("dangerous_challenges", "ID"): HOURS * 12}, SPAN)  # 12/h
    burst = [arrival(3 * n + 1) for n in range(10)]
    assert detect(burst, busy, NOW) == []
    bigger = [arrival(n + 0.5) for n in range(50)]  # 50 in an hour: 4x the usual 12
    [found] = detect(bigger, busy, NOW)
    assert "usual is 12/h" in found.reason


def test_fewer_than_the_minimum_is_never_a_surge() -> None:
    few = [arrival(n + 1) for n in range(MIN_BURST - 1)]
    assert detect(few, Baseline({}, SPAN), NOW) == []
    assert len(detect([*few, arrival(0)], Baseline({}, SPAN), NOW)) == 1


def test_a_shared_url_across_two_channels_is_suggested_whatever_its_spelling() -> None:
    one = arrival(20, "hate_speech", "IN", "platform",
                  "Report of HTTP://M.Video.Example.com/@gunman/v/7301234567890123456/"
                  "?utm_source=share&utm_medium=x")
    two = arrival(5, "violent_extremism", "ID", "zendesk",
                  "Partner: https://www.video.example.com/@gunman/v/7301234567890123456")
    found = detect([*background(), one, two], NORMAL, NOW)
    urls = [s for s in found if s.kind is SurgeKind.URL]
    assert [set(s.ids) for s in urls] == [{one.id, two.id}]
    assert "https://video.example.com/@gunman/v/7301234567890123456" in urls[0].reason
    assert "across 2 channels" in urls[0].reason


def test_a_shared_url_or_account_within_one_channel_is_not() -> None:
    text = "See https://video.example.com/@dancer/v/7301234567890123456"
    cats = ("privacy", "hate_speech", "other", "child_safety", "misinformation_civic")
    same = [arrival(3 * n + 1, cats[n], text=text) for n in range(5)]
    assert detect(same, NORMAL, NOW) == []
    [found] = detect([*same, arrival(2, "privacy", channel="zendesk", text=text)], NORMAL, NOW)
    assert found.kind is SurgeKind.URL and found.size == 6


def test_a_shared_account_by_handle_or_profile_url_across_channels() -> None:
    one = arrival(30, "impersonation_scams", "PH", "platform", "Scam run by @Fake_Bank_PH")
    two = arrival(10, "privacy", "PH", "mail", "Profile https://mobile.twitter.com/fake_bank_ph")
    [found] = detect([one, two], NORMAL, NOW)
    assert found.kind is SurgeKind.ACCOUNT
    assert found.key == "account:fake_bank_ph"
    assert "@fake_bank_ph across 2 channels" in found.reason


def test_a_pair_already_marked_duplicate_is_no_surge() -> None:
    text = "https://video.example.com/clip/7301234567890123456"
    one = arrival(10, channel="a", text=text)
    two = arrival(5, channel="b", text=text, duplicate_of=one.id)
    assert detect([one, two], NORMAL, NOW) == []


def test_already_in_an_incident_is_not_suggested_again() -> None:
    burst = [arrival(3 * n + 1, incident_id=7) for n in range(10)]
    assert detect(burst, NORMAL, NOW) == []
    # Two more arrive that are not linked yet: add those to incident #7.
    late = [arrival(0.5), arrival(0.2)]
    [found] = detect(burst + late, NORMAL, NOW)
    assert found.incident_id == 7 and set(found.ids) == {a.id for a in late}
    assert "10 of 12 are in incident #7" in found.reason


def test_a_dismissed_suggestion_stays_dismissed_until_it_grows() -> None:
    burst = [arrival(3 * n + 10) for n in range(10)]
    [found] = detect(burst, NORMAL, NOW)
    gone = {found.key: Dismissal(found.key, frozenset(found.ids), NOW)}
    assert detect(burst, NORMAL, NOW, gone) == []
    two_more = [*burst, arrival(2), arrival(1)]
    assert detect(two_more, NORMAL, NOW, gone) == []
    grown = [*two_more, arrival(0.5), arrival(0.4), arrival(0.3)]  # +5: half of 10
    [back] = detect(grown, NORMAL, NOW, gone)
    assert back.key == found.key and back.size == 15
    assert not is_dismissed(back, {})


def test_a_cluster_inside_a_bigger_one_is_not_suggested_twice() -> None:
    text = "https://video.example.com/@dancer/v/7301234567890123456"
    burst = [arrival(3 * n + 1, channel="platform" if n % 2 else "zendesk", text=text)
             for n in range(10)]
    found = detect(burst, NORMAL, NOW)
    assert len(found) == 1  # the category+market, the URL and the account: one cluster


def test_declined_reports_are_not_counted() -> None:
    burst = [arrival(3 * n + 1, status="declined") for n in range(10)]
    assert detect(burst, NORMAL, NOW) == []


def test_common_signals_are_not_surges() -> None:
    footer = "-- Sent via https://support.example.com/help/contact"
    items = [arrival(5 * n + 1, ("a", "b", "c")[n % 3], ("IN", "ID", "PH", "VN")[n % 4],
                     ("mail", "platform")[n % 2], footer) for n in range(45)]
    assert [s.kind for s in detect(items, Baseline({}, 0, 0), NOW)] == []


def test_rates_and_spans_read_naturally() -> None:
    assert describe_rate(1.0, 7) == "1/h"
    assert describe_rate(0.125, 7) == "3/day"
    assert describe_rate(0.01, 7) == "under 1/day"
    assert describe_rate(0.0, 7) == "none in 7 days"
    assert describe_rate(0.0, 0) == "not known yet"
    assert describe_span(40 * 60) == "40 min"
    assert describe_span(0) == "1 min"
    assert describe_span(125 * 60) == "2 h 5 min"
