"""Builds one realistic APAC escalation wire record from a seeded random source.

Everything random comes from the ``random.Random`` handed in and every time from the epoch
seconds passed in, so the same seed and ``now`` always give the same records.
"""

from __future__ import annotations

import random
import re
from bisect import bisect
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from rr_desktop.domain.enums import PolicyCategory as C
from rr_desktop.domain.enums import ReporterType as R

from .arrivals import ArrivalModel
from .phrases import CLOSINGS, FACTS, INTROS, REACH_SENTENCES, with_article
from .templates import CATEGORY_TEXT
from .vocab import (
    HANDLE_SUFFIXES,
    INTERNAL_TEAMS,
    INTERNAL_TOOLING,
    LANGUAGE_NAMES,
    MARKETS,
    NATIONALITY,
    TRUSTED_FLAGGERS,
    USER_REPORTERS,
    Market,
    analysts_for,
)
from .wire import iso
from .workflow import NEW, Workflow

_T = TypeVar("_T")

CATEGORY_WEIGHTS: dict[C, int] = {
    C.VIOLENT_EXTREMISM: 5, C.CHILD_SAFETY: 7, C.SUICIDE_SELF_HARM: 5,
    C.DANGEROUS_CHALLENGES: 5, C.HATE_SPEECH: 10, C.HARASSMENT_DOXXING: 9,
    C.MISINFO_CIVIC: 9, C.MISINFO_HEALTH: 6, C.MISINFO_CRISIS: 5, C.IMPERSONATION_SCAMS: 12,
    C.PRIVACY: 7, C.INTELLECTUAL_PROPERTY: 6, C.REGULATORY_LEGAL: 6, C.OTHER: 5,
}
# Percent of S0, S1, S2, S3 per category: child safety and extremism skew critical, but
# S0 (imminent harm to life, a violent event live) stays rare: about 3% of all, S1 20%.
SEVERITY_WEIGHTS: dict[C, tuple[int, int, int, int]] = {
    C.VIOLENT_EXTREMISM: (10, 55, 28, 7), C.CHILD_SAFETY: (20, 55, 22, 3),
    C.SUICIDE_SELF_HARM: (8, 42, 40, 10), C.DANGEROUS_CHALLENGES: (2, 20, 53, 25),
    C.HATE_SPEECH: (0, 12, 55, 33), C.HARASSMENT_DOXXING: (1, 14, 55, 30),
    C.MISINFO_CIVIC: (1, 17, 52, 30), C.MISINFO_HEALTH: (0, 12, 50, 38),
    C.MISINFO_CRISIS: (3, 22, 50, 25), C.IMPERSONATION_SCAMS: (0, 8, 47, 45),
    C.PRIVACY: (2, 20, 50, 28), C.INTELLECTUAL_PROPERTY: (0, 2, 33, 65),
    C.REGULATORY_LEGAL: (1, 20, 50, 29), C.OTHER: (0, 3, 37, 60),
}
_BASE_REPORTERS: dict[R, int] = {
    R.USER: 18, R.INTERNAL_TOOLING: 16, R.TRUSTED_PARTNER: 12, R.TRUSTED_FLAGGER: 8,
    R.NGO: 8, R.REGULATOR: 10, R.LAW_ENFORCEMENT: 6, R.MEDIA: 6, R.INTERNAL: 10,
}
_REPORTER_BOOST: dict[C, dict[R, int]] = {
    C.VIOLENT_EXTREMISM: {R.INTERNAL_TOOLING: 3, R.TRUSTED_FLAGGER: 3, R.LAW_ENFORCEMENT: 2},
    C.CHILD_SAFETY: {R.NGO: 3, R.TRUSTED_FLAGGER: 3, R.LAW_ENFORCEMENT: 2, R.MEDIA: 0},
    C.SUICIDE_SELF_HARM: {R.USER: 2, R.NGO: 2, R.REGULATOR: 0},
    C.MISINFO_CIVIC: {R.TRUSTED_PARTNER: 3, R.REGULATOR: 2},
    C.MISINFO_HEALTH: {R.TRUSTED_PARTNER: 3},
    C.MISINFO_CRISIS: {R.TRUSTED_PARTNER: 2, R.MEDIA: 2},
    C.IMPERSONATION_SCAMS: {R.USER: 2, R.INTERNAL_TOOLING: 2, R.LAW_ENFORCEMENT: 2},
    C.INTELLECTUAL_PROPERTY: {R.INTERNAL: 3, R.USER: 2, R.REGULATOR: 0, R.NGO: 0},
    C.REGULATORY_LEGAL: {R.REGULATOR: 5, R.LAW_ENFORCEMENT: 3, R.USER: 0, R.MEDIA: 0},
}
_REPORTER_TAG: dict[R, str] = {
    R.REGULATOR: "regulator-notice", R.LAW_ENFORCEMENT: "le-request", R.MEDIA: "press",
    R.INTERNAL_TOOLING: "auto-detected", R.TRUSTED_FLAGGER: "trusted-flagger",
}
_URGENT = frozenset({C.CHILD_SAFETY, C.VIOLENT_EXTREMISM, C.PRIVACY})
_LIVE = frozenset({C.VIOLENT_EXTREMISM, C.SUICIDE_SELF_HARM, C.CHILD_SAFETY})
_NO_URL = frozenset({C.REGULATORY_LEGAL, C.OTHER})
_URGENT_VALUES = frozenset(c.value for c in _URGENT)
# "an 11-year-old": an age (8 to 17) with its article, indexed by the context's n.
_AGES = tuple(with_article(str(8 + n % 10)) for n in range(64))


