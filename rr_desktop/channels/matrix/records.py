"""One thread root and what hangs off it (thread replies, reactions, its latest edit) as
one domain Escalation. Pure functions, no I/O.

The escalation's `remote_version` is `(latest origin_server_ts) * 1000 + (number of
events it was built from, capped at 999)`: a new reply or reaction moves it even when the
sender's homeserver clock runs behind (the count grows), and epoch milliseconds keep it
growing across everything else. A reply deleted in Matrix lowers the count: the cached
fact stays until the next change of that escalation (the known gap).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ...domain import MAX_BODY_HTML, Escalation, Fact, Incoming, Severity, Status, region_of
from .config import MatrixConfig, reaction_key
from .events import (
    OP_KEY,
    Malformed,
    command_severity,
    html_of,
    latest_edit,
    new_content,
    obj,
    reaction_severity,
    redacted_by,
    relation,
    text_of,
)

MAX_TITLE = 200
MAX_BODY = 200_000
MAX_FACT = 4_000
MAX_FACTS = 300
SEP = "/"


def external_id(room_id: str, event_id: str) -> str:
    """`!room:server/$event`: the room is needed to read the event again."""
    return f"{room_id}{SEP}{event_id}"


def split_external_id(text: str) -> tuple[str, str]:
    """(room_id, event_id); ValueError for anything external_id did not make."""
    room, sep, event = text.partition(SEP + "$")
    if not sep or not room.startswith("!") or not event:
        raise ValueError(f"{text[:80]!r} is not a Matrix message reference")
    return room, "$" + event


def plain(text: str, cap: int) -> str:
    """Untrusted text kept plain: C0 controls but tab and newline dropped; cut at `cap`
    characters with a visible note."""
    cleaned = "".join(ch for ch in text if ch >= " " or ch in "\n\t")
    if len(cleaned) > cap:
        return (cleaned[:cap] + f"\n[cut: {cap:,} of {len(cleaned):,} characters; full text "
                "at the source]")
    return cleaned


def when(ts: int) -> datetime:
    return datetime.fromtimestamp(ts / 1000, UTC)


@dataclass(frozen=True, slots=True)
class Thread:
    """What the server holds for one root: the root event, its thread replies (oldest
    first) and its reactions; `names` maps user IDs to display names."""

    room_id: str
    root: Mapping[str, Any]
    replies: Sequence[Mapping[str, Any]]
    reactions: Sequence[Mapping[str, Any]]
    names: Mapping[str, str]


def who(user_id: str, names: Mapping[str, str]) -> str:
    name = names.get(user_id, "")
    return plain(f"{name} ({user_id})" if name and name != user_id else user_id, 200)


def _ts(event: Mapping[str, Any]) -> int:
    value = event.get("origin_server_ts")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _reply_fact(event: Mapping[str, Any], names: Mapping[str, str]) -> Fact | None:
    content = event.get("content")
    if not isinstance(content, dict) or relation(content)[0] != "m.thread":
        return None
    edit = latest_edit(event)
    shown = new_content(edit) if edit is not None else content
    try:
        text = text_of(shown or content)
    except Malformed:
        return None  # quarantined when it came through the stream
    sender = str(event.get("sender", ""))
    ours = " (sent from RR Desktop)" if OP_KEY in content else ""
    return Fact(when(_ts(event)),
                plain(f"Thread reply by {who(sender, names)}{ours}: {text}", MAX_FACT))


def build(thread: Thread, cfg: MatrixConfig, alias_of: Mapping[str, str],
          server_name: str) -> Incoming:
    """The escalation of one thread root; Malformed says why the root cannot be one."""
    root = thread.root
    root_id = root.get("event_id")
    sender = root.get("sender")
    content = root.get("content")
    if not isinstance(root_id, str) or not isinstance(sender, str) or \
            not isinstance(content, dict) or _ts(root) <= 0:
        raise Malformed("the thread root has no event id, sender, timestamp or content")
    if root.get("type") != "m.room.message":
        raise Malformed(f"the thread root is a {str(root.get('type'))[:60]!r} event, not a "
                        "message")
    names = thread.names
    facts: list[Fact] = []
    stamps = [_ts(root)]
    deleted_by = redacted_by(root)
    if deleted_by is not None:
        text, html = "(message deleted in Matrix)", None
        facts.append(Fact(when(_ts(root)), f"Deleted in Matrix by {who(deleted_by, names)}"))
    else:
        shown: Mapping[str, Any] = content
        edit = latest_edit(root)
        if edit is not None:
            shown = new_content(edit) or content
            stamps.append(_ts(edit))
            facts.append(Fact(when(_ts(edit)), f"Edited in Matrix by {who(sender, names)}"))
        text = text_of(shown)
        html = html_of(shown)
    marks: list[tuple[int, Severity]] = []
    severity, text = command_severity(text, cfg.severity_command)
    if severity is not None:
        marks.append((_ts(root), severity))
    for reply in thread.replies:
        fact = _reply_fact(reply, names)
        if fact is None:
            continue
        facts.append(fact)
        stamps.append(_ts(reply))
        body = obj(reply.get("content")).get("body")
        level, _ = command_severity(body if isinstance(body, str) else "",
                                    cfg.severity_command)
        if level is not None:
            marks.append((_ts(reply), level))
    for reaction in thread.reactions:
        key = obj(obj(reaction.get("content")).get("m.relates_to")).get("key")
        level = reaction_severity(reaction_key(key), cfg.severity_reactions) \
            if isinstance(key, str) else None
        stamps.append(_ts(reaction))
        if level is None:
            continue
        marks.append((_ts(reaction), level))
        facts.append(Fact(when(_ts(reaction)), plain(
            f"Severity {level.name} marked by {who(str(reaction.get('sender', '')), names)} "
            f"(reaction {key})", MAX_FACT)))
    room_id = thread.room_id
    market = cfg.market_of(room_id, alias_of)
    first_line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    facts.sort(key=lambda f: f.at)
    version = max(stamps) * 1000 + min(len(stamps) - 1, 999)
    record = Escalation(
        external_id=external_id(room_id, root_id), remote_version=version,
        title=plain(first_line or "(empty message)", MAX_TITLE),
        body=plain(text, MAX_BODY),
        body_html=html[:MAX_BODY_HTML] if html else None,
        reporter=who(sender, names), reporter_type=cfg.reporter_type,
        category=cfg.default_category, market=market, region=region_of(market),
        language=cfg.language, severity=max(marks)[1] if marks else cfg.default_severity,
        urgency=cfg.default_urgency, status=Status.NEW,
        created_at=when(_ts(root)), updated_at=when(max(stamps)),
        content_url=f"https://matrix.to/#/{quote(room_id, safe='!:')}/"
                    f"{quote(root_id, safe='$')}?via={quote(server_name, safe='')}",
        facts=tuple(facts[-MAX_FACTS:]),
    )
    return Incoming(record, _digest(thread))


def _digest(thread: Thread) -> str:
    """The payload hash: the events the record was built from."""
    h = hashlib.blake2b(digest_size=16)
    for part in (thread.root, *thread.replies, *thread.reactions):
        h.update(json.dumps(part, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()
