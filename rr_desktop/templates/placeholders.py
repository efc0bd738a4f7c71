"""Placeholders in template text: `{name}` filled from a mapping in one pass (docs/templates.md).

Values are untrusted (an escalation's title, a reporter's name): they are inserted as they
are and never scanned again, so a title holding `{0.__class__}` or `{reporter_name}` comes
out literally. `str.format` is never used: its field syntax reaches attributes and indexes
of the values. `{{` and `}}` in a template stand for literal braces.

A placeholder without a value is left visible as `[reporter name?]` (its label), and
`unfilled(text)` finds those markers so that a reply is not sent with a hole in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_TOKEN = re.compile(r"\{\{|\}\}|\{([a-z][a-z0-9_]{0,40})\}")
_ANY_BRACE_FIELD = re.compile(r"\{([^{}\n]{0,60})\}")


def label(name: str) -> str:
    """How a placeholder is named to people: `reporter_name` -> "reporter name"."""
    return name.replace("_", " ")


def missing_marker(name: str) -> str:
    """What stands in the text where `name` had no value: `[reporter name?]`."""
    return f"[{label(name)}?]"


@dataclass(frozen=True, slots=True)
class Filled:
    """A template's text with its placeholders filled; `missing`: the names left as
    `[label?]` markers, in the order they first appear."""

    text: str
    missing: tuple[str, ...]


def placeholders(template: str) -> tuple[str, ...]:
    """The placeholder names a template uses, in order of first use (`{{`/`}}` skipped)."""
    names = [m.group(1) for m in _TOKEN.finditer(template) if m.group(1)]
    return tuple(dict.fromkeys(names))


def stray_braces(template: str) -> list[str]:
    """Brace fields that are not placeholders (`{Reporter}`, `{0}`, `{ name }`): a
    template with one is refused when loaded, instead of sending the braces to a
    partner."""
    without = _TOKEN.sub("", template)
    return [m.group(0) for m in _ANY_BRACE_FIELD.finditer(without)]


def fill(template: str, values: Mapping[str, str | None]) -> Filled:
    """`template` with each `{name}` replaced by `values[name]`; a name without a value
    (absent, None, or blank) becomes its `[label?]` marker."""
    missing: list[str] = []

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        value = values.get(name)
        if value is None or not value.strip():
            if name not in missing:
                missing.append(name)
            return missing_marker(name)
        return value

    return Filled(_TOKEN.sub(one, template), tuple(missing))


def unfilled(text: str, names: Iterable[str]) -> list[str]:
    """The `[label?]` markers of `names` still in `text` (as written there), in order.
    Only known placeholder labels count: an analyst's own "[why?]" is not a hole."""
    wanted = {missing_marker(n) for n in names}
    found = re.findall(r"\[[^\[\]\n]{1,60}\?\]", text)
    return list(dict.fromkeys(m for m in found if m in wanted))


def marker_spans(text: str, names: Iterable[str]) -> list[tuple[int, int]]:
    """(start, end) of every `[label?]` marker of `names` in `text`, in order: where the
    composer puts the cursor so the analyst types over the first hole."""
    wanted = {missing_marker(n) for n in names}
    return [(m.start(), m.end()) for m in re.finditer(r"\[[^\[\]\n]{1,60}\?\]", text)
            if m.group(0) in wanted]
