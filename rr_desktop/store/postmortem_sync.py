"""A post-mortem's side of its sync with the service (docs/postmortems.md, "Sync"): what
to push, what a push or a pull leaves behind, and the three-way merge by section when
both sides changed. Every function runs in the caller's transaction; nothing here talks
to the network."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ..domain.postmortem_doc import merge_by_section
from . import postmortems
from .timecodec import to_epoch

SYNC_AUTHOR = "sync"
STATES = postmortems.STATES


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One post-mortem to push: the body the service stores and the version it saw."""

    id: int
    uid: str
    if_match: int | None
    body: dict[str, Any]


def outgoing(db: sqlite3.Connection) -> list[Outgoing]:
    """Post-mortems changed here since the service last had them, except those with a
    same-section merge still waiting for the lead."""
    out = []
    for pm_id, uid, version in db.execute(
            "SELECT id, uid, remote_version FROM postmortem WHERE dirty = 1 AND "
            "conflicts = '[]' ORDER BY updated_at, id").fetchall():
        draft = postmortems.get(db, pm_id)
        assert draft is not None
        actions = [{"key": key, "text": text, "owner": owner, "due": due.isoformat(),
                    "done": done}
                   for _, key, text, owner, due, done in postmortems.action_items(db, pm_id)]
        out.append(Outgoing(pm_id, uid, version, {
            "incident": draft.incident_uid, "title": draft.title, "state": draft.state,
            "text": draft.text, "actions": actions}))
    return out


def pushed(db: sqlite3.Connection, pm_id: int, sent: Mapping[str, Any],
           stored: Mapping[str, Any]) -> None:
    """The service stored `sent` as `stored`: that is the new base. Still dirty if the
    lead typed on while it was on its way."""
    draft = postmortems.get(db, pm_id)
    assert draft is not None
    db.execute("UPDATE postmortem SET base_text = ?, remote_version = ?, dirty = ?, "
               "last_error = NULL WHERE id = ?",
               (stored["text"], int(stored["version"]),
                int(draft.text != sent["text"] or draft.state != sent["state"]), pm_id))


def failed(db: sqlite3.Connection, pm_id: int, why: str) -> None:
    db.execute("UPDATE postmortem SET last_error = ? WHERE id = ?", (why[:2000], pm_id))


def service_lost(db: sqlite3.Connection) -> int:
    """The service lost its post-mortems (an in-memory one restarted): every post-mortem
    here is offered to it again as new (no version), its base kept for a later merge;
    returns how many."""
    return db.execute("UPDATE postmortem SET dirty = 1, remote_version = NULL").rowcount


def clear_conflicts(db: sqlite3.Connection, pm_id: int) -> None:
    """The lead has merged every section changed on both sides (the merged text is the
    draft): the service's kept copy is let go and the merge is pushed against the version
    it came with."""
    db.execute("UPDATE postmortem SET conflicts = '[]', theirs_text = NULL, "
               "remote_version = coalesce(theirs_version, remote_version), "
               "theirs_version = NULL, dirty = 1 WHERE id = ?", (pm_id,))


def check_remote(theirs: Mapping[str, Any]) -> str | None:
    """None if the service's copy is usable, else why not (it is then kept out)."""
    for key, kind in (("uid", str), ("incident", str), ("title", str), ("text", str),
                      ("state", str)):
        if not isinstance(theirs.get(key), kind):
            return f"its {key} is missing or not text"
    version = theirs.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        return "its version is missing"
    if theirs["state"] not in STATES:
        return f"its state {str(theirs['state'])[:20]!r} is unknown"
    return None


def merge_theirs(db: sqlite3.Connection, pm_id: int, theirs: Mapping[str, Any],
                 now: datetime) -> bool:
    """Both sides changed the post-mortem: merge the service's copy into ours by
    section, with the last agreed text as the base. Returns True when it merged cleanly
    (the result is ready to push against their version); False when sections wait for
    the lead: their copy and those sections are kept, ours stays in the text."""
    draft = postmortems.get(db, pm_id)
    row = db.execute("SELECT base_text FROM postmortem WHERE id = ?", (pm_id,)).fetchone()
    assert draft is not None and row is not None
    result = merge_by_section(row[0] or "", draft.text, str(theirs["text"]))
    if result.text != draft.text:
        postmortems.save(db, pm_id, result.text, SYNC_AUTHOR, now, kind="merge", force=True)
    conflicts = json.dumps([asdict(c) for c in result.conflicts], ensure_ascii=False)
    db.execute("UPDATE postmortem SET base_text = ?, remote_version = ?, dirty = ?, "
               "theirs_text = ?, theirs_version = ?, conflicts = ?, updated_at = ? "
               "WHERE id = ?",
               (theirs["text"], int(theirs["version"]), int(result.text != theirs["text"]),
                theirs["text"] if result.conflicts else None,
                int(theirs["version"]) if result.conflicts else None, conflicts,
                to_epoch(now), pm_id))
    return not result.conflicts


def pulled(db: sqlite3.Connection, theirs: Mapping[str, Any], now: datetime) -> int:
    """Store a post-mortem read from the service; returns its local id."""
    pm_id = postmortems.by_uid(db, str(theirs["uid"]))
    if pm_id is None:
        cur = db.execute(
            "INSERT INTO postmortem (uid, incident_uid, title, state, created_at, created_by, "
            "updated_at, remote_version, base_text, dirty) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            (theirs["uid"], theirs["incident"], theirs["title"], theirs["state"],
             to_epoch(now), SYNC_AUTHOR, to_epoch(now), int(theirs["version"]),
             theirs["text"]))
        assert cur.lastrowid is not None
        db.execute("INSERT INTO postmortem_revision (postmortem_id, at, author, kind, state, "
                   "text) VALUES (?, ?, ?, 'synced', ?, ?)",
                   (cur.lastrowid, to_epoch(now), SYNC_AUTHOR, theirs["state"],
                    theirs["text"]))
        postmortems.sync_actions(db, cur.lastrowid, str(theirs["text"]), now)
        return cur.lastrowid
    version, dirty = db.execute("SELECT remote_version, dirty FROM postmortem WHERE id = ?",
                                (pm_id,)).fetchone()
    if version is not None and int(theirs["version"]) <= version:
        return pm_id  # ours already, or older
    if dirty:
        merge_theirs(db, pm_id, theirs, now)
        return pm_id
    draft = postmortems.get(db, pm_id)
    assert draft is not None
    if draft.text != theirs["text"] or draft.state != theirs["state"]:
        db.execute("INSERT INTO postmortem_revision (postmortem_id, at, author, kind, state, "
                   "text) VALUES (?, ?, ?, 'synced', ?, ?)",
                   (pm_id, to_epoch(now), SYNC_AUTHOR, theirs["state"], theirs["text"]))
        postmortems.sync_actions(db, pm_id, str(theirs["text"]), now)
    db.execute("UPDATE postmortem SET base_text = ?, remote_version = ?, state = ?, title = ?, "
               "updated_at = ? WHERE id = ?",
               (theirs["text"], int(theirs["version"]), theirs["state"], theirs["title"],
                to_epoch(now), pm_id))
    return pm_id
