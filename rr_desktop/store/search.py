"""Search (`/`): full-text words and phrases plus operators, in triage order.

    blackout challenge sev:0,1 market:ID -status:declined "exact phrase" -spam after:3d

- Words and "quoted phrases" search title, body and tags (FTS5); `word*` is a prefix;
  `-word` excludes. Every user term reaches FTS5 as a quoted string, so FTS5 syntax
  (NEAR, AND, column filters, parentheses, *) in the input is only ever text.
- Operators (case-insensitive; comma = OR; a leading `-` negates):
  `sev:0,1` (or S0), `pri:0-4` (or P0), `status:new,triaged` (also `open`, `closed`, and a
  prefix such as `waiting`), `channel:` (name or kind), `market:ID`, `region:APAC`,
  `cat:` (category or its prefix, e.g. `misinformation`), `assignee:me|none|<id>`,
  `queue:<name>|none`, `incident:<id>|none`, `id:12,15` (cache ids: a list handed over
  by another screen, such as a surge's escalations),
  `is:snoozed|mine|breached|at_risk|conflict|open|closed|unassigned|paused`,
  `before:` / `after:` (YYYY-MM-DD, UTC, or relative: 30m, 2h, 3d, 1w ago).
- Malformed input never raises: `parse_query` returns what it understood plus `errors`,
  sentences the search box can show.
"""

from __future__ import annotations

import difflib
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..domain import PolicyCategory, Priority, Region, Severity, Status
from ..domain.markets import REGION_OF_MARKET

MAX_QUERY = 1_000
MAX_TERMS = 32
OPERATORS = ("sev", "pri", "status", "channel", "market", "region", "cat", "assignee",
             "queue", "incident", "is", "before", "after", "sort", "id")
# `sort:` keys (a leading - reverses): the table's sortable columns. Triage order breaks
# ties, and is the order without `sort:`.
SORT_KEYS = ("sev", "pri", "status", "market", "channel", "title", "age", "sla", "assignee")
_OPERATOR_WORD = re.compile(r"^[A-Za-z_]{2,12}$")
IS_VALUES = ("snoozed", "mine", "breached", "at_risk", "conflict", "open", "closed",
             "unassigned", "paused")
_IS_ALIASES = {"at-risk": "at_risk", "atrisk": "at_risk", "risk": "at_risk",
               "conflicts": "conflict", "snooze": "snoozed", "breach": "breached"}
_OPEN = tuple(s.value for s in Status if s.is_open)
_CLOSED = tuple(s.value for s in Status if not s.is_open)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RELATIVE = re.compile(r"^(\d{1,6})([mhdw])$")
_UNIT_S = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True, slots=True)
class TextTerm:
    """A word or phrase for FTS5; `prefix` matches words starting with it."""

    text: str
    phrase: bool = False
    negated: bool = False
    prefix: bool = False

    def fts(self) -> str:
        """The term as an FTS5 string: always quoted, quotes doubled (no syntax leaks)."""
        return '"' + self.text.replace('"', '""') + '"' + ("*" if self.prefix else "")


