"""ADF -> plain text: a corpus of real node types, hostile content and broken trees."""

from __future__ import annotations

import json
import re
import socket
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rr_desktop.channels.jira.adf import (
    MAX_DEPTH,
    TOO_DEEP,
    TRUNCATED,
    adf_to_text,
    text_to_adf,
)


def doc(*content: Any) -> dict[str, Any]:
    return {"version": 1, "type": "doc", "content": list(content)}


def p(*content: Any) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(content)}


def t(text: str, *marks: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": text}
    if marks:
        node["marks"] = list(marks)
    return node


def items(kind: str, *texts: str, **attrs: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"type": kind, "content": [
        {"type": "listItem", "content": [p(t(x))]} for x in texts]}
    if attrs:
        node["attrs"] = attrs
    return node


CORPUS: list[tuple[Any, str]] = [
    (doc(p(t("Hello "), t("world", {"type": "strong"}))), "Hello world"),
    (doc(p(t("one")), p(t("two"))), "one\n\ntwo"),
    (doc(p(t("line"), {"type": "hardBreak"}, t("next"))), "line\nnext"),
    (doc({"type": "heading", "attrs": {"level": 2}, "content": [t("Title")]}, p(t("x"))),
     "Title\n\nx"),
    (doc(items("bulletList", "a", "b")), "- a\n- b"),
    (doc(items("orderedList", "a", "b", order=3)), "3. a\n4. b"),
    (doc({"type": "bulletList", "content": [{"type": "listItem", "content": [
        p(t("outer")), items("bulletList", "inner")]}]}), "- outer\n\n  - inner"),
    (doc({"type": "codeBlock", "attrs": {"language": "py"}, "content": [t("x = 1\ny")]}),
     "x = 1\ny"),
    (doc({"type": "blockquote", "content": [p(t("quoted")), p(t("more"))]}),
     "> quoted\n>\n> more"),
    (doc(p(t("see"), t(" docs", {"type": "link", "attrs": {"href": "https://x.test/"}}))),
     "see docs (https://x.test/)"),
    (doc(p({"type": "mention", "attrs": {"id": "acc-1", "text": "@Raj"}},
           t(" and "), {"type": "mention", "attrs": {"id": "acc-2"}})), "@Raj and @acc-2"),
    (doc(p({"type": "emoji", "attrs": {"shortName": ":warning:", "text": "⚠"}})), "⚠"),
    (doc(p({"type": "date", "attrs": {"timestamp": "1714521600000"}})), "2024-05-01"),
    (doc(p({"type": "status", "attrs": {"text": "BLOCKED", "color": "red"}})), "[BLOCKED]"),
    (doc(p({"type": "inlineCard", "attrs": {"url": "https://jira.test/browse/L-1"}})),
     "https://jira.test/browse/L-1"),
    (doc({"type": "mediaSingle", "content": [{"type": "media", "attrs": {
        "id": "abc", "type": "file", "collection": "c", "alt": "screenshot.png"}}]}),
     "[attachment: screenshot.png]"),
    (doc({"type": "rule"}, p(t("after"))), "----\n\nafter"),
    (doc({"type": "panel", "attrs": {"panelType": "warning"}, "content": [p(t("careful"))]}),
     "careful"),
    (doc({"type": "expand", "attrs": {"title": "Details"}, "content": [p(t("hidden"))]}),
     "Details\nhidden"),
    (doc({"type": "table", "content": [
        {"type": "tableRow", "content": [
            {"type": "tableHeader", "content": [p(t("Market"))]},
            {"type": "tableHeader", "content": [p(t("Deadline"))]}]},
        {"type": "tableRow", "content": [
            {"type": "tableCell", "content": [p(t("IN"))]},
            {"type": "tableCell", "content": [p(t("36 h"))]}]}]}),
     "Market | Deadline\nIN | 36 h"),
    (doc({"type": "taskList", "content": [
        {"type": "taskItem", "attrs": {"state": "DONE"}, "content": [t("notify legal")]},
        {"type": "taskItem", "attrs": {"state": "TODO"}, "content": [t("reply")]}]}),
     "[x] notify legal\n[ ] reply"),
    # Unknown and future node types render their children or their text.
    (doc({"type": "fancyNewBlock", "content": [p(t("inside"))]}), "inside"),
    (doc(p({"type": "sparkle", "text": "shiny"})), "shiny"),
    # Hostile content stays literal text: nothing is interpreted or fetched.
    (doc(p(t("<img src=https://canary.test/x.png onerror=alert(1)>"))),
     "<img src=https://canary.test/x.png onerror=alert(1)>"),
    (doc(p(t("click", {"type": "link", "attrs": {"href": "javascript:alert(1)"}}))),
     "click (javascript:alert(1))"),
    (doc(p(t("evil\u202egnp.exe\u200b"))), "evil\u202egnp.exe\u200b"),
    (doc(p(t("nul\x00byte\r\nwindows"))), "nulbyte\nwindows"),
    # Broken trees: wrong types are skipped, never raised.
    (doc(p(t("ok")), "a string", 42, None, [1, 2], {"type": 7}, {"content": "nope"}), "ok"),
    (doc(p({"type": "text", "text": 5}), p({"type": "text"})), ""),
    (doc(p({"type": "date", "attrs": {"timestamp": "99999999999999999999999"}})), ""),
    (doc(p({"type": "mention", "attrs": "not a dict"})), "@"),
    (doc(items("orderedList", "x", order="1; DROP TABLE")), "1. x"),
    ({"version": 1, "type": "doc"}, ""),
    (None, ""), (42, ""), ([], ""), ("plain v2 text", "plain v2 text"),
]


@pytest.mark.parametrize(("tree", "expected"), CORPUS)
def test_corpus(tree: Any, expected: str) -> None:
    assert adf_to_text(tree) == expected


def test_deep_nesting_is_cut_not_a_recursion_error() -> None:
    node: dict[str, Any] = p(t("bottom"))
    for _ in range(50_000):
        node = {"type": "blockquote", "content": [node]}
    text = adf_to_text(doc(p(t("top")), node))
    assert text.startswith("top") and text.endswith(TOO_DEEP) and "bottom" not in text


def test_nesting_within_the_limit_is_rendered() -> None:
    node: dict[str, Any] = t("bottom")
    for _ in range(MAX_DEPTH - 2):
        node = {"type": "unknownWrapper", "content": [node]}
    assert adf_to_text(doc(node)) == "bottom"


def test_output_and_work_are_capped() -> None:
    wide = doc(*[p(t("x" * 1000)) for _ in range(1000)])
    text = adf_to_text(wide, max_chars=5000)
    assert len(text) <= 5000 + len(TRUNCATED) + 1 and text.endswith(TRUNCATED)
    many = doc(p(*[{"type": "hardBreak"} for _ in range(500_000)]))
    assert adf_to_text(many).endswith(TRUNCATED)


def test_a_shared_subtree_cannot_blow_up_the_work() -> None:
    node: dict[str, Any] = p(t("x"))
    for _ in range(40):  # 2**40 paths through one object
        node = {"type": "panel", "content": [node, node]}
    assert adf_to_text(doc(node)).endswith(TRUNCATED)


def test_rendering_touches_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network used while rendering")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    tree = doc(p({"type": "inlineCard", "attrs": {"url": "https://canary.test/"}}),
               {"type": "mediaSingle", "content": [{"type": "media", "attrs": {
                   "url": "https://canary.test/img"}}]})
    assert "canary" in adf_to_text(tree)


