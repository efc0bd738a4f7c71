"""The registry entry of kind `feed`: its settings and how a saved config becomes a
client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...domain import PolicyCategory, ReporterType
from ..contract import ChannelError
from ..registry import ChannelSpec, FieldSpec, SecretLookup, register
from .client import FeedChannel
from .rules import FeedRules

KIND = "feed"


def _build(name: str, config: Mapping[str, str], secret: SecretLookup) -> FeedChannel:
    url = config.get("base_url", "").strip()
    if not url.startswith(("https://", "http://")):
        raise ChannelError(f"{name}: the feed URL must start with https:// or http://")
    try:
        rules = FeedRules.from_config(config)
    except ValueError as exc:
        raise ChannelError(f"{name}: {exc}") from exc
    return FeedChannel(name, url, rules)


def _choices(values: Any) -> tuple[str, ...]:
    return tuple(str(v.value) for v in values)


SPEC = register(ChannelSpec(
    kind=KIND, label="News / crisis feed (RSS or Atom)",
    description="An RSS or Atom feed; keyword and market rules decide which entries "
                "become escalations. Triage stays local (a feed has no write API).",
    fields=(
        FieldSpec("base_url", "Feed URL", help="e.g. https://news.example/world/rss.xml"),
        FieldSpec("default_market", "Default market",
                  help="ISO country code for entries that name no place, e.g. AU"),
        FieldSpec("keywords", "Keywords", required=False,
                  help="comma-separated; only entries that mention one become escalations "
                       "(empty: every entry)"),
        FieldSpec("critical_keywords", "Critical keywords", required=False,
                  help="comma-separated; entries that mention one become S0 / U0"),
        FieldSpec("markets", "Markets", required=False,
                  help="comma-separated ISO codes; entries about other places are skipped "
                       "(empty: all)"),
        FieldSpec("market_keywords", "Extra place names", required=False,
                  help="NAME=CC pairs, e.g. 'Cebu=PH, Chiang Mai=TH'"),
        FieldSpec("category", "Policy category", required=False,
                  default=PolicyCategory.OTHER.value, choices=_choices(PolicyCategory)),
        FieldSpec("severity", "Default severity", required=False, default="S2",
                  choices=("S0", "S1", "S2", "S3")),
        FieldSpec("urgency", "Default urgency", required=False, default="U2",
                  choices=("U0", "U1", "U2", "U3")),
        FieldSpec("reporter_type", "Reporter type", required=False,
                  default=ReporterType.MEDIA.value, choices=_choices(ReporterType)),
        FieldSpec("language", "Language", required=False,
                  help="e.g. en; empty: the feed's own language"),
    ),
    build=_build,
))
