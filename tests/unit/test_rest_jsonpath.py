"""The REST channel's dotted JSON paths: the documented syntax, and never a surprise."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rr_desktop.channels.rest.jsonpath import MISSING, PathError, format_path, parse

DOC: dict[str, Any] = {
    "data": {"items": [1, 2]},
    "fields": {"priority": {"name": "P1"}},
    "tags": ["a", "b"],
    "labels": [{"name": "x"}, {"other": 1}, {"name": "y"}],
    "reporter": [{"name": "first"}, {"name": "last"}],
    "0": "zero-key",
    "meta": {"next.page": "tok", "a[b]": 2, 'q"uote': 3},
}


@pytest.mark.parametrize(("path", "expected"), [
    ("data.items", [1, 2]),
    ("fields.priority.name", "P1"),
    ("tags[*]", ["a", "b"]),
    ("labels[*].name", ["x", "y"]),
    ("reporter.0.name", "first"),
    ("reporter[0].name", "first"),
    ("reporter[-1].name", "last"),
    ("reporter.-1.name", "last"),
    ("0", "zero-key"),
    ('meta["next.page"]', "tok"),
    ('meta["a[b]"]', 2),
    ('meta["q\\"uote"]', 3),
    ('["data"].items[1]', 2),
])
def test_documented_syntax(path: str, expected: Any) -> None:
    assert parse(path).get(DOC) == expected


def test_empty_path_is_the_document() -> None:
    assert parse("").get([1]) == [1]


@pytest.mark.parametrize("path", [
    "data.nope", "data.items.x", "tags[5]", "fields[0]", "reporter.name", "tags[*].x.y",
])
def test_absent_is_missing_never_an_error(path: str) -> None:
    value = parse(path).get(DOC)
    assert value is MISSING or value == []


@pytest.mark.parametrize(("path", "where"), [
    ("a..b", "empty segment"), (".a", "empty segment"), ("a.", "ends with"),
    ("a[x]", "expected [N]"), ("a[", "expected [N]"), ("]a", "unexpected"),
    ('a["\\x"]', "bad escape"), ("a.[0]", "right after"), ("a" * 400, "characters long"),
    (".".join("a" * 40), "more than"), ("a[0]b", "expected '.'"),
])
def test_bad_paths_say_what_is_wrong(path: str, where: str) -> None:
    with pytest.raises(PathError, match=where.replace("[", r"\[")):
        parse(path)


def test_set_builds_nested_objects_and_refuses_indexes() -> None:
    body: dict[str, Any] = {"keep": 1, "fields": "not an object"}
    parse("fields.status.name").set(body, "done")
    parse("assignee").set(body, None)
    assert body == {"keep": 1, "fields": {"status": {"name": "done"}}, "assignee": None}
    with pytest.raises(PathError):
        parse("labels[*]").set(body, [])
    assert not parse("a[0]").is_simple and parse("a.b").is_simple


_keys = st.lists(st.one_of(st.text(max_size=8), st.integers(0, 3)), min_size=1, max_size=6)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=5), kids,
                                                              max_size=4),
    max_leaves=20)


def _nest(keys: list[str | int], leaf: Any) -> Any:
    node = leaf
    for key in reversed(keys):
        node = [None] * key + [node] if isinstance(key, int) else {key: node}
    return node


@given(_keys, _json)
def test_formatted_paths_find_what_was_put_there(keys: list[str | int], leaf: Any) -> None:
    path = parse(format_path(keys))
    assert path.get(_nest(keys, leaf)) == leaf


@given(st.text(max_size=60))
def test_any_text_parses_or_raises_path_error(text: str) -> None:
    try:
        path = parse(text)
    except PathError as exc:
        assert str(exc), "a refused path must say why"
        return
    # What parses is a usable path: it keeps its text and reads any document without
    # raising (MISSING, or a value found in that document).
    assert path.text == text and len(path.steps) <= 32
    found = path.get(DOC)
    assert found is MISSING or isinstance(found, (str, int, list, dict))


@given(st.sampled_from(["a", "a.b", "a[*].b", "a.0", "a[-1]", "[*][*]", "a.b[*].c.0"]),
       _json)
def test_get_never_raises_on_any_document(text: str, doc: Any) -> None:
    found = parse(text).get(doc)
    if found is MISSING:
        return
    if text == "a":  # a plain key finds exactly what the document holds there
        assert isinstance(doc, dict) and found is doc["a"]
    if "[*]" in text:  # a wildcard always yields a list
        assert isinstance(found, list)


@given(st.lists(st.text(min_size=1, max_size=6).filter(
    lambda k: not k.lstrip("-").isdigit()), min_size=1, max_size=5), _json)
def test_set_then_get_round_trips(keys: list[str], value: Any) -> None:
    body: dict[str, Any] = {}
    path = parse(format_path(list(keys)))
    path.set(body, value)
    assert path.get(body) == value


# schema_version 2: JMESPath through the same interface
from rr_desktop.channels.rest.expressions import compile_path  # noqa: E402


@pytest.mark.parametrize(("expr", "expected"), [
    ("data.items", [1, 2]),
    ("labels[*].name", ["x", "y"]),
    ("reporter[-1].name", "last"),
    ('meta."next.page"', "tok"),
    ("labels[?name == 'y'].name | [0]", "y"),
    ("join(',', tags)", "a,b"),
    ("length(labels)", 3),
    ("", DOC),
    ("@", DOC),
])
def test_version_2_expressions(expr: str, expected: Any) -> None:
    assert compile_path(expr, 2).get(DOC) == expected


def test_version_2_absent_null_and_type_errors_are_missing() -> None:
    for expr in ("data.nope", "fields.priority.name.deeper", "join(',', data)",
                 "length(`null`)"):
        assert compile_path(expr, 2).get(DOC) is MISSING, expr
    assert compile_path("a", 2).get({"a": None}) is MISSING


def test_version_2_plain_key_paths_can_be_written() -> None:
    body: dict[str, Any] = {}
    path = compile_path('fields.status."display name"', 2)
    assert path.is_simple
    path.set(body, "done")
    assert body == {"fields": {"status": {"display name": "done"}}}
    for expr in ("labels[*].name", "a[0]", "join(',', a)", "a || b"):
        assert not compile_path(expr, 2).is_simple, expr
        with pytest.raises(PathError, match="only plain keys"):
            compile_path(expr, 2).set(body, 1)


def test_version_2_bad_expressions_say_so() -> None:
    with pytest.raises(PathError, match=r"'a\[\?' is not a JMESPath expression"):
        compile_path("a[?", 2)
    with pytest.raises(PathError, match="characters long"):
        compile_path("a" * 1001, 2)


@given(st.sampled_from(["a.b", "a[*].b", "a[0]", "a[?b == `1`]", "sort(a)", "max_by(a, &b)",
                        "a.b | [0]", "keys(@)", "to_number(a)"]), _json)
def test_version_2_get_never_raises_on_any_document(expr: str, doc: Any) -> None:
    found = compile_path(expr, 2).get(doc)
    assert found is MISSING or found is not None
