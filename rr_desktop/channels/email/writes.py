"""Push for the email channel: triage as keywords and moves, replies, internal notes.

update: read-compare-write on the thread's current keywords (records.py): a field that
  already holds our value is done, one still at `base` is written, any other value is a
  VersionConflict with the current record. Before any STORE or MOVE the folder is
  SELECTed again, its UIDVALIDITY compared with the index's and every target UID checked
  to still hold the expected Message-ID; on any mismatch nothing is touched and the op is
  retried after a resync (ServerError). The STORE is conditional (RFC 7162
  UNCHANGEDSINCE = the folder's HIGHESTMODSEQ when the thread was read): a concurrent
  change makes it a VersionConflict, not a lost update.
reply: sent by SMTP as `<op_id@from-domain>`, threaded under the newest message from the
  other side; the Sent folder is searched for that Message-ID first (a replayed op does
  not send twice), the copy is APPENDed there afterwards, the answered mail gets
  \\Answered (RFC 3501 system flag).
note: internal, never sent. Filed (APPEND) as a message in the notes folder, threaded
  under the escalation, so colleagues on the same mailbox see it as a fact; with no notes
  folder configured the op is Rejected with a sentence saying so (the note stays local).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import formataddr, parseaddr
from typing import TYPE_CHECKING, Any

from ...domain import Incoming, Severity, Status, Urgency
from ..contract import ChannelError, Mutation, PushResult, Rejected, ServerError, VersionConflict
from . import reading, smtp
from .imap import FolderState, ImapSession
from .mime import normalize_id
from .records import (
    FIELDS,
    INBOUND,
    PREFIX,
    Message,
    current_fields,
    field_keywords,
    keyword,
    subject_title,
)

if TYPE_CHECKING:
    from .client import EmailChannel

log = logging.getLogger("rr_desktop.channels.email")
SEEN, ANSWERED = "\\Seen", "\\Answered"
_CLOSED = frozenset({Status.RESOLVED, Status.CLOSED, Status.DUPLICATE, Status.DECLINED})


def _same(field: str, a: Any, b: Any) -> bool:
    if field == "tags":
        return sorted(a or []) == sorted(b or [])
    return (a or None) == (b or None)


def _keywords(name: str, apply: dict[str, Any]) -> set[str]:
    add: set[str] = set()
    try:
        for field, value in apply.items():
            if field == "status":
                add.add(keyword("status", Status(value).value))
            elif field == "severity":
                add.add(keyword("severity", Severity.parse(str(value)).name))
            elif field == "urgency":
                add.add(keyword("urgency", Urgency.parse(str(value)).name))
            elif field == "assignee" and value:
                add.add(keyword("assignee", str(value)))
            elif field == "tags":
                add.update(keyword("tags", str(t)) for t in value or [])
    except ValueError as exc:
        raise Rejected(f"{name}: {exc}") from None
    return add


def _thread(ch: EmailChannel, s: ImapSession, root: str) -> tuple[Incoming, list[Message]]:
    incoming, msgs = ch.thread(s, root)
    if incoming is None:
        raise Rejected(f"{ch.name}: no message of thread <{root}> is left in "
                       f"{ch.cfg.mailbox!r} (deleted on the server?)")
    return incoming, msgs


def _select_verified(ch: EmailChannel, s: ImapSession, folder: str,
                     msgs: Sequence[Message]) -> FolderState:
    """SELECT read-write and make sure each UID still holds the message we read."""
    st = s.open(folder, readonly=False)
    fi = ch.index.folder(folder)
    if st is None or fi is None or st.uidvalidity != fi.uidvalidity:
        if st is not None:
            ch.index.reset(folder, st.uidvalidity)
        raise ServerError(f"{ch.name}: {folder!r} was recreated on the server (UIDVALIDITY "
                          "changed) while the change was being written; nothing was "
                          "changed, it will be retried after a resync")
    links, _ = reading.links(s, folder, [m.uid for m in msgs])
    found = {lk.uid: lk.message_id for lk in links}
    wrong = [m.uid for m in msgs if found.get(m.uid) != m.headers.message_id]
    if wrong:
        ch.index.reset(folder, st.uidvalidity)
        raise ServerError(f"{ch.name}: UID {wrong[0]} in {folder!r} no longer holds the "
                          "expected message; nothing was changed, retrying after a resync")
    return st


def update(ch: EmailChannel, s: ImapSession, mutation: Mutation) -> PushResult:
    root = mutation.external_id
    snaps = ch.snapshot(s)
    incoming, msgs = _thread(ch, s, root)
    current = current_fields(msgs, ch.cfg)
    apply: dict[str, Any] = {}
    for field, mine in mutation.payload.items():
        if field not in FIELDS:
            raise Rejected(f"{ch.name}: an email thread has no {field!r} to change")
        theirs = current[field]
        if _same(field, theirs, mine):
            continue  # already there (e.g. a replay after a lost answer)
        if field in mutation.base and not _same(field, theirs, mutation.base[field]):
            raise VersionConflict(f"{ch.name}: {field} of this thread was changed on the "
                                  "mail server meanwhile", incoming)
        apply[field] = mine
    if not apply:
        return PushResult(incoming.record.remote_version, incoming)
    add = _keywords(ch.name, apply)
    status = Status(apply["status"]) if "status" in apply else None
    inbound = [m for m in msgs if m.role in INBOUND]
    for folder in sorted({m.folder for m in inbound}):
        here = [m for m in inbound if m.folder == folder]
        st = _select_verified(ch, s, folder, here)
        if not st.keywords_ok and any(a.startswith(PREFIX) for a in add):
            raise Rejected(f"{ch.name}: {folder!r} does not accept new keywords (no \\* in "
                           "PERMANENTFLAGS), so triage cannot be kept on the mail server")
        remove: set[str] = set()
        for m in here:
            for field in apply:
                remove |= field_keywords(m.flags, field)
        wanted = set(add)
        if status is not None:
            (remove if status is Status.NEW else wanted).add(SEEN)
        modified = s.store([m.uid for m in here], wanted, remove - wanted,
                           snaps[folder].highestmodseq if s.condstore else None)
        if modified:
            again, _ = ch.thread(s, root)
            raise VersionConflict(f"{ch.name}: the thread changed on the mail server while "
                                  "the change was being written", again or incoming)
        if status is not None:
            _file(ch, s, folder, here, status)
    after, _ = _thread(ch, s, root)
    return PushResult(after.record.remote_version, after)


def _file(ch: EmailChannel, s: ImapSession, folder: str, msgs: Sequence[Message],
          status: Status) -> None:
    """MOVE a thread's mail to the resolved folder when closed, back when reopened
    (the folder is selected and its UIDs verified by the caller)."""
    cfg = ch.cfg
    if not cfg.resolved_folder:
        return
    closed = status in _CLOSED
    src, dst = (cfg.mailbox, cfg.resolved_folder) if closed else \
        (cfg.resolved_folder, cfg.mailbox)
    if folder != src:
        return
    s.ensure(dst)
    s.move([m.uid for m in msgs], dst)
    ch.index.discard(src, [m.uid for m in msgs])


def _filed(ch: EmailChannel, s: ImapSession, folder: str, message_id: str) -> bool:
    s.ensure(folder)
    s.open(folder)
    return bool(s.find("Message-ID", f"<{message_id}>"))


def reply(ch: EmailChannel, s: ImapSession, mutation: Mutation,
          smtp_password: str) -> PushResult:
    cfg = ch.cfg
    text = str(mutation.payload.get("text") or "").strip()
    if not text:
        raise Rejected(f"{ch.name}: the reply is empty")
    _, msgs = _thread(ch, s, mutation.external_id)
    inbound = sorted((m for m in msgs if m.role in INBOUND), key=lambda m: m.order)
    ours = parseaddr(cfg.from_address)[1].lower()
    target = next((m for m in reversed(inbound) if m.headers.sender_addr != ours),
                  inbound[-1])
    message_id = normalize_id(f"{mutation.op_id}@{cfg.from_domain}")
    if cfg.sent_folder and _filed(ch, s, cfg.sent_folder, message_id):
        return PushResult(None)  # sent by an earlier attempt
    msg = smtp.compose(cfg, to=target.headers.reply_to,
                       subject=smtp.reply_subject(inbound[0].headers.subject), text=text,
                       message_id=message_id, parent_id=target.headers.message_id,
                       parent_refs=target.headers.parents, when=datetime.now(UTC))
    smtp.send(ch.name, cfg, smtp_password, msg, [target.headers.reply_to])
    if cfg.sent_folder:
        s.append(cfg.sent_folder, bytes(msg), [SEEN])
    try:
        _select_verified(ch, s, target.folder, [target])
        s.store([target.uid], {ANSWERED}, set(), None)
    except ChannelError as exc:  # the reply is out; the flag is a courtesy
        log.info("%s: could not mark the answered mail: %s", ch.name, exc)
    return PushResult(None)


def note(ch: EmailChannel, s: ImapSession, mutation: Mutation) -> PushResult:
    cfg = ch.cfg
    if not cfg.notes_folder:
        raise Rejected(f"{ch.name}: this channel files no internal notes on the mail "
                       "server (no notes folder is set), so the note stays in RR Desktop")
    text = str(mutation.payload.get("text") or "").strip()
    if not text:
        raise Rejected(f"{ch.name}: the note is empty")
    root = mutation.external_id
    _, msgs = _thread(ch, s, root)
    first = min((m for m in msgs if m.role in INBOUND), key=lambda m: m.order)
    message_id = normalize_id(f"note-{mutation.op_id}@{cfg.from_domain}")
    if not _filed(ch, s, cfg.notes_folder, message_id):
        author = str(mutation.payload.get("author") or "RR Desktop")[:100]
        ours = parseaddr(cfg.from_address)[1]
        msg = smtp.compose(cfg, to=ours, sender=formataddr((author, ours)),
                           subject=f"Internal note: {subject_title(first.headers.subject)}",
                           text=text, message_id=message_id, parent_id=root, parent_refs=(),
                           when=datetime.now(UTC),
                           headers={"X-RR-Note": "internal, never sent"})
        s.append(cfg.notes_folder, bytes(msg), [SEEN])
    after, _ = _thread(ch, s, root)
    return PushResult(after.record.remote_version, after)
