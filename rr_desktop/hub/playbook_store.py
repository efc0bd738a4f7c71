"""The team's playbook files on the hub (docs/hub.md, "Team playbooks"): every base
playbook and country overlay the team shares, by name (`violent-event.yaml`,
`overlays/JP.yaml`), edited by leads and admins, read by everyone.

A write names the version it edited (`If-Match`; none or "*" to create) and is checked
with the playbook package's own checks (rr_desktop/playbooks/team.py) before anything is
stored. Each write is one transaction: the row, its audit entry and its change in the
feed (kind "playbook"), the change last; the feed's number is taken first, so its row
lock makes this writer the only one until commit and the version read is the latest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from ..playbooks.team import file_problem, name_problem
from . import audit
from .caller import Caller, Forbidden
from .feed import append_change, next_seq
from .schema import playbook
from .store import HubStore, utc_stamp

KIND = "playbook"
_FIELDS = (playbook.c.name, playbook.c.version, playbook.c.updated_by,
           playbook.c.updated_at, playbook.c.text)


class InvalidPlaybook(Exception):
    """The name or the text fails the playbook checks (HTTP 422); `str()` is the sentence."""


class PlaybookMissing(Exception):
    """No team file by that name (HTTP 404)."""


class PlaybookChanged(Exception):
    """The file is not at the version the writer named (HTTP 412); `current` is the file
    as it is now, None when there is none."""

    def __init__(self, current: dict[str, Any] | None) -> None:
        super().__init__("the playbook file changed")
        self.current = current


@dataclass(frozen=True)
class PlaybookListing:
    files: list[dict[str, Any]]
    tag: str  # changes with any write or delete (the list's ETag)


def _may_edit(who: Caller, what: str) -> None:
    if not who.is_lead:
        raise Forbidden(f"Only a lead or an admin can {what} the team's playbooks; an "
                        "analyst reads them (they arrive with every sync).")


def _tag(rows: list[tuple[str, int]]) -> str:
    joined = "\n".join(f"{name}\t{seq}" for name, seq in rows)
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


def _file(row: Any) -> dict[str, Any]:
    return {"name": row.name, "version": int(row.version), "updated_by": row.updated_by,
            "updated_at": row.updated_at, "text": row.text}


def _current(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(select(*_FIELDS).where(playbook.c.name == name)).first()
    return None if row is None else _file(row)


class HubPlaybooks:
    """The team's playbook files in the hub's database."""

    def __init__(self, store: HubStore) -> None:
        self.store = store

    def tag(self) -> str:
        """The listing's tag without reading the texts (a desktop's If-None-Match)."""
        with self.store.read() as conn:
            rows = conn.execute(select(playbook.c.name, playbook.c.seq)
                                .order_by(playbook.c.name)).all()
        return _tag([(r.name, int(r.seq)) for r in rows])

    def listing(self) -> PlaybookListing:
        with self.store.read() as conn:
            rows = conn.execute(select(*_FIELDS, playbook.c.seq)
                                .order_by(playbook.c.name)).all()
        return PlaybookListing([_file(r) for r in rows],
                               _tag([(r.name, int(r.seq)) for r in rows]))

    def get(self, name: str) -> dict[str, Any] | None:
        with self.store.read() as conn:
            return _current(conn, name)

    def put(self, who: Caller, name: str, text: str, if_match: int | None
            ) -> tuple[dict[str, Any], bool]:
        """Store `text` as the team file `name`: (the file as stored, created?).
        `if_match`: the version edited, None to create. Raises Forbidden (not a lead),
        InvalidPlaybook, PlaybookChanged."""
        _may_edit(who, "edit")
        why = file_problem(name, text)
        if why is not None:
            raise InvalidPlaybook(why)
        with self.store.write() as conn:
            seq = next_seq(conn)
            now = _current(conn, name)
            if (now is None) != (if_match is None) or \
                    (now is not None and now["version"] != if_match):
                raise PlaybookChanged(now)
            version = 1 if now is None else int(now["version"]) + 1
            values = {"text": text, "version": version, "updated_by": who.analyst,
                      "updated_at": utc_stamp(), "seq": seq}
            if now is None:
                conn.execute(insert(playbook).values(name=name, **values))
            else:
                conn.execute(update(playbook).where(playbook.c.name == name).values(**values))
            stored = {"name": name, "version": version, "updated_by": who.analyst,
                      "updated_at": values["updated_at"], "text": text}
            audit.record(conn, who.analyst, f"{KIND}.put", name,
                         {"version": version, "seq": seq, "created": now is None},
                         desktop=who.desktop)
            append_change(conn, KIND, name, stored, version=version, actor=who.analyst,
                          desktop=who.desktop, seq=seq)
        return stored, now is None

    def delete(self, who: Caller, name: str, if_match: int | None) -> None:
        """Remove the team file `name` (at version `if_match`, if given). Raises
        Forbidden, InvalidPlaybook (not a file name), PlaybookMissing, PlaybookChanged."""
        _may_edit(who, "delete")
        why = name_problem(name)
        if why is not None:
            raise InvalidPlaybook(why)
        with self.store.write() as conn:
            seq = next_seq(conn)
            now = _current(conn, name)
            if now is None:
                raise PlaybookMissing(name)
            if if_match is not None and now["version"] != if_match:
                raise PlaybookChanged(now)
            conn.execute(delete(playbook).where(playbook.c.name == name))
            audit.record(conn, who.analyst, f"{KIND}.delete", name,
                         {"version": now["version"], "seq": seq}, desktop=who.desktop)
            append_change(conn, KIND, name,
                          {"name": name, "deleted": True, "updated_by": who.analyst,
                           "updated_at": utc_stamp()},
                          actor=who.analyst, desktop=who.desktop, seq=seq)
