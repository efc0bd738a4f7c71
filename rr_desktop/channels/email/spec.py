"""The registry entry of kind `email`: its settings (config.py) and how a saved config
becomes a client."""

from __future__ import annotations

from collections.abc import Mapping

from ..contract import ChannelError
from ..registry import ChannelSpec, SecretLookup, register
from .client import EmailChannel
from .config import FIELDS, EmailConfig

KIND = "email"


def _build(name: str, config: Mapping[str, str], secret: SecretLookup) -> EmailChannel:
    password = secret("password")
    if not password:
        raise ChannelError(f"{name}: no password in the keyring; add the channel again")
    return EmailChannel(name, EmailConfig.from_mapping(name, config), password,
                        secret("smtp_password") or None)


SPEC = register(ChannelSpec(
    kind=KIND, label="Shared mailbox (IMAP + SMTP)",
    description="Partner and law-enforcement inquiries in a shared mailbox: one escalation "
                "per thread; triage kept as IMAP keywords; replies sent by SMTP.",
    fields=FIELDS,
    build=_build,
))
