"""The deadline of a whole sync run, a context variable the engine sets and every HTTP
exchange of that run honours (http_deadline.py ends an exchange at the earlier of its own
deadline and this one; docs/network-limits.md). Kept apart from the HTTP machinery, so
what only sets the run's deadline (the sync engine, and through it the GUI) does not load
the HTTP stack."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_run_deadline: ContextVar[float | None] = ContextVar("rr_run_deadline", default=None)


def run_deadline_at() -> float | None:
    """When the current run must end (time.monotonic), or None."""
    return _run_deadline.get()


def run_deadline_left() -> float | None:
    """Seconds left of the current run's deadline (None: no run deadline)."""
    at = _run_deadline.get()
    return None if at is None else at - time.monotonic()


@contextmanager
def run_deadline(at: float | None) -> Iterator[None]:
    """Every exchange of this thread (context) ends by `at` (time.monotonic)."""
    token = _run_deadline.set(at)
    try:
        yield
    finally:
        _run_deadline.reset(token)
