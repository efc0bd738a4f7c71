"""The channel settings that steer how a site's issues become escalations (status and
priority mappings, defaults), and every setting that would stop the channel from ever
syncing, checked before it is saved."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ...domain import PolicyCategory, ReporterType, Severity, Status, Urgency, normalize_market
from ..contract import ChannelError
from .jql import check_filter, parse_projects

_V = TypeVar("_V")
DEFAULT_STATUS_MAP = ("To Do=new,Open=new,Backlog=new,Selected for Development=triaged,"
                      "In Progress=investigating,In Review=investigating,"
                      "Blocked=waiting_on_stakeholder,Done=resolved,Resolved=resolved,"
                      "Closed=closed,Won't Do=declined,Duplicate=duplicate")
DEFAULT_SEVERITY_MAP = "Highest=S0,High=S1,Medium=S2,Low=S3,Lowest=S3"


def parse_pairs(text: str, value: Callable[[str], _V], what: str) -> tuple[tuple[str, _V], ...]:
    """"Name=value,Name=value" -> ((name, value), ...) in the given order."""
    pairs = []
    for part in text.split(","):
        if not part.strip():
            continue
        name, eq, raw = part.rpartition("=")
        if not eq or not name.strip():
            raise ValueError(f"{what}: {part.strip()!r} is not NAME=VALUE")
        try:
            pairs.append((name.strip(), value(raw.strip())))
        except ValueError:
            raise ValueError(f"{what}: {raw.strip()!r} is not a known value") from None
    if not pairs:
        raise ValueError(f"{what} is empty")
    return tuple(pairs)


@dataclass(frozen=True, slots=True)
class JiraSettings:
    """How this site's issues become escalations (see the channel's config fields)."""

    site: str
    status_map: tuple[tuple[str, Status], ...]
    severity_map: tuple[tuple[str, Severity], ...]
    market: str
    category: PolicyCategory
    reporter_type: ReporterType
    urgency: Urgency
    language: str = "en"

    @classmethod
    def from_config(cls, site: str, config: Mapping[str, str]) -> JiraSettings:
        """ValueError with a sentence naming the (first) bad setting; `problems` lists
        them all."""
        found = cls.problems(config)
        if found:
            raise ValueError(found[0])
        return cls(site.rstrip("/"), **{k: parse() for k, (_, parse) in
                                         _settings(config).items()})

    @staticmethod
    def problems(config: Mapping[str, str]) -> list[str]:
        """One sentence per setting that does not parse, naming it."""
        out = []
        for what, parse in _settings(config).values():
            try:
                parse()
            except ValueError as exc:
                out.append(str(exc) if str(exc).startswith(what) else
                           f"{what}: {exc}")
        return out

    def maps_to(self, name: str, status: Status) -> bool:
        """Whether the Jira status `name` is one the mapping writes `status` as (several
        of ours may share one Jira status: Done=resolved,Done=declined)."""
        folded = name.casefold()
        return any(n.casefold() == folded and s == status for n, s in self.status_map)

    def status_of(self, name: str) -> Status | None:
        folded = name.casefold()
        return next((s for n, s in self.status_map if n.casefold() == folded), None)

    def severity_of(self, priority: str | None) -> Severity:
        if priority:
            folded = priority.casefold()
            for n, s in self.severity_map:
                if n.casefold() == folded:
                    return s
        return Severity.S2

    def priority_for(self, severity: Severity) -> str | None:
        """The first Jira priority name mapped to `severity` (as written in the map)."""
        return next((n for n, s in self.severity_map if s == severity), None)


def _settings(config: Mapping[str, str]) -> dict[str, tuple[str, Callable[[], Any]]]:
    """JiraSettings field -> (the setting's label, a parser raising ValueError)."""
    def one(key: str, default: str, parse: Callable[[str], Any], kind: str
            ) -> Callable[[], Any]:
        def run() -> Any:
            raw = config.get(key) or default
            try:
                return parse(raw)
            except (ValueError, KeyError):
                raise ValueError(f"{raw[:40]!r} is not {kind}") from None
        return run

    return {
        "status_map": ("Status mapping", lambda: parse_pairs(
            config.get("status_map") or DEFAULT_STATUS_MAP, Status, "Status mapping")),
        "severity_map": ("Priority mapping", lambda: parse_pairs(
            config.get("severity_map") or DEFAULT_SEVERITY_MAP, Severity.parse,
            "Priority mapping")),
        "market": ("Default market", one("default_market", "SG", normalize_market,
                                         "an ISO 3166 country code")),
        "category": ("Default policy category", one(
            "default_category", "other", PolicyCategory,
            "a policy category (" + ", ".join(c.value for c in PolicyCategory) + ")")),
        "reporter_type": ("Reporter type", one(
            "default_reporter_type", "internal", ReporterType,
            "a reporter type (" + ", ".join(r.value for r in ReporterType) + ")")),
        "urgency": ("Default urgency", one("default_urgency", "U2", Urgency.parse,
                                           "an urgency (U0..U3)")),
        "language": ("Language", lambda: (config.get("language") or "en")[:35]),
    }


def _projects(config: Mapping[str, str]) -> tuple[str, ...]:
    try:
        return parse_projects(config.get("projects", ""))
    except ValueError as exc:
        raise ValueError(f"Project keys: {exc} (capital letters, digits, _)") from None


def config_problems(config: Mapping[str, str]) -> list[str]:
    """Every setting that would stop this channel from ever syncing, one sentence each
    (checked before the channel is saved, and again when it is built)."""
    problems = JiraSettings.problems(config)
    checks: list[Any] = [
        lambda: _projects(config),
        lambda: check_filter(config.get("jql", "")),
        lambda: visibility("", config.get("note_visibility", "")),
    ]
    for check in checks:
        try:
            check()
        except (ValueError, ChannelError) as exc:
            problems.append(str(exc).removeprefix(": "))
    if not config.get("projects", "").strip(", ") and not config.get("jql", "").strip():
        problems.append("set at least one project key or a JQL filter (Jira's search "
                        "refuses an unbounded query)")
    return problems


def visibility(name: str, text: str) -> dict[str, str] | None:
    """Comment visibility for internal notes: "role:NAME" or "group:NAME" (or none)."""
    if not text.strip():
        return None
    kind, _, value = text.strip().partition(":")
    if kind not in ("role", "group") or not value.strip():
        raise ChannelError(f"{name}: note visibility must be role:NAME or group:NAME")
    return {"type": kind, "value": value.strip()}
