"""The email channel's settings: IMAP and SMTP endpoints, folders, triage defaults."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from ...domain import PolicyCategory, ReporterType, Severity, Urgency, normalize_market
from ..contract import Rejected
from ..registry import FieldSpec

SECURITY = ("tls", "starttls", "plain")


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _domains(value: str) -> tuple[str, ...]:
    return tuple(d.strip().lower().lstrip("@.") for d in value.split(",") if d.strip())


@dataclass(frozen=True, slots=True)
class EmailConfig:
    """Everything but the secrets, validated."""

    imap_host: str
    imap_port: int
    imap_security: str
    username: str
    mailbox: str
    resolved_folder: str
    notes_folder: str
    sent_folder: str
    smtp_host: str
    smtp_port: int
    smtp_security: str
    smtp_username: str
    from_address: str
    default_market: str
    default_category: PolicyCategory
    default_reporter_type: ReporterType
    default_severity: Severity
    default_urgency: Urgency
    default_language: str
    law_enforcement_domains: tuple[str, ...] = ()
    regulator_domains: tuple[str, ...] = ()
    partner_domains: tuple[str, ...] = ()
    timeout_s: float = 30.0

    @property
    def from_domain(self) -> str:
        return self.from_address.rpartition("@")[2].strip(" >").lower() or "localhost"

    @classmethod
    def from_mapping(cls, name: str, config: Mapping[str, str]) -> EmailConfig:
        def get(key: str) -> str:
            return str(config.get(key, _DEFAULTS.get(key, ""))).strip()

        try:
            cfg = cls(
                imap_host=get("imap_host"), imap_port=int(get("imap_port")),
                imap_security=get("imap_security"), username=get("username"),
                mailbox=get("mailbox") or "INBOX", resolved_folder=get("resolved_folder"),
                notes_folder=get("notes_folder"), sent_folder=get("sent_folder"),
                smtp_host=get("smtp_host") or get("imap_host"),
                smtp_port=int(get("smtp_port")), smtp_security=get("smtp_security"),
                smtp_username=get("smtp_username") or get("username"),
                from_address=get("from_address"),
                default_market=normalize_market(get("default_market")),
                default_category=PolicyCategory(get("default_category")),
                default_reporter_type=ReporterType(get("default_reporter_type")),
                default_severity=Severity.parse(get("default_severity")),
                default_urgency=Urgency.parse(get("default_urgency")),
                default_language=get("default_language")[:35] or "und",
                law_enforcement_domains=_domains(get("law_enforcement_domains")),
                regulator_domains=_domains(get("regulator_domains")),
                partner_domains=_domains(get("partner_domains")),
            )
        except ValueError as exc:
            raise Rejected(f"{name}: invalid email channel setting: {exc}") from None
        cfg.validate(name)
        return cfg

    def validate(self, name: str) -> None:
        problems = []
        if not self.imap_host or not self.username or "@" not in self.from_address:
            problems.append("IMAP host, user name and a From address are required")
        for what, sec, host in (("IMAP", self.imap_security, self.imap_host),
                                ("SMTP", self.smtp_security, self.smtp_host)):
            if sec not in SECURITY:
                problems.append(f"{what} security must be one of {', '.join(SECURITY)}")
            elif sec == "plain" and not is_loopback(host):
                problems.append(f"{what} without TLS is only allowed to a loopback host "
                                f"(not {host}): passwords would cross the network in clear")
        folders = [self.mailbox, self.resolved_folder, self.notes_folder]
        if len([f for f in folders if f]) != len({f for f in folders if f}):
            problems.append("the mailbox, resolved folder and notes folder must differ")
        if problems:
            raise Rejected(f"{name}: " + "; ".join(problems))


_DEFAULTS = {
    "imap_port": "993", "imap_security": "tls", "mailbox": "INBOX", "resolved_folder": "",
    "notes_folder": "RR Notes", "sent_folder": "Sent", "smtp_port": "587",
    "smtp_security": "starttls", "default_market": "US", "default_category": "other",
    "default_reporter_type": "user", "default_severity": "S2", "default_urgency": "U2",
    "default_language": "en",
}

FIELDS = (
    FieldSpec("imap_host", "IMAP server", help="e.g. imap.example.com"),
    FieldSpec("imap_port", "IMAP port", required=False, default=_DEFAULTS["imap_port"]),
    FieldSpec("imap_security", "IMAP security", required=False, default="tls",
              choices=SECURITY, help="tls (port 993), starttls (143); plain: loopback only"),
    FieldSpec("username", "User name", help="the shared mailbox's login"),
    FieldSpec("password", "Password", secret=True),
    FieldSpec("mailbox", "Mailbox", required=False, default="INBOX"),
    FieldSpec("resolved_folder", "Resolved folder", required=False,
              help="closed escalations are moved here (IMAP MOVE); empty: keywords only"),
    FieldSpec("notes_folder", "Internal notes folder", required=False,
              default=_DEFAULTS["notes_folder"],
              help="internal notes are filed here, never sent; empty: notes stay local"),
    FieldSpec("sent_folder", "Sent folder", required=False, default="Sent",
              help="a copy of every reply (also how a replayed reply is not sent twice)"),
    FieldSpec("smtp_host", "SMTP server", required=False, help="default: the IMAP server"),
    FieldSpec("smtp_port", "SMTP port", required=False, default="587"),
    FieldSpec("smtp_security", "SMTP security", required=False, default="starttls",
              choices=SECURITY, help="starttls (587), tls (465); plain: loopback only"),
    FieldSpec("smtp_username", "SMTP user name", required=False,
              help="default: the IMAP user name"),
    FieldSpec("smtp_password", "SMTP password", secret=True, required=False,
              help="default: the IMAP password"),
    FieldSpec("from_address", "From address", help="e.g. Rapid Response <rr@example.com>"),
    FieldSpec("default_market", "Default market", required=False, default="US",
              help="ISO country code when the sender does not tell"),
    FieldSpec("default_category", "Default category", required=False, default="other",
              choices=tuple(c.value for c in PolicyCategory)),
    FieldSpec("default_reporter_type", "Reporter type of unknown senders", required=False,
              default="user", choices=tuple(r.value for r in ReporterType)),
    FieldSpec("default_severity", "Default severity", required=False, default="S2",
              choices=("S0", "S1", "S2", "S3")),
    FieldSpec("default_urgency", "Default urgency", required=False, default="U2",
              choices=("U0", "U1", "U2", "U3")),
    FieldSpec("default_language", "Default language", required=False, default="en"),
    FieldSpec("law_enforcement_domains", "Law-enforcement sender domains", required=False,
              help="comma-separated, e.g. police.example, afp.gov.au"),
    FieldSpec("regulator_domains", "Regulator sender domains", required=False),
    FieldSpec("partner_domains", "Trusted partner sender domains", required=False),
)
