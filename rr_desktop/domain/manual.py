"""The manual channel as the rest of the app knows it: escalations analysts type in
(KEYMAP `c`) land in a channel of this kind, created on first use under this name, whose
source receives nothing (rr_desktop/channels/manual.py is its client, store/manual.py
writes its records)."""

from __future__ import annotations

from .push import NOTHING, Push

KIND = "manual"
DEFAULT_NAME = "manual"
PUSHES: frozenset[Push] = NOTHING  # nowhere to send: triage lives in the cache
