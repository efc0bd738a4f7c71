"""Reading messages from the selected folder, in bounded batches, so that one message the
server cannot deliver never blocks the mailbox.

A server may fail on one message every time it is fetched (a damaged file in its store,
an index entry it cannot resolve): it answers an unparsable response, or drops the
connection. A batch FETCH that fails is split in halves, each half on a fresh
connection when the old one was dropped, down to the single message; a message whose
FETCH still drops the connection after `MESSAGE_TRIES` tries, each on a new connection
that logged in and selected the folder fine, is reported unreadable with the error, and
everything else is read. Failing to reconnect is not the message's fault: that error
goes to the engine, which retries the run later. When every message of a batch turns
out unreadable the server is failing as a whole, and that is reported the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..contract import NetworkError, ServerError
from .imap import ImapSession, reply_text
from .mime import (
    MAX_HEADER,
    MAX_PART,
    BodyText,
    Part,
    attachments,
    body_text,
    choose_text,
    parse_headers,
    thread_ids,
    walk,
)
from .records import Message
from .threads import Link

CHUNK = 200  # UIDs per FETCH
BATCH_BYTES = 16 * 1024 * 1024  # text-part bytes asked for in one FETCH
MESSAGE_TRIES = 3
_LINK_FIELDS = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID IN-REPLY-TO REFERENCES DATE FROM SUBJECT)]"


def _key(data: Mapping[bytes, Any], prefix: bytes) -> bytes:
    return next((v for k, v in data.items() if k.startswith(prefix)), b"") or b""


@dataclass(slots=True)
class Fetched:
    """A FETCH over many UIDs: what came back per UID, and the UIDs that could not be
    read, with the reason."""

    data: dict[int, Any] = field(default_factory=dict)
    unreadable: dict[int, str] = field(default_factory=dict)


def fetch(s: ImapSession, uids: Sequence[int], items: Sequence[str]) -> Fetched:
    """FETCH `items` of `uids` (the selected folder), isolating unreadable messages."""
    out = Fetched()
    tries: dict[int, int] = {}
    dropped = 0
    pending = [list(uids[i:i + CHUNK]) for i in range(0, len(uids), CHUNK)][::-1]
    while pending:
        batch = pending.pop()
        try:
            with s.errors("fetch from"):
                out.data.update(s.c.fetch(batch, list(items)))
            continue
        except NetworkError as exc:
            s.reconnect()  # NetworkError here: the server, not this message
            if len(batch) == 1:
                uid = batch[0]
                tries[uid] = tries.get(uid, 0) + 1
                if tries[uid] < MESSAGE_TRIES:
                    pending.append(batch)
                else:
                    dropped += 1
                    out.unreadable[uid] = (
                        f"the server dropped the connection on each of {MESSAGE_TRIES} "
                        f"fetches of this message ({exc})")
                continue
        except ServerError as exc:  # an answer IMAPClient cannot parse
            if len(batch) == 1:
                out.unreadable[batch[0]] = str(exc)
                continue
        half = len(batch) // 2
        pending += [batch[half:], batch[:half]]
    if dropped > 1 and not out.data:
        raise NetworkError(f"{s.name}: {s.where} failed on every message asked for "
                           f"({next(iter(out.unreadable.values()))})", ambiguous=True)
    return out


def changed_since(s: ImapSession, modseq: int, last_uid: int,
                  unreadable: Mapping[int, str]) -> dict[int, int]:
    """{uid: modseq} of messages up to last_uid changed after `modseq` (CONDSTORE), but
    for those known to be unreadable."""
    if last_uid < 1:
        return {}
    with s.errors("search"):
        uids = s.c.search(["MODSEQ", modseq + 1, "UID", f"1:{last_uid}"])
    uids = [u for u in uids if u <= last_uid and u not in unreadable]
    got = fetch(s, uids, ["MODSEQ"])
    return {uid: int(data.get(b"MODSEQ", (0,))[0]) for uid, data in got.data.items()}


def links(s: ImapSession, folder: str, uids: Sequence[int]) -> tuple[list[Link],
                                                                      dict[int, str]]:
    """The thread links of `uids`, and the UIDs whose headers cannot be read."""
    got = fetch(s, uids, [_LINK_FIELDS])
    out = []
    for uid, item in got.data.items():
        own, parents = thread_ids(_key(item, b"BODY[HEADER.FIELDS"))
        out.append(Link(folder, uid, own, parents))
    return out, got.unreadable


def messages(s: ImapSession, folder: str, role: str, uids: Sequence[int], report: set[int],
             ) -> tuple[list[Message], list[tuple[int, str, str]], dict[int, str]]:
    """Fetch messages of the selected folder. Unusable ones are skipped and, when in
    `report`, returned as (uid, reason, raw header text) for the quarantine; the third
    item holds every UID the server could not deliver, with the reason."""
    items = ["UID", "FLAGS", "INTERNALDATE", "BODYSTRUCTURE",
             f"BODY.PEEK[HEADER]<0.{MAX_HEADER}>"] + (["MODSEQ"] if s.condstore else [])
    got = fetch(s, uids, items)
    bad = [(uid, reason, "") for uid, reason in got.unreadable.items() if uid in report]
    parsed = {}
    for uid, item in got.data.items():
        raw = _key(item, b"BODY[HEADER]")
        try:
            headers = parse_headers(raw)
            parts = walk(item.get(b"BODYSTRUCTURE") or ())
        except ValueError as exc:
            if uid in report:
                bad.append((uid, str(exc), raw.decode("utf-8", "replace")))
            continue
        parsed[uid] = (item, headers, parts, choose_text(parts))
    texts, unreadable = _texts(s, {u: p[3] for u, p in parsed.items() if p[3] is not None})
    bad += [(uid, reason, "") for uid, reason in unreadable.items() if uid in report]
    unreadable.update(got.unreadable)
    good: list[Message] = []
    for uid, (item, headers, parts, shown) in parsed.items():
        if uid in unreadable:
            continue
        received = item.get(b"INTERNALDATE")
        if not isinstance(received, datetime) or received.tzinfo is None:
            received = headers.date or datetime.now(UTC)
        modseq = item.get(b"MODSEQ", (0,))
        body = texts.get(uid, BodyText("", None))
        good.append(Message(
            folder, role, uid, frozenset(reply_text(f) for f in item.get(b"FLAGS", ())
                                         if f != b"\\Recent"),
            received.astimezone(UTC), int(modseq[0]) if modseq else 0, headers,
            body.text, tuple(attachments(parts, shown)), body.html, body.source_chars))
    return good, bad, unreadable


def _texts(s: ImapSession, shown: dict[int, Part]) -> tuple[dict[int, BodyText],
                                                              dict[int, str]]:
    """Fetch the chosen text part of each message (whole up to MAX_PART bytes), batched
    by section and by size."""
    by_section: dict[str, list[int]] = {}
    for uid, part in shown.items():
        by_section.setdefault(part.section, []).append(uid)
    out: dict[int, BodyText] = {}
    unreadable: dict[int, str] = {}
    for section, uids in by_section.items():
        item = f"BODY.PEEK[{section}]<0.{MAX_PART}>"
        for batch in _by_size(uids, shown):
            got = fetch(s, batch, [item])
            unreadable.update(got.unreadable)
            for uid, data in got.data.items():
                out[uid] = body_text(shown[uid], _key(data, f"BODY[{section}]".encode()))
    return out, unreadable


def _by_size(uids: list[int], shown: Mapping[int, Part]) -> list[list[int]]:
    """UIDs in batches whose text parts add up to at most BATCH_BYTES (one at least)."""
    batches: list[list[int]] = [[]]
    size = 0
    for uid in uids:
        part = min(max(shown[uid].size, 0), MAX_PART)
        if batches[-1] and size + part > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(uid)
        size += part
    return [b for b in batches if b]
