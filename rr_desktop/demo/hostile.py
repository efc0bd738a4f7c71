"""Hostile data and answers of the demo escalation service, for reproducing by hand what
real servers sometimes send (``rr-desktop demo-server --hostile KIND,...``, ``--fault``).

Hostile records (``--hostile``):

- ``bigint``: a record whose ``version`` is 2**63 and ``reach.views`` 2**64;
- ``surrogate``: a record whose title holds a lone ``\\ud800`` escape (not UTF-8);
- ``deep``: a record with a value nested 200,000 arrays deep;
- ``bom``: the first page of the feed starts with a UTF-8 byte order mark;
- ``ids``: real records (they can be read and changed) whose ids hold ``/``, ``?``,
  ``#``, ``%`` and ``..``, e.g. ``../../admin``.

The first four are spliced into the first page of the changes feed (no cursor) as bytes,
since no JSON encoder would write them; ``ids`` records live in the store.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from urllib.parse import parse_qs

from .response import Response
from .state import CursorExpired, CursorMalformed, EscalationStore
from .wire import decode, encode

HOSTILE_KINDS = ("bigint", "surrogate", "deep", "bom", "ids")
HOSTILE_IDS = ("ESC-a/b", "ESC-what?admin=1", "../../admin", "..", "ESC-100%", "ESC-#top")
DEPTH = 200_000
BOM = b"\xef\xbb\xbf"
_FEED_PREFIX = b'{"items":['
_MARK = "@@hostile@@"


def parse_hostile(text: str) -> frozenset[str]:
    """``bigint,ids`` -> the kinds; ValueError naming an unknown one."""
    kinds = frozenset(k.strip() for k in text.split(",") if k.strip())
    unknown = sorted(kinds - set(HOSTILE_KINDS))
    if unknown:
        raise ValueError(f"unknown hostile kind {unknown[0]!r}; one of "
                         f"{', '.join(HOSTILE_KINDS)}")
    return kinds


def add_hostile_ids(state: EscalationStore) -> None:
    """Copies of the first record under the hostile ids (real, changeable records)."""
    if not len(state):
        return
    template = state.get(state.id_at(0))
    assert template is not None
    for escalation_id in HOSTILE_IDS:
        if escalation_id not in state:
            state.add({**template, "id": escalation_id,
                       "title": f"Record with a hostile id: {escalation_id}"})


def _raw_records(kinds: Collection[str], template: dict[str, Any]) -> list[bytes]:
    out: list[bytes] = []
    if "bigint" in kinds:
        rec = {**template, "id": "HOSTILE-bigint", "version": 2**63,
               "reach": {"views": 2**64, "shares": 1}}
        out.append(encode(rec))
    if "surrogate" in kinds:
        rec = {**template, "id": "HOSTILE-surrogate", "title": f"lone surrogate {_MARK} here"}
        out.append(encode(rec).replace(_MARK.encode(), b"\\ud800"))
    if "deep" in kinds:
        rec = {**template, "id": "HOSTILE-deep", "extra": _MARK}
        out.append(encode(rec).replace(f'"{_MARK}"'.encode(), b"[" * DEPTH + b"]" * DEPTH))
    return out


def _sent_cursor(query: str) -> str:
    return parse_qs(query, keep_blank_values=True).get("cursor", [""])[-1]


def bend_cursor(response: Response, query: str, kind: str,
                state: EscalationStore) -> Response:
    """A feed page whose ``has_more`` is true and whose ``next_cursor`` is the one that
    was sent (``cursor_same``), one behind it (``cursor_back``) or empty
    (``cursor_empty``). The first page (no cursor sent) is left alone for the first two,
    so that the client has a cursor to send."""
    if response.status != 200:
        return response
    sent = _sent_cursor(query)
    page = decode(response.body)
    if kind == "cursor_empty":
        page["next_cursor"] = ""
    elif not sent:
        return response
    elif kind == "cursor_same":
        page["next_cursor"] = sent
    else:
        try:
            seq = state.parse_cursor(sent)
        except (CursorExpired, CursorMalformed):
            return response
        page["next_cursor"] = state.cursor(max(seq // 2, 0))
    page["has_more"] = True
    return Response(200, encode(page), response.headers, response.content_type)


def first_page(response: Response, query: str, kinds: Collection[str],
               state: EscalationStore) -> Response:
    """The first page of the feed with the hostile records spliced in (and a BOM)."""
    if response.status != 200 or _sent_cursor(query) or not kinds or \
            not response.body.startswith(_FEED_PREFIX) or not len(state):
        return response
    template = state.get(state.id_at(0))
    assert template is not None
    raws = _raw_records(kinds, template)
    body = response.body
    if raws:
        rest = body[len(_FEED_PREFIX):]
        glue = b"," if not rest.startswith(b"]") else b""
        body = _FEED_PREFIX + b",".join(raws) + glue + rest
    if "bom" in kinds:
        body = BOM + body
    return Response(200, body, response.headers, response.content_type)
