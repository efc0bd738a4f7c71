"""What keeps a sync run finite whatever the server does (docs/sync.md rules 10 and 11).

- A cursor watchdog: a page that says "more" must move the cursor forward. The same
  cursor again, one seen before in this run, one behind the last (for channels whose
  cursors have an order) or none at all ends the run with a recorded error instead of
  asking again forever.
- A deadline for the whole run: waits and HTTP exchanges stop when it passes.
- A cap on how long a rate limit is waited out within a run: past it, the run ends with
  "rate-limited until HH:MM" and the channel row holds that time.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime

from ..channels.contract import ChannelError, OrderedCursors, Page

RUN_DEADLINE_S = 15 * 60.0
MAX_RETRY_WAIT_S = 3 * 60.0


@dataclass(frozen=True, slots=True)
class SyncLimits:
    """`run_deadline_s`: a run stops after this long, keeping what it stored; the next
    run continues from there. `max_retry_wait_s`: the longest Retry-After (or rate-limit
    reset) waited out within a run."""

    run_deadline_s: float = RUN_DEADLINE_S
    max_retry_wait_s: float = MAX_RETRY_WAIT_S


class CursorStuck(ChannelError):
    """The server said "more" without moving the cursor forward."""


class RunOutOfTime(ChannelError):
    """The run reached its deadline."""


class RateLimitedUntil(ChannelError):
    """The server asked for a longer wait than a run waits out; `until` is epoch s."""

    def __init__(self, message: str, until: int) -> None:
        super().__init__(message)
        self.until = until


def clock_time(epoch_s: int, now_epoch_s: float | None = None) -> str:
    """"14:32" in local time, with the date when it is not today."""
    when = datetime.fromtimestamp(epoch_s).astimezone()
    today = datetime.fromtimestamp(now_epoch_s if now_epoch_s is not None
                                   else time.time()).astimezone().date()
    return when.strftime("%H:%M") if when.date() == today else \
        when.strftime("%Y-%m-%d %H:%M")


def duration(seconds: float) -> str:
    """A wait as people say it: "90 s", "12 min", "24 h"."""
    if seconds < 10 and seconds != int(seconds):
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"


class RunClock:
    """The deadline of one run (time.monotonic)."""

    def __init__(self, limits: SyncLimits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.run_deadline_s

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def check(self, channel: str) -> None:
        if self.left() <= 0:
            raise self.out_of_time(channel)

    def out_of_time(self, channel: str) -> RunOutOfTime:
        return RunOutOfTime(f"{channel}: the sync did not finish within "
                            f"{duration(self.limits.run_deadline_s)}; what arrived is kept "
                            "and the next sync continues from there")


class CursorWatch:
    """Checks that each page that is not the last moves the cursor forward."""

    def __init__(self, channel: str, ordered: OrderedCursors | None) -> None:
        self.channel = channel
        self._ordered = ordered
        self._seen: set[bytes] = set()

    def check(self, sent: str | None, page: Page, pages: int) -> None:
        """Raise CursorStuck when `page` (an answer to `sent`) says "more" but its cursor
        does not lead anywhere new."""
        if page.done:
            return
        nxt = page.next_cursor
        where = f"after {pages} page{'s' if pages != 1 else ''}"
        if not nxt:
            self._stuck(f"sent no cursor for the next page while saying there is more "
                        f"({where})")
        assert nxt is not None
        if nxt == sent:
            self._stuck(f"sent back the same cursor while saying there is more ({where})")
        if self._ordered is not None and sent:
            before, after = (self._ordered.cursor_position(sent),
                             self._ordered.cursor_position(nxt))
            if before is not None and after is not None and after < before:
                self._stuck(f"sent a cursor that goes backwards ({where})")
        key = hashlib.blake2b(nxt.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        if key in self._seen:
            self._stuck(f"sent a cursor it had already sent in this sync, a loop ({where})")
        self._seen.add(key)
        if sent:
            self._seen.add(hashlib.blake2b(sent.encode("utf-8", "surrogatepass"),
                                           digest_size=16).digest())

    def _stuck(self, what: str) -> None:
        raise CursorStuck(f"{self.channel}: the server {what}: the sync stopped rather "
                          "than ask again and again, keeping what arrived")
