"""From a thread's messages to an Escalation, and triage fields <-> IMAP keywords.

Triage state lives on the mail server so every analyst of the shared mailbox sees the
same thing (RFC 3501 §2.3.2: keywords are user-defined flags kept per message; a
`\\*` in PERMANENTFLAGS means new ones may be created):

    status     $RR-status-<value>   plus \\Seen for anything but "new", and a MOVE to the
                                    resolved folder for closed states (if configured)
    severity   $RR-severity-S0..S3
    urgency    $RR-urgency-U0..U3
    assignee   $RR-assignee-<id>
    tags       $RR-tag-<tag>

Keywords are written on every message of the thread; the value of a field is read from
the newest message (INTERNALDATE, then UID) that carries one for it, so a new message
without keywords keeps the thread's state. Exceptions, as a shared inbox user expects:
a thread with no status keyword is "new", or "resolved" when all its mail sits in the
resolved folder (someone filed it by hand); a closed thread that receives a newer message
in the mailbox is reopened as "new". \\Seen is written, never read (opening a mail in a
mail client marks it read; that is not triage).

Keywords are ASCII atoms of at most 50 characters (Dovecot's mail_max_keyword_length);
assignee ids and tags that cannot be one are Rejected. Dovecot with Maildir keeps 26
keywords per folder in file names and the rest in its index files (Dovecot docs, "Maildir
Mailbox Format: IMAP Keywords"): fine, but mdbox suits many tags better.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...domain import (
    MAX_BODY,
    Escalation,
    Extent,
    Fact,
    Incoming,
    PolicyCategory,
    ReporterType,
    Severity,
    Status,
    Urgency,
    cut_text,
    region_of,
)
from .config import EmailConfig
from .mime import Attachment, Headers, clean

PREFIX = "$RR-"
FIELDS = ("status", "severity", "urgency", "assignee", "tags")
MAX_KEYWORD = 50  # Dovecot's default mail_max_keyword_length
MAX_FACTS = 200
FACT_TEXT = 2_000
INBOUND = ("mailbox", "resolved")
_ATOM = re.compile(r"^[!#$&'+,\-./0-9:;<=>?@A-Z\[^_`a-z|}~]+$")  # RFC 3501 atom chars
_URL = re.compile(r"https?://[^\s<>\"')\]]{3,2000}")
_RE = re.compile(r"^\s*((re|fwd?|aw|sv|vs|antw)\s*(\[\d+\])?\s*:\s*)+", re.I)
_STATUS = {s.value: s for s in Status}
_KW_NAME = {"status": "status", "severity": "severity", "urgency": "urgency",
            "assignee": "assignee", "tags": "tag"}
_CLOSED = frozenset({Status.RESOLVED, Status.CLOSED, Status.DUPLICATE, Status.DECLINED})


@dataclass(frozen=True, slots=True)
class Message:
    """One fetched message of a thread (`role`: mailbox, resolved or notes)."""

    folder: str
    role: str
    uid: int
    flags: frozenset[str]
    received: datetime
    modseq: int
    headers: Headers
    text: str
    attachments: tuple[Attachment, ...]
    html: str | None = None  # the body as sent, when it was HTML (`text` is its text)
    source_chars: int | None = None  # about how long `text` is on the server, when
    # only its start was fetched

    @property
    def order(self) -> tuple[datetime, datetime, int]:
        """Arrival order: INTERNALDATE (server time, kept by MOVE), then the Date header,
        then the UID (which grows with arrival within a folder)."""
        return (self.received, self.headers.date or self.received, self.uid)


def keyword(field: str, value: str) -> str:
    """The keyword for one field value; ValueError when IMAP cannot carry it."""
    kw = f"{PREFIX}{_KW_NAME[field]}-{value}"
    if not _ATOM.match(kw) or len(kw) > MAX_KEYWORD:
        raise ValueError(f"{field} {value!r} cannot be an IMAP keyword (plain ASCII "
                         f"letters, digits and .-_ only, at most {MAX_KEYWORD} characters)")
    return kw


def parse_keyword(flag: str) -> tuple[str, str] | None:
    if not flag.upper().startswith(PREFIX.upper()):
        return None
    name, _, value = flag[len(PREFIX):].partition("-")
    for field, kw_name in _KW_NAME.items():
        if name.lower() == kw_name and value:
            return field, value
    return None


def field_keywords(flags: frozenset[str], field: str) -> set[str]:
    """The flags of a message that belong to `field`."""
    return {f for f in flags if (p := parse_keyword(f)) is not None and p[0] == field}


def _values(m: Message, field: str) -> list[str]:
    return sorted(p[1] for f in m.flags if (p := parse_keyword(f)) and p[0] == field)


def current_fields(messages: Sequence[Message], cfg: EmailConfig) -> dict[str, Any]:
    """The thread's triage fields in wire form (as outbox payloads hold them)."""
    inbound = sorted((m for m in messages if m.role in INBOUND), key=lambda m: m.order)
    out: dict[str, Any] = {}
    for field in FIELDS:
        carrying = [m for m in inbound if _values(m, field)]
        values = _values(carrying[-1], field) if carrying else []
        out[field] = values if field == "tags" else (values[-1] if values else None)
    status = _STATUS.get((out["status"] or "").lower())
    if status is None:
        resolved = inbound and all(m.role == "resolved" for m in inbound)
        status = Status.RESOLVED if resolved else Status.NEW
    elif status in _CLOSED:
        newest_kw = max(m.order for m in inbound if _values(m, "status"))
        if any(m.role == "mailbox" and not _values(m, "status") and m.order > newest_kw
               for m in inbound):
            status = Status.NEW  # reopened: the sender wrote again
    out["status"] = status.value
    try:
        out["severity"] = Severity.parse(out["severity"] or "").name
    except ValueError:
        out["severity"] = cfg.default_severity.name
    try:
        out["urgency"] = Urgency.parse(out["urgency"] or "").name
    except ValueError:
        urgent = any(m.headers.urgent for m in inbound)
        out["urgency"] = Urgency.U1.name if urgent and cfg.default_urgency > Urgency.U1 \
            else cfg.default_urgency.name
    return out


