"""The Matrix client-server API calls this channel makes, through the channel Transport,
with Matrix's errors (`{"errcode", "error"}`) turned into ChannelErrors that say what to do.

Sign-in: with an access token it is sent as `Authorization: Bearer`; with a password the
channel logs in (`POST /login`, m.login.password) as its own device (a fixed device ID per
channel, so signing in again replaces that device's token instead of piling up devices),
signs in again once when the homeserver forgets the token (M_UNKNOWN_TOKEN: another RR
Desktop process of the same channel signed in meanwhile, or an admin logged it out), and
logs out when closed.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import msgspec
import requests

from ...http import redact
from ..contract import AuthError, CursorExpired, RateLimited, Rejected, ServerError
from ..transport import Transport
from .config import MatrixConfig

V3 = "/_matrix/client/v3"
V1 = "/_matrix/client/v1"
LOGOUT_TIMEOUT_S = (2.0, 3.0)
_decode = msgspec.json.Decoder()


def q(part: str) -> str:
    """One path segment (room ID, alias, event ID, user ID) percent-encoded."""
    return quote(part, safe="")


class TokenRejected(AuthError):
    """The homeserver does not know the access token (401 M_UNKNOWN_TOKEN)."""


def _error(resp: requests.Response) -> tuple[str, str]:
    try:
        body = _decode.decode(resp.content)
    except (msgspec.DecodeError, RecursionError):
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    errcode, error = body.get("errcode"), body.get("error")
    return (errcode if isinstance(errcode, str) else "")[:60], \
        (error if isinstance(error, str) else "")[:200]


class MatrixApi:
    """One account's session with one homeserver."""

    def __init__(self, name: str, cfg: MatrixConfig, credential: str,
                 session: requests.Session | None = None) -> None:
        self.name = name
        self.cfg = cfg
        self._credential = credential
        self._http = Transport(name, cfg.homeserver, session, expired_statuses=(),
                               hook=self._hook)
        self._http.session.headers["Accept"] = "application/json"
        self.user_id: str | None = None
        self.server_time: datetime | None = None
        self._token: str | None = credential if cfg.auth == "token" else None
        if self._token:
            self._http.session.headers["Authorization"] = f"Bearer {self._token}"

    # -- errors --------------------------------------------------------------------------

    def _hook(self, resp: requests.Response) -> None:
        code = resp.status_code
        errcode, error = _error(resp)
        path = (resp.request.path_url or "") if resp.request is not None else ""
        route = path.split("?", 1)[0]
        detail = f"{code} {errcode}".strip()
        if route.endswith("/login") and code in (401, 403):
            if errcode == "M_USER_DEACTIVATED":
                raise AuthError(f"{self.name}: the Matrix account is deactivated")
            raise AuthError(f"{self.name}: the homeserver refused the user ID or password "
                            f"({detail})")
        if code == 401 or errcode in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
            raise TokenRejected(f"{self.name}: the homeserver does not accept the access "
                                f"token ({detail}): it was revoked or belongs to another "
                                "server; enter a valid one")
        if code == 429 or errcode == "M_LIMIT_EXCEEDED":
            raise RateLimited(f"{self.name}: rate limited by the homeserver",
                              self._retry_after(resp))
        if code == 400 and route.endswith("/sync") and "since=" in path:
            raise CursorExpired(f"{self.name}: the homeserver no longer takes the sync "
                                f"token ({error or detail}); resyncing")
        if code == 404 and (errcode == "M_UNRECOGNIZED" or route.endswith("/versions")
                            or not errcode):
            raise Rejected(f"{self.name}: {redact(self._http.base)} has no Matrix client "
                           f"API at {route} ({detail}): check the homeserver URL")
        if 400 <= code < 500:  # 403 too: a room it may not read, not a bad credential
            raise Rejected(f"{self.name}: the homeserver refused the request ({detail})"
                           + (f": {error}" if error else ""))

    def _retry_after(self, resp: requests.Response) -> float:
        try:
            body = _decode.decode(resp.content)
            ms = body.get("retry_after_ms") if isinstance(body, dict) else None
        except (msgspec.DecodeError, RecursionError):
            ms = None
        if isinstance(ms, int) and not isinstance(ms, bool) and ms >= 0:
            return ms / 1000
        header = resp.headers.get("Retry-After", "")
        return float(header) if header.isdigit() else 5.0

    # -- requests ------------------------------------------------------------------------

    def request(self, method: str, path: str, *, write: bool = False,
                ok: tuple[int, ...] = (), params: dict[str, Any] | None = None,
                json: Any = None) -> tuple[int, Any]:
        """(status, decoded JSON body); signs in first (password) and once more when the
        token was forgotten."""
        if self._token is None:
            self.login()
        try:
            resp = self._http.call(method, path, write=write, ok=ok, params=params,
                                   json=json)
        except TokenRejected:
            if self.cfg.auth != "password":
                raise
            self.login()
            resp = self._http.call(method, path, write=write, ok=ok, params=params,
                                   json=json)
        return resp.status_code, self._json(resp, path)

    def _json(self, resp: requests.Response, path: str) -> Any:
        try:
            self.server_time = parsedate_to_datetime(resp.headers.get("Date", "")) \
                .astimezone(UTC)
        except (TypeError, ValueError):
            self.server_time = None
        try:
            return _decode.decode(resp.content)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise ServerError(f"{self.name}: the homeserver sent a malformed answer to "
                              f"{path.split('?')[0]}") from exc

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        _, body = self.request("GET", path, params=params or None)
        if not isinstance(body, dict):
            raise ServerError(f"{self.name}: the homeserver sent a malformed answer to "
                              f"{path}")
        return body

    # -- sign-in -------------------------------------------------------------------------

    def device_id(self) -> str:
        digest = hashlib.blake2b(f"{self.name}\0{self.cfg.user}".encode(), digest_size=5)
        return "RRDESKTOP" + digest.hexdigest().upper()

    def login(self) -> None:
        user = self.cfg.user
        resp = self._http.call("POST", f"{V3}/login", write=True, json={
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user},
            "password": self._credential, "device_id": self.device_id(),
            "initial_device_display_name": f"RR Desktop ({self.name})"})
        body = self._json(resp, "/login")
        token = body.get("access_token") if isinstance(body, dict) else None
        user_id = body.get("user_id") if isinstance(body, dict) else None
        if not isinstance(token, str) or not isinstance(user_id, str):
            raise ServerError(f"{self.name}: the homeserver's login answer has no access "
                              "token")
        self._token, self.user_id = token, user_id
        self._http.session.headers["Authorization"] = f"Bearer {token}"

    def whoami(self) -> str:
        """The account's user ID (asked once)."""
        if self.user_id is None:
            if self._token is None:
                self.login()
            else:
                user = self.get(f"{V3}/account/whoami").get("user_id")
                if not isinstance(user, str) or not user.startswith("@"):
                    raise ServerError(f"{self.name}: the homeserver did not say whose "
                                      "access token this is")
                self.user_id = user
        assert self.user_id is not None
        return self.user_id

    def close(self) -> None:
        """Log the password sign-in's device out (best effort), then drop the session."""
        if self.cfg.auth == "password" and self._token is not None:
            try:
                self._http.session.post(self._http.url(f"{V3}/logout"), json={},
                                        timeout=LOGOUT_TIMEOUT_S)
            except requests.RequestException:
                pass
            self._token = None
        self._http.close()

    # -- endpoints -----------------------------------------------------------------------

    def versions(self) -> Any:
        resp = self._http.call("GET", "/_matrix/client/versions")
        return self._json(resp, "/_matrix/client/versions")

    def room_id(self, alias: str) -> str:
        room = self.get(f"{V3}/directory/room/{q(alias)}").get("room_id")
        if not isinstance(room, str):
            raise ServerError(f"{self.name}: the homeserver did not resolve {alias[:80]}")
        return room

    def joined_rooms(self) -> set[str]:
        rooms = self.get(f"{V3}/joined_rooms").get("joined_rooms")
        return {r for r in rooms if isinstance(r, str)} if isinstance(rooms, list) else set()

    def join(self, ref: str) -> str:
        _, body = self.request("POST", f"{V3}/join/{q(ref)}", write=True, json={})
        room = body.get("room_id") if isinstance(body, dict) else None
        return room if isinstance(room, str) else ref

    def is_encrypted(self, room: str) -> bool:
        status, _ = self.request("GET", f"{V3}/rooms/{q(room)}/state/m.room.encryption/",
                                 ok=(404,))
        return status == 200

    def event(self, room: str, event_id: str, ok: tuple[int, ...] = ()) -> dict[str, Any] | None:
        status, body = self.request("GET", f"{V3}/rooms/{q(room)}/event/{q(event_id)}",
                                    ok=ok)
        return body if status == 200 and isinstance(body, dict) else None

    def relations(self, room: str, event_id: str, rel_type: str, limit: int,
                  start: str | None = None, event_type: str | None = None,
                  ) -> tuple[list[Any], str | None]:
        """One page of the events relating to `event_id`, newest first, and the token of
        the next page (None on the last)."""
        path = f"{V1}/rooms/{q(room)}/relations/{q(event_id)}/{q(rel_type)}"
        if event_type:
            path += f"/{q(event_type)}"
        params: dict[str, Any] = {"limit": limit, "dir": "b"}
        if start:
            params["from"] = start
        body = self.get(path, **params)
        chunk, nxt = body.get("chunk"), body.get("next_batch")
        return (chunk if isinstance(chunk, list) else [],
                nxt if isinstance(nxt, str) and nxt else None)

    def member_name(self, room: str, user: str) -> str | None:
        status, body = self.request(
            "GET", f"{V3}/rooms/{q(room)}/state/m.room.member/{q(user)}", ok=(403, 404))
        name = body.get("displayname") if status == 200 and isinstance(body, dict) else None
        return name if isinstance(name, str) and name.strip() else None

    def send(self, room: str, txn_id: str, content: dict[str, Any]) -> str:
        """PUT a message with a client transaction ID (the homeserver answers a repeat of
        the same ID from the same device with the first event, not a second one)."""
        _, body = self.request("PUT", f"{V3}/rooms/{q(room)}/send/m.room.message/"
                                      f"{q(txn_id)}", write=True, json=content)
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if not isinstance(event_id, str):
            raise ServerError(f"{self.name}: the homeserver did not return the new event")
        return event_id
