"""Post-mortem drafts in the cache (docs/postmortems.md): create one from an incident,
autosave its text as revisions, restore one, move it through review, keep its action
items, and the bookkeeping of its sync with the service (the merge base, the service's
copy while a same-section merge waits). Every function runs in the caller's transaction.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from ..domain.incident_events import new_uid
from ..domain.markdown_text import escape_md
from ..domain.postmortem_actions import default_due, parse_actions
from ..domain.postmortem_doc import (
    SectionConflict,
    fill_template,
    merge_by_section,
    refresh_auto,
    resolve_section,
)
from ..domain.postmortem_prefill import generate
from . import incident_log
from .timecodec import from_epoch, to_epoch

STATES = ("draft", "in_review", "final")
AUTOSAVE_COALESCE_S = 60  # an autosave within this of the last one by the same author
MAX_TEXT = 2_000_000


class FinalLocked(ValueError):
    """A final post-mortem's text cannot change (a new revision is needed first)."""


@dataclass(frozen=True, slots=True)
class Draft:
    id: int
    uid: str
    incident_uid: str
    title: str
    state: str
    updated_at: int
    text: str
    revision_id: int
    dirty: bool
    conflicts: list[SectionConflict]
    last_error: str


@dataclass(frozen=True, slots=True)
class Revision:
    id: int
    at: int
    author: str
    kind: str
    state: str
    size: int