def _in(domain: str, domains: tuple[str, ...]) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in domains)


def reporter_type(addr: str, cfg: EmailConfig) -> ReporterType:
    domain = addr.rpartition("@")[2]
    if _in(domain, cfg.law_enforcement_domains):
        return ReporterType.LAW_ENFORCEMENT
    if _in(domain, cfg.regulator_domains):
        return ReporterType.REGULATOR
    if _in(domain, cfg.partner_domains):
        return ReporterType.TRUSTED_PARTNER
    return cfg.default_reporter_type


def subject_title(subject: str) -> str:
    return _RE.sub("", subject).strip() or "(no subject)"


def _fact(m: Message) -> Fact:
    who = m.headers.sender_name or m.headers.sender_addr
    if m.role == "notes":
        head = f"Internal note by {who}"
    else:
        head = f"From {who} <{m.headers.sender_addr}>" if m.headers.sender_name else \
            f"From {m.headers.sender_addr}"
    text = clean(m.text, FACT_TEXT)
    if m.attachments:
        text += "\nAttachments (not opened): " + "; ".join(a.describe()
                                                          for a in m.attachments[:20])
    return Fact(m.headers.date or m.received, f"{head}: {text}" if text else head)


def attachment_block(attachments: Sequence[Attachment]) -> str:
    if not attachments:
        return ""
    lines = [f"- {a.describe()}" for a in attachments[:100]]
    if len(attachments) > 100:
        lines.append(f"- ... and {len(attachments) - 100} more")
    return "\n\nAttachments (listed, not opened):\n" + "\n".join(lines)


def build(root: str, messages: Sequence[Message], cfg: EmailConfig,
          version: int) -> Incoming | None:
    """The escalation of one thread, or None when no inbound message of it is present."""
    unique: dict[str, Message] = {}
    for m in sorted(messages, key=lambda m: (m.role != "mailbox", m.order)):
        unique.setdefault(m.headers.message_id, m)
    msgs = sorted(unique.values(), key=lambda m: m.order)
    inbound = [m for m in msgs if m.role in INBOUND]
    if not inbound:
        return None
    first = inbound[0]
    fields = current_fields(msgs, cfg)
    rtype = reporter_type(first.headers.sender_addr, cfg)
    category = PolicyCategory.REGULATORY_LEGAL if rtype in (
        ReporterType.LAW_ENFORCEMENT, ReporterType.REGULATOR) else cfg.default_category
    h = first.headers
    reporter = f"{h.sender_name} <{h.sender_addr}>" if h.sender_name else h.sender_addr
    url = _URL.search(first.text)
    facts = sorted((_fact(m) for m in msgs), key=lambda f: f.at)[-MAX_FACTS:]
    listed = attachment_block(first.attachments)
    # Cut here rather than in Escalation, so the attachment list after the text stays.
    text = cut_text(first.text, MAX_BODY - len(listed), source_chars=first.source_chars,
                    extent=Extent.ABOUT)
    record = Escalation(
        external_id=root, remote_version=version, title=clean(subject_title(h.subject),
                                                              2000),
        body=text + listed, reporter=reporter[:400],
        reporter_type=rtype, category=category, market=cfg.default_market,
        region=region_of(cfg.default_market),
        language=h.language or cfg.default_language,
        severity=Severity[fields["severity"]], urgency=Urgency[fields["urgency"]],
        status=Status(fields["status"]), created_at=h.date or first.received,
        updated_at=max(m.received for m in msgs), assignee=fields["assignee"],
        tags=tuple(fields["tags"]), content_url=url.group(0) if url else None,
        facts=tuple(facts), body_html=first.html,
    )
    digest = hashlib.blake2b(digest_size=16)
    for m in msgs:
        digest.update(f"{m.folder}\0{m.uid}\0{sorted(m.flags)}\0{len(m.text)}\n".encode())
    return Incoming(record, digest.hexdigest())
