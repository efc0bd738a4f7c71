"""Which source a channel reads, named the same on every desktop (docs/incidents.md).

An incident links escalations by (source key, external id). Two analysts may give the same
Zendesk or the same reference service different channel names, so the key is the channel
kind and where it reads from, never the local name or id. It is part of the shared incident
log: changing how a kind's key is made would orphan that kind's links.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# Per kind, the config fields naming where the channel reads, first found wins.
_WHERE = ("base_url", "site_url", "homeserver", "url", "path")


def source_key(kind: str, config: Mapping[str, Any], name: str = "") -> str:
    """"rr_api:https://svc.example/api", "email:ops@mail.example/INBOX", "manual:Desk"."""
    host = config.get("imap_host") or config.get("host")
    if isinstance(host, str) and host.strip():
        user = str(config.get("username") or "")
        folder = str(config.get("mailbox") or "INBOX")
        return f"{kind}:{user}@{host.strip().lower()}/{folder}"
    for key in _WHERE:
        value = config.get(key)
        if isinstance(value, str) and value.strip():
            return f"{kind}:{value.strip().rstrip('/')}"
    return f"{kind}:{name}"


def source_key_of(kind: str, config_json: str | None, name: str = "") -> str:
    """`source_key` of a channel as the cache stores it (its config as JSON text; a
    config that is not a JSON object counts as empty)."""
    try:
        config = json.loads(config_json or "{}")
    except ValueError:
        config = {}
    return source_key(kind, config if isinstance(config, dict) else {}, name)