def create(db: sqlite3.Connection, incident_uid: str, template: str, author: str,
           now: datetime, zone: ZoneInfo) -> int:
    """A new draft for the incident, pre-filled from its log (it need not be synced: a
    cached incident is enough, on a plane too)."""
    state = incident_log.state(db, incident_uid)
    if state.declared_at is None:
        raise ValueError("That incident is not in this cache.")
    title = f"Post-mortem: {state.title}"
    text = fill_template(template.replace("{{title}}", escape_md(state.title)),
                         generate(state, zone))
    cur = db.execute(
        "INSERT INTO postmortem (uid, incident_uid, title, created_at, created_by, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        (new_uid(), incident_uid, title, to_epoch(now), author, to_epoch(now)))
    assert cur.lastrowid is not None
    _revision(db, cur.lastrowid, text, author, now, "created", "draft")
    sync_actions(db, cur.lastrowid, text, now)
    return cur.lastrowid


def _revision(db: sqlite3.Connection, pm_id: int, text: str, author: str, now: datetime,
              kind: str, state: str) -> int:
    cur = db.execute("INSERT INTO postmortem_revision (postmortem_id, at, author, kind, state, "
                     "text) VALUES (?, ?, ?, ?, ?, ?)",
                     (pm_id, to_epoch(now), author, kind, state, text))
    assert cur.lastrowid is not None
    return cur.lastrowid


def get(db: sqlite3.Connection, pm_id: int) -> Draft | None:
    row = db.execute(
        "SELECT p.id, p.uid, p.incident_uid, p.title, p.state, p.updated_at, r.text, r.id, "
        "p.dirty, p.conflicts, coalesce(p.last_error, '') FROM postmortem p "
        "JOIN postmortem_revision r ON r.id = (SELECT max(id) FROM postmortem_revision "
        "WHERE postmortem_id = p.id) WHERE p.id = ?", (pm_id,)).fetchone()
    if row is None:
        return None
    conflicts = [SectionConflict(**c) for c in json.loads(row[9] or "[]")]
    pid, uid, incident, title, state, updated, text, rev = row[:8]
    return Draft(pid, uid, incident, title, state, updated, text, rev, bool(row[8]),
                 conflicts, row[10])


def by_uid(db: sqlite3.Connection, uid: str) -> int | None:
    row = db.execute("SELECT id FROM postmortem WHERE uid = ?", (uid,)).fetchone()
    return None if row is None else int(row[0])


def for_incident(db: sqlite3.Connection, incident_uid: str) -> int | None:
    """The post-mortem of an incident (the oldest, if a sync brought in a second)."""
    row = db.execute("SELECT id FROM postmortem WHERE incident_uid = ? ORDER BY id LIMIT 1",
                     (incident_uid,)).fetchone()
    return None if row is None else int(row[0])


def drafts(db: sqlite3.Connection) -> list[tuple[int, str, str, int, bool, int]]:
    """(id, title, state, updated_at, dirty, open conflicts) of every post-mortem, newest
    change first: the `g d` list."""
    return [(r[0], r[1], r[2], r[3], bool(r[4]), len(json.loads(r[5] or "[]")))
            for r in db.execute("SELECT id, title, state, updated_at, dirty, conflicts "
                                "FROM postmortem ORDER BY updated_at DESC, id DESC")]


def save(db: sqlite3.Connection, pm_id: int, text: str, author: str, now: datetime,
         kind: str = "autosave", force: bool = False) -> int | None:
    """Keep `text` as the draft; the revision id, or None when nothing changed. An
    autosave right after the author's previous autosave replaces it (one revision per
    minute of typing); every other save adds one. Refused on a final post-mortem unless
    `force` (a merge of the service's copy: nobody is typing)."""
    if len(text) > MAX_TEXT:
        raise ValueError("A post-mortem can be at most 2,000,000 characters.")
    current = get(db, pm_id)
    if current is None:
        raise LookupError("That post-mortem is not in this cache.")
    if current.state == "final" and not force:
        raise FinalLocked("This post-mortem is final: start a new revision (back to draft) "
                          "to change it.")
    if text == current.text:
        return None
    last = db.execute("SELECT id, at, author, kind FROM postmortem_revision WHERE id = ?",
                      (current.revision_id,)).fetchone()
    if kind == "autosave" and last[3] == "autosave" and last[2] == author \
            and to_epoch(now) - last[1] < AUTOSAVE_COALESCE_S:
        db.execute("UPDATE postmortem_revision SET text = ? WHERE id = ?", (text, last[0]))
        rev = int(last[0])
    else:
        rev = _revision(db, pm_id, text, author, now, kind, current.state)
    db.execute("UPDATE postmortem SET updated_at = ?, dirty = 1 WHERE id = ?",
               (to_epoch(now), pm_id))
    sync_actions(db, pm_id, text, now)
    return rev


def resolve_conflict(db: sqlite3.Connection, pm_id: int, heading: str, merged_body: str,
                     author: str, now: datetime) -> int | None:
    """The lead's merge of one section changed on both sides: the section becomes
    `merged_body` (a "merge" revision) and leaves the open conflicts; with none left the
    service's kept copy is let go. The post-mortem stays dirty, so the sync pushes it."""
    current = get(db, pm_id)
    if current is None:
        raise LookupError("That post-mortem is not in this cache.")
    key = " ".join(heading.lower().split())
    left = [c for c in current.conflicts if " ".join(c.heading.lower().split()) != key]
    if len(left) == len(current.conflicts):
        raise LookupError(f"The section {heading!r} has no open merge.")
    rev = save(db, pm_id, resolve_section(current.text, heading, merged_body), author, now,
               kind="merge")
    db.execute("UPDATE postmortem SET conflicts = ?, dirty = 1, updated_at = ? WHERE id = ?",
               (json.dumps([{"heading": c.heading, "base": c.base, "mine": c.mine,
                             "theirs": c.theirs} for c in left], ensure_ascii=False),
                to_epoch(now), pm_id))
    if not left:
        db.execute("UPDATE postmortem SET theirs_text = NULL, theirs_version = NULL "
                   "WHERE id = ?", (pm_id,))
    return rev


@dataclass(frozen=True, slots=True)
class Saved:
    """What `save_typing` kept: the revision (None: nothing changed) and the draft's text
    now, which differs from what was typed when another change landed meanwhile."""

    revision_id: int | None
    text: str
    conflicts: list[SectionConflict]


def save_typing(db: sqlite3.Connection, pm_id: int, text: str, started_from: str,
                author: str, now: datetime, kind: str = "autosave") -> Saved:
    """Save the editor's `text`, typed over `started_from`. If the draft changed
    meanwhile (a sync took the service's copy, another window saved), the typing is
    merged into it by section (docs/postmortems.md): sections only one side changed
    merge; a section both changed keeps the typing and joins the open merges with the
    other version, so nothing is written over unseen."""
    current = get(db, pm_id)
    if current is None:
        raise LookupError("That post-mortem is not in this cache.")
    if current.text == started_from or current.text == text:
        return Saved(save(db, pm_id, text, author, now, kind), text, current.conflicts)
    merged = merge_by_section(started_from, text, current.text)
    rev = save(db, pm_id, merged.text, author, now, kind="merge")
    conflicts = [*current.conflicts, *(c for c in merged.conflicts if c.heading.lower()
                                       not in {k.heading.lower() for k in current.conflicts})]
    if merged.conflicts:
        db.execute("UPDATE postmortem SET conflicts = ? WHERE id = ?",
                   (json.dumps([asdict(c) for c in conflicts], ensure_ascii=False), pm_id))
    return Saved(rev, merged.text, conflicts)


def revisions(db: sqlite3.Connection, pm_id: int) -> list[Revision]:
    return [Revision(*r) for r in db.execute(
        "SELECT id, at, author, kind, state, length(text) FROM postmortem_revision "
        "WHERE postmortem_id = ? ORDER BY id DESC", (pm_id,))]


def revision_text(db: sqlite3.Connection, revision_id: int) -> str | None:
    row = db.execute("SELECT text FROM postmortem_revision WHERE id = ?",
                     (revision_id,)).fetchone()
    return None if row is None else str(row[0])


def restore(db: sqlite3.Connection, pm_id: int, revision_id: int, author: str,
            now: datetime) -> int | None:
    """Make an earlier revision the draft again, as a new revision (nothing is lost)."""
    row = db.execute("SELECT text FROM postmortem_revision WHERE id = ? AND postmortem_id = ?",
                     (revision_id, pm_id)).fetchone()
    if row is None:
        raise LookupError("That revision is not part of this post-mortem.")
    return save(db, pm_id, str(row[0]), author, now, kind="restore")


def set_state(db: sqlite3.Connection, pm_id: int, state: str, author: str,
              now: datetime) -> None:
    """draft -> in_review -> final; final -> draft starts a new revision. A final
    post-mortem with an open merge cannot be made final."""
    if state not in STATES:
        raise ValueError(f"Unknown review state {state!r}.")
    current = get(db, pm_id)
    if current is None:
        raise LookupError("That post-mortem is not in this cache.")
    if state == "final" and current.conflicts:
        raise ValueError("Merge the sections changed on both sides before making it final.")
    db.execute("UPDATE postmortem SET state = ?, updated_at = ?, dirty = 1 WHERE id = ?",
               (state, to_epoch(now), pm_id))
    _revision(db, pm_id, current.text, author, now, "state", state)


def refresh_from_incident(db: sqlite3.Connection, pm_id: int, author: str, now: datetime,
                          zone: ZoneInfo) -> tuple[list[str], list[str]]:
    """Regenerate the auto parts the analyst has not edited: (refreshed, kept)."""
    current = get(db, pm_id)
    if current is None:
        raise LookupError("That post-mortem is not in this cache.")
    result = refresh_auto(current.text, generate(incident_log.state(db, current.incident_uid),
                                                 zone))
    save(db, pm_id, result.text, author, now, kind="refresh")
    return result.refreshed, result.kept


def sync_actions(db: sqlite3.Connection, pm_id: int, text: str, now: datetime) -> None:
    """The action item table follows the document's "Action items" lines; an item
    without a due date is due seven days after it first appeared; a line removed from
    the document marks its item removed (kept, so a synced task is not orphaned)."""
    items = parse_actions(text)
    today = from_epoch(to_epoch(now)).date()
    known = {k: (first, due) for k, first, due in db.execute(
        "SELECT key, first_seen, due FROM action_item WHERE postmortem_id = ?", (pm_id,))}
    for item in items:
        first = known[item.key][0] if item.key in known else to_epoch(now)
        due = item.due or default_due(from_epoch(first).date() if item.key in known else today)
        db.execute(
            "INSERT INTO action_item (postmortem_id, key, text, owner, due, done, first_seen, "
            "removed) VALUES (?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (postmortem_id, key) DO "
            "UPDATE SET text = excluded.text, owner = excluded.owner, due = excluded.due, "
            "done = excluded.done, removed = 0",
            (pm_id, item.key, item.text, item.owner, due.isoformat(), int(item.done), first))
    present = {i.key for i in items}
    for key in set(known) - present:
        db.execute("UPDATE action_item SET removed = 1 WHERE postmortem_id = ? AND key = ?",
                   (pm_id, key))


def action_items(db: sqlite3.Connection, pm_id: int | None = None
                 ) -> list[tuple[int, str, str, str, date, bool]]:
    """(post-mortem id, key, text, owner, due, done) of items still in their document."""
    where, args = ("AND postmortem_id = ?", (pm_id,)) if pm_id is not None else ("", ())
    return [(r[0], r[1], r[2], r[3], date.fromisoformat(r[4]), bool(r[5])) for r in db.execute(
        f"SELECT postmortem_id, key, text, owner, due, done FROM action_item WHERE removed = 0 "
        f"{where} ORDER BY due, postmortem_id, key", args)]
