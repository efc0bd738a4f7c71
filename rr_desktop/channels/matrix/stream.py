"""Reading the watched rooms: one incremental `/sync`, history gaps backfilled with
`/messages`, and every thread root that anything touched rebuilt from the server's own
state (the root with its latest edit, its thread replies, its reactions).

The stream only says *which* roots changed; each is then read whole, so order, replays
and overlaps between a sync and a gap cannot produce a wrong or doubled escalation.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from ...domain import Incoming, Quarantined
from ..contract import MalformedPage, Rejected
from .api import V3, MatrixApi, q
from .config import MatrixConfig
from .cursor import Gap, SyncCursor
from .events import (
    ENCRYPTION,
    STREAM_TYPES,
    Kind,
    Malformed,
    Seen,
    arr,
    as_raw,
    classify,
    event_id_of,
    has_thread,
    obj,
    reaction_severity,
    redacted_by,
)
from .records import Thread, build, external_id
from .rooms import Rooms, encrypted_message

TIMELINE_LIMIT = 50  # events per room in one /sync; more is a gap, read with /messages
GAP_PAGE = 100
RELATION_PAGE = 100
MAX_RELATION_PAGES = 3  # the newest 300 replies and 300 reactions of a thread
ROOT_CACHE = 5_000
DAY_MS = 86_400_000


def sync_filter(rooms: tuple[str, ...]) -> str:
    """Only the watched rooms, only the event types this channel reads, no presence,
    receipts, typing or account data (filter JSON inline, as /sync allows)."""
    nothing = {"not_types": ["*"]}
    return json.dumps({
        "room": {"rooms": list(rooms),
                 "timeline": {"limit": TIMELINE_LIMIT, "types": list(STREAM_TYPES)},
                 "state": {"types": [ENCRYPTION]},
                 "ephemeral": nothing, "account_data": nothing},
        "presence": nothing, "account_data": nothing}, separators=(",", ":"))


GAP_FILTER = json.dumps({"types": list(STREAM_TYPES)}, separators=(",", ":"))


class StreamReader:
    """Turns the event stream of the watched rooms into thread roots to (re)build."""

    def __init__(self, api: MatrixApi, cfg: MatrixConfig, rooms: Rooms) -> None:
        self.api = api
        self.cfg = cfg
        self.rooms = rooms
        self._roots: OrderedDict[str, str | None] = OrderedDict()  # event -> its root

    @property
    def name(self) -> str:
        return self.api.name

    # -- the stream ----------------------------------------------------------------------

    def sync(self, state: SyncCursor, bad: list[Quarantined]) -> None:
        """One /sync from `state.since` (none: the first, which also plans the history
        backfill); touched roots go to `state.todo`, gaps to `state.gaps`."""
        params: dict[str, Any] = {"filter": sync_filter(state.rooms), "timeout": 0,
                                  "set_presence": "offline"}
        if state.since:
            params["since"] = state.since
        body = self.api.get(f"{V3}/sync", **params)
        nxt = body.get("next_batch")
        rooms = body.get("rooms", {})
        if not isinstance(nxt, str) or not nxt or not isinstance(rooms, dict):
            raise MalformedPage(f"{self.name}: the homeserver sent a malformed /sync answer",
                                Quarantined.of(None, "malformed /sync answer", as_raw(body)))
        first = state.since is None
        joined = obj(rooms.get("join"))
        cutoff = self._cutoff(joined) if first else None
        for room in state.rooms:
            data = joined.get(room)
            if not isinstance(data, dict):
                continue
            timeline = obj(data.get("timeline"))
            events = [*arr(obj(data.get("state")).get("events")), *arr(timeline.get("events"))]
            self.absorb(room, events, state, bad, cutoff)
            prev = timeline.get("prev_batch")
            if timeline.get("limited") is True and isinstance(prev, str) and prev:
                if not first:
                    state.gaps.append(Gap(room, prev, state.since))
                elif self.cfg.history_days > 0 and cutoff is not None:
                    state.gaps.append(Gap(room, prev, None, cutoff))
        self._membership(rooms, state, bad)
        state.since = nxt

    def _cutoff(self, joined: Mapping[str, Any]) -> int | None:
        """The oldest server time the first sync reads back to (`history_days`), from the
        homeserver's clock (its Date header, else its newest event), never ours."""
        now = self.api.server_time
        if now is not None:
            now_ms = int(now.timestamp() * 1000)
        else:
            stamps = [obj(e).get("origin_server_ts") for r in joined.values()
                      for e in arr(obj(obj(r).get("timeline")).get("events"))]
            ints = [s for s in stamps if isinstance(s, int)]
            if not ints:
                return None
            now_ms = max(ints)
        return now_ms - self.cfg.history_days * DAY_MS

    def _membership(self, rooms: Mapping[str, Any], state: SyncCursor,
                    bad: list[Quarantined]) -> None:
        """A watched room the account was invited to is joined; one it left (or was
        removed from) is reported."""
        invites = obj(rooms.get("invite"))
        for room in state.rooms:
            if room in invites:
                try:
                    self.api.join(room)
                except Rejected as exc:
                    bad.append(Quarantined.of(None, str(exc), ""))
        left = obj(rooms.get("leave"))
        for room in state.rooms:
            if room in left:
                bad.append(Quarantined.of(None, (
                    f"{self.name}: {self.api.whoami()} left or was removed from the room "
                    f"{self.rooms.label.get(room, room)}; its messages no longer arrive: "
                    "invite the account again"), as_raw(left[room])[:4000]))

    def backfill(self, state: SyncCursor, bad: list[Quarantined]) -> None:
        """One /messages page of the first gap, newest first, down to its stop token (or
        its cutoff time on the first sync)."""
        gap = state.gaps[0]
        params: dict[str, Any] = {"dir": "b", "from": gap.start, "limit": GAP_PAGE,
                                  "filter": GAP_FILTER}
        if gap.stop:
            params["to"] = gap.stop
        try:
            body = self.api.get(f"{V3}/rooms/{q(gap.room)}/messages", **params)
        except Rejected as exc:  # the room went away under the gap: report, move on
            bad.append(Quarantined.of(None, f"history of {self._label(gap.room)} could not "
                                            f"be read: {exc}", ""))
            state.gaps.pop(0)
            return
        chunk, end = body.get("chunk"), body.get("end")
        if not isinstance(chunk, list):
            raise MalformedPage(f"{self.name}: the homeserver sent a malformed /messages "
                                "answer", Quarantined.of(None, "malformed /messages answer",
                                                         as_raw(body)))
        reached = self.absorb(gap.room, chunk, state, bad, gap.after_ms)
        if reached or not chunk or not isinstance(end, str) or end == gap.start:
            state.gaps.pop(0)
        else:
            gap.start = end

    def absorb(self, room: str, events: list[Any], state: SyncCursor,
               bad: list[Quarantined], cutoff: int | None = None) -> bool:
        """Note the roots these events touch; quarantine what cannot be read. True when
        an event older than `cutoff` was met (the history wanted ends there)."""
        seen: dict[str, Seen] = {}
        ordered: list[tuple[Any, Seen | Malformed]] = []
        for event in events:
            try:
                one = classify(event)
            except Malformed as exc:
                ordered.append((event, exc))
                continue
            seen[one.event_id] = one
            ordered.append((event, one))
        reached = False
        encrypted = room in self.rooms.encrypted or room in state.encrypted
        for event, s in ordered:
            ident = event_id_of(event)
            if isinstance(s, Malformed):
                bad.append(Quarantined.of(external_id(room, ident) if ident else None,
                                          f"{self._label(room)}: {s}", as_raw(event)))
                continue
            if cutoff is not None and s.kind not in (Kind.OTHER, Kind.ROOM_ENCRYPTED) and \
                    s.ts < cutoff:
                reached = True
                continue
            if s.kind is Kind.ROOM_ENCRYPTED:
                self.note_encrypted(room, state, bad, event)
                encrypted = True
            elif s.kind is Kind.OTHER:
                continue
            elif encrypted or s.kind is Kind.ENCRYPTED:
                bad.append(Quarantined.of(
                    external_id(room, s.event_id),
                    f"{self._label(room)} is end-to-end encrypted: this message cannot be "
                    "read by RR Desktop; read it in a Matrix client", as_raw(event)))
            elif s.kind is Kind.ROOT:
                state.add(room, s.event_id)
            elif s.kind is Kind.THREAD_REPLY and s.target:
                state.add(room, s.target)
            elif s.kind is Kind.EDIT and s.target:
                root = self._root_of(room, s.target, seen, reaction=False)
                if root:
                    state.add(room, root)
            elif s.kind is Kind.REACTION and s.target and reaction_severity(
                    s.key, self.cfg.severity_reactions) is not None:
                root = self._root_of(room, s.target, seen, reaction=True)
                if root:
                    state.add(room, root)
        return reached

    def note_encrypted(self, room: str, state: SyncCursor, bad: list[Quarantined],
                       event: Any = None) -> None:
        """Report an encrypted watched room once (the cursor remembers it)."""
        if room in state.encrypted:
            return
        state.encrypted.append(room)
        bad.append(Quarantined.of(None, encrypted_message(self.name, self._label(room)),
                                  as_raw(event) if event is not None else ""))

    def _root_of(self, room: str, target: str, seen: Mapping[str, Seen],
                 reaction: bool) -> str | None:
        """The thread root an edit or reaction changes: the target itself when it is a
        message of its own; for an edit of a thread reply, that reply's root; reactions
        count only on roots. Looked up on the server when not in this batch."""
        s = seen.get(target)
        if s is None:
            if target in self._roots:
                root = self._roots[target]
                return root if not reaction or root == target else None
            event = self.api.event(room, target, ok=(403, 404))
            try:
                s = classify(event) if event is not None else None
            except Malformed:
                s = None
        if s is None:
            root = None
        elif s.kind is Kind.ROOT:
            root = target
        elif s.kind is Kind.THREAD_REPLY:
            root = s.target
        else:
            root = None
        self._roots[target] = root
        if len(self._roots) > ROOT_CACHE:
            self._roots.popitem(last=False)
        return root if not reaction or root == target else None

    def _label(self, room: str) -> str:
        return self.rooms.label.get(room, room)

    # -- one root, read whole ------------------------------------------------------------

    def read_root(self, room: str, root: str, server_name: str) -> Incoming | Quarantined:
        """The escalation of one thread root (Incoming), or Quarantined saying why not."""
        ext = external_id(room, root)
        where = self._label(room)
        try:
            event = self.api.event(room, root, ok=(403, 404))
        except Rejected as exc:
            return Quarantined.of(ext, str(exc), "")
        if event is None:
            return Quarantined.of(ext, f"{where}: the message {root} is gone or not visible to "
                                       f"{self.api.whoami()}", "")
        if redacted_by(event) is None:
            try:
                kind = classify(event).kind
            except Malformed as exc:
                return Quarantined.of(ext, f"{where}: {exc}", as_raw(event))
            if kind is not Kind.ROOT:
                return Quarantined.of(ext, f"{where}: {root} is not a message of its own "
                                           f"({kind.value}), so not an escalation",
                                      as_raw(event))
        replies = self._related(room, root, "m.thread", None) if has_thread(event) else []
        reactions = self._related(room, root, "m.annotation", "m.reaction")
        senders = {str(e.get("sender", "")) for e in [event, *replies, *reactions]
                   if isinstance(e, dict)}
        names = {u: self.rooms.name_of(self.api, room, u) for u in sorted(senders) if u}
        thread = Thread(room, event, [r for r in reversed(replies) if isinstance(r, dict)],
                        [r for r in reversed(reactions) if isinstance(r, dict)], names)
        try:
            return build(thread, self.cfg, self.rooms.alias_of, server_name)
        except (Malformed, ValueError) as exc:
            return Quarantined.of(ext, f"{where}: {exc}", as_raw(event))

    def _related(self, room: str, root: str, rel_type: str,
                 event_type: str | None) -> list[Any]:
        out: list[Any] = []
        token: str | None = None
        for _ in range(MAX_RELATION_PAGES):
            chunk, token = self.api.relations(room, root, rel_type, RELATION_PAGE, token,
                                              event_type)
            out += chunk
            if token is None:
                break
        return out
