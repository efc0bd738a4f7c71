"""The vocabulary of Rapid Response as enums (docs/domain.md)."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import TypeVar

_E = TypeVar("_E", bound=IntEnum)


class Severity(IntEnum):
    """Impact if unaddressed. S0 is the worst (imminent harm to life, child safety...)."""

    S0 = 0
    S1 = 1
    S2 = 2
    S3 = 3

    @property
    def label(self) -> str:
        return ("S0 critical", "S1 high", "S2 medium", "S3 low")[self.value]

    @classmethod
    def parse(cls, text: str) -> Severity:
        return _parse_leveled(cls, "S", text)


class Urgency(IntEnum):
    """How fast it is moving. U0 is the fastest (deadline hours away, going viral)."""

    U0 = 0
    U1 = 1
    U2 = 2
    U3 = 3

    @property
    def label(self) -> str:
        return ("U0 immediate", "U1 high", "U2 medium", "U3 low")[self.value]

    @classmethod
    def parse(cls, text: str) -> Urgency:
        return _parse_leveled(cls, "U", text)


class Priority(IntEnum):
    """Derived from severity x urgency and facts; P0 is handled first."""

    P0 = 0
    P1 = 1
    P2 = 2
    P3 = 3
    P4 = 4

    @classmethod
    def parse(cls, text: str) -> Priority:
        return _parse_leveled(cls, "P", text)


def _parse_leveled(cls: type[_E], prefix: str, text: str) -> _E:
    t = text.strip().upper()
    if t.startswith(prefix):
        t = t[1:]
    if not t.isdigit():
        raise ValueError(f"not a {cls.__name__.lower()}: {text!r}")
    return cls(int(t))


class Status(StrEnum):
    """Lifecycle of an escalation. Waiting states pause SLA clocks."""

    NEW = "new"
    TRIAGED = "triaged"
    INVESTIGATING = "investigating"
    CONTAINED = "contained"
    RESOLVED = "resolved"
    CLOSED = "closed"
    WAITING_ON_PARTNER = "waiting_on_partner"
    WAITING_ON_STAKEHOLDER = "waiting_on_stakeholder"
    DUPLICATE = "duplicate"
    DECLINED = "declined"
    SNOOZED = "snoozed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def is_open(self) -> bool:
        return self not in _CLOSED_STATES


_CLOSED_STATES = frozenset(
    {Status.RESOLVED, Status.CLOSED, Status.DUPLICATE, Status.DECLINED}
)


class ReporterType(StrEnum):
    """Who reported it; trusted and statutory reporters weigh more."""

    INTERNAL = "internal"
    INTERNAL_TOOLING = "internal_tooling"
    TRUSTED_PARTNER = "trusted_partner"
    TRUSTED_FLAGGER = "trusted_flagger"
    NGO = "ngo"
    REGULATOR = "regulator"
    LAW_ENFORCEMENT = "law_enforcement"
    MEDIA = "media"
    USER = "user"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class PolicyCategory(StrEnum):
    """Policy areas (configurable in a later issue; these are the defaults)."""

    VIOLENT_EXTREMISM = "violent_extremism"
    CHILD_SAFETY = "child_safety"
    SUICIDE_SELF_HARM = "suicide_self_harm"
    DANGEROUS_CHALLENGES = "dangerous_challenges"
    HATE_SPEECH = "hate_speech"
    HARASSMENT_DOXXING = "harassment_doxxing"
    MISINFO_CIVIC = "misinformation_civic"
    MISINFO_HEALTH = "misinformation_health"
    MISINFO_CRISIS = "misinformation_crisis"
    IMPERSONATION_SCAMS = "impersonation_scams"
    PRIVACY = "privacy"
    INTELLECTUAL_PROPERTY = "intellectual_property"
    REGULATORY_LEGAL = "regulatory_legal"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Region(StrEnum):
    """Follow-the-sun regions."""

    APAC = "APAC"
    EMEA = "EMEA"
    NA = "NA"
    LATAM = "LATAM"