_FIELD = re.compile(r"\{(\w+)\}")


def _pct(template: str) -> str:
    """``"{city}"`` -> ``"%(city)s"``: %-formatting with a dict is much cheaper than
    ``str.format_map`` and a record formats about 600 characters of template."""
    return _FIELD.sub(r"%(\1)s", template.replace("%", "%%"))


def _pct_all(templates: Iterable[str]) -> tuple[str, ...]:
    return tuple(_pct(t) for t in templates)


_CATEGORIES = tuple(CATEGORY_WEIGHTS)
_REPORTER_TYPES = tuple(_BASE_REPORTERS)
_REACH = _pct_all(REACH_SENTENCES)
_FACTS = _pct_all(FACTS)
_SEVERITY = ("S0", "S1", "S2", "S3")
_URGENCY = ("U0", "U1", "U2", "U3")

# Characters dropped when a phrase becomes a hashtag ("Kuala Lumpur" -> "kualalumpur").
_HASHTAG_DROP = str.maketrans("", "", " @._-'()/")


def _cumulative(weights: Sequence[int]) -> tuple[int, ...]:
    total, out = 0, []
    for w in weights:
        total += w
        out.append(total)
    return tuple(out)


def _offset_label(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"UTC+{hours}" + (f":{rest:02d}" if rest else "")




class _MarketTables:
    """Per-market lookups precomputed once so that a record costs a few microseconds."""

    __slots__ = (
        "a_langs",
        "a_nationality",
        "analysts",
        "clock",
        "code",
        "handles",
        "hashtags",
        "lang_codes",
        "lang_cum",
        "lang_names",
        "market",
        "notice",
        "offset_s",
        "reporters",
    )

    def __init__(self, market: Market) -> None:
        self.market = market
        self.code = market.code
        self.handles = tuple(f"@{stem}{suffix}" for stem in market.handles
                             for suffix in HANDLE_SUFFIXES)
        self.lang_codes = tuple(code for code, _ in market.languages)
        self.lang_names = tuple(LANGUAGE_NAMES[code] for code in self.lang_codes)
        self.a_langs = tuple(with_article(name) for name in self.lang_names)
        self.a_nationality = with_article(NATIONALITY[market.code])
        # Per language: the analysts who cover the market and read the language.
        self.analysts = tuple(analysts_for(market.code, code) for code in self.lang_codes)
        self.lang_cum = _cumulative([w for _, w in market.languages])
        self.offset_s = market.utc_offset_min * 60
        label = _offset_label(market.utc_offset_min)
        # "21:14 (UTC+7)" for every minute of the day, indexed by local minute of day.
        self.clock = tuple(f"{h:02d}:{m:02d} ({label})" for h in range(24) for m in range(60))
        self.notice = with_article(market.regulator.notice)
        country = market.name.removeprefix("the ")
        # Per category, per city index: the category's hashtags spelled for that city.
        self.hashtags = tuple(
            tuple(tuple(t.format(city=city, country=country).translate(_HASHTAG_DROP).lower()
                        for t in CATEGORY_TEXT[c].hashtags) for city in market.cities)
            for c in _CATEGORIES)
        names: dict[R, tuple[str, ...]] = {
            R.REGULATOR: (market.regulator.name,), R.LAW_ENFORCEMENT: market.police,
            R.NGO: market.ngos, R.MEDIA: market.media, R.TRUSTED_PARTNER: market.partners,
            R.TRUSTED_FLAGGER: TRUSTED_FLAGGERS, R.INTERNAL_TOOLING: INTERNAL_TOOLING,
            R.INTERNAL: INTERNAL_TEAMS, R.USER: USER_REPORTERS,
        }
        # Indexed like _REPORTER_TYPES: enum-keyed dict lookups are slow in a hot loop.
        self.reporters = tuple(names[r] for r in _REPORTER_TYPES)


class _CategoryTables:
    """Per-category lookups: wire value, text, severity and reporter-type distributions."""

    __slots__ = (
        "category",
        "details",
        "index",
        "live",
        "no_url",
        "reporter_cum",
        "severity_cum",
        "shared",
        "text",
        "titles",
        "urgent",
        "value",
    )

    def __init__(self, index: int, category: C) -> None:
        self.category = category
        self.index = index
        self.value = category.value
        self.text = CATEGORY_TEXT[category]
        self.severity_cum = _cumulative(SEVERITY_WEIGHTS[category])
        boost = _REPORTER_BOOST.get(category, {})
        self.reporter_cum = _cumulative([w * boost.get(r, 1) for r, w in _BASE_REPORTERS.items()])
        self.live = category in _LIVE
        self.no_url = category in _NO_URL
        self.urgent = category in _URGENT
        self.titles = _pct_all(sc.title for sc in self.text.scenarios)
        self.details = tuple(_pct_all(sc.details) for sc in self.text.scenarios)
        self.shared = _pct_all(self.text.shared)


class _KindTables:
    """Per reporter type: wire value, openings, closings and the tag it adds."""

    __slots__ = ("closings", "intros", "kind", "tag", "value")

    def __init__(self, kind: R) -> None:
        self.kind = kind
        self.value = kind.value
        self.intros = _pct_all(INTROS[kind])
        self.closings = _pct_all(CLOSINGS[kind])
        self.tag = _REPORTER_TAG.get(kind)


_KINDS = tuple(_KindTables(r) for r in _REPORTER_TYPES)
_REGULATOR, _POLICE, _MEDIA = (_REPORTER_TYPES.index(r)
                               for r in (R.REGULATOR, R.LAW_ENFORCEMENT, R.MEDIA))


def regulator_hours(market: Market, category: C, severity: int) -> int:
    """The statutory clock of the market's regulator for this kind of content."""
    reg = market.regulator
    if reg.urgent_hours is not None and (severity == 0 or category.value in _URGENT_VALUES):
        return reg.urgent_hours
    return reg.hours


class EscalationFactory:
    """Makes wire records (see ``openapi.yaml``) for ids ``ESC-<number>`` from a seeded rng."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._markets = tuple(_MarketTables(m) for m in MARKETS)
        self._by_code = {t.code: t for t in self._markets}
        self.arrivals = ArrivalModel(MARKETS)
        self.workflow = Workflow()
        self._categories = tuple(_CategoryTables(i, c) for i, c in enumerate(_CATEGORIES))
        self._by_category = {t.category: t for t in self._categories}
        self._category_cum = _cumulative(list(CATEGORY_WEIGHTS.values()))

    def pick(self, items: Sequence[_T]) -> _T:
        """A uniformly chosen item (cheaper than ``Random.choice``)."""
        return items[int(self.rng.random() * len(items))]

    def _context(self, tables: _MarketTables, epoch_s: int, category: int) -> dict[str, Any]:
        rnd = self.rng.random
        market = tables.market
        cum = tables.lang_cum
        lang = bisect(cum, rnd() * cum[-1]) if len(cum) > 1 else 0
        city = int(rnd() * len(market.cities))
        tags = tables.hashtags[category][city]
        clock, local_s = tables.clock, epoch_s + tables.offset_s
        media, partners = market.media, market.partners
        n = 3 + int(rnd() * 38)
        return {
            "city": market.cities[city], "country": market.name,
            "a_nationality": tables.a_nationality,
            "handle": tables.handles[int(rnd() * len(tables.handles))],
            "n": n, "a_age": _AGES[n], "m": 5 + int(rnd() * 390), "k": 2 + int(rnd() * 9),
            "lang": tables.lang_names[lang], "a_lang": tables.a_langs[lang],
            "lang_code": tables.lang_codes[lang], "lang_index": lang,
            "time": clock[local_s % 86400 // 60],
            "earlier": clock[(local_s - 600 - int(rnd() * 10_000)) % 86400 // 60],
            "ref": f"{tables.code}-{100000 + int(rnd() * 900000)}",
            "score": f"0.{80 + int(rnd() * 20)}", "notice": tables.notice,
            "media": media[int(rnd() * len(media))],
            "partner": partners[int(rnd() * len(partners))],
            "hashtag": tags[int(rnd() * len(tags))],
        }

    def fact(self, market_code: str, category: C, epoch_s: int) -> str:
        """An evolving fact about an escalation of ``category`` in ``market_code``."""
        tables = self._by_code.get(market_code, self._markets[0])
        ctx = self._context(tables, epoch_s, self._by_category[category].index)
        return self.pick(_FACTS) % ctx

    def record(self, number: int, created_s: int, now_s: int, fresh: bool = False
               ) -> dict[str, Any]:
        """One wire record created at ``created_s`` as it stands at ``now_s``: its market
        by the time of day there, its status where the team has taken it by then (see
        workflow.py); ``fresh`` ones are brand new."""
        rnd = self.rng.random
        tables = self._markets[self.arrivals.market(created_s, rnd())]
        market = tables.market
        cat = self._categories[bisect(self._category_cum, rnd() * self._category_cum[-1])]
        severity = bisect(cat.severity_cum, rnd() * 100)
        k = bisect(cat.reporter_cum, rnd() * cat.reporter_cum[-1])
        kind = _KINDS[k]
        names = tables.reporters[k]
        reporter = names[int(rnd() * len(names))]
        text = cat.text
        ctx = self._context(tables, created_s, cat.index)
        handle = ctx["handle"]
        cid = f"73{int(rnd() * 1e17):017d}"
        if cat.live and rnd() < 0.3:
            url: str | None = f"https://live.example.com/{handle}/stream/{cid}"
        elif cat.no_url and rnd() < 0.2:
            url = None
        else:
            url = f"https://video.example.com/{handle}/v/{cid}"
        views = int(10 ** (1.5 + rnd() * (5.3 if severity else 5.6)))
        shares = int(views * (0.002 + rnd() * 0.04))
        deadline_h = 0
        if k == _REGULATOR:
            deadline_h = regulator_hours(market, cat.category, severity)
        elif k == _POLICE and rnd() < 0.3:
            deadline_h = 2 + int(rnd() * 10)
        elif k == _MEDIA and rnd() < 0.4:
            deadline_h = 2 + int(rnd() * 22)
        ctx.update(url=url or "the attached URL list", cid=cid, views=f"{views:,}",
                   shares=f"{shares:,}", reporter=reporter, hours=deadline_h or 24)
        scenario = int(rnd() * len(cat.titles))
        details = list(cat.details[scenario])
        if rnd() < 0.35:
            del details[1 + int(rnd() * (len(details) - 1))]
        if rnd() < 0.5:
            details.append(cat.shared[int(rnd() * len(cat.shared))])
        intros, closings = kind.intros, kind.closings
        body = " ".join((intros[int(rnd() * len(intros))], *details,
                         _REACH[int(rnd() * len(_REACH))],
                         closings[int(rnd() * len(closings))])) % ctx
        urgency = severity - (rnd() < 0.3) + (rnd() > 0.75)
        if 0 < deadline_h <= 24:
            urgency = min(urgency, 1)
        if views > 1_000_000:
            urgency -= 1
        urgency = 0 if urgency < 0 else 3 if urgency > 3 else urgency
        tags = [text.tags[int(rnd() * len(text.tags))] for _ in range(1 + int(rnd() * 3))]
        if kind.tag:
            tags.append(kind.tag)
        created = iso(created_s)
        facts = []
        status, since = (NEW, created_s) if fresh else self.workflow.snapshot(
            severity, created_s, now_s, rnd)
        if status == NEW:
            updated, assignee = created, None
        else:
            updated = iso(since)
            analysts = tables.analysts[ctx["lang_index"]]
            assignee = analysts[int(rnd() * len(analysts))]
            if rnd() < 0.6:
                at = created_s + int(rnd() * (since - created_s + 1))
                facts.append({"at": iso(at), "text": _FACTS[int(rnd() * len(_FACTS))] % ctx})
        return {
            "id": f"ESC-{number:06d}", "version": 1, "created_at": created,
            "updated_at": updated, "title": cat.titles[scenario] % ctx, "body": body,
            "reporter": {"name": reporter, "type": kind.value},
            "category": cat.value, "market": tables.code, "language": ctx["lang_code"],
            "severity": _SEVERITY[severity], "urgency": _URGENCY[urgency], "status": status,
            "assignee": assignee, "tags": list(dict.fromkeys(tags)),
            "deadline_at": iso(created_s + deadline_h * 3600) if deadline_h else None,
            "reach": {"views": views, "shares": shares}, "content_url": url, "facts": facts,
        }
