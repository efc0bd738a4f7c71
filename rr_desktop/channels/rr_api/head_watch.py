"""Waiting for the team hub's changes feed to move (`GET /v1/changes/wait`, docs/hub.md,
"Push to desktops"): the `rr_api` client's `idle_wait`, which the GUI runs on a thread of
its own while the app is open, and syncs the channel when it says True.

It long-polls on a session of its own (never the one a sync uses), from the head it
first learns. A service without the route (the platform's own escalation service, the
demo: 404) is remembered and asked again only every NO_PUSH_RECHECK_S; meanwhile the
wait just sleeps. A network error or a refused token is logged in one line and retried
after a backoff (2 s, doubling to 60 s): the channel's own sync reports such problems.
"""

from __future__ import annotations

import logging
import threading
import time

import msgspec

from ...http import CONNECT_TIMEOUT_S, new_session
from ..contract import ChannelError
from ..transport import Transport

log = logging.getLogger("rr_desktop.sync")

WAIT_PATH = "/v1/changes/wait"
MAX_WAIT_S = 30  # the hub's own limit
READ_SLACK_S = 15.0  # beyond the asked wait before the answer counts as lost
NO_PUSH_RECHECK_S = 600.0
BACKOFF_FIRST_S, BACKOFF_MAX_S = 2.0, 60.0


class _Head(msgspec.Struct):
    head: int


class HeadWatch:
    """The hub's feed head as this desktop last saw it, and the wait for it to move."""

    def __init__(self, name: str, base_url: str, headers: dict[str, str]) -> None:
        self.name = name
        self.head: int | None = None  # None until first learned
        session = new_session((CONNECT_TIMEOUT_S, MAX_WAIT_S + READ_SLACK_S), pool_size=1)
        session.headers.update(headers)
        self._http = Transport(name, base_url, session, deadline_s=MAX_WAIT_S + READ_SLACK_S)
        self._closed = threading.Event()
        self._quiet_until = 0.0  # no request before this (monotonic)
        self._backoff = BACKOFF_FIRST_S
        self.unsupported = False  # the server has no wait route (404 when last asked)

    def close(self) -> None:
        self._closed.set()
        self._http.close()

    def wait(self, timeout_s: float) -> bool:
        """Block up to `timeout_s`; True when the hub's head moved since last seen."""
        end = time.monotonic() + max(0.0, timeout_s)
        while not self._closed.is_set():
            now = time.monotonic()
            if now >= end:
                return False
            if now < self._quiet_until:
                self._closed.wait(min(end, self._quiet_until) - now)
                continue
            first = self.head is None
            head = self._ask(None if first else end - now)
            if head is None:
                continue  # unsupported or failed: quiet for a while
            moved, self.head = not first and head != self.head, head
            if moved:
                return True
        return False

    def _ask(self, wait_s: float | None) -> int | None:
        """One request: the head now (`wait_s` None) or once past the known one."""
        params: dict[str, str | int] = {"timeout": "0"}
        if wait_s is not None and self.head is not None:
            params = {"after": self.head, "timeout": f"{min(wait_s, MAX_WAIT_S):.1f}"}
        try:
            resp = self._http.call("GET", WAIT_PATH, ok=(404, 405), params=params)
            if resp.status_code in (404, 405):
                if not self.unsupported:
                    log.info("%s: the server has no push route (%s); syncing on the "
                             "interval", self.name, WAIT_PATH)
                self.unsupported = True
                self._quiet_until = time.monotonic() + NO_PUSH_RECHECK_S
                return None
            head = msgspec.json.decode(resp.content, type=_Head).head
        except (ChannelError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            if self._closed.is_set():
                return None
            log.info("%s: waiting for changes failed (%s); again in %.0f s", self.name,
                     str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                     self._backoff)
            self._quiet_until = time.monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, BACKOFF_MAX_S)
            return None
        self.unsupported = False
        self._backoff = BACKOFF_FIRST_S
        return head
