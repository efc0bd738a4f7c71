"""The Matrix channel client: pull through /sync (+ /messages for gaps), replies pushed as
thread replies; everything else an analyst does stays in the cache (see the package
docstring for the documented contract and the push matrix)."""

from __future__ import annotations

from typing import Any

import requests

from ...domain import Analyst, Incoming, Quarantined
from ...domain.push import Push
from ...http import redact
from ..contract import CursorExpired, Mutation, Page, PushResult, Rejected
from .api import MatrixApi
from .config import MatrixConfig
from .cursor import SyncCursor
from .events import OP_KEY
from .records import split_external_id
from .rooms import Rooms, encrypted_message
from .stream import StreamReader

PAGE_ROOTS = 50  # escalations built per page (each costs 2-4 requests)
MAX_REPLY_BYTES = 60_000  # a Matrix event may be at most 64 KiB in all
OP_LOOKBACK = 50  # newest thread replies searched for a reply sent before (lost answer)
EDITABLE = frozenset({"status", "assignee", "severity", "urgency", "tags"})


class MatrixChannel:
    """Client of the watched rooms of one Matrix account."""

    # Matrix has no status, severity or assignee: triage lives in the cache and must
    # survive every re-read of an escalation (a new thread reply), although replies go out.

    @property
    def pushes(self) -> frozenset[Push]:
        """What the room receives of local changes: replies, as thread replies."""
        return frozenset({Push.REPLY})

    def __init__(self, name: str, cfg: MatrixConfig, credential: str,
                 session: requests.Session | None = None) -> None:
        self.name = name
        self.cfg = cfg
        self.api = MatrixApi(name, cfg, credential, session)
        self.rooms = Rooms()
        self.reader = StreamReader(self.api, cfg, self.rooms)

    def close(self) -> None:
        self.api.close()

    def _ready(self) -> None:
        if not self.rooms.resolved:
            self.rooms.resolve(self.api, self.cfg)

    def _server_name(self) -> str:
        return self.api.whoami().split(":", 1)[-1]

    # -- pull ---------------------------------------------------------------------------

    def pull(self, cursor: str | None) -> Page:
        try:
            state = SyncCursor.decode(cursor)
        except ValueError as exc:
            raise CursorExpired(f"{self.name}: {exc}; resyncing") from None
        self._ready()
        me = self.api.whoami()
        if cursor and (state.user != me or state.rooms != self.rooms.ids):
            raise CursorExpired(f"{self.name}: the account or the watched rooms changed; "
                                "resyncing")
        if not cursor:
            state = SyncCursor(user=me, rooms=self.rooms.ids)
        bad: list[Quarantined] = []
        for room in self.rooms.ids:
            if room in self.rooms.encrypted:
                self.reader.note_encrypted(room, state, bad)
        if not state.todo:
            if state.gaps:
                self.reader.backfill(state, bad)
            else:
                self.reader.sync(state, bad)
        take, state.todo = state.todo[:PAGE_ROOTS], state.todo[PAGE_ROOTS:]
        items: list[Incoming] = []
        server = self._server_name()
        for room, root in take:
            result = self.reader.read_root(room, root, server)
            if isinstance(result, Incoming):
                items.append(result)
            else:
                bad.append(result)
        done = not state.todo and not state.gaps
        return Page(items, bad, state.encode(), done, self.api.server_time)

    def fetch(self, external_id: str) -> Incoming:
        room, root = self._ref(external_id)
        result = self.reader.read_root(room, root, self._server_name())
        if isinstance(result, Quarantined):
            raise Rejected(f"{self.name}: {result.reason}")
        return result

    def _ref(self, external_id: str) -> tuple[str, str]:
        try:
            return split_external_id(external_id)
        except ValueError as exc:
            raise Rejected(f"{self.name}: {exc}") from None

    # -- push ---------------------------------------------------------------------------

    def push(self, mutation: Mutation) -> PushResult:
        """Replies go to the room as thread replies; internal notes, logged facts and
        triage (status, severity, assignee, urgency, tags) stay in the cache: Matrix has
        no place for them that the room would not see."""
        if mutation.op_type == "reply":
            return self._reply(mutation)
        if mutation.op_type in ("note", "fact"):
            return PushResult(None)  # internal: never posted to a room others read
        if mutation.op_type == "update":
            unknown = set(mutation.payload) - EDITABLE
            if unknown:
                raise Rejected(f"{self.name}: cannot change {', '.join(sorted(unknown))}")
            return PushResult(None)
        raise Rejected(f"{self.name}: a Matrix channel cannot take a {mutation.op_type!r}")

    def _reply(self, m: Mutation) -> PushResult:
        text = m.payload.get("text")
        if not isinstance(text, str) or not text.strip():
            raise Rejected(f"{self.name}: an empty reply cannot be sent")
        size = len(text.encode("utf-8"))
        if size > MAX_REPLY_BYTES:
            raise Rejected(f"{self.name}: the reply is too long for one Matrix message "
                           f"({size:,} bytes; at most {MAX_REPLY_BYTES:,}); shorten it")
        room, root = self._ref(m.external_id)
        self._ready()
        if room in self.rooms.encrypted or self.api.is_encrypted(room):
            raise Rejected(encrypted_message(self.name, self.rooms.label.get(room, room))
                           + "; the reply was not sent")
        me = self.api.whoami()
        replies, _ = self.api.relations(room, root, "m.thread", OP_LOOKBACK)
        if not any(_sent_by(e, me, m.op_id) for e in replies):
            newest = next((e.get("event_id") for e in replies if isinstance(e, dict)
                           and isinstance(e.get("event_id"), str)), root)
            self.api.send(room, m.op_id, {
                "msgtype": "m.text", "body": text,
                "m.relates_to": {"rel_type": "m.thread", "event_id": root,
                                 "is_falling_back": True,
                                 "m.in_reply_to": {"event_id": newest}},
                OP_KEY: m.op_id})
        # No record back: a record returned from a push is stored as the source's
        # whole state, which would put the source's triage defaults over the analyst's.
        # The reply comes back through /sync with the pull of this same run (it follows
        # the push), as a fact of the escalation, and the local triage is kept.
        return PushResult(None)

    # -- people and the connection test -------------------------------------------------

    def analysts(self) -> list[Analyst]:
        return []  # room members are reporters, not the analysts who get assigned

    def check(self) -> None:
        """Test connection: a Matrix homeserver at the URL, the credential, every watched
        room exists, can be joined and is not encrypted. Raises a ChannelError whose
        message is the verdict."""
        try:
            versions = self.api.versions()
        except Rejected:
            raise Rejected(f"{self.name}: there is no Matrix homeserver at "
                           f"{redact(self.cfg.homeserver)}: check the URL") from None
        if not isinstance(versions, dict) or not isinstance(versions.get("versions"), list):
            raise Rejected(f"{self.name}: {redact(self.cfg.homeserver)} answered, but not "
                           "like a Matrix homeserver: check the URL")
        me = self.api.whoami()
        wanted = self.cfg.user
        if self.cfg.auth == "token" and wanted and wanted.startswith("@") and wanted != me:
            raise Rejected(f"{self.name}: the access token belongs to {me}, not {wanted}")
        rooms = Rooms()
        rooms.resolve(self.api, self.cfg)
        locked = [rooms.label[r] for r in rooms.ids if r in rooms.encrypted]
        if locked:
            raise Rejected(encrypted_message(self.name, ", ".join(locked)))


def _sent_by(event: Any, me: str, op_id: str) -> bool:
    content = event.get("content") if isinstance(event, dict) else None
    return isinstance(content, dict) and event.get("sender") == me and \
        content.get(OP_KEY) == op_id
