"""Partner reply templates as data: the shipped set loads whole, a bad file is left out
with one sentence naming it, the analyst's own files replace or add, and placeholders are
filled in one pass that never reads untrusted values as template text."""

from __future__ import annotations

from pathlib import Path

import pytest

from rr_desktop.channels.registry import kinds
from rr_desktop.locations import resource_path
from rr_desktop.templates.placeholders import fill, marker_spans, unfilled
from rr_desktop.templates.replies import (
    REPLY_CHANNEL_KINDS,
    REPLY_PLACEHOLDERS,
    PartnerType,
    load_reply_templates,
    partner_type_of,
)
from rr_desktop.templates.reply_values import (
    ReplySubject,
    load_templates,
    market_time,
    reply_values,
)

LANGUAGES = ("en", "ja", "ko", "id", "hi", "fil")
GOOD = "---\ntitle: Thanks\n---\nDear {reporter_name}, thanks for {external_id}.\n"


def subject(**kw: object) -> ReplySubject:
    base: dict[str, object] = dict(
        external_id="ESC-000042", title="Clip of the attack", reporter="Kominfo",
        reporter_type="regulator", category="violent_extremism", market="ID",
        language="id", created_at=1_796_000_000, status="new", channel_kind="rr_api")
    base.update(kw)
    return ReplySubject(**base)  # type: ignore[arg-type]


def write(root: Path, rel: str, text: str) -> Path:
    path = root / "replies" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_templates_all_load_for_every_language_and_partner() -> None:
    loaded = load_templates(None)
    assert loaded.problems == ()
    have = {(t.language, t.partner_type) for t in loaded.templates.values()}
    for lang in LANGUAGES:
        for partner in PartnerType:
            if partner is not PartnerType.ANY:
                assert (lang, partner) in have, (lang, partner)
    # Replies that could read as a legal promise carry a review note.
    for key in ("law_enforcement/acknowledge", "regulator/acknowledge", "media/acknowledge"):
        assert all(loaded.templates[f"{lang}/{key}"].review for lang in LANGUAGES)
    assert set(kinds()) >= REPLY_CHANNEL_KINDS


def test_every_reporter_type_maps_to_a_partner_or_to_all() -> None:
    assert partner_type_of("ngo") is PartnerType.TRUSTED_FLAGGER
    assert partner_type_of("trusted_partner") is PartnerType.PLATFORM_PARTNER
    assert partner_type_of("internal_tooling") is None
    assert partner_type_of("someone new") is None


def test_offered_templates_follow_language_partner_and_channel(tmp_path: Path) -> None:
    write(tmp_path, "ja/regulator/ack.md", "---\ntitle: A\n---\n{title}\n")
    write(tmp_path, "en/regulator/ack.md", "---\ntitle: B\n---\n{title}\n")
    write(tmp_path, "en/any/info.md", "---\ntitle: C\nchannels: zendesk\n---\n{title}\n")
    write(tmp_path, "ko/regulator/ack.md", "---\ntitle: D\n---\n{title}\n")
    write(tmp_path, "ja/media/ack.md", "---\ntitle: E\n---\n{title}\n")
    loaded = load_reply_templates([(tmp_path, False)])
    keys = [t.key for t in loaded.offered("ja-JP", PartnerType.REGULATOR, "rr_api")]
    assert keys == ["ja/regulator/ack", "en/regulator/ack"]  # no ko, no media, no zendesk
    keys = [t.key for t in loaded.offered("ja", PartnerType.REGULATOR, "zendesk")]
    assert keys == ["ja/regulator/ack", "en/regulator/ack", "en/any/info"]
    assert {t.key for t in loaded.offered("ja", None, None)} == {
        "ja/regulator/ack", "en/regulator/ack", "en/any/info", "ja/media/ack"}


