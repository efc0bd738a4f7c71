"""The registry entry of kind `rr_api`: its settings and how a saved config becomes a
client."""

from __future__ import annotations

from collections.abc import Mapping

from ..contract import ChannelError
from ..registry import ChannelSpec, FieldSpec, SecretLookup, register
from .client import RrApiChannel

KIND = "rr_api"


def _build(name: str, config: Mapping[str, str], secret: SecretLookup) -> RrApiChannel:
    token = secret("token")
    if not token:
        raise ChannelError(f"{name}: no token in the keyring; add the channel again")
    return RrApiChannel(name, config["base_url"], token)


SPEC = register(ChannelSpec(
    kind=KIND, label="Platform escalation service",
    description="The platform's own escalation API (rr_desktop/demo/openapi.yaml).",
    fields=(
        FieldSpec("base_url", "Base URL", help="e.g. https://escalations.internal.example"),
        FieldSpec("token", "API token", secret=True),
    ),
    build=_build,
))
