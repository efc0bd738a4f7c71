"""Matrix events as this channel reads them: what an event is to the escalation queue
(a new message, a thread reply, an edit, a reaction...), its text without the rich-reply
fallback, and the severity it marks. Pure functions, no I/O.

Shapes from the Matrix client-server specification (spec.matrix.org, v1.x): an event has
`event_id`, `type`, `sender`, `origin_server_ts` (ms) and `content`; relations live in
`content["m.relates_to"]` with `rel_type` "m.thread" (a thread reply: `event_id` is the
thread root), "m.replace" (an edit: the new text is in `content["m.new_content"]`) or
"m.annotation" (a reaction: `key`); a rich reply has only `m.in_reply_to`. Servers bundle
the latest edit and a thread summary in `unsigned["m.relations"]`; a redacted event has
`unsigned["redacted_because"]` and an emptied content.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ...domain import Severity
from .config import reaction_key

MESSAGE = "m.room.message"
REACTION = "m.reaction"
ENCRYPTED = "m.room.encrypted"
ENCRYPTION = "m.room.encryption"
STREAM_TYPES = (MESSAGE, REACTION, ENCRYPTED, ENCRYPTION)
OP_KEY = "org.rr-desktop.op_id"  # our replies carry the outbox op id (idempotent replay)
_FALLBACK = re.compile(r"\A(?:>[^\n]*\n)+\n", re.S)
_MX_REPLY = re.compile(r"<mx-reply>.*?</mx-reply>", re.S | re.I)
_SEVERITY_WORD = re.compile(r"S([0-3])\b", re.I)
_LEVEL = re.compile(r"[Ss]([0-3])")
_MEDIA = {"m.image": "image", "m.file": "file", "m.video": "video", "m.audio": "audio"}


class Kind(Enum):
    """What an event in a watched room means to the escalation queue."""

    ROOT = "root"  # a message of its own: an escalation
    THREAD_REPLY = "thread_reply"  # a fact of its thread root's escalation
    EDIT = "edit"  # changes the text of its target
    REACTION = "reaction"  # may mark its target's severity
    ENCRYPTED = "encrypted"  # cannot be read
    ROOM_ENCRYPTED = "room_encrypted"  # the room turned on encryption
    OTHER = "other"  # not this channel's business (state, redactions, calls...)


class Malformed(ValueError):
    """An event this channel should read but cannot; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Seen:
    """One event of the stream, classified; `target` is the event it relates to."""

    event_id: str
    kind: Kind
    ts: int
    sender: str
    target: str | None = None
    key: str = ""


def as_raw(event: Any) -> str:
    """An event as kept in quarantine."""
    try:
        return json.dumps(event, ensure_ascii=False, sort_keys=True)[:70_000]
    except (TypeError, ValueError):
        return repr(event)[:70_000]


def event_id_of(event: Any) -> str | None:
    value = event.get("event_id") if isinstance(event, dict) else None
    return value if isinstance(value, str) and value.startswith("$") and len(value) < 256 \
        else None


