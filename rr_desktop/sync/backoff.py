"""Waiting politely: exponential backoff with full jitter, and token buckets sized to a
channel's documented rate limit (docs/sync.md rule 10)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

BASE_S = 1.0
CAP_S = 300.0


def full_jitter(attempt: int, rng: random.Random | None = None, base: float = BASE_S,
                cap: float = CAP_S) -> float:
    """Seconds to wait before retry number `attempt` (1-based): uniform(0, min(cap, b*2^n))."""
    ceiling = min(cap, base * (2 ** max(attempt - 1, 0)))
    return (rng or random).uniform(0, ceiling)


class TokenBucket:
    """`rate` requests per `per` seconds, bursts up to `capacity`. Thread-safe."""

    def __init__(self, rate: float, per: float, capacity: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fill_per_s = rate / per
        self._capacity = capacity if capacity is not None else rate
        self._tokens = self._capacity
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

    def wait_time(self) -> float:
        """Take a token if one is there (0.0), else say how long until one is (no take)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self._capacity,
                               self._tokens + (now - self._last) * self._fill_per_s)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self._fill_per_s
