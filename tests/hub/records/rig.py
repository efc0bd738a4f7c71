"""Helpers of the hub's record stores' tests: `as_caller` sets who is calling, as the
HTTP layer does; `NewHubStore` is the type of the `new_hub_store` fixture (conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rr_desktop.hub.caller import Caller, current
from rr_desktop.hub.store import HubStore

NewHubStore = Callable[[], HubStore]


@contextmanager
def as_caller(analyst: str, role: str = "analyst",
              desktop: str | None = "desk-1") -> Iterator[Caller]:
    who = Caller(analyst, role, desktop)
    token = current.set(who)
    try:
        yield who
    finally:
        current.reset(token)