@pytest.mark.parametrize(("text", "expected"), [
    ("simple", "simple"), ("two\nlines", "two\nlines"),
    ("para one\n\npara two", "para one\n\npara two"), ("trailing\n", "trailing"),
    ("", ""), ("a\n\n\nb", "a\n\nb"), ("<b>bold?</b> *no*", "<b>bold?</b> *no*")])
def test_text_to_adf_round_trips_and_is_valid_adf(text: str, expected: str) -> None:
    tree = text_to_adf(text)
    assert tree["version"] == 1 and tree["type"] == "doc"
    for para in tree["content"]:
        assert para["type"] == "paragraph"
        assert all(n["type"] == "hardBreak" or (n["type"] == "text" and n["text"]
                                                and "marks" not in n)
                   for n in para["content"])
    assert adf_to_text(tree) == expected


@given(st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\x00"),
               max_size=200))
def test_plain_text_survives_a_round_trip(text: str) -> None:
    normal = re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \t]+\n", "\n", text)).strip()
    assert adf_to_text(text_to_adf(text)) == normal


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20)
    | st.sampled_from(["paragraph", "text", "doc", "listItem", "bulletList", "table",
                       "tableRow", "mention", "date", "hardBreak", "orderedList"]),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(
        st.sampled_from(["type", "content", "text", "attrs", "marks", "href", "order",
                         "timestamp", "state", "url"]), children, max_size=5),
    max_leaves=60)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_renders_to_bounded_text(tree: Any) -> None:
    text = adf_to_text(tree, max_chars=2000)
    assert isinstance(text, str)
    assert len(text) <= 2000 + len(TRUNCATED) + len(TOO_DEEP) + 2
    assert adf_to_text(json.loads(json.dumps(tree)), max_chars=2000) == text
