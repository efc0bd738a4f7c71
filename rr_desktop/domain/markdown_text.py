"""Untrusted text inside Markdown the app writes (handover packs, post-mortems): every
syntax character escaped and whitespace flattened, so a title cannot add a heading, a
link or an image."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~])")


def flat(text: str) -> str:
    return " ".join(text.split())


def escape_md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", flat(text))
