"""The Matrix channel's settings: homeserver, sign-in, watched rooms, triage defaults and
the severity markers (a command prefix and reaction keys)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from ...domain import PolicyCategory, ReporterType, Severity, Urgency, normalize_market
from ..contract import ChannelError
from ..registry import FieldSpec

AUTH_MODES = ("token", "password")
MAX_ROOMS = 50
DEFAULT_REACTIONS = "\U0001F534=S0, \U0001F7E0=S1, \U0001F7E1=S2, \U0001F7E2=S3"
DEFAULT_COMMAND = "!sev"
_ROOM_REF = re.compile(r"[!#][^\s,=]+")
_USER_ID = re.compile(r"@[^\s:]+:[^\s]+")
_LOCALPART = re.compile(r"[^\s:@]+")


def reaction_key(key: str) -> str:
    """A reaction key as compared: NFC, without emoji variation selectors (clients send
    "\u2764\ufe0f" and "\u2764" for the same heart), trimmed."""
    return unicodedata.normalize("NFC", key).replace("\ufe0f", "").replace("\ufe0e", "").strip()


@dataclass(frozen=True, slots=True)
class WatchedRoom:
    """A room as configured: its id (`!...`) or alias (`#name:server`), and the market its
    messages are about (None: the channel's default market)."""

    ref: str
    market: str | None = None


@dataclass(frozen=True, slots=True)
class MatrixConfig:
    """Everything but the credential, validated."""

    homeserver: str
    auth: str
    user: str
    rooms: tuple[WatchedRoom, ...]
    default_market: str = "SG"
    default_category: PolicyCategory = PolicyCategory.OTHER
    reporter_type: ReporterType = ReporterType.INTERNAL
    default_severity: Severity = Severity.S2
    default_urgency: Urgency = Urgency.U2
    language: str = "en"
    severity_command: str = DEFAULT_COMMAND
    severity_reactions: Mapping[str, Severity] = field(default_factory=dict)
    history_days: int = 7

    @classmethod
    def from_mapping(cls, name: str, config: Mapping[str, str]) -> MatrixConfig:
        """ChannelError names every bad setting."""
        def get(key: str) -> str:
            return str(config.get(key) or _DEFAULTS.get(key, "")).strip()

        problems: list[str] = []
        auth = get("auth")
        if auth not in AUTH_MODES:
            problems.append(f"sign-in must be one of {', '.join(AUTH_MODES)}")
        user = get("user")
        if auth == "password" and not (_USER_ID.fullmatch(user) or _LOCALPART.fullmatch(user)):
            problems.append("password sign-in needs the account's user ID "
                            "(e.g. @rapid-response:example.org)")
        elif user and not _USER_ID.fullmatch(user) and not _LOCALPART.fullmatch(user):
            problems.append(f"{user[:60]!r} is not a Matrix user ID")
        rooms: tuple[WatchedRoom, ...] = ()
        try:
            rooms = parse_rooms(get("rooms"))
        except ValueError as exc:
            problems.append(str(exc))
        values: dict[str, object] = {}
        for key, parse in (("default_market", normalize_market),
                           ("default_category", PolicyCategory),
                           ("reporter_type", ReporterType),
                           ("default_severity", Severity.parse),
                           ("default_urgency", Urgency.parse),
                           ("severity_reactions", parse_reactions),
                           ("history_days", _days)):
            try:
                values[key] = parse(get(key))
            except ValueError as exc:
                problems.append(f"{key}: {exc}")
        command = get("severity_command")
        if command and (len(command) > 20 or any(ch.isspace() for ch in command)):
            problems.append("the severity command must be one short word, e.g. !sev")
        if problems:
            raise ChannelError(f"{name}: " + "; ".join(problems))
        return cls(homeserver=get("base_url").rstrip("/"), auth=auth, user=user,
                   rooms=rooms, language=get("default_language")[:35] or "und",
                   severity_command=command, **values)  # type: ignore[arg-type]

    def market_of(self, room_id: str, alias_of: Mapping[str, str]) -> str:
        """The market of a room's messages: the room's own, else the channel's default."""
        for room in self.rooms:
            if room.market and (room.ref == room_id or alias_of.get(room.ref) == room_id):
                return room.market
        return self.default_market


def parse_rooms(text: str) -> tuple[WatchedRoom, ...]:
    """`#ops-th:example.org=TH, !AbCdEf:example.org` (commas or line breaks between
    rooms; `=MARKET` optional); ValueError names the bad entry."""
    rooms: list[WatchedRoom] = []
    for entry in re.split(r"[,\n]", text):
        entry = entry.strip()
        if not entry:
            continue
        ref, sep, market = (part.strip() for part in entry.partition("="))
        if not _ROOM_REF.fullmatch(ref) or (ref.startswith("#") and ":" not in ref):
            raise ValueError(f"{entry[:80]!r} is not a room ID (!...) or alias "
                             "(#name:server)")
        code = None
        if sep:
            try:
                code = normalize_market(market)
            except ValueError:
                raise ValueError(f"{entry[:80]!r}: {market[:20]!r} is not an ISO country "
                                 "code") from None
        if any(r.ref == ref for r in rooms):
            raise ValueError(f"{ref[:80]!r} is listed twice")
        rooms.append(WatchedRoom(ref, code))
    if not rooms:
        raise ValueError("name at least one room to watch")
    if len(rooms) > MAX_ROOMS:
        raise ValueError(f"watch at most {MAX_ROOMS} rooms per channel")
    return tuple(rooms)


def parse_reactions(text: str) -> dict[str, Severity]:
    """`KEY=S0, KEY=S1, ...`: reaction keys that mark a severity. The keys "S0".."S3"
    themselves always do (see severity_of_reaction)."""
    out: dict[str, Severity] = {}
    for pair in text.split(","):
        if not pair.strip():
            continue
        key, sep, level = pair.rpartition("=")
        key = reaction_key(key)
        if not sep or not key:
            raise ValueError(f"{pair.strip()[:40]!r} is not KEY=S0..S3")
        out[key] = Severity.parse(level)
    return out


def _days(text: str) -> int:
    if not text.isdigit() or int(text) > 3650:
        raise ValueError(f"{text[:20]!r} is not a number of days (0-3650)")
    return int(text)


_DEFAULTS = {
    "auth": "token", "default_market": "SG", "default_category": "other",
    "reporter_type": "internal", "default_severity": "S2", "default_urgency": "U2",
    "default_language": "en", "severity_command": DEFAULT_COMMAND,
    "severity_reactions": DEFAULT_REACTIONS, "history_days": "7",
}

FIELDS = (
    FieldSpec("base_url", "Homeserver URL",
              help="the client API of the homeserver, e.g. https://matrix.example.org"),
    FieldSpec("auth", "Sign-in", default="token", choices=AUTH_MODES,
              help="token: an access token of the account; password: the account's "
                   "password (RR Desktop signs in as its own device)"),
    FieldSpec("user", "User ID", required=False,
              help="@rapid-response:example.org; needed for password sign-in"),
    FieldSpec("credential", "Access token or password", secret=True),
    FieldSpec("rooms", "Watched rooms",
              help="room aliases or IDs, comma-separated, each optionally =MARKET: "
                   "#apac-th:example.org=TH, !AbCd:example.org; the account joins them "
                   "(it must be invited to private rooms); encrypted rooms are refused"),
    FieldSpec("default_market", "Default market", default=_DEFAULTS["default_market"],
              help="ISO country code for rooms without their own =MARKET"),
    FieldSpec("default_category", "Default policy category", required=False,
              default="other", choices=tuple(c.value for c in PolicyCategory)),
    FieldSpec("reporter_type", "Reporter type", required=False, default="internal",
              choices=tuple(r.value for r in ReporterType),
              help="who writes in these rooms: market teams (internal), partners..."),
    FieldSpec("default_severity", "Default severity", required=False, default="S2",
              choices=("S0", "S1", "S2", "S3")),
    FieldSpec("default_urgency", "Default urgency", required=False, default="U2",
              choices=("U0", "U1", "U2", "U3")),
    FieldSpec("default_language", "Default language", required=False, default="en"),
    FieldSpec("severity_command", "Severity command", required=False,
              default=DEFAULT_COMMAND,
              help="a message or thread reply starting with e.g. '!sev S1' marks severity"),
    FieldSpec("severity_reactions", "Severity reactions", required=False,
              default=DEFAULT_REACTIONS,
              help="reaction keys that mark severity, KEY=S0..S3 (the keys S0..S3 "
                   "always do)"),
    FieldSpec("history_days", "Days of history on first sync", required=False,
              default="7", help="messages older than this are not fetched at first; "
                                "0 = only what arrives from now on"),
)