@pytest.mark.parametrize(("rel", "text", "says"), [
    ("en/user/a.md", "title: no fence\nHello", "does not start with a '---'"),
    ("en/user/a.md", "---\ntitle: x\nHello", "no closing '---'"),
    ("en/user/a.md", "---\ntitel: x\n---\nHello", "line 2: expected one of"),
    ("en/user/a.md", "---\nchannels: rr_api\n---\nHello", "has no title"),
    ("en/user/a.md", "---\ntitle: x\nchannels: fax\n---\nHi", "not fax"),
    ("en/user/a.md", "---\ntitle: x\n---\n\n", "has no text"),
    ("en/user/a.md", "---\ntitle: x\n---\nDear {name}", "{name}, which is not a reply"),
    ("en/user/a.md", "---\ntitle: x\n---\nDear {Reporter}", "'{Reporter}', which is not"),
    ("en/user/a.md", "---\ntitle: x\n---\nDear {0.__class__}", "'{0.__class__}'"),
    ("en/pirates/a.md", GOOD, "'pirates' is not a partner type"),
    ("english/user/a.md", GOOD, "'english' is not a language code"),
    ("en/user/A b.md", GOOD, "file name is lower-case"),
    ("en/a.md", GOOD, "is not at replies/<language>/<partner type>/<name>.md"),
])
def test_a_bad_template_is_left_out_with_one_sentence_naming_it(
        tmp_path: Path, rel: str, text: str, says: str) -> None:
    bad = write(tmp_path, rel, text)
    write(tmp_path, "en/user/good.md", GOOD)
    loaded = load_reply_templates([(tmp_path, False)])
    assert list(loaded.templates) == ["en/user/good"]
    [problem] = loaded.problems
    assert problem.path == bad and str(bad) in problem.sentence
    assert says in problem.sentence
    assert problem.sentence.count("\n") == 0 and problem.sentence.endswith(".")


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "replies" / "ja" / "user" / "sjis.md"
    path.parent.mkdir(parents=True)
    path.write_bytes("---\ntitle: 受領\n---\n{reporter_name} 様".encode("shift_jis"))
    [problem] = load_reply_templates([(tmp_path, False)]).problems
    assert problem.sentence == f"{path} is not UTF-8 text."


def test_the_analysts_own_templates_replace_and_add(tmp_path: Path) -> None:
    shipped, own = tmp_path / "shipped", tmp_path / "own"
    write(shipped, "en/user/ack.md", "---\ntitle: Shipped\n---\nHi {reporter_name}\n")
    write(shipped, "en/user/info.md", "---\ntitle: Info\n---\nMore please\n")
    write(own, "en/user/ack.md", "---\ntitle: Ours\n---\nHello {reporter_name}!\n")
    write(own, "en/user/extra.md", "---\ntitle: Extra\n---\nBye\n")
    write(own, "en/user/info.md", "---\ntitle: Broken\n---\n{nope}\n")
    loaded = load_reply_templates([(shipped, False), (own, True)])
    assert loaded.templates["en/user/ack"].title == "Ours"
    assert loaded.templates["en/user/ack"].user
    assert loaded.templates["en/user/extra"].title == "Extra"
    # A broken own copy leaves the shipped one in place, and is named.
    assert loaded.templates["en/user/info"].title == "Info"
    assert [p.path.name for p in loaded.problems] == ["info.md"]


def test_the_data_dir_is_where_the_analysts_templates_are(tmp_path: Path) -> None:
    write(tmp_path / "templates", "fil/user/salamat.md", "---\ntitle: Salamat\n---\nHi\n")
    loaded = load_templates(tmp_path)
    assert loaded.templates["fil/user/salamat"].user
    assert "en/any/incident-update" in loaded.templates
    assert resource_path("templates", "replies", "en").is_dir()


def test_missing_values_are_left_visible_and_block_sending() -> None:
    values = reply_values(subject(reporter="  "), None)
    filled = fill("Dear {reporter_name}, re {external_id}. {analyst_name}", values)
    assert filled.text == "Dear [reporter name?], re ESC-000042. [analyst name?]"
    assert filled.missing == ("reporter_name", "analyst_name")
    assert unfilled(filled.text, REPLY_PLACEHOLDERS) == ["[reporter name?]",
                                                         "[analyst name?]"]
    start, end = marker_spans(filled.text, REPLY_PLACEHOLDERS)[0]
    assert filled.text[start:end] == "[reporter name?]"
    edited = filled.text.replace("[reporter name?]", "Ms Dewi").replace(
        "[analyst name?]", "Aiko")
    assert unfilled(edited, REPLY_PLACEHOLDERS) == []
    # An analyst's own bracketed question is not a hole.
    assert unfilled("Could you confirm [why?] this matters", REPLY_PLACEHOLDERS) == []


def test_hostile_values_come_out_literally() -> None:
    hostile = subject(title="{0.__class__} {reporter_name} {{x}} %s", reporter="{title}")
    text = fill("{title} / {reporter_name} / {{literal}}",
                reply_values(hostile, "Aiko")).text
    assert text == "{0.__class__} {reporter_name} {{x}} %s / {title} / {literal}"


def test_every_placeholder_has_a_value_and_times_are_the_markets() -> None:
    values = reply_values(subject(content_url="https://x.example/v/1",
                                  incident_title="Flood rumours"), "Aiko Tan")
    assert set(values) == set(REPLY_PLACEHOLDERS)
    assert all(values.values())
    assert values["category"] == "violent extremism"
    assert values["language"] == "Bahasa Indonesia"
    # 1_796_000_000 is 2026-11-30 00:53:20 UTC; Jakarta is UTC+7.
    assert values["received_at"] == "2026-11-30 07:53 (UTC+07:00)"
    assert market_time(1_796_000_000, "ZZ") == "2026-11-30 00:53 (UTC)"
