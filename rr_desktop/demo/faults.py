"""Fault injection for the demo escalation service: a scripted queue plus seeded random rates.

Kinds:

- ``latency``: sleep ``seconds`` and then answer normally;
- ``429``: answer 429 with ``Retry-After: <retry_after>`` (seconds) without applying;
- ``5xx``: answer ``status`` (500/502/503) without applying;
- ``drop``: apply the request, then close the connection without any response (the
  "response lost after the write happened" case);
- ``drop_before``: close the connection without applying anything;
- ``drip``: apply, then send the whole answer (status line, headers, body) at
  ``bytes_per_s`` bytes a second;
- ``truncate``: apply, then send the headers and only part of the body, and close (the
  answer is cut off mid-body: the client cannot know whether the write happened);
- ``gzip_bomb``: answer 200 with a gzip body that inflates to ``size_mb`` MB;
- ``redirect``: answer 307 to the same path and query on another ``host`` (by default
  ``localhost``: the same server under another name);
- ``gone``: answer 410 (the changes feed's "cursor expired"), without applying;
- ``cursor_same`` / ``cursor_back`` / ``cursor_empty``: on the changes feed, say
  ``has_more`` with the cursor that was sent, one behind it, or an empty one.

Scripted faults are consumed first, oldest first, each by the first request matching its
method and path prefix (``count=None``: every matching request, for good); random faults
apply afterwards with their own seeded rng. ``parse_fault`` reads the command line's
``KIND[:key=value,...]`` form.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass
from typing import Any, Literal, get_args

FaultKind = Literal["latency", "429", "5xx", "drop", "drop_before", "drip", "truncate",
                    "gzip_bomb", "redirect", "gone", "cursor_same", "cursor_back",
                    "cursor_empty"]
FAULT_KINDS: frozenset[str] = frozenset(get_args(FaultKind))
CURSOR_KINDS = frozenset({"cursor_same", "cursor_back", "cursor_empty"})
_RANDOM_5XX = (500, 502, 503)
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]")


@dataclass(slots=True)
class Fault:
    """One fault to inject into requests matching ``method`` and the ``path`` prefix."""

    kind: FaultKind
    count: int | None = 1  # None: every matching request
    method: str | None = None
    path: str | None = None
    seconds: float = 1.0
    retry_after: int = 1
    status: int = 503
    bytes_per_s: float = 1.0
    size_mb: int = 1024
    host: str = "localhost"

    def matches(self, method: str, path: str) -> bool:
        return ((self.method is None or self.method == method)
                and (self.path is None or path.startswith(self.path)))


@dataclass(frozen=True, slots=True)
class InjectedFault:
    """A fault that was applied to a request (kept for assertions in tests)."""

    kind: FaultKind
    method: str
    path: str


@dataclass(frozen=True, slots=True)
class _RandomRates:
    rate_5xx: float
    rate_429: float
    rate_drop: float
    rate_drop_before: float
    rate_latency: float
    latency_s: float
    retry_after: int
    method: str | None
    path: str | None


class FaultInjector:
    """Decides, per request, whether and how to misbehave. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []
        self._rates: _RandomRates | None = None
        self._rng = random.Random(0)
        self._injected: list[InjectedFault] = []

    def add(self, kind: FaultKind, count: int | None = 1, *, method: str | None = None,
            path: str | None = None, seconds: float = 1.0, retry_after: int = 1,
            status: int = 503, bytes_per_s: float = 1.0, size_mb: int = 1024,
            host: str = "localhost") -> None:
        """Script ``count`` faults of ``kind`` for the next matching requests (None: for
        every matching request from now on)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(FAULT_KINDS)}")
        if count is not None and count < 1:
            raise ValueError("count must be at least 1")
        if kind == "5xx" and not 500 <= status <= 599:
            raise ValueError("a 5xx fault needs a status of 500..599")
        if seconds < 0 or retry_after < 0:
            raise ValueError("seconds and retry_after must not be negative")
        if not 0 < bytes_per_s <= 1e9:
            raise ValueError("bytes_per_s must be positive")
        if not 1 <= size_mb <= 64 * 1024:
            raise ValueError("size_mb must be 1..65536")
        if not _HOST.fullmatch(host):
            raise ValueError(f"{host!r} is not a host name")
        with self._lock:
            self._queue.append(Fault(kind, count, method.upper() if method else None, path,
                                     seconds, retry_after, status, bytes_per_s, size_mb,
                                     host))

    def set_random(self, seed: int, *, rate_5xx: float = 0.0, rate_429: float = 0.0,
                   rate_drop: float = 0.0, rate_drop_before: float = 0.0,
                   rate_latency: float = 0.0, latency_s: float = 0.2, retry_after: int = 1,
                   method: str | None = None, path: str | None = None) -> None:
        """Inject faults at random with these probabilities (they must sum to <= 1)."""
        rates = (rate_5xx, rate_429, rate_drop, rate_drop_before, rate_latency)
        if any(r < 0 for r in rates) or sum(rates) > 1:
            raise ValueError("rates must be >= 0 and sum to at most 1")
        with self._lock:
            self._rng = random.Random(seed)
            self._rates = _RandomRates(rate_5xx, rate_429, rate_drop, rate_drop_before,
                                       rate_latency, latency_s, retry_after,
                                       method.upper() if method else None, path)

    def clear(self) -> None:
        """Forget scripted faults and random rates (the history stays)."""
        with self._lock:
            self._queue.clear()
            self._rates = None

    @property
    def pending(self) -> int:
        """Scripted faults not yet used (a fault for every request counts once)."""
        with self._lock:
            return sum(f.count or 1 for f in self._queue)

    @property
    def injected(self) -> list[InjectedFault]:
        with self._lock:
            return list(self._injected)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any (consumes a scripted one)."""
        with self._lock:
            fault = self._take_scripted(method, path) or self._take_random(method, path)
            if fault is not None:
                self._injected.append(InjectedFault(fault.kind, method, path))
            return fault

    def _take_scripted(self, method: str, path: str) -> Fault | None:
        for i, fault in enumerate(self._queue):
            if fault.matches(method, path):
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count == 0:
                        del self._queue[i]
                return Fault(fault.kind, 1, fault.method, fault.path, fault.seconds,
                             fault.retry_after, fault.status, fault.bytes_per_s,
                             fault.size_mb, fault.host)
        return None

    def _take_random(self, method: str, path: str) -> Fault | None:
        rates = self._rates
        if rates is None or (rates.method is not None and rates.method != method):
            return None
        if rates.path is not None and not path.startswith(rates.path):
            return None
        roll = self._rng.random()
        choices: tuple[tuple[FaultKind, float], ...] = (
            ("5xx", rates.rate_5xx), ("429", rates.rate_429), ("drop", rates.rate_drop),
            ("drop_before", rates.rate_drop_before), ("latency", rates.rate_latency))
        for kind, rate in choices:
            if roll < rate:
                status = self._rng.choice(_RANDOM_5XX)
                return Fault(kind, 1, seconds=rates.latency_s, retry_after=rates.retry_after,
                             status=status)
            roll -= rate
        return None


