"""The engine's opaque cursor of this channel: the incremental export's after_cursor, as
JSON."""

from __future__ import annotations

import json

from ..contract import CursorExpired


def encode_cursor(after_cursor: str) -> str:
    return json.dumps({"after": after_cursor})


def decode_cursor(name: str, cursor: str | None) -> str | None:
    """The export's after_cursor inside our cursor; an unreadable one means resync."""
    if not cursor:
        return None
    try:
        value = json.loads(cursor).get("after")
    except (ValueError, AttributeError):
        value = None
    if not isinstance(value, str) or not value:
        raise CursorExpired(f"{name}: the stored sync cursor is unreadable; resyncing")
    return value
