"""Which feed entries become escalations, and with what market, severity and tags.

- `keywords` (comma-separated, case-insensitive, whole words): when set, an entry must
  mention one in its title, summary or categories; empty means every entry qualifies.
- `critical_keywords`: also qualify an entry, and make it S0 / U0.
- Market: the first place name (built-in map in countries.py plus `market_keywords`
  "Name=CC" pairs) in the title, else the summary, else the categories, that lies in
  `markets`; an entry that names only places outside `markets` is skipped; one that names
  no place gets `default_market` (skipped too if that is outside a non-empty `markets`).

Scripts written without spaces between words (CJK, Thai, Lao, Khmer, Myanmar, Hangul) match
as substrings; others on word boundaries. Text is NFKC-normalised before matching.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ...domain import PolicyCategory, ReporterType, Severity, Urgency, normalize_market
from .countries import builtin_names

MAX_TAGS = 32
_NO_SPACE_RANGES = (
    (0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1100, 0x11FF), (0x1780, 0x17FF),
    (0x2E80, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFF66, 0xFFDC),
    (0x20000, 0x3FFFF),
)


def _no_space_script(ch: str) -> bool:
    return any(lo <= ord(ch) <= hi for lo, hi in _NO_SPACE_RANGES)


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _key(phrase: str) -> str:
    return _norm(phrase).casefold()


def _phrase_pattern(phrase: str) -> str:
    body = r"\s+".join(re.escape(w) for w in phrase.split())
    head = "" if _no_space_script(phrase[0]) or not phrase[0].isalnum() else r"(?<!\w)"
    tail = "" if _no_space_script(phrase[-1]) or not phrase[-1].isalnum() else r"(?!\w)"
    return head + body + tail


class PhraseSet:
    """Finds any of a set of phrases in text; `find` yields (position, phrase key)."""

    def __init__(self, phrases: Iterable[str]) -> None:
        keys = {_key(p): _norm(p) for p in phrases if _norm(p)}
        self.keys = frozenset(keys)
        ordered = sorted(keys.values(), key=len, reverse=True)
        self._re = re.compile("|".join(_phrase_pattern(p) for p in ordered),
                              re.IGNORECASE) if ordered else None

    def find(self, text: str) -> list[tuple[int, str]]:
        if self._re is None or not text:
            return []
        return [(m.start(), _key(m.group(0))) for m in self._re.finditer(_norm(text))]


def _named(label: str, parse: Callable[[str], str], value: str) -> str:
    try:
        return parse(value)
    except ValueError as exc:
        raise ValueError(f"{label}: {exc}") from None


def split_list(value: str) -> list[str]:
    """A comma- (or newline-) separated setting as its non-empty items."""
    return [item.strip() for item in re.split(r"[,\n]", value) if item.strip()]


@dataclass(frozen=True, slots=True)
class Decision:
    """How one qualifying entry is filed."""

    market: str
    severity: Severity
    urgency: Urgency
    tags: tuple[str, ...]


class FeedRules:
    """The configured rules of one feed channel (see the module docstring)."""

    def __init__(self, default_market: str, keywords: str = "", critical_keywords: str = "",
                 markets: str = "", market_keywords: str = "",
                 category: str = PolicyCategory.OTHER.value, severity: str = "S2",
                 urgency: str = "U2", reporter_type: str = ReporterType.MEDIA.value,
                 language: str = "") -> None:
        """ValueError (one clear sentence, naming the setting) for a setting that makes no
        sense."""
        self.default_market = _named("Default market", normalize_market, default_market)
        self.markets = frozenset(_named("Markets", normalize_market, m)
                                 for m in split_list(markets))
        self.keywords = PhraseSet(split_list(keywords))
        self.critical = PhraseSet(split_list(critical_keywords))
        places: dict[str, str] = {_key(k): v for k, v in builtin_names().items()}
        for pair in split_list(market_keywords):
            name, sep, code = pair.rpartition("=")
            if not sep or not name.strip():
                raise ValueError(f"market keyword {pair!r} is not NAME=CC (e.g. Jakarta=ID)")
            places[_key(name)] = _named(f"Extra place names ({name.strip()})",
                                        normalize_market, code)
        self._place_of = places
        self.places = PhraseSet(places)
        self.category = PolicyCategory(category)
        self.severity = Severity.parse(severity)
        self.urgency = Urgency.parse(urgency)
        self.reporter_type = ReporterType(reporter_type)
        self.language = language.strip()[:35]

    @classmethod
    def from_config(cls, config: Mapping[str, str]) -> FeedRules:
        names = ("keywords", "critical_keywords", "markets", "market_keywords", "category",
                 "severity", "urgency", "reporter_type", "language")
        given = {n: config[n] for n in names if config.get(n)}
        return cls(config.get("default_market", ""), **given)

    def market_of(self, texts: Iterable[str]) -> str | None:
        """The entry's market, or None when it is about places outside `markets`."""
        named = False
        for text in texts:
            for _, key in self.places.find(text):
                code = self._place_of.get(key)
                if code is None:
                    continue
                named = True
                if not self.markets or code in self.markets:
                    return code
        if named:
            return None
        if self.markets and self.default_market not in self.markets:
            return None
        return self.default_market

    def decide(self, title: str, summary: str, categories: Iterable[str]) -> Decision | None:
        """None when the entry does not become an escalation."""
        texts = [title, summary, " ".join(categories)]
        hits = {k for t in texts for _, k in self.keywords.find(t)}
        critical = {k for t in texts for _, k in self.critical.find(t)}
        if self.keywords.keys and not (hits or critical):
            return None
        market = self.market_of(texts)
        if market is None:
            return None
        tags = ["feed", *sorted({_tag(k) for k in hits | critical})][:MAX_TAGS]
        if critical:
            return Decision(market, Severity.S0, Urgency.U0, tuple(tags))
        return Decision(market, self.severity, self.urgency, tuple(tags))


def _tag(key: str) -> str:
    return "-".join(key.split())[:100]