def relation(content: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(rel_type, event_id) of an event's m.relates_to; (None, None) without one. A rich
    reply (m.in_reply_to only) is not a relation in this sense."""
    rel = content.get("m.relates_to")
    if not isinstance(rel, dict):
        return None, None
    rel_type, target = rel.get("rel_type"), rel.get("event_id")
    if not isinstance(rel_type, str):
        return None, None
    return rel_type, target if isinstance(target, str) else None


def classify(event: Any) -> Seen:
    """What a stream event is; Malformed when it is a message or reaction that cannot be
    read (no id, no timestamp, a content that is not an object, a relation without a
    target)."""
    if not isinstance(event, dict):
        raise Malformed("the event is not a JSON object")
    ident = event_id_of(event)
    etype = event.get("type")
    if ident is None or not isinstance(etype, str):
        raise Malformed("the event has no event_id or type")
    ts, sender, content = event.get("origin_server_ts"), event.get("sender"), \
        event.get("content")
    if etype not in STREAM_TYPES:
        return Seen(ident, Kind.OTHER, 0, "")
    if not isinstance(ts, int) or not _is_int(ts) or not isinstance(sender, str) or \
            not isinstance(content, dict):
        raise Malformed(f"{etype} event without a timestamp, sender or content")
    if etype == ENCRYPTION:
        kind = Kind.ROOM_ENCRYPTED if event.get("state_key") == "" else Kind.OTHER
        return Seen(ident, kind, ts, sender)
    if etype == ENCRYPTED:
        return Seen(ident, Kind.ENCRYPTED, ts, sender)
    rel_type, target = relation(content)
    if etype == REACTION:
        key = content["m.relates_to"].get("key") if rel_type == "m.annotation" else None
        if target is None or not isinstance(key, str):
            raise Malformed("a reaction without a target event or key")
        return Seen(ident, Kind.REACTION, ts, sender, target, reaction_key(key))
    if rel_type in ("m.thread", "m.replace"):
        if target is None:
            raise Malformed(f"an {rel_type} relation without a target event")
        kind = Kind.THREAD_REPLY if rel_type == "m.thread" else Kind.EDIT
        return Seen(ident, kind, ts, sender, target)
    if "unsigned" in event and isinstance(event["unsigned"], dict) and \
            "redacted_because" in event["unsigned"]:
        return Seen(ident, Kind.OTHER, ts, sender)  # deleted before we saw it
    text_of(content)  # a message we cannot read is malformed
    return Seen(ident, Kind.ROOT, ts, sender)


def text_of(content: Mapping[str, Any]) -> str:
    """A message's plain text: `body` without a rich-reply fallback; media as
    "(image) name". Malformed if there is none."""
    body = content.get("body")
    msgtype = content.get("msgtype")
    if not isinstance(body, str) or not isinstance(msgtype, str):
        raise Malformed("the message has no text body or msgtype")
    if "m.in_reply_to" in obj(content.get("m.relates_to")):
        body = _FALLBACK.sub("", body, count=1)
    if msgtype in _MEDIA:
        return f"({_MEDIA[msgtype]}) {body}"
    if msgtype == "m.emote":
        return f"* {body}"
    return body


def html_of(content: Mapping[str, Any]) -> str | None:
    """The formatted body (Matrix's HTML subset) without the rich-reply fallback, or None.
    Untrusted: shown only through the GUI's SafeHtml path."""
    if content.get("format") != "org.matrix.custom.html":
        return None
    html = content.get("formatted_body")
    if not isinstance(html, str):
        return None
    return _MX_REPLY.sub("", html, count=1)


def new_content(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The replacement content of an edit event (m.new_content), if well-formed."""
    content = event.get("content")
    new = content.get("m.new_content") if isinstance(content, dict) else None
    return new if isinstance(new, dict) else None


def latest_edit(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The latest edit the server bundled with an event (unsigned.m.relations.m.replace),
    if it is one by the original sender (others' edits are not honoured, per spec)."""
    unsigned = event.get("unsigned")
    rels = unsigned.get("m.relations") if isinstance(unsigned, dict) else None
    edit = rels.get("m.replace") if isinstance(rels, dict) else None
    if not isinstance(edit, dict) or edit.get("sender") != event.get("sender"):
        return None
    return edit if new_content(edit) is not None and _is_int(
        edit.get("origin_server_ts")) else None


def has_thread(event: Mapping[str, Any]) -> bool:
    unsigned = event.get("unsigned")
    rels = unsigned.get("m.relations") if isinstance(unsigned, dict) else None
    return isinstance(rels, dict) and isinstance(rels.get("m.thread"), dict)


def redacted_by(event: Mapping[str, Any]) -> str | None:
    """Who deleted an event (its redaction's sender), or None if it was not deleted."""
    unsigned = event.get("unsigned")
    because = unsigned.get("redacted_because") if isinstance(unsigned, dict) else None
    if not isinstance(because, dict):
        return None
    sender = because.get("sender")
    return sender if isinstance(sender, str) else "someone"


def command_severity(text: str, command: str) -> tuple[Severity | None, str]:
    """`!sev S1 rest of the text` -> (S1, "rest of the text"); (None, text) otherwise."""
    if not command:
        return None, text
    stripped = text.lstrip()
    if not stripped.lower().startswith(command.lower()):
        return None, text
    rest = stripped[len(command):]
    if rest and not rest[0].isspace():
        return None, text  # "!severe..." is not the command
    match = _SEVERITY_WORD.match(rest.lstrip())
    if match is None:
        return None, text
    return Severity(int(match.group(1))), rest.lstrip()[match.end():].strip()


def reaction_severity(key: str, table: Mapping[str, Severity]) -> Severity | None:
    """The severity a reaction key marks: one of the configured keys, or S0..S3 itself."""
    if key in table:
        return table[key]
    match = _LEVEL.fullmatch(key)
    return Severity(int(match.group(1))) if match else None


def obj(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one (for reading loose shapes)."""
    return value if isinstance(value, dict) else {}


def arr(value: Any) -> list[Any]:
    """`value` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53
