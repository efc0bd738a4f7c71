"""The registry entry of kind `rest`: its settings and how a saved config (the path of a
shareable config file) becomes a client."""

from __future__ import annotations

from collections.abc import Mapping

from ..contract import ChannelError
from ..registry import ChannelSpec, FieldSpec, SecretLookup, register
from .client import RestChannel
from .config import load_config
from .config_checks import check_base_url

KIND = "rest"


SECRET_FIELD = "secret"


def build(name: str, config: Mapping[str, str], secret: SecretLookup) -> RestChannel:
    """The client for a configured channel: the config file is read now (no network)."""
    path = config.get("config_file", "")
    if not path:
        raise ChannelError(f"{name}: no config_file set for this REST channel")
    cfg = load_config(path)
    base_url = config.get("base_url", "")
    if base_url:
        bad = check_base_url(base_url)
        if bad:
            raise ChannelError(f"{name}: {bad[0]}")
    value = secret(SECRET_FIELD) if cfg.auth.style != "none" else None
    return RestChannel(name, cfg, value, username=config.get("username", ""),
                       base_url=base_url)


SPEC = register(ChannelSpec(
    kind=KIND, label="REST JSON API",
    description="An internal tool with a plain JSON API, described by a shareable config "
                "file (see resources/channels/README.md).",
    fields=(
        FieldSpec("config_file", "Config file",
                  help="absolute path of the tool's JSON config (shareable, no secrets)"),
        FieldSpec("base_url", "Base URL", required=False,
                  help="overrides the config file's base_url (e.g. a staging instance)"),
        FieldSpec("username", "User name", required=False,
                  help="for auth style basic; overrides auth.username"),
        FieldSpec(SECRET_FIELD, "Token, password or API key", secret=True, required=False,
                  help="whatever the config's auth.style needs; kept in the keyring"),
    ),
    build=build,
))