_INT_KEYS = frozenset({"count", "retry_after", "status", "size_mb"})
_FLOAT_KEYS = frozenset({"seconds", "bytes_per_s"})
_TEXT_KEYS = frozenset({"method", "path", "host"})


def parse_fault(spec: str) -> dict[str, Any]:
    """``KIND[:key=value,...]`` (the command line's --fault) as keyword arguments of
    :meth:`FaultInjector.add`; ``count`` defaults to every matching request. Raises
    ValueError naming what is wrong."""
    kind, _, rest = spec.strip().partition(":")
    kind = kind.strip()
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(sorted(FAULT_KINDS))}")
    out: dict[str, Any] = {"kind": kind, "count": None}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or not value:
            raise ValueError(f"{part!r} in fault {spec!r} is not key=value")
        try:
            if key in _INT_KEYS:
                out[key] = int(value)
            elif key in _FLOAT_KEYS:
                out[key] = float(value)
            elif key in _TEXT_KEYS:
                out[key] = value
            else:
                known = sorted(_INT_KEYS | _FLOAT_KEYS | _TEXT_KEYS)
                raise ValueError(f"unknown fault setting {key!r}; one of {', '.join(known)}")
        except ValueError as exc:
            if "unknown fault setting" in str(exc):
                raise
            raise ValueError(f"{key} must be a number in fault {spec!r}") from None
    return out
