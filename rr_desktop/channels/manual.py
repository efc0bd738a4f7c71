"""Escalations typed in by analysts: a phone call from a regulator, a chat message from a
partner manager, something a lead heard in a meeting. A channel with no remote side:
pulling has nothing to fetch and triage stays in the cache (pushed nowhere), like a
spreadsheet's. The records themselves are written by `rr_desktop.store.manual`."""

from __future__ import annotations

from collections.abc import Mapping

from ..domain import Analyst, Incoming
from ..domain.manual import DEFAULT_NAME, KIND, PUSHES
from .contract import Mutation, Page, PushResult, Rejected
from .registry import ChannelSpec, SecretLookup, register

__all__ = ["DEFAULT_NAME", "KIND", "SPEC", "ManualChannel"]


class ManualChannel:
    """The client of a manual channel: nothing to pull, nothing to push."""

    pushes = PUSHES  # nowhere to send: triage lives in the cache (ingest keeps it)

    def __init__(self, name: str) -> None:
        self.name = name

    def pull(self, cursor: str | None) -> Page:
        return Page([], [], cursor, True)

    def push(self, mutation: Mutation) -> PushResult:
        """Triage and notes stay local: there is no source to send them to. A reply has
        no reporter to reach: refused with a sentence, never marked sent (one queued
        before the channel's pushes were recorded would otherwise read "sent")."""
        if mutation.op_type in ("update", "note"):
            return PushResult(None)
        if mutation.op_type == "reply":
            raise Rejected(f"{self.name}: a typed-in escalation has no reporter to reply "
                           "to; answer them another way (the reply was not sent)")
        raise Rejected(f"{self.name}: a manual escalation cannot take a {mutation.op_type!r}")

    def fetch(self, external_id: str) -> Incoming:
        raise Rejected(f"{self.name}: {external_id} exists only in this cache")

    def analysts(self) -> list[Analyst]:
        return []

    def close(self) -> None:
        """Nothing to release."""


def _build(name: str, _config: Mapping[str, str], _secret: SecretLookup) -> ManualChannel:
    return ManualChannel(name)


SPEC = register(ChannelSpec(
    kind=KIND, label="Typed in by analysts",
    description="Escalations analysts create themselves (c, then e): phone calls, chats, "
                "meetings. Local only: nothing is fetched or sent.",
    fields=(), build=_build,
))
