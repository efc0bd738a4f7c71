"""Long bodies cut to what the cache keeps: at a character boundary, and saying so.

Every channel's records pass through `Escalation`, which cuts its body and formatted
body here, so a 660,000-character mail, ticket, feed entry or spreadsheet cell ends the
same way: with the text up to a whole character (never half of a combining sequence, an
emoji sequence or a flag) and a last line saying how much was kept of how much:

    [cut: 199,912 of 660,000 characters; full text at the source]

A channel that could only read the start of a text (a partial IMAP fetch) passes what
it knows of the whole: its exact length, an estimate ("of about"), or a lower bound
("of more than").
"""

from __future__ import annotations

import unicodedata
from enum import Enum

MAX_BODY = 200_000
"""Characters of a plain-text body kept, the cut line included."""

MAX_BODY_HTML = 300_000
"""Characters of a formatted body kept (cut HTML is repaired when sanitized for display)."""

SEPARATOR = "\n\n"
_MAX_BACKOFF = 32  # characters given up at most to keep a grapheme whole
_LINE_LOOKBACK = 200  # a line break this close to the cut is a nicer place to stop
_SPACE_LOOKBACK = 40
# Grapheme_Cluster_Break=SpacingMark letters whose general category is not Mc (UAX #29).
_SPACING_MARKS = frozenset("\u0e33\u0eb3")
_ZWJ = "\u200d"


class Extent(Enum):
    """How well a channel knows the length of the text at the source."""

    EXACT = ""
    ABOUT = "about "
    MORE_THAN = "more than "


def cut_marker(kept: int, total: int, extent: Extent = Extent.EXACT) -> str:
    """The line that ends a cut text."""
    return (f"[cut: {kept:,} of {extent.value}{total:,} characters; "
            "full text at the source]")


def _extends(ch: str) -> bool:
    """Whether `ch` belongs to the grapheme before it (UAX #29 Extend / SpacingMark /
    ZWJ, and Hangul vowel and final jamo)."""
    code = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in _SPACING_MARKS
            or ch == _ZWJ or 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF
            or 0xE0020 <= code <= 0xE007F or 0xE0100 <= code <= 0xE01EF
            or 0x1160 <= code <= 0x11FF or 0xD7B0 <= code <= 0xD7FF)


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def boundary(text: str, end: int) -> int:
    """The largest position <= `end` where `text` can be cut without splitting a
    user-perceived character (a base and its marks, a ZWJ emoji sequence, a flag, CRLF)."""
    end = max(0, min(end, len(text)))
    floor = max(end - _MAX_BACKOFF, 0)
    while floor < end < len(text):
        ch, before = text[end], text[end - 1]
        if _extends(ch) or before == _ZWJ or (before == "\r" and ch == "\n"):
            end -= 1
            continue
        if _regional(ch) and _regional(before):
            run = end
            while run > 0 and _regional(text[run - 1]):
                run -= 1
            if (end - run) % 2:
                end -= 1
                continue
        break
    return end


def _stop(text: str, end: int) -> int:
    """Where to stop at or before `end`: a line break or a space close to it if there is
    one (for the reader), else the nearest character boundary."""
    line = text.rfind("\n", max(end - _LINE_LOOKBACK, 0), end)
    if line > 0:
        return line
    space = text.rfind(" ", max(end - _SPACE_LOOKBACK, 0), end)
    if space > 0:
        return space
    return boundary(text, end)


def cut_text(text: str, limit: int = MAX_BODY, *, source_chars: int | None = None,
             extent: Extent = Extent.EXACT) -> str:
    """`text` as kept: whole when it fits in `limit` characters and is all of the source
    text; else its start, cut at a character boundary, and the cut line, in at most
    `limit` characters. `source_chars` is the length of the text at the source when
    `text` is only its beginning, with `extent` saying how well it is known (ABOUT: an
    estimate; MORE_THAN: a lower bound); then the cut line is there in any case."""
    partial = source_chars is not None and (
        source_chars > len(text) or extent is not Extent.EXACT)
    if len(text) <= limit and not partial:
        return text
    total = max(source_chars or 0, len(text))
    if source_chars is None:
        extent = Extent.EXACT  # the whole text is here: its length is known
    room = max(limit - len(SEPARATOR) - len(cut_marker(limit, total, extent)), 0)
    stop = _stop(text, min(room, len(text))) if len(text) > room else len(text)
    kept = text[:stop].rstrip()
    return f"{kept}{SEPARATOR}{cut_marker(len(kept), total, extent)}"


def cut_html(html: str, limit: int = MAX_BODY_HTML) -> str:
    """A formatted body as kept: whole when it fits, else cut before any tag left open
    by the cut and closed with the cut line as a paragraph."""
    if len(html) <= limit:
        return html
    marker = cut_marker(limit, len(html))
    end = boundary(html, limit - len(marker) - len("\n<p></p>"))
    tag = html.rfind("<", 0, end)
    if tag > html.rfind(">", 0, end):
        end = tag  # never end inside a tag or an attribute value
    return f"{html[:end]}\n<p>{cut_marker(end, len(html))}</p>"
