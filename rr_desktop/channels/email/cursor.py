"""The email channel's cursor: per folder, its UIDVALIDITY, the last UID and HIGHESTMODSEQ
seen, and the messages the server could not deliver (JSON, opaque to the engine)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..contract import CursorExpired

MAX_UNREADABLE = 200  # per folder, kept in the cursor


@dataclass(slots=True)
class FolderCursor:
    """Where one folder's feed stands."""

    uidvalidity: int
    last_uid: int
    highestmodseq: int
    unreadable: dict[int, str] = field(default_factory=dict)


def decode_cursor(cursor: str | None) -> dict[str, FolderCursor]:
    if not cursor:
        return {}
    try:
        data = json.loads(cursor)
        return {str(k): FolderCursor(int(v["uidvalidity"]), int(v["last_uid"]),
                                     int(v["highestmodseq"]),
                                     {int(u): str(r) for u, r in
                                      (v.get("unreadable") or {}).items()})
                for k, v in data.items()}
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise CursorExpired(f"unreadable email cursor ({exc}); resyncing") from exc


def encode_cursor(state: Mapping[str, FolderCursor]) -> str:
    out: dict[str, dict[str, object]] = {}
    for k, v in state.items():
        out[k] = {"uidvalidity": v.uidvalidity, "last_uid": v.last_uid,
                  "highestmodseq": v.highestmodseq}
        if v.unreadable:
            newest = sorted(v.unreadable)[-MAX_UNREADABLE:]
            out[k]["unreadable"] = {str(u): v.unreadable[u][:500] for u in newest}
    return json.dumps(out, sort_keys=True)
