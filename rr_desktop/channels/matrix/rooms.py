"""The watched rooms of one channel: aliases resolved to room IDs, the account joined to
each (it must be invited to a private room), which of them are end-to-end encrypted, and
the members' display names (for "who wrote this")."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from ..contract import Rejected
from .api import MatrixApi
from .config import MatrixConfig

NAME_CACHE = 2_000


def encrypted_message(name: str, ref: str) -> str:
    return (f"{name}: the room {ref} is end-to-end encrypted; RR Desktop holds no "
            "encryption keys and cannot read it: watch an unencrypted room for escalations "
            "(encryption cannot be turned off in a room once on)")


@dataclass(slots=True)
class Rooms:
    """Resolved once per client (`resolve`), then read by pull and push."""

    ids: tuple[str, ...] = ()
    label: dict[str, str] = field(default_factory=dict)  # room ID -> as configured
    alias_of: dict[str, str] = field(default_factory=dict)  # configured alias -> room ID
    encrypted: set[str] = field(default_factory=set)
    _names: OrderedDict[tuple[str, str], str] = field(default_factory=OrderedDict)

    @property
    def resolved(self) -> bool:
        return bool(self.ids)

    def resolve(self, api: MatrixApi, cfg: MatrixConfig, join: bool = True) -> None:
        """Room IDs for the configured rooms; joins those the account is not in yet (an
        invited or public room) unless `join` is False. Rejected names a room that does
        not exist or that the account may not join."""
        joined = api.joined_rooms()
        ids: list[str] = []
        for room in cfg.rooms:
            ref = room.ref
            try:
                room_id = api.room_id(ref) if ref.startswith("#") else ref
            except Rejected:
                raise Rejected(f"{api.name}: the room alias {ref} does not exist on the "
                               "homeserver: check the watched rooms") from None
            if room_id not in joined:
                if not join:
                    raise Rejected(f"{api.name}: {api.whoami()} is not in the room {ref}")
                try:
                    room_id = api.join(ref)
                except Rejected as exc:
                    raise Rejected(f"{api.name}: {api.whoami()} is not in the room {ref} "
                                   f"and cannot join it ({exc}): invite the account to the "
                                   "room") from None
            ids.append(room_id)
            self.label[room_id] = ref
            if ref.startswith("#"):
                self.alias_of[ref] = room_id
            if api.is_encrypted(room_id):
                self.encrypted.add(room_id)
        self.ids = tuple(ids)

    def name_of(self, api: MatrixApi, room: str, user: str) -> str:
        """A member's display name in a room ("" if none), cached."""
        key = (room, user)
        if key in self._names:
            self._names.move_to_end(key)
            return self._names[key]
        try:
            name = api.member_name(room, user) or ""
        except Rejected:
            name = ""
        self._names[key] = name
        if len(self._names) > NAME_CACHE:
            self._names.popitem(last=False)
        return name
