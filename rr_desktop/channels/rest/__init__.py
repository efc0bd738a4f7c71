"""Channel `rest`: any internal tool with a plain JSON API, configured, not coded.

A shareable JSON config file (`config.py`: base URL, auth style, list endpoint and
pagination, field mapping, value maps, optional write-back) describes the tool; the secret
(token, password or API key) is the channel's one secret setting, kept in the keyring.

    rr-desktop channels add rest abuse-desk --set config_file=/path/to/abuse-desk.json

See `client.py` and `writes.py` for the HTTP standards each behaviour relies on,
`follow.py` for linked sub-resources, and resources/channels/README.md for the format
(schema_version 1 and 2) with one example per feature; example-roundup.json is a complete
version 2 file for a real tracker.
"""

from __future__ import annotations

from .client import RestChannel
from .config import (
    SCHEMA_VERSION,
    ConfigError,
    RestConfig,
    decode_config,
    encode_config,
    load_config,
    save_config,
)
from .spec import KIND, SPEC, build

__all__ = [
    "KIND", "SCHEMA_VERSION", "SPEC", "ConfigError", "RestChannel", "RestConfig",
    "build", "decode_config", "encode_config", "load_config", "save_config",
]