@dataclass(frozen=True, slots=True)
class Filter:
    """One operator with its normalized values (OR-ed); `negated` for `-op:`."""

    op: str
    values: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A parsed search: text terms (AND-ed), filters (AND-ed) and the problems found."""

    terms: tuple[TextTerm, ...] = ()
    filters: tuple[Filter, ...] = ()
    errors: tuple[str, ...] = ()
    source: str = ""
    sort: tuple[tuple[str, bool], ...] = ()  # (key, descending), first key first

    @property
    def is_empty(self) -> bool:
        return not self.terms and not self.filters

    def fts_match(self) -> str | None:
        """The MATCH expression of the positive terms minus the negated ones, or None
        when there is no positive term (FTS5 cannot match a bare NOT)."""
        positive = [t.fts() for t in self.terms if not t.negated]
        if not positive:
            return None
        expr = " AND ".join(positive)
        for t in self.terms:
            if t.negated:
                expr = f"({expr}) NOT {t.fts()}"
        return expr

    def fts_exclude(self) -> str | None:
        """With only negated terms: the MATCH of what to exclude (OR-ed)."""
        if any(not t.negated for t in self.terms):
            return None
        negative = [t.fts() for t in self.terms if t.negated]
        return " OR ".join(negative) if negative else None


@dataclass(slots=True)
class _Parser:
    terms: list[TextTerm] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sort: list[tuple[str, bool]] = field(default_factory=list)

    def term(self, text: str, phrase: bool, negated: bool, prefix: bool) -> None:
        if not any(ch.isalnum() for ch in text):
            if text.strip():
                self.errors.append(f"Ignored {_show(text)}: it has no letters or digits.")
            return
        if len(self.terms) >= MAX_TERMS:
            self.errors.append(f"Only the first {MAX_TERMS} words are searched.")
            return
        self.terms.append(TextTerm(text, phrase, negated, prefix))

    def operator(self, op: str, raw: str, negated: bool) -> None:
        values = [v.strip() for v in raw.split(",") if v.strip()]
        if not values:
            self.errors.append(f"{op}: needs a value, e.g. {_EXAMPLES[op]}.")
            return
        if op == "sort":
            self.sort_by(values)
            return
        normalized: list[str] = []
        for value in values:
            try:
                normalized.extend(_normalize(op, value))
            except ValueError as exc:
                self.errors.append(str(exc))
        if op in ("before", "after") and len(normalized) > 1:
            self.errors.append(f"{op}: takes one date; using {normalized[0]}.")
            normalized = normalized[:1]
        if normalized:
            self.filters.append(Filter(op, tuple(dict.fromkeys(normalized)), negated))


    def sort_by(self, values: list[str]) -> None:
        for value in values:
            key = value.lstrip("-").lower()
            if key not in SORT_KEYS:
                self.errors.append(f"sort: takes {', '.join(SORT_KEYS)} (a leading - "
                                   f"reverses); got {_show(value)}.")
            elif key not in (k for k, _ in self.sort):
                self.sort.append((key, value.startswith("-")))


_EXAMPLES = {
    "sev": "sev:0,1", "pri": "pri:0", "status": "status:new", "channel": "channel:zendesk",
    "market": "market:ID", "region": "region:APAC", "cat": "cat:child_safety",
    "assignee": "assignee:me", "queue": "queue:legal-review", "incident": "incident:12",
    "is": "is:snoozed", "before": "before:2026-11-01", "after": "after:3d",
    "sort": "sort:-sla", "id": "id:12,15",
}


def _show(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")


def _normalize(op: str, value: str) -> list[str]:
    """The stored form(s) of one operator value; ValueError (a sentence) if invalid."""
    low = value.lower()
    try:
        if op == "sev":
            return [str(int(Severity.parse(value)))]
        if op == "pri":
            return [str(int(Priority.parse(value)))]
    except ValueError:
        top = "3" if op == "sev" else "4"
        raise ValueError(f"{op}: takes 0-{top}, got {_show(value)}.") from None
    if op == "status":
        return _expand(low.replace(" ", "_").replace("-", "_"), op,
                       {"open": _OPEN, "closed": _CLOSED}, [s.value for s in Status])
    if op == "cat":
        return _expand(low.replace(" ", "_").replace("-", "_"), op, {},
                       [c.value for c in PolicyCategory])
    if op == "market":
        if value.upper() not in REGION_OF_MARKET:
            raise ValueError(f"market: {_show(value)} is not a country code such as ID or IN.")
        return [value.upper()]
    if op == "region":
        if value.upper() not in {r.value for r in Region}:
            raise ValueError(f"region: takes {', '.join(r.value for r in Region)}; "
                             f"got {_show(value)}.")
        return [value.upper()]
    if op == "is":
        name = _IS_ALIASES.get(low, low)
        if name not in IS_VALUES:
            raise ValueError(f"is: takes {', '.join(IS_VALUES)}; got {_show(value)}.")
        return [name]
    if op in ("before", "after"):
        return [_instant_text(op, low)]
    if op == "id":
        if not value.isascii() or not value.isdigit() or len(value) > 18:
            raise ValueError(f"id: takes escalation numbers (id:12,15); got {_show(value)}.")
        return [str(int(value))]
    if op == "incident":
        if low != "none" and not low.isdigit():
            raise ValueError(f"incident: takes an incident number or none; got {_show(value)}.")
        return [low]
    if op in ("assignee", "queue") and low in ("me", "none"):
        return [low if op == "assignee" or low == "none" else value]
    if op == "channel":
        return [low]
    return [value]


def _expand(value: str, op: str, groups: dict[str, tuple[str, ...]],
            choices: list[str]) -> list[str]:
    if value in groups:
        return list(groups[value])
    if value in choices:
        return [value]
    matches = [c for c in choices if c.startswith(value)]
    if not matches:
        raise ValueError(f"{op}: no {'status' if op == 'status' else 'category'} starts with "
                         f"{_show(value)}.")
    return matches


def _instant_text(op: str, value: str) -> str:
    if _RELATIVE.match(value):
        return value
    if _DATE.match(value):
        try:
            datetime.strptime(value, "%Y-%m-%d")
        except ValueError:
            pass
        else:
            return value
    raise ValueError(f"{op}: takes a date (2026-11-01) or a time ago (30m, 2h, 3d, 1w); "
                     f"got {_show(value)}.")


def instant(value: str, now: datetime) -> int:
    """Unix seconds of a before:/after: value (relative ones count back from `now`)."""
    rel = _RELATIVE.match(value)
    if rel:
        return int(now.timestamp()) - int(rel.group(1)) * _UNIT_S[rel.group(2)]
    return int(datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC).timestamp())


def parse_query(text: str) -> SearchQuery:
    """Parse what the analyst typed. Never raises; problems go to `errors`."""
    p = _Parser()
    if len(text) > MAX_QUERY:
        p.errors.append(f"The search was cut to its first {MAX_QUERY:,} characters.")
        text = text[:MAX_QUERY]
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        if text[i] == "-" and not negated:
            i += 1
            continue
        i += negated
        if text[i] == '"':
            close = text.find('"', i + 1)
            if close < 0:
                p.errors.append("A quote was not closed; the rest was searched as a phrase.")
                close = n
            prefix = close + 1 < n and text[close + 1] == "*"
            p.term(text[i + 1:close], True, negated, prefix)
            i = close + 1 + prefix
            continue
        start = i
        while i < n and not text[i].isspace():
            if text[i] == ":" and i + 1 < n and text[i + 1] == '"':
                close = text.find('"', i + 2)
                if close < 0:
                    p.errors.append("A quote was not closed after an operator.")
                    close = n
                i = close + 1
                break
            i += 1
        _token(p, text[start:i], negated)
    return SearchQuery(tuple(p.terms), tuple(p.filters), tuple(p.errors), text,
                       tuple(p.sort))


def _token(p: _Parser, token: str, negated: bool) -> None:
    name, colon, value = token.partition(":")
    if colon and name.lower() in OPERATORS:
        p.operator(name.lower(), value.replace('"', ""), negated)
        return
    if colon and value and not value.startswith("/") and _OPERATOR_WORD.match(name):
        near = difflib.get_close_matches(name.lower(), OPERATORS, n=1, cutoff=0.6)
        hint = f" (did you mean {near[0]}:?)" if near else \
            f" (operators: {', '.join(o + ':' for o in OPERATORS)})"
        p.errors.append(f"{name}: is not an operator{hint}; searched as words.")
    prefix = token.endswith("*") and len(token.rstrip("*")) > 0
    word = token.rstrip("*") if prefix else token
    if token and not word.strip("*"):
        p.errors.append(f"Ignored {_show(token)}: a * goes at the end of a word (black*).")
        return
    p.term(word, False, negated, prefix)


def search_ids(db: sqlite3.Connection, query: SearchQuery | str, me: str, now: datetime,
               limit: int | None = 1_000) -> list[int]:
    """Ids matching the query in triage order (at most `limit`; None: all of them)."""
    from .search_sql import plan

    parsed = parse_query(query) if isinstance(query, str) else query
    chosen = plan(db, parsed, me, now, limit)
    return [r[0] for r in db.execute(chosen.sql, chosen.args)]


def search_ids_until(db: sqlite3.Connection, query: SearchQuery | str, me: str,
                     now: datetime, stop: Callable[[], bool],
                     chunk: int = 20_000) -> list[int] | None:
    """Every id matching the query, read in chunks; None as soon as `stop()` says the
    result is no longer wanted (a view read the analyst has already moved away from)."""
    from .search_sql import plan

    parsed = parse_query(query) if isinstance(query, str) else query
    chosen = plan(db, parsed, me, now, None)
    cursor = db.execute(chosen.sql, chosen.args)
    ids: list[int] = []
    while True:
        if stop():
            cursor.close()
            return None
        rows = cursor.fetchmany(chunk)
        if not rows:
            return ids
        ids.extend(r[0] for r in rows)
