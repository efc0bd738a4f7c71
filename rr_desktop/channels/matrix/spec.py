"""The registry entry of kind `matrix`: its settings (config.py) and how a saved config
becomes a client."""

from __future__ import annotations

from collections.abc import Mapping

from ..contract import ChannelError
from ..registry import ChannelSpec, SecretLookup, register
from .client import MatrixChannel
from .config import FIELDS, MatrixConfig

KIND = "matrix"


def _build(name: str, config: Mapping[str, str], secret: SecretLookup) -> MatrixChannel:
    credential = secret("credential")
    if not credential:
        raise ChannelError(f"{name}: no Matrix access token or password in the keyring; "
                           "add the channel again")
    cfg = MatrixConfig.from_mapping(name, config)
    if not cfg.homeserver.startswith(("https://", "http://")):
        raise ChannelError(f"{name}: the homeserver URL must start with https://")
    return MatrixChannel(name, cfg, credential)


SPEC = register(ChannelSpec(
    kind=KIND, label="Matrix chat rooms",
    description="Escalations posted in Matrix rooms by market teams and partners: each "
                "message (or thread root) is an escalation, its thread replies are facts; "
                "replies go back as thread replies. Notes and triage stay local.",
    fields=FIELDS,
    build=_build,
))
