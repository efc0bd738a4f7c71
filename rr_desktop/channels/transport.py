"""HTTP for channels: one place that turns requests' failures and HTTP statuses into the
ChannelError kinds the sync engine understands (see base.py).

Every HTTP channel sends through a `Transport`; a channel adds only what its API documents
differently (e.g. which status means an expired cursor, a custom "wrong URL" sentence).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from ..http import new_session, parse_retry_after, redact
from .base import AuthError, CursorExpired, NetworkError, RateLimited, Rejected, ServerError

DEFAULT_RETRY_AFTER_S = 30.0
StatusHook = Callable[[requests.Response], None]


class Transport:
    """A channel's HTTP session bound to a base URL, raising ChannelErrors.

    `expired_statuses`: statuses that mean "the cursor is no longer valid" (410 by
    default). `hook` runs before the generic mapping and may raise a more precise error.
    """

    def __init__(self, name: str, base_url: str, session: requests.Session | None = None,
                 expired_statuses: Collection[int] = (410,),
                 hook: StatusHook | None = None) -> None:
        self.name = name
        self.base = base_url.rstrip("/")
        self.session = session or new_session()
        self._expired = frozenset(expired_statuses)
        self._hook = hook

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.base + path

    def call(self, method: str, path: str, write: bool = False,
             ok: Collection[int] = (), **kwargs: Any) -> requests.Response:
        """Send one request. `write` marks requests that change server state (a lost
        response is then ambiguous); statuses in `ok` are returned instead of raised."""
        url = self.url(path)
        try:
            resp = self.session.request(method, url, **kwargs)
        except requests.exceptions.ConnectTimeout as exc:
            raise NetworkError(f"{self.name}: the server did not answer in time") from exc
        except requests.exceptions.SSLError as exc:
            raise NetworkError(f"{self.name}: TLS error talking to {redact(self.base)}") from exc
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            sent = not _never_connected(exc)
            raise NetworkError(
                f"{self.name}: cannot reach {redact(self.base)} ({type(exc).__name__})",
                ambiguous=write and sent) from exc
        except requests.exceptions.RequestException as exc:
            raise Rejected(f"{self.name}: invalid request to {redact(url)} ({exc})") from exc
        if resp.status_code in ok:
            return resp
        self.raise_for_status(resp)
        return resp

    def raise_for_status(self, resp: requests.Response) -> None:
        code = resp.status_code
        if code < 400:
            return
        if self._hook is not None:
            self._hook(resp)
        if code in (401, 403):
            raise AuthError(f"{self.name}: the server refused the credentials ({code})")
        if code in self._expired:
            raise CursorExpired(f"{self.name}: the sync cursor expired; resyncing")
        if code == 429:
            wait = parse_retry_after(resp.headers.get("Retry-After"), time.time())
            raise RateLimited(f"{self.name}: rate limited",
                              wait if wait is not None else DEFAULT_RETRY_AFTER_S)
        if code >= 500:
            raise ServerError(f"{self.name}: server error {code}")
        if code == 404:
            raise Rejected(f"{self.name}: {redact(resp.url)} was not found (404): "
                           "check the URL")
        raise Rejected(f"{self.name}: request refused ({code}): {resp.text[:200]}")


def _never_connected(exc: requests.exceptions.RequestException) -> bool:
    """True when no connection was made (refused, unresolvable host), so no byte of the
    request reached the server. requests wraps urllib3's NewConnectionError in a
    MaxRetryError (`args[0].reason`); the bare OSError shows only as a context."""
    wrapped = exc.args[0] if exc.args else None
    reason = getattr(wrapped, "reason", wrapped)
    return isinstance(reason, NewConnectionError) or \
        isinstance(exc.__context__, ConnectionRefusedError)
