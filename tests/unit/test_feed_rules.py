"""Keyword and market rules that decide which feed entries become escalations."""

from __future__ import annotations

import pytest

from rr_desktop.channels.contract import ChannelError, Mutation, PushResult, Rejected
from rr_desktop.channels.feeds import SPEC, FeedRules
from rr_desktop.channels.feeds.rules import Decision
from rr_desktop.domain import Severity, Urgency


def test_keywords_are_case_insensitive_whole_words_in_title_summary_or_categories() -> None:
    rules = FeedRules("AU", keywords="hoax, deep fake")
    assert rules.decide("A HOAX spreads", "", []) is not None
    assert rules.decide("Nothing", "deep\n  fake video", []) is not None
    assert rules.decide("Nothing", "", ["Hoax"]) is not None
    assert rules.decide("Hoaxes and hoaxers", "", []) is None  # whole words only
    assert rules.decide("Sports results", "", []) is None
    assert FeedRules("AU").decide("Sports results", "", []) is not None  # no keywords: all


def test_scripts_without_spaces_match_substrings() -> None:
    rules = FeedRules("JP", keywords="地震, แผ่นดินไหว, 지진")
    assert rules.decide("東京で地震のデマ", "", []) is not None
    assert rules.decide("ข่าวแผ่นดินไหวปลอม", "", []) is not None
    assert rules.decide("서울에서지진소문", "", []) is not None
    assert rules.decide("東京の天気", "", []) is None


def test_critical_keywords_qualify_and_raise_to_s0_u0() -> None:
    rules = FeedRules("AU", keywords="hoax", critical_keywords="livestream", severity="S3",
                      urgency="U3")
    assert rules.decide("Livestream of attack", "", []) == Decision(
        "AU", Severity.S0, Urgency.U0, ("feed", "livestream"))
    assert rules.decide("A hoax", "", []) == Decision("AU", Severity.S3, Urgency.U3,
                                                       ("feed", "hoax"))
    only_critical = FeedRules("AU", critical_keywords="livestream")
    assert only_critical.decide("Weather", "", []) is not None  # no keyword filter


def test_market_detection_order_filter_and_default() -> None:
    rules = FeedRules("AU", markets="AU, NZ, ID", market_keywords="Cebu=PH, Bali=ID")
    assert rules.market_of(["Quake near Auckland", "Australia sends help"]) == "NZ"
    assert rules.market_of(["France and Indonesia talks", ""]) == "ID"  # first allowed
    assert rules.market_of(["Storm", "no place named"]) == "AU"  # default
    assert rules.market_of(["Election in France", ""]) is None  # only places outside
    assert rules.market_of(["Hoax in North Korea", ""]) is None  # not "Korea" -> KR
    assert rules.market_of(["Resort on Bali", ""]) == "ID"
    assert FeedRules("SG").market_of(["Typhoon hits Manila", ""]) == "PH"
    elsewhere = FeedRules("SG", markets="AU")
    assert elsewhere.market_of(["no place", ""]) is None  # default outside the markets


def test_bad_settings_are_refused_with_a_sentence() -> None:
    with pytest.raises(ValueError, match="ISO 3166"):
        FeedRules("Australia")
    with pytest.raises(ValueError, match="ISO 3166"):
        FeedRules("AU", markets="AU, XX")
    with pytest.raises(ValueError, match="NAME=CC"):
        FeedRules("AU", market_keywords="Jakarta")
    with pytest.raises(ValueError):
        FeedRules("AU", severity="high")
    build = SPEC.build
    with pytest.raises(ChannelError, match="news: Default market: not an ISO 3166"):
        build("news", {"base_url": "https://n.example/rss", "default_market": "ZZ"},
              lambda _: None)
    with pytest.raises(ChannelError, match="must start with https://"):
        build("news", {"base_url": "file:///etc/passwd", "default_market": "AU"},
              lambda _: None)
    assert SPEC.validate({"base_url": "https://n.example/rss", "default_market": "AU"}) == []
    assert SPEC.validate({"base_url": "https://n", "default_market": "AU",
                          "severity": "S9"}) == ["Default severity must be one of "
                                                 "S0, S1, S2, S3"]


def test_push_is_local_for_triage_and_notes_and_refused_for_replies() -> None:
    client = SPEC.build("news", {"base_url": "http://127.0.0.1:9/rss", "default_market": "AU"},
                        lambda _: None)
    update = Mutation("op1", "update", "l:1", {"status": "triaged", "severity": "S1"}, 5,
                      {"status": "new"})
    assert client.push(update) == PushResult(None)
    assert client.push(Mutation("op2", "note", "l:1", {"text": "x"}, 5)) == PushResult(None)
    with pytest.raises(Rejected, match="cannot receive replies"):
        client.push(Mutation("op3", "reply", "l:1", {"text": "x"}, 5))
    with pytest.raises(Rejected, match="cannot change title"):
        client.push(Mutation("op4", "update", "l:1", {"title": "x"}, 5))
    assert client.analysts() == []
